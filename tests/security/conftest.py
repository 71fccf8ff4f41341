"""Security tests: through HTTP, with the real middleware (axes, CSP, security, CSRF)."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.utils import reset as axes_reset
from django.test import Client

from pharmacy_orders.models import PharmacyOrder
from rxscale.inbox.samples import sample_pdf

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Dozens of real logins per test: the slow production hasher would only add minutes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _axes_reset(db):
    """No login failure counted by one test reaches the next."""
    axes_reset()
    yield
    axes_reset()


@pytest.fixture
def order_with_pdf(deliver, payload):
    response = deliver(payload("pharmacy_order_created", uid="po-sec-1", pdf=sample_pdf(700)))
    assert response.status_code == 200, response.content
    return PharmacyOrder.objects.get(uid="po-sec-1")


@pytest.fixture
def logged_in(pharmacy_admin):
    client = Client()
    client.force_login(pharmacy_admin)
    return client


def minimal_production_env(**extra: str) -> dict[str, str]:
    """What an operator must set, and nothing else: no .env, DEBUG unset."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ENV_FILE": os.devnull,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "backoffice.example.com",
        **extra,
    }


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


SECURITY_SETTINGS = (
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "X_FRAME_OPTIONS",
)


@pytest.fixture(scope="session")
def production_defaults() -> dict:
    """The security settings a production start gets from SECRET_KEY and ALLOWED_HOSTS alone."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{k: getattr(settings, k) for k in {SECURITY_SETTINGS!r}}}))"
    )
    result = manage("shell", "-c", code, env=minimal_production_env())
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
