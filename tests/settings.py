"""The test suite's settings: the real ones (config/settings.py), served over plain HTTP.

Django's test client and the browser tests' live server speak plain HTTP, so the HTTPS-only
defaults are turned off here, as scripts/write_env.py turns them off for `make run`. Set in a
module rather than in a fixture because the live server builds its middleware (which reads
these once) before any test runs. tests/security turns them back on where it checks them, and
checks the real defaults in a `manage.py check --deploy` subprocess.
"""

from config.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
