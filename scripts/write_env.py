"""Write a development `.env` with a generated SECRET_KEY and demo webhook secret, once.

An existing `.env` is never touched: it may hold an operator's real settings.
"""

import secrets
import sys
from pathlib import Path

ENV_FILE = Path(__file__).resolve().parent.parent / ".env"

if ENV_FILE.exists():
    sys.exit(0)
ENV_FILE.write_text(
    "# Generated for local development by `make`. Never commit this file.\n"
    "DEBUG=true\n"
    f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
    f"RXSCALE_WEBHOOK_SECRETS=whsec_demo_{secrets.token_hex(16)}\n"
    "TASKS_BACKEND=immediate\n"
)
print(f"Wrote {ENV_FILE.name} with a generated SECRET_KEY and demo webhook secret.")
