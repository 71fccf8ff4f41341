"""`manage.py prune_webhooks`: old final deliveries and unreferenced PDFs go; nothing that is
still needed does (a pending delivery, a PDF an order shows, a document a delivery names).

Deliveries arrive signed over HTTP; only their age is set afterwards (received_at, the
documents' created_at, the files' modification time), as the passing of time would.
"""

import hashlib
import os
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.models import StockLedgerEntry
from pharmacy_orders.models import (
    MeetingChange,
    OrderPrescription,
    OrderStatusChange,
    PharmacyOrder,
    PrescriptionChange,
    PrescriptionDocument,
)
from rxscale.inbox.retention import inbox_prune
from rxscale.inbox.samples import sample_pdf
from rxscale.models import WebhookDelivery
from tests.conftest import post_signed
from tests.webhooks.helpers import Status, delivery_of, files_under


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _age_everything(days: int, settings) -> None:
    """Make every delivery, document and stored file `days` old."""
    then = timezone.now() - timedelta(days=days)
    WebhookDelivery.objects.update(received_at=then)
    PrescriptionDocument.objects.update(created_at=then)
    for path in files_under(settings.MEDIA_ROOT):
        os.utime(path, (then.timestamp(), then.timestamp()))


def _prune(*args: str) -> str:
    out = StringIO()
    call_command("prune_webhooks", *args, stdout=out)
    return out.getvalue()


def _pending(client, body) -> WebhookDelivery:
    """Stored but not processed yet (the after-commit processing never runs in the test)."""
    return delivery_of(post_signed(client, body))


def _stray(settings, name: str, *, days: int) -> Path:
    path = Path(settings.MEDIA_ROOT) / "prescriptions" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sample_pdf(700))
    then = (timezone.now() - timedelta(days=days)).timestamp()
    os.utime(path, (then, then))
    return path


@pytest.fixture
def final_deliveries(deliver, payload) -> dict[str, WebhookDelivery]:
    """One delivery per final status, none of them referred to by the stock ledger."""
    cancelled = payload("patient_doctor_meeting_updated", updated_at=1893456100)
    cancelled["data"].update(change="cancelled", status="cancelled")
    failed = payload("pharmacy_order_created", uid="po-failed")
    del failed["data"]["updated_at"]
    unknown = payload("pharmacy_order_created", uid="po-ignored")
    unknown["event_type"] = "pharmacy_order_archived"
    deliveries = {
        "processed": delivery_of(deliver(cancelled)),
        "stale": delivery_of(
            deliver(payload("patient_doctor_meeting_updated", updated_at=1893456000))
        ),
        "failed": delivery_of(deliver(failed)),
        "ignored": delivery_of(deliver(unknown)),
        "invalid": delivery_of(deliver(b"[not an object]")),
        "notification": delivery_of(deliver(payload("prescription.doctor_changed"))),
    }
    assert [d.status for d in deliveries.values()] == [
        Status.PROCESSED,
        Status.STALE,
        Status.FAILED,
        Status.IGNORED,
        Status.INVALID,
        Status.PROCESSED,
    ]
    return deliveries


def test_old_final_deliveries_go_and_pending_ones_stay_whatever_their_age(
    client, final_deliveries, payload, settings
):
    # given old deliveries in every final state, and old ones still waiting to be processed
    received = _pending(client, payload("pharmacy_sku_stock_updated", stock=7))
    retrying = _pending(client, payload("pharmacy_sku_stock_updated", stock=8))
    WebhookDelivery.objects.filter(pk=retrying.pk).update(status=Status.RETRYING)
    _age_everything(40, settings)

    # when retention runs for 30 days
    output = _prune("--older-than", "30")

    # then every final delivery is gone and both pending ones are kept
    assert set(WebhookDelivery.objects.values_list("pk", "status")) == {
        (received.pk, Status.RECEIVED),
        (retrying.pk, Status.RETRYING),
    }
    assert "Deleted 6 deliveries" in output
    # and what the deleted deliveries caused is kept, only no longer linked to them
    assert set(MeetingChange.objects.values_list("delivery", flat=True)) == {None}
    assert PrescriptionChange.objects.get().delivery is None


def test_recent_final_deliveries_are_kept(final_deliveries, settings):
    _age_everything(29, settings)

    _prune("--older-than", "30")

    assert WebhookDelivery.objects.count() == len(final_deliveries)


def test_the_default_age_comes_from_the_setting(deliver, payload, settings):
    settings.RXSCALE_INBOX_RETENTION_DAYS = 10
    meetings = [
        delivery_of(deliver(payload("patient_doctor_meeting_updated", updated_at=t)))
        for t in (1893456000, 1893456100)
    ]
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=meetings[0].pk).update(received_at=now - timedelta(days=11))
    WebhookDelivery.objects.filter(pk=meetings[1].pk).update(received_at=now - timedelta(days=9))

    output = _prune()

    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [meetings[1].pk]
    assert "older than 10 days" in output


def test_order_history_and_the_stock_ledger_survive_their_deliveries(deliver, payload, settings):
    # given an order created (its pharmacy SKU first seen: a stock ledger entry) and updated
    created = delivery_of(deliver(payload("pharmacy_order_created", updated_at=1711900000)))
    updated = delivery_of(
        deliver(payload("pharmacy_order_updated", updated_at=1711910000, status="in-progress"))
    )
    assert StockLedgerEntry.objects.get().delivery == created
    _age_everything(40, settings)

    # when retention runs
    output = _prune("--older-than", "30")

    # then both deliveries are gone, the history and the ledger kept without the link
    assert "Deleted 2 deliveries" in output
    assert not WebhookDelivery.objects.filter(pk__in=[created.pk, updated.pk]).exists()
    assert list(OrderStatusChange.objects.values_list("to_status", "delivery")) == [
        ("init", None),
        ("in-progress", None),
    ]
    assert StockLedgerEntry.objects.get().delivery is None


def test_a_pdf_an_order_shows_is_never_deleted_and_unused_ones_are(deliver, payload, settings):
    # given an order with an earlier and a current PDF, and a stale delivery with a third PDF
    earlier, current, unused = sample_pdf(1000), sample_pdf(1100), sample_pdf(1200)
    deliver(payload("pharmacy_order_created", updated_at=1711900000, pdf=earlier))
    deliver(payload("pharmacy_order_updated", updated_at=1711910000, pdf=current))
    stale = delivery_of(
        deliver(payload("pharmacy_order_updated", updated_at=1711905000, pdf=unused))
    )
    assert stale.status == Status.STALE
    assert PrescriptionDocument.objects.count() == 3
    _age_everything(40, settings)

    # when retention runs
    output = _prune("--older-than", "30")

    # then the stale delivery and the PDF only it named are gone, file and row
    assert not WebhookDelivery.objects.filter(pk=stale.pk).exists()
    assert sorted(PrescriptionDocument.objects.values_list("sha256", flat=True)) == sorted(
        [_sha(earlier), _sha(current)]
    )
    assert sorted(p.read_bytes() for p in files_under(settings.MEDIA_ROOT)) == sorted(
        [earlier, current]
    )
    assert "1 prescription documents" in output
    # and the order still shows both of its versions
    order = PharmacyOrder.objects.get()
    assert order.current_prescription.sha256 == _sha(current)
    assert OrderPrescription.objects.filter(order=order).count() == 2


def test_a_document_a_remaining_delivery_names_is_kept(db, client, payload, settings):
    # given an old order delivery not processed yet: its PDF was stored at intake
    pdf = sample_pdf(1300)
    pending = _pending(client, payload("pharmacy_order_created", pdf=pdf))
    assert pending.document_sha256 == _sha(pdf)
    _age_everything(40, settings)

    # when retention runs
    _prune("--older-than", "30")

    # then the delivery and its PDF are both kept for the processing still to come
    assert PrescriptionDocument.objects.get().sha256 == _sha(pdf)
    assert [p.read_bytes() for p in files_under(settings.MEDIA_ROOT)] == [pdf]


def test_old_stray_files_go_and_recent_ones_stay(deliver, payload, settings):
    # given an order's PDF, an old stray file (a crash before its row) and a recent stray
    deliver(payload("pharmacy_order_created"))
    _age_everything(40, settings)
    old_stray = _stray(settings, "ab/" + "ab" * 32 + ".pdf", days=40)
    old_top_level = _stray(settings, "legacy.pdf", days=40)
    recent_stray = _stray(settings, "cd/" + "cd" * 32 + ".pdf", days=2)

    # when retention runs
    output = _prune("--older-than", "30")

    # then only the old strays are gone
    assert not old_stray.exists()
    assert not old_top_level.exists()
    assert recent_stray.exists()
    document = PharmacyOrder.objects.get().current_prescription
    assert Path(document.file.path).exists()
    assert "2 stray files" in output


def test_a_crash_leftover_under_the_pdfs_name_is_not_adopted_and_later_removed(
    deliver, payload, settings
):
    # given a whole copy of a PDF left under its name with no document row (a crash)
    pdf = sample_pdf(2200)
    leftover = _stray(settings, f"{_sha(pdf)[:2]}/{_sha(pdf)}.pdf", days=40)
    leftover.write_bytes(pdf)
    old = (timezone.now() - timedelta(days=40)).timestamp()
    os.utime(leftover, (old, old))

    # when the PDF arrives, and retention runs later
    deliver(payload("pharmacy_order_created", pdf=pdf))
    document = PharmacyOrder.objects.get().current_prescription
    _prune("--older-than", "30")

    # then the document has a copy of its own, which stays, and the leftover is gone
    assert Path(document.file.path) != leftover
    assert Path(document.file.path).read_bytes() == pdf
    assert not leftover.exists()


def test_a_dry_run_counts_and_deletes_nothing(deliver, payload, settings, final_deliveries):
    # given old final deliveries (one failed order's PDF only it names), an order and its
    # update, a stale update with a PDF nobody shows, and a stray file
    deliver(payload("pharmacy_order_updated", updated_at=1711910000, pdf=sample_pdf(1000)))
    deliver(payload("pharmacy_order_updated", updated_at=1711905000, pdf=sample_pdf(1200)))
    _age_everything(40, settings)
    _stray(settings, "ef/" + "ef" * 32 + ".pdf", days=40)
    before = (
        WebhookDelivery.objects.count(),
        PrescriptionDocument.objects.count(),
        files_under(settings.MEDIA_ROOT),
    )

    output = _prune("--older-than", "30", "--dry-run")

    assert output.startswith(
        "Would delete 8 deliveries, 2 prescription documents and 1 stray files"
    )
    assert (
        WebhookDelivery.objects.count(),
        PrescriptionDocument.objects.count(),
        files_under(settings.MEDIA_ROOT),
    ) == before

    # and the real run then deletes exactly what was counted
    assert _prune("--older-than", "30").startswith(
        "Deleted 8 deliveries, 2 prescription documents and 1 stray files"
    )


def test_a_large_inbox_goes_in_batches(deliver, payload, settings):
    for stock in range(5):
        unknown = payload("pharmacy_sku_stock_updated", stock=stock)
        unknown["event_type"] = "pharmacy_sku_archived"
        deliver(unknown)
    _age_everything(40, settings)

    report = inbox_prune(older_than=timedelta(days=30), batch_size=2)

    assert report.deliveries == 5
    assert not WebhookDelivery.objects.exists()


def test_a_bad_age_is_a_usage_error(db):
    with pytest.raises(Exception, match="not a number of days"):
        call_command("prune_webhooks", "--older-than", "-3")
