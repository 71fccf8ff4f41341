"""Equal `updated_at`, different content: a tie, recorded and marked, never applied blindly.

The same content again (whatever the envelope or the PDF's transport form) is a harmless
re-apply; a newer snapshot settles the tie.
"""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from inventory.models import PharmacySku, StockLedgerEntry
from pharmacy_orders.models import OrderConflict, PharmacyOrder
from rxscale.inbox.samples import sample_pdf
from tests.webhooks.helpers import Status, delivery_of, stored_body, ts

T = 1_850_000_000
UID = "po-tie"
SKU_UID = "psku-tie"


@pytest.fixture
def staff(pharmacy_admin) -> Client:
    client = Client()
    client.force_login(pharmacy_admin)
    return client


def order_body(payload, *, status="pending review", updated_at=T, envelope=0, **data):
    body = payload("pharmacy_order_updated", uid=UID, status=status, updated_at=updated_at)
    body["timestamp"] += envelope
    body["data"].update(data)
    return body


def with_patient(body: dict, name: str) -> dict:
    body["data"]["patient_data"]["display_name"] = name
    return body


@pytest.fixture
def applied(deliver, payload):
    """The version of the order applied first, at T."""
    response = deliver(with_patient(order_body(payload), "Erika First"))
    assert delivery_of(response).status == Status.PROCESSED
    return PharmacyOrder.objects.get(uid=UID)


# --- Orders -----------------------------------------------------------------------------------


def test_a_tie_is_recorded_and_marked_and_not_applied(applied, deliver, payload, staff):
    # given the applied version at T
    # when a different version with the same updated_at arrives
    other = with_patient(order_body(payload, status="in-progress", envelope=1), "Erika Second")
    delivery = delivery_of(deliver(other))

    # then nothing of it is applied: not the (non-final) status, not the patient
    order = PharmacyOrder.objects.get(uid=UID)
    assert (order.status, order.patient_name) == ("pending review", "Erika First")
    assert order.status_changes.count() == 1
    # and the tie is on record, the order marked, the delivery processed with a warning
    conflict = OrderConflict.objects.get(order=order)
    assert (conflict.field, conflict.kept) == ("snapshot", "tie")
    assert conflict.local_value == applied.rx_snapshot_sha256
    assert conflict.rxscale_value not in ("", applied.rx_snapshot_sha256)
    assert conflict.rxscale_at == conflict.local_set_at == ts(T)
    assert conflict.delivery == delivery
    assert order.needs_confirmation is True
    assert "same update time" in order.needs_confirmation_reason
    assert "status" in order.needs_confirmation_reason
    assert "patient name" in order.needs_confirmation_reason
    assert "Erika" not in order.needs_confirmation_reason  # names of fields, never values
    assert delivery.status == Status.PROCESSED
    assert any(w.startswith("Tie:") for w in delivery.warnings)
    # and staff see it on the order page and in the worklist row
    page = staff.get(f"/orders/{UID}/").content.decode()
    assert "Needs confirmation from RxScale:</strong> RxScale sent two different versions" in page
    assert "RxScale sent two different versions with the same time" in page  # timeline
    worklist = staff.get("/orders/").content.decode()
    assert "Needs confirmation</span>" in worklist


def test_a_tie_applies_a_final_status_and_a_deletion_only(applied, deliver, payload):
    first_delivery = applied.status_changes.get().delivery_id

    # when the other version at T cancels and deletes the order, and renames the patient
    other = with_patient(
        order_body(payload, status="cancelled", envelope=1, deleted_at=T), "Erika Second"
    )
    delivery = delivery_of(deliver(other))

    # then the cancellation and the deletion are taken (they never go back), nothing else
    order = PharmacyOrder.objects.get(uid=UID)
    assert order.status == "cancelled"
    assert order.rx_deleted_at == ts(T)
    assert order.patient_name == "Erika First"
    assert order.needs_confirmation is True
    assert "cancelled" in order.needs_confirmation_reason.lower()
    assert list(order.status_changes.values_list("to_status", "delivery")) == [
        ("pending review", first_delivery),
        ("cancelled", delivery.pk),
    ]


def test_a_tie_never_moves_a_final_status_back(deliver, payload):
    # given a cancelled order at T
    deliver(order_body(payload, status="cancelled"))

    # when another version at T says it is in progress
    deliver(order_body(payload, status="in-progress", envelope=1))

    # then it stays cancelled and needs confirmation
    order = PharmacyOrder.objects.get(uid=UID)
    assert (order.status, order.needs_confirmation) == ("cancelled", True)


def test_the_first_version_again_after_a_tie_does_not_undo_what_the_tie_applied(
    applied, deliver, payload
):
    # given a tie that cancelled the order
    deliver(order_body(payload, status="cancelled", envelope=1))

    # when the first version is sent again (a new envelope)
    delivery = delivery_of(deliver(with_patient(order_body(payload, envelope=2), "Erika First")))

    # then the order stays cancelled, still to confirm, with no second conflict
    order = PharmacyOrder.objects.get(uid=UID)
    assert (order.status, order.needs_confirmation) == ("cancelled", True)
    assert OrderConflict.objects.count() == 1
    assert delivery.status == Status.PROCESSED


def test_the_same_tie_twice_is_recorded_once(applied, deliver, payload):
    other = order_body(payload, status="in-progress", envelope=1)
    deliver(other)

    again = delivery_of(deliver(json.dumps(other, indent=1)))

    assert OrderConflict.objects.count() == 1
    assert any(w.startswith("Tie:") for w in again.warnings)


def test_the_same_content_again_is_a_harmless_reapply(applied, deliver, payload):
    # when the applied version arrives again in another envelope
    delivery = delivery_of(deliver(with_patient(order_body(payload, envelope=5), "Erika First")))

    # then it is processed without a tie
    order = PharmacyOrder.objects.get(uid=UID)
    assert delivery.status == Status.PROCESSED
    assert delivery.warnings == []
    assert (order.needs_confirmation, OrderConflict.objects.count()) == (False, 0)
    assert order.rx_snapshot_sha256 == applied.rx_snapshot_sha256


def test_the_pdfs_transport_form_does_not_make_a_tie(deliver, payload):
    # given an order applied with its PDF inline; the stored body now references the PDF
    pdf = sample_pdf(1500)
    body = payload("pharmacy_order_updated", uid=UID, updated_at=T, pdf=pdf)
    delivery = delivery_of(deliver(body))
    referenced = json.loads(stored_body(delivery))["data"]["prescription_file"]
    assert "content_base64" not in referenced

    # when that delivery is reprocessed (PDF by reference), and the same is re-sent inline
    call_command("reprocess_webhooks", str(delivery.pk), verbosity=0)
    body["timestamp"] += 1
    resent = delivery_of(deliver(body))

    # then neither is a tie
    order = PharmacyOrder.objects.get(uid=UID)
    delivery.refresh_from_db()
    assert (delivery.status, resent.status) == (Status.PROCESSED, Status.PROCESSED)
    assert (order.needs_confirmation, OrderConflict.objects.count()) == (False, 0)


def test_a_different_pdf_with_the_same_time_is_a_tie(deliver, payload):
    deliver(payload("pharmacy_order_updated", uid=UID, updated_at=T, pdf=sample_pdf(1500)))
    first_pdf = PharmacyOrder.objects.get(uid=UID).current_prescription

    deliver(payload("pharmacy_order_updated", uid=UID, updated_at=T, pdf=sample_pdf(1600)))

    order = PharmacyOrder.objects.get(uid=UID)
    assert order.needs_confirmation is True
    assert "prescription PDF" in order.needs_confirmation_reason
    assert order.current_prescription == first_pdf


def test_a_newer_snapshot_settles_the_tie(applied, deliver, payload, staff):
    deliver(order_body(payload, status="in-progress", envelope=1))
    assert PharmacyOrder.objects.get(uid=UID).needs_confirmation is True

    deliver(order_body(payload, status="in-progress", updated_at=T + 1))

    order = PharmacyOrder.objects.get(uid=UID)
    assert (order.status, order.needs_confirmation, order.needs_confirmation_reason) == (
        "in-progress",
        False,
        "",
    )
    assert "Needs confirmation from RxScale" not in staff.get(f"/orders/{UID}/").content.decode()


# --- Pharmacy SKUs ----------------------------------------------------------------------------


def stock_body(payload, *, stock, reserved=2, updated_at=T, envelope=0, **data):
    body = payload(
        "pharmacy_sku_stock_updated",
        uid=SKU_UID,
        stock=stock,
        reserved_amount=reserved,
        updated_at=updated_at,
    )
    body["timestamp"] += envelope
    body["data"].update(data)
    return body


def test_a_stock_tie_keeps_the_first_figures_and_ledgers_the_other(deliver, payload, staff):
    # given stock 10 at T
    deliver(stock_body(payload, stock=10))

    # when another snapshot at T says 7
    delivery = delivery_of(deliver(stock_body(payload, stock=7, envelope=1)))

    # then the stock stays 10, the SKU needs confirmation, and the ledger keeps the 7
    pharmacy_sku = PharmacySku.objects.get(uid=SKU_UID)
    assert pharmacy_sku.stock == 10
    assert pharmacy_sku.needs_confirmation is True
    assert "stock" in pharmacy_sku.needs_confirmation_reason
    entry = StockLedgerEntry.objects.filter(pharmacy_sku=pharmacy_sku).first()  # newest
    assert entry.delivery == delivery
    assert entry.changes == {}
    assert entry.superseded["stock"]["value"] == 7
    assert entry.superseded["stock"]["tie"] is True
    assert delivery.status == Status.PROCESSED
    assert any(w.startswith("Tie:") for w in delivery.warnings)
    # and staff see it on the SKU page (ledger too) and in the list
    page = staff.get(f"/inventory/{SKU_UID}/").content.decode()
    assert "Needs confirmation from RxScale:</strong> RxScale sent two different" in page
    assert "another snapshot with the same time" in page
    assert "Needs confirmation</span>" in staff.get("/inventory/").content.decode()


def test_a_stock_tie_applies_a_deletion_only(deliver, payload):
    deliver(stock_body(payload, stock=10))

    deliver(stock_body(payload, stock=7, envelope=1, deleted_at=T))

    pharmacy_sku = PharmacySku.objects.get(uid=SKU_UID)
    assert (pharmacy_sku.stock, pharmacy_sku.rx_deleted_at) == (10, ts(T))
    entry = StockLedgerEntry.objects.filter(pharmacy_sku=pharmacy_sku).first()
    assert entry.changes == {"rx_deleted_at": {"old": None, "new": ts(T).isoformat()}}


def test_the_same_stock_tie_twice_is_ledgered_once(deliver, payload):
    deliver(stock_body(payload, stock=10))
    deliver(stock_body(payload, stock=7, envelope=1))
    entries = StockLedgerEntry.objects.count()

    deliver(stock_body(payload, stock=7, envelope=2))
    deliver(stock_body(payload, stock=10, envelope=3))  # the applied version again

    assert StockLedgerEntry.objects.count() == entries
    assert PharmacySku.objects.get(uid=SKU_UID).stock == 10


def test_a_newer_stock_snapshot_settles_the_tie(deliver, payload):
    deliver(stock_body(payload, stock=10))
    deliver(stock_body(payload, stock=7, envelope=1))

    deliver(stock_body(payload, stock=7, updated_at=T + 1))

    pharmacy_sku = PharmacySku.objects.get(uid=SKU_UID)
    assert (pharmacy_sku.stock, pharmacy_sku.needs_confirmation) == (7, False)
    assert pharmacy_sku.needs_confirmation_reason == ""
