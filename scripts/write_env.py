"""Write a development `.env` with a generated SECRET_KEY and demo webhook secret, once.

An operator's `.env` is never touched: it may hold real settings. A `.env` this script wrote
earlier (it starts with the header below) only gains the local plain-HTTP settings if it lacks
them, so that `make run` keeps working on http://127.0.0.1:8000 after HTTPS became the default.
"""

import secrets
import sys
from pathlib import Path

ENV_FILE = Path(__file__).resolve().parent.parent / ".env"
HEADER = "# Generated for local development by `make`. Never commit this file.\n"
# The production defaults are HTTPS only (README "Security settings"); `make run` serves plain
# HTTP on loopback, so it turns them off here, explicitly.
LOCAL_HTTP = (
    "# Plain HTTP on this machine only: no HTTPS redirect, no HSTS, cookies without Secure.\n"
    "SECURE_SSL_REDIRECT=false\n"
    "SECURE_HSTS_SECONDS=0\n"
    "SESSION_COOKIE_SECURE=false\n"
    "CSRF_COOKIE_SECURE=false\n"
)

if ENV_FILE.exists():
    text = ENV_FILE.read_text()
    if text.startswith(HEADER) and "SECURE_SSL_REDIRECT=" not in text:
        ENV_FILE.write_text(text.rstrip("\n") + "\n" + LOCAL_HTTP)
        print(f"Added the local plain-HTTP settings to {ENV_FILE.name}.")
    sys.exit(0)
ENV_FILE.write_text(
    HEADER
    + "DEBUG=true\n"
    + f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
    + f"RXSCALE_WEBHOOK_SECRETS=whsec_demo_{secrets.token_hex(16)}\n"
    + "TASKS_BACKEND=immediate\n"
    + LOCAL_HTTP
)
print(f"Wrote {ENV_FILE.name} with a generated SECRET_KEY and demo webhook secret.")
