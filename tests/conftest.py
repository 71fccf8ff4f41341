"""Shared fixtures: signed webhook deliveries over HTTP, role users, private media per test."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.roles import PHARMACIST, PHARMACY_ADMIN, PHARMACY_STAFF
from rxscale.inbox.payload import encode_body
from rxscale.inbox.samples import build_payload
from rxscale.inbox.signature import sign

SECRET = "whsec_test_primary"
SECOND_SECRET = "whsec_test_secondary"
WEBHOOK_URL = "/webhooks/rxscale"


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    settings.RXSCALE_WEBHOOK_SECRETS = [SECRET, SECOND_SECRET]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def post_signed(client, payload, *, secret: str = SECRET, headers: dict | None = None):
    """POST a payload (dict, str or bytes) to the webhook with a real HMAC signature."""
    if isinstance(payload, dict | list):
        body = encode_body(payload)
    elif isinstance(payload, str):
        body = payload.encode()
    else:
        body = payload
    all_headers = {"X-Webhook-Signature": sign(body, secret), **(headers or {})}
    if isinstance(payload, dict) and "event_type" in payload:
        all_headers.setdefault("X-Webhook-Event", payload["event_type"])
    return client.post(WEBHOOK_URL, data=body, content_type="application/json", headers=all_headers)


@pytest.fixture
def deliver(client, db, django_capture_on_commit_callbacks):
    """Send a signed payload through HTTP; returns the response.

    The test's transaction never commits, so the after-commit enqueue is run explicitly:
    processing has happened when this returns, as with the immediate backend in production.
    """

    def _deliver(payload, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post_signed(client, payload, **kwargs)

    return _deliver


@pytest.fixture
def payload():
    """build_payload from the seed samples (a real PDF replaces the seed placeholder)."""
    return build_payload


def _user_with_role(role: str | None, username: str):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def pta(db):
    return _user_with_role(PHARMACY_STAFF, "pta")


@pytest.fixture
def pharmacist(db):
    return _user_with_role(PHARMACIST, "pharmacist")


@pytest.fixture
def second_pharmacist(db):
    return _user_with_role(PHARMACIST, "pharmacist2")


@pytest.fixture
def pharmacy_admin(db):
    return _user_with_role(PHARMACY_ADMIN, "pharmacyadmin")


@pytest.fixture
def no_role_user(db):
    return _user_with_role(None, "norole")


def response_json(response) -> dict:
    return json.loads(response.content)
