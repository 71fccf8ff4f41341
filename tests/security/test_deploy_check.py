"""`manage.py check --deploy --fail-level WARNING` passes with SECRET_KEY and ALLOWED_HOSTS only."""

from tests.security.conftest import manage, minimal_production_env


def test_check_deploy_passes_with_only_the_secret_key_and_hosts():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=minimal_production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_local_http_settings_reach_production():
    """The same check does catch what the local plain-HTTP settings turn off."""
    env = minimal_production_env(SECURE_SSL_REDIRECT="false", SESSION_COOKIE_SECURE="false")

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "security.W008" in result.stderr  # SECURE_SSL_REDIRECT
    assert "security.W012" in result.stderr  # SESSION_COOKIE_SECURE


def test_production_defaults_are_https_only(production_defaults):
    assert production_defaults == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        # Trusting a forwarded header is the operator's decision (README: behind a proxy).
        "SECURE_PROXY_SSL_HEADER": None,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "X_FRAME_OPTIONS": "DENY",
    }
