"""Small helpers shared by the webhook tests (no fixtures: those live in tests/conftest.py)."""

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

from rxscale.inbox.payload import encode_body
from rxscale.models import WebhookDelivery

Status = WebhookDelivery.Status

ADDRESS = {
    "first_name": "Max",
    "last_name": "Mustermann",
    "street": "Hauptstr.",
    "house_number": "1",
    "zip_code": "10115",
    "city": "Berlin",
    "country": "Germany",
    "additional_address": None,
}


def ts(seconds: int) -> datetime:
    """A Unix time as the aware datetime the models hold."""
    return datetime.fromtimestamp(seconds, tz=UTC)


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def answer(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


def delivery_of(response) -> WebhookDelivery:
    """The inbox row a 200/400 answer names, fresh from the database."""
    return WebhookDelivery.objects.get(pk=answer(response)["id"])


def stored_body(delivery: WebhookDelivery) -> bytes:
    delivery.refresh_from_db()
    return bytes(delivery.body)


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in Path(root).rglob("*") if path.is_file())


def body_of(payload: dict) -> bytes:
    return encode_body(payload)
