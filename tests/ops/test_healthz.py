"""GET /healthz: anonymous, JSON, 503 when a check fails, and no patient data in it."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from rxscale.health import COUNT_CAP
from rxscale.inbox.models import WebhookDelivery
from rxscale.inbox.samples import sample_pdf
from rxscale.outbox.models import OutboundCommand
from rxscale.sync.models import SyncRun

pytestmark = pytest.mark.django_db


def _delivery(age: timedelta, status=WebhookDelivery.Status.RECEIVED) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(
        dedupe_key=f"k{WebhookDelivery.objects.count()}", body=b"{}", secret_index=0, status=status
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(received_at=timezone.now() - age)
    return delivery


def test_a_quiet_installation_is_healthy_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert {"database", "storage", "inbox", "outbox", "sync"} <= body.keys()
    assert body["inbox"]["count"] == 0 and body["inbox"]["oldest_age_seconds"] is None
    assert "no-store" in response["Cache-Control"]


def test_an_old_unfinished_delivery_makes_it_unhealthy(client, settings):
    settings.HEALTHZ_INBOX_MAX_AGE_MINUTES = 10
    _delivery(timedelta(minutes=2))
    _delivery(timedelta(hours=5), status=WebhookDelivery.Status.PROCESSED)  # final: not counted
    assert client.get("/healthz").status_code == 200

    _delivery(timedelta(minutes=11), status=WebhookDelivery.Status.RETRYING)
    response = client.get("/healthz")

    assert response.status_code == 503
    inbox = response.json()["inbox"]
    assert inbox["ok"] is False and inbox["count"] == 2
    assert 650 < inbox["oldest_age_seconds"] < 700


def test_an_old_unsent_command_makes_it_unhealthy(client, settings):
    settings.HEALTHZ_OUTBOX_MAX_AGE_MINUTES = 30
    command = OutboundCommand.objects.create(
        kind="order_status", subject_kind="order", subject_uid="po-h", payload={"status": "x"}
    )
    assert client.get("/healthz").json()["outbox"]["count"] == 1
    OutboundCommand.objects.filter(pk=command.pk).update(
        created_at=timezone.now() - timedelta(minutes=31)
    )

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["outbox"]["ok"] is False


def test_a_scheduled_sync_that_has_not_succeeded_lately_makes_it_unhealthy(client, settings):
    settings.RXSCALE_API_BASE_URL, settings.RXSCALE_API_KEY = "http://127.0.0.1:9", "key"
    settings.RXSCALE_SYNC_INTERVAL_MINUTES = 15
    settings.HEALTHZ_SYNC_MAX_AGE_MINUTES = 60
    now = timezone.now()
    SyncRun.objects.create(
        started_at=now - timedelta(hours=3), finished_at=now - timedelta(hours=3), active=False
    )
    SyncRun.objects.create(
        started_at=now - timedelta(minutes=5), finished_at=now, active=False, error="down"
    )

    response = client.get("/healthz")

    assert response.status_code == 503
    sync = response.json()["sync"]
    assert sync["ok"] is False and sync["scheduled"] is True
    assert sync["last_success_at"].startswith(str((now - timedelta(hours=3)).year))

    SyncRun.objects.create(started_at=now, finished_at=now, active=False)
    assert client.get("/healthz").status_code == 200


def test_broken_storage_makes_it_unhealthy(client, settings):
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    (media / "prescriptions").write_text("not a directory")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["storage"]["ok"] is False


def test_the_backlog_count_is_capped(client, settings, monkeypatch):
    # Counting stops at the cap (a LIMIT in the query): a huge backlog costs no more.
    monkeypatch.setattr("rxscale.health.COUNT_CAP", 2)
    for _ in range(3):
        _delivery(timedelta(seconds=1))
    inbox = client.get("/healthz").json()["inbox"]
    assert inbox["count"] == 2 and inbox["count_capped"] is True
    assert COUNT_CAP == 10_000


def test_it_shows_no_patient_data(client, deliver, payload):
    body = payload("pharmacy_order_created", uid="po-health-1", pdf=sample_pdf(2000))
    body["data"]["patient_data"]["display_name"] = "Healthcheck Patientname"
    deliver(body)

    text = client.get("/healthz").content.decode()

    assert "Patientname" not in text and "po-health-1" not in text
