"""Repeats and reordering: one row per delivery, one set of effects, newest state wins."""

import base64
import hashlib
import json
from io import StringIO

from django.core.management import call_command

from inventory.models import PharmacySku, StockLedgerEntry
from pharmacy_orders.models import (
    MeetingChange,
    OrderPrescription,
    OrderStatusChange,
    PatientDoctorMeeting,
    PharmacyOrder,
    Prescription,
    PrescriptionChange,
    PrescriptionDocument,
)
from rxscale.inbox.samples import sample_pdf
from rxscale.models import WebhookDelivery
from tests.conftest import post_signed
from tests.webhooks.helpers import Status, answer, delivery_of, files_under, stored_body, ts


def _effects() -> dict:
    return {
        "deliveries": WebhookDelivery.objects.count(),
        "orders": PharmacyOrder.objects.count(),
        "status_changes": OrderStatusChange.objects.count(),
        "ledger": StockLedgerEntry.objects.count(),
        "documents": PrescriptionDocument.objects.count(),
        "links": OrderPrescription.objects.count(),
    }


# --- Duplicates -------------------------------------------------------------------------


def test_the_same_order_delivery_three_times_is_one_row_and_one_set_of_effects(
    deliver, payload, settings
):
    # given one order delivery with a PDF
    body = payload("pharmacy_order_created", pdf=sample_pdf(1200))

    # when RxScale sends it three times (retries are byte-identical)
    responses = [deliver(body) for _ in range(3)]

    # then all are answered 200, the repeats say so, and there is one row and one set of effects
    assert [r.status_code for r in responses] == [200, 200, 200]
    first, *repeats = (answer(r) for r in responses)
    assert "duplicate" not in first
    assert all(r["duplicate"] is True and r["id"] == first["id"] for r in repeats)
    assert _effects() == {
        "deliveries": 1,
        "orders": 1,
        "status_changes": 1,
        "ledger": 1,
        "documents": 1,
        "links": 1,
    }
    assert len(files_under(settings.MEDIA_ROOT)) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.PROCESSED, 1)


def test_the_same_stock_delivery_three_times_ledgers_once(deliver, payload):
    body = payload("pharmacy_sku_stock_updated", stock=12)

    for _ in range(3):
        assert deliver(body).status_code == 200

    assert WebhookDelivery.objects.count() == 1
    assert StockLedgerEntry.objects.count() == 1
    assert PharmacySku.objects.get().stock == 12


def test_the_same_meeting_delivery_three_times_records_one_change(deliver, payload):
    body = payload("patient_doctor_meeting_updated")

    for _ in range(3):
        deliver(body)

    assert WebhookDelivery.objects.count() == 1
    assert MeetingChange.objects.count() == 1


def test_a_repeat_after_processing_does_not_run_the_handler_again(deliver, payload):
    # given a processed order whose state staff have since moved on locally
    body = payload("pharmacy_order_created")
    deliver(body)
    PharmacyOrder.objects.update(status="on-hold")

    # when the same delivery arrives again
    response = deliver(body)

    # then it is a duplicate and the handler did not overwrite anything
    assert answer(response)["duplicate"] is True
    assert PharmacyOrder.objects.get().status == "on-hold"
    assert WebhookDelivery.objects.get().attempts == 1


# --- Equal updated_at: applied again, idempotently ----------------------------------------


def test_the_same_snapshot_in_a_different_body_is_applied_idempotently(deliver, payload):
    # given an applied order snapshot
    pdf = sample_pdf(900)
    deliver(payload("pharmacy_order_created", pdf=pdf))
    before = _effects()

    # when the same snapshot arrives in a body that differs (re-serialised, new envelope time)
    again = payload("pharmacy_order_created", pdf=pdf)
    again["timestamp"] += 30
    response = deliver(json.dumps(again, indent=2))

    # then it is a new delivery, processed (not stale), and no effect is doubled
    delivery = delivery_of(response)
    assert delivery.status == Status.PROCESSED, delivery.error
    assert _effects() == {**before, "deliveries": 2}
    assert PharmacyOrder.objects.get().status == "init"


def test_an_equal_updated_at_with_a_new_status_is_a_tie_not_applied_blindly(deliver, payload):
    # given an order at updated_at T
    deliver(payload("pharmacy_order_created", updated_at=1711899000))

    # when another snapshot with the same updated_at carries a new status (same second)
    response = deliver(
        payload("pharmacy_order_updated", updated_at=1711899000, status="waiting for pharmacy")
    )

    # then it is processed, but the non-monotonic change waits for confirmation (test_ties.py)
    assert delivery_of(response).status == Status.PROCESSED
    order = PharmacyOrder.objects.get()
    assert order.status == "init"
    assert order.needs_confirmation is True


def test_an_equal_stock_snapshot_writes_no_ledger_entry(deliver, payload):
    deliver(payload("pharmacy_sku_stock_updated"))

    again = payload("pharmacy_sku_stock_updated")
    again["timestamp"] += 1
    delivery = delivery_of(deliver(again))

    assert delivery.status == Status.PROCESSED
    assert StockLedgerEntry.objects.count() == 1


# --- Out of order: older snapshots are stale and change nothing -----------------------------


def test_newest_order_first_then_older_ones_keeps_the_newest_and_marks_the_rest_stale(
    deliver, payload, settings
):
    # given the newest snapshot of an order has been applied
    newest_pdf = sample_pdf(1000)
    deliver(
        payload(
            "pharmacy_order_updated",
            updated_at=1711910000,
            status="ready_for_pickup",
            pdf=newest_pdf,
        )
    )
    before = _effects()

    # when older snapshots arrive afterwards, each with its own (older) PDF
    older = [
        payload(
            "pharmacy_order_updated",
            updated_at=1711905000,
            status="in-progress",
            pdf=sample_pdf(1100),
        ),
        payload(
            "pharmacy_order_created", updated_at=1711899000, status="init", pdf=sample_pdf(1200)
        ),
        payload(
            "pharmacy_order_updated", updated_at=1711909999, status="on-hold", pdf=sample_pdf(1300)
        ),
    ]
    stale = [delivery_of(deliver(body)) for body in older]

    # then they are kept, marked stale, and nothing changed
    assert [d.status for d in stale] == [Status.STALE] * 3
    assert all((d.subject_kind, d.subject_uid) == ("order", "po-abc123") for d in stale)
    order = PharmacyOrder.objects.get()
    assert order.status == "ready_for_pickup"
    assert order.rx_updated_at == ts(1711910000)
    # (their PDFs were stored at intake, before anyone knew they were stale: no order shows
    # them, and retention removes them with their deliveries)
    assert _effects() == {**before, "deliveries": 4, "documents": 4}
    assert len(files_under(settings.MEDIA_ROOT)) == 4
    assert order.prescriptions.count() == 1
    # the stale bodies hold a reference, never the PDF
    for delivery, body in zip(stale, older, strict=True):
        prescription_file = json.loads(stored_body(delivery))["data"]["prescription_file"]
        content = base64.b64decode(body["data"]["prescription_file"]["content_base64"])
        assert prescription_file == {
            "filename": "prescription_001.pdf",
            "content_sha256": hashlib.sha256(content).hexdigest(),
        }


def test_older_stock_after_newer_is_stale_and_not_ledgered(deliver, payload):
    # given the newest stock figure
    deliver(
        payload("pharmacy_sku_stock_updated", updated_at=1711900500, stock=10, reserved_amount=2)
    )

    # when an older one arrives
    stale = delivery_of(
        deliver(payload("pharmacy_sku_stock_updated", updated_at=1711900000, stock=45))
    )

    # then it is stale and the stock and ledger are untouched
    assert stale.status == Status.STALE
    pharmacy_sku = PharmacySku.objects.get()
    assert (pharmacy_sku.stock, pharmacy_sku.reserved_amount) == (10, 2)
    assert pharmacy_sku.rx_updated_at == ts(1711900500)
    assert StockLedgerEntry.objects.count() == 1


def test_an_older_meeting_event_after_a_newer_one_is_stale(deliver, payload):
    # given a meeting cancelled at T+100
    cancelled = payload("patient_doctor_meeting_updated", updated_at=1893456100)
    cancelled["data"].update(change="cancelled", status="cancelled")
    deliver(cancelled)

    # when the earlier confirmation arrives late
    late = delivery_of(deliver(payload("patient_doctor_meeting_updated", updated_at=1893456000)))

    # then it is stale: the meeting stays cancelled, and the history gains the confirmation
    # in its place by event time (every change is kept)
    assert late.status == Status.STALE
    meeting = PatientDoctorMeeting.objects.get()
    assert (meeting.change, meeting.status) == ("cancelled", "cancelled")
    assert list(meeting.changes.values_list("change", flat=True)) == ["confirmed", "cancelled"]


def test_in_order_snapshots_build_the_status_history(deliver, payload):
    statuses = ["init", "waiting for pharmacy", "in-progress", "ready_for_pickup", "completed"]

    for step, status in enumerate(statuses):
        deliver(payload("pharmacy_order_updated", updated_at=1711899000 + step, status=status))

    order = PharmacyOrder.objects.get()
    assert order.status == "completed"
    assert list(order.status_changes.values_list("to_status", flat=True)) == statuses


# --- Prescription notifications carry no timestamp: arrival order decides ---------------------


def _doctor_changed(payload, doctor_uid: str) -> dict:
    body = payload("prescription.doctor_changed", level="organisation")
    body["data"]["new_doctor_uid"] = doctor_uid
    body["data"]["prescription"]["doctor"]["uid"] = doctor_uid
    return body


def test_reprocessing_an_older_prescription_notification_does_not_roll_the_doctor_back(
    deliver, payload
):
    # given two doctor changes applied in arrival order
    older = delivery_of(deliver(_doctor_changed(payload, "doctor_a")))
    deliver(_doctor_changed(payload, "doctor_b"))

    # when the older delivery is reprocessed
    first_run = older.processed_at
    call_command("reprocess_webhooks", str(older.pk), stdout=StringIO())

    # then it ran again, the current doctor is still the newer one, the history not doubled
    older.refresh_from_db()
    assert older.status == Status.PROCESSED
    assert older.processed_at > first_run
    assert Prescription.objects.get().doctor_uid == "doctor_b"
    assert list(PrescriptionChange.objects.values_list("new_doctor_uid", flat=True)) == [
        "doctor_a",
        "doctor_b",
    ]


def test_a_prescription_notification_processed_late_joins_the_history_only(
    client, deliver, payload
):
    # given a notification stored first but not yet processed (a slow worker) ...
    older = delivery_of(post_signed(client, _doctor_changed(payload, "doctor_a")))
    assert older.status == Status.RECEIVED
    # ... and a later one processed at once
    deliver(_doctor_changed(payload, "doctor_b"))

    # when the worker gets to the older one
    call_command("reprocess_webhooks", "--status", "received", stdout=StringIO())

    # then it is in the history, but the current doctor is the one that arrived last
    assert Prescription.objects.get().doctor_uid == "doctor_b"
    assert sorted(PrescriptionChange.objects.values_list("new_doctor_uid", flat=True)) == [
        "doctor_a",
        "doctor_b",
    ]


def test_an_older_update_is_stale_unread_and_an_equal_one_is_still_validated(deliver, payload):
    # given the snapshot of an order as of 1711910000
    deliver(payload("pharmacy_order_updated", updated_at=1711910000, status="in-progress"))

    def broken(updated_at: int) -> dict:
        body = payload("pharmacy_order_updated", updated_at=updated_at, status="shipped")
        body["data"]["order_items"][0]["amount"] = -1  # validation refuses this
        return body

    # when an older one arrives that validation would refuse, and then one as old as the
    # stored snapshot that validation would refuse too
    older = delivery_of(deliver(broken(1711909999)))
    equal = delivery_of(deliver(broken(1711910000)))

    # then the older one is stale without being read (no warnings, no errors), while the equal
    # one goes through validation (a tie needs the validated snapshot) and fails
    assert (older.status, older.warnings, older.error) == (Status.STALE, [], "")
    assert (older.subject_kind, older.subject_uid) == ("order", "po-abc123")
    assert older.event_timestamp == ts(1711909999)
    assert equal.status == Status.FAILED
    assert PharmacyOrder.objects.get().status == "in-progress"


def test_an_older_stock_event_is_stale_unread(deliver, payload):
    deliver(payload("pharmacy_sku_stock_updated", updated_at=1711900500, stock=10))
    body = payload("pharmacy_sku_stock_updated", updated_at=1711900000, stock=10)
    body["data"]["stock"] = "many"  # validation refuses this

    stale = delivery_of(deliver(body))

    assert (stale.status, stale.warnings, stale.error) == (Status.STALE, [], "")
    assert PharmacySku.objects.get().stock == 10
