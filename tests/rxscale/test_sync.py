"""The catch-up sync against the real stand-in over HTTP, into the real database.

Webhooks are "dropped" by never sending them: the stand-in holds what RxScale holds, and
`manage.py rxscale_sync` has to bring it in through the same pipeline as a webhook.
"""

import base64
import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from inventory.models import PharmacySku
from pharmacy_orders.models import PharmacyOrder, PrescriptionDocument
from rxscale.inbox.samples import build_payload
from rxscale.models import SyncRun, WebhookDelivery
from rxscale.standin import Fault, RxScaleStandin
from rxscale.sync.run import rxscale_settle_ties, sync_reader
from rxscale.sync.runs import SyncBusy, SyncSchedule, sync_run_start
from rxscale.timeline import order_delivery_entries
from tests.conftest import post_signed
from tests.rxscale.conftest import API_KEY
from tests.webhooks.helpers import Status, delivery_of, ts

ORDER, SKU = "po-standin-1", "psku-456"


@pytest.fixture
def rxscale(settings, db):
    """A stand-in with three orders (and their pharmacy SKU) that sent no webhook."""
    # No rate limit to race: these tests are about what the sync applies, not its pacing.
    with RxScaleStandin(api_key=API_KEY, per_second=10_000, per_minute=100_000) as running:
        running.seed_from_samples(orders=3)
        settings.RXSCALE_API_BASE_URL = running.base_url
        settings.RXSCALE_API_KEY = API_KEY
        settings.RXSCALE_SYNC_REQUESTS_PER_SECOND = 0
        yield running


@pytest.fixture
def deliver(db, django_capture_on_commit_callbacks):
    """A signed webhook over HTTP (here `client` is the RxScale client, not Django's)."""
    web = Client()

    def _deliver(payload: dict):
        with django_capture_on_commit_callbacks(execute=True):
            return post_signed(web, payload)

    return _deliver


def sync(*args: str) -> str:
    out = StringIO()
    call_command("rxscale_sync", *args, stdout=out)
    return out.getvalue()


def webhook_of(standin: RxScaleStandin, uid: str, **changes) -> dict:
    """The stand-in's current order as the webhook RxScale would have sent."""
    data = {**standin.store.order(uid), **changes}
    return {
        "event_type": "pharmacy_order_updated",
        "timestamp": data["updated_at"],
        "payload_version": "1",
        "data": data,
    }


def test_orders_and_skus_only_at_rxscale_are_created(rxscale):
    # when the sync runs against an RxScale whose webhooks never arrived
    out = sync()

    # then every order and the pharmacy SKU exist, each through an API inbox row
    assert "orders: 3 created, 0 updated, 0 unchanged, 0 stale, 0 failed" in out
    assert "skus: 1 created, 0 updated, 0 unchanged, 0 stale, 0 failed" in out
    assert PharmacyOrder.objects.count() == 3
    assert PharmacySku.objects.get(uid=SKU).stock == rxscale.store.sku(SKU)["stock"]
    deliveries = WebhookDelivery.objects.all()
    assert {d.source for d in deliveries} == {WebhookDelivery.Source.API}
    assert {d.secret_index for d in deliveries} == {None}
    assert {d.status for d in deliveries} == {Status.PROCESSED}
    # and the run is on record, without error, with its counts
    run = SyncRun.objects.get()
    assert run.succeeded and not run.active
    assert run.counts["orders"]["created"] == 3


def test_a_second_run_finds_everything_unchanged(rxscale):
    sync()
    inbox = WebhookDelivery.objects.count()

    out = sync()

    assert "orders: 0 created, 0 updated, 3 unchanged, 0 stale, 0 failed" in out
    assert "skus: 0 created, 0 updated, 1 unchanged, 0 stale, 0 failed" in out
    assert WebhookDelivery.objects.count() == inbox  # identical snapshots are duplicates


def test_an_order_changed_at_rxscale_is_updated(rxscale):
    sync()
    rxscale.store.rxscale_set_status(ORDER, "cancelled")
    rxscale.store.rxscale_set_stock(SKU, 3)

    out = sync()

    assert "orders: 0 created, 1 updated, 2 unchanged, 0 stale, 0 failed" in out
    assert "skus: 0 created, 1 updated, 0 unchanged, 0 stale, 0 failed" in out
    assert PharmacyOrder.objects.get(uid=ORDER).status == "cancelled"
    assert PharmacySku.objects.get(uid=SKU).stock == 3


def test_an_order_older_at_rxscale_than_here_is_stale(rxscale, deliver):
    # given a webhook newer than what RxScale's API shows (RxScale's read lags, say)
    newer = webhook_of(rxscale, ORDER, status="in-progress")
    newer["data"]["updated_at"] = newer["timestamp"] = 2_000_000_000
    assert delivery_of(deliver(newer)).status == Status.PROCESSED

    out = sync("--orders")

    assert "orders: 2 created, 0 updated, 0 unchanged, 1 stale, 0 failed" in out
    order = PharmacyOrder.objects.get(uid=ORDER)
    assert (order.status, order.rx_updated_at) == ("in-progress", ts(2_000_000_000))
    assert "skus:" not in out


def test_details_bring_the_patient_and_the_pdf_into_storage_not_the_inbox(rxscale):
    sync("--orders")

    order = PharmacyOrder.objects.get(uid=ORDER)
    api_order = rxscale.store.api_order(ORDER)
    assert order.patient_name == api_order["patient_data"]["display_name"] == "Max Mustermann"
    assert str(order.patient_date_of_birth) == api_order["patient_data"]["date_of_birth"]
    pdf = base64.b64decode(api_order["prescription_file"]["content_base64"])
    document = PrescriptionDocument.objects.get(sha256=hashlib.sha256(pdf).hexdigest())
    assert order.current_prescription == document
    with document.file.open("rb") as stored:
        assert stored.read() == pdf
    delivery = WebhookDelivery.objects.get(subject_uid=ORDER)
    assert b"content_base64" not in bytes(delivery.body)
    assert delivery.document_sha256 == document.sha256


def test_the_order_timeline_says_the_api(rxscale, deliver):
    sync("--orders")
    deliver(webhook_of(rxscale, ORDER))

    titles = sorted(e.title for e in order_delivery_entries(PharmacyOrder.objects.get(uid=ORDER)))

    assert titles == ["RxScale API: pharmacy_order_updated", "RxScale: pharmacy_order_updated"]


def test_a_webhook_of_the_version_the_sync_applied_is_no_tie(rxscale, deliver):
    # The API's shape is mapped to the webhook's: the same version has the same content.
    sync("--orders")

    assert delivery_of(deliver(webhook_of(rxscale, ORDER))).status == Status.PROCESSED

    assert not PharmacyOrder.objects.get(uid=ORDER).needs_confirmation


def test_an_order_tie_is_settled_from_the_api(rxscale, deliver):
    # given two webhooks of one update time with different content (a tie)
    deliver(webhook_of(rxscale, ORDER, external_status="FIRST"))
    deliver(webhook_of(rxscale, ORDER, external_status="SECOND"))
    assert PharmacyOrder.objects.get(uid=ORDER).needs_confirmation

    # when ties are settled
    with sync_reader() as reader:
        report = rxscale_settle_ties(reader=reader)

    # then RxScale's version is applied and the mark is gone
    assert report.counts["order ties"]["settled"] == 1
    order = PharmacyOrder.objects.get(uid=ORDER)
    assert not order.needs_confirmation
    assert order.external_status == rxscale.store.order(ORDER)["external_status"]


def test_a_tie_is_settled_again_by_a_repeated_api_snapshot(rxscale, deliver):
    # given the API's version applied, then a webhook tie at the same time
    sync("--orders")
    deliver(webhook_of(rxscale, ORDER, external_status="OTHER"))
    assert PharmacyOrder.objects.get(uid=ORDER).needs_confirmation

    # when the sync reads the same version again (a duplicate in the inbox)
    sync("--orders")

    # then the stored API snapshot is run again and settles it
    order = PharmacyOrder.objects.get(uid=ORDER)
    assert not order.needs_confirmation
    assert order.external_status == rxscale.store.order(ORDER)["external_status"]


def test_a_sku_tie_is_settled_from_the_api(rxscale, deliver):
    stock_at = rxscale.store.sku(SKU)["updated_at"]
    for stock in (7, 8):
        deliver(
            build_payload("pharmacy_sku_stock_updated", uid=SKU, stock=stock, updated_at=stock_at)
        )
    assert PharmacySku.objects.get(uid=SKU).needs_confirmation

    sync("--skus")

    sku = PharmacySku.objects.get(uid=SKU)
    assert not sku.needs_confirmation
    assert sku.stock == rxscale.store.sku(SKU)["stock"]


def test_a_failing_detail_read_is_counted_failed_and_the_run_goes_on(rxscale):
    # given one order whose details RxScale cannot give (a 404 instead of a 403, say)
    rxscale.faults.inject(Fault("error", status=404, count=5, path="pharmacy_orders/po-standin-2"))

    with pytest.raises(CommandError, match="1 failed") as raised:
        sync("--orders")

    assert PharmacyOrder.objects.filter(uid="po-standin-2").count() == 0
    assert PharmacyOrder.objects.count() == 2
    run = SyncRun.objects.get()
    assert run.counts["orders"] == {"created": 2, "failed": 1}
    assert run.failures[0]["uid"] == "po-standin-2"
    assert not run.error  # the run itself finished
    assert "1 failed" in str(raised.value)


def test_a_transient_detail_error_is_retried(rxscale):
    rxscale.faults.inject(Fault("error", status=503, count=1, path="pharmacy_orders/po-standin-2"))

    out = sync("--orders")

    assert "orders: 3 created" in out


def test_since_leaves_older_objects_unread(rxscale):
    # given one order changed just now; the others are from 2024
    rxscale.store.rxscale_set_status(ORDER, "pending review")

    out = sync("--orders", "--since", (timezone.now() - timedelta(days=1)).date().isoformat())

    assert "orders: 1 created, 0 updated, 0 unchanged, 0 stale, 0 failed, 2 skipped" in out
    assert list(PharmacyOrder.objects.values_list("uid", flat=True)) == [ORDER]
    details = [r.path for r in rxscale.requests if "/pharmacy_orders/po-" in r.path]
    assert details == [f"/v1/external_pharmacy_api/pharmacy_orders/{ORDER}"]


def test_the_schedule_runs_once_per_interval_and_resumes_from_the_last_start(rxscale, settings):
    settings.RXSCALE_SYNC_INTERVAL_MINUTES = 15
    schedule = SyncSchedule(worker_id="w1")

    first = schedule.run_if_due(should_stop=lambda: False)
    # another worker asking at once finds it done
    again = SyncSchedule(worker_id="w2").run_if_due(should_stop=lambda: False)

    assert first is not None and first.succeeded and again is None
    assert first.trigger == SyncRun.Trigger.SCHEDULE and first.since is None
    assert first.counts["orders"]["created"] == 3
    assert first.next_since < first.started_at
    # the next one, due later, reads from there
    SyncRun.objects.filter(pk=first.pk).update(started_at=first.started_at - timedelta(hours=1))
    second = SyncSchedule(worker_id="w2").run_if_due(should_stop=lambda: False)
    assert second is not None and second.since == first.next_since


def test_the_schedule_is_off_without_the_api_or_at_zero(rxscale, settings):
    settings.RXSCALE_SYNC_INTERVAL_MINUTES = 0
    assert SyncSchedule(worker_id="w").run_if_due(should_stop=lambda: False) is None
    settings.RXSCALE_SYNC_INTERVAL_MINUTES = 15
    settings.RXSCALE_API_KEY = ""
    assert SyncSchedule(worker_id="w").run_if_due(should_stop=lambda: False) is None
    with pytest.raises(CommandError, match="not set"):
        sync()
    assert not SyncRun.objects.exists()


def test_one_run_at_a_time_and_an_abandoned_run_frees_the_lock(rxscale):
    held = sync_run_start(trigger=SyncRun.Trigger.COMMAND)

    with pytest.raises(CommandError, match="Another RxScale sync is running"):
        sync()
    with pytest.raises(SyncBusy):
        sync_run_start(trigger=SyncRun.Trigger.SCHEDULE)

    SyncRun.objects.filter(pk=held.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    sync()
    held.refresh_from_db()
    assert not held.active and held.error.startswith("Abandoned")


def test_the_worker_runs_the_scheduled_sync(rxscale, settings):
    settings.RXSCALE_SYNC_INTERVAL_MINUTES = 15

    call_command("run_worker", "--until-idle")

    run = SyncRun.objects.get()
    assert (run.trigger, run.succeeded) == (SyncRun.Trigger.SCHEDULE, True)
    assert PharmacyOrder.objects.count() == 3


def test_the_admin_shows_sync_runs_and_the_source_of_deliveries(rxscale, admin_client):
    sync()
    run = SyncRun.objects.get()

    runs = admin_client.get("/admin/rxscale/syncrun/")
    one = admin_client.get(f"/admin/rxscale/syncrun/{run.pk}/change/")
    inbox = admin_client.get("/admin/rxscale/webhookdelivery/?source=api")

    assert runs.status_code == one.status_code == inbox.status_code == 200
    assert b"orders: 3 created" in runs.content
    assert b"RxScale API (sync)" in inbox.content
