"""Every field of the stock, meeting and prescription events lands where the seed documents
say, with its history."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from inventory.models import PharmacySku, Product, StockLedgerEntry
from pharmacy_orders.models import (
    MeetingChange,
    PatientDoctorMeeting,
    Prescription,
    PrescriptionChange,
)
from tests.webhooks.helpers import Status, delivery_of, ts


@pytest.mark.parametrize("level", ["pharmacy", "organisation"])
def test_stock_event_lands_every_field_and_ledgers_it(deliver, payload, level):
    # given the seed's stock example
    # when it is delivered
    response = deliver(payload("pharmacy_sku_stock_updated", level=level))

    # then the pharmacy SKU, its SKU and product carry every field, and the ledger says so
    assert response.status_code == 200
    delivery = delivery_of(response)
    assert delivery.status == Status.PROCESSED, delivery.error
    assert (delivery.subject_kind, delivery.subject_uid) == ("pharmacy_sku", "psku-abc123")
    assert delivery.event_timestamp == ts(1711900000)
    assert delivery.warnings == []
    pharmacy_sku = PharmacySku.objects.get()
    assert pharmacy_sku.payload_warnings == []
    assert (pharmacy_sku.uid, pharmacy_sku.pharmacy_uid, pharmacy_sku.external_id) == (
        "psku-abc123",
        "ph-xyz",
        "EXT-001",
    )
    assert (pharmacy_sku.price, pharmacy_sku.stock, pharmacy_sku.reserved_amount) == (1299, 45, 7)
    assert pharmacy_sku.available == 38
    assert (pharmacy_sku.markup, pharmacy_sku.priority, pharmacy_sku.type) == (0, 0, "default")
    assert pharmacy_sku.rx_created_at == ts(1711800000)
    assert pharmacy_sku.rx_updated_at == ts(1711900000)
    assert pharmacy_sku.stock_set_at == ts(1711900000)
    assert pharmacy_sku.rx_deleted_at is None
    sku = pharmacy_sku.sku
    assert (sku.uid, sku.pzn, sku.display_name, sku.unit) == (
        "sku-456",
        "12345678",
        "Medication X 100mg",
        "ml",
    )
    assert sku.standard_selling_unit == Decimal("1.000")
    assert (sku.product.uid, sku.product.display_name, sku.product.handle) == (
        "prod-789",
        "Medication X",
        "medication-x",
    )
    if level == "organisation":
        assert pharmacy_sku.shop_identifier == "my-shopify-store"
        assert (sku.shop_variation_id, sku.shop_product_external_id) == (
            "48372910234",
            "93847261045",
        )
    else:
        assert pharmacy_sku.shop_identifier == ""
        assert (sku.shop_variation_id, sku.shop_product_external_id) == ("", "")
    [entry] = StockLedgerEntry.objects.all()
    assert (entry.cause, entry.delivery_id, entry.effective_at) == (
        StockLedgerEntry.Cause.STOCK_WEBHOOK,
        delivery.pk,
        ts(1711900000),
    )
    assert entry.changes["stock"] == {"old": None, "new": 45}
    assert entry.changes["reserved_amount"] == {"old": None, "new": 7}
    assert entry.changes["type"] == {"old": None, "new": "default"}
    assert Product.objects.count() == 1


def test_a_newer_stock_event_ledgers_old_and_new_values(deliver, payload):
    # given a pharmacy SKU from a stock event
    first = delivery_of(deliver(payload("pharmacy_sku_stock_updated")))

    # when a newer one sells more than there is (RxScale oversells)
    response = deliver(
        payload("pharmacy_sku_stock_updated", updated_at=1711900100, stock=3, reserved_amount=5)
    )

    # then available goes negative and the ledger has exactly the changed fields
    second = delivery_of(response)
    assert second.status == Status.PROCESSED, second.error
    pharmacy_sku = PharmacySku.objects.get()
    assert (pharmacy_sku.stock, pharmacy_sku.reserved_amount, pharmacy_sku.available) == (3, 5, -2)
    newest, oldest = StockLedgerEntry.objects.all()
    assert oldest.delivery_id == first.pk
    assert newest.delivery_id == second.pk
    assert newest.changes == {
        "stock": {"old": 45, "new": 3},
        "reserved_amount": {"old": 7, "new": 5},
    }


def test_meeting_updated_lands_every_field_and_its_history(deliver, payload):
    # given the seed's meeting example
    # when it is delivered, then a newer cancellation of the same meeting
    confirmed = delivery_of(deliver(payload("patient_doctor_meeting_updated")))
    assert confirmed.status == Status.PROCESSED, confirmed.error
    meeting = PatientDoctorMeeting.objects.get()
    assert meeting.meeting_uid == "m-e2e-1"
    assert meeting.organisation_uid == "org-abc123"
    assert (meeting.change, meeting.status) == ("confirmed", "confirmed")
    assert (meeting.meeting_type, meeting.meeting_format) == ("consultation", "digital")
    assert (meeting.start_date, meeting.end_date) == (ts(1893456000), ts(1893456900))
    assert meeting.estimated_duration_minutes == 15
    assert meeting.confirmed_at == ts(1893450000)
    assert (meeting.cancelled_at, meeting.cancellation_reason, meeting.expires_at) == (
        None,
        "",
        None,
    )
    assert meeting.previous_meeting_uid == ""
    assert (meeting.appointment_type_uid, meeting.doctor_uid, meeting.patient_profile_uid) == (
        "at-1",
        "doc-1",
        "pat-1",
    )
    assert meeting.event_at == ts(1893456000)
    assert (confirmed.subject_kind, confirmed.subject_uid) == ("meeting", "m-e2e-1")

    cancellation = payload("patient_doctor_meeting_updated", updated_at=1893456500)
    cancellation["data"].update(
        change="cancelled",
        status="cancelled",
        cancelled_at=1893456400,
        cancellation_reason="Patient <script>x</script> unwell",
    )
    cancelled = delivery_of(deliver(cancellation))

    # then the meeting is cancelled and both changes are in its history
    assert cancelled.status == Status.PROCESSED, cancelled.error
    meeting.refresh_from_db()
    assert (meeting.change, meeting.status) == ("cancelled", "cancelled")
    assert meeting.cancelled_at == ts(1893456400)
    assert meeting.cancellation_reason == "Patient <script>x</script> unwell"
    assert meeting.event_at == ts(1893456500)
    assert list(MeetingChange.objects.values_list("change", "status", "event_at", "delivery")) == [
        ("confirmed", "confirmed", ts(1893456000), confirmed.pk),
        ("cancelled", "cancelled", ts(1893456500), cancelled.pk),
    ]


def test_prescription_doctor_changed_envelope_lands_state_and_history(deliver, payload):
    # given the first seed's {category, event, data} doctor_changed example
    # when it is delivered
    first = delivery_of(deliver(payload("prescription.doctor_changed", level="organisation")))

    # then the prescription's state and one history row are stored
    assert first.status == Status.PROCESSED, first.error
    assert first.event_type == "prescription.doctor_changed"
    assert (first.subject_kind, first.subject_uid) == ("prescription", "prescription_123")
    prescription = Prescription.objects.get()
    assert prescription.uid == "prescription_123"
    assert prescription.status == "pending"
    assert prescription.rx_created_at == datetime(2026, 5, 21, 14, 30, tzinfo=UTC)
    assert (
        prescription.doctor_uid,
        prescription.doctor_first_name,
        prescription.doctor_last_name,
    ) == ("doctor_123", "Maria", "Schneider")
    assert prescription.patient_data == {
        "first_name": "Alex",
        "last_name": "Muster",
        "date_of_birth": "1988-04-12",
    }
    assert prescription.documents == [
        {"uid": "document_123", "type": "prescription", "status": "available"}
    ]
    assert prescription.items == [
        {
            "uid": "prescription_item_123",
            "shop_sku_uid": "shop_sku_123",
            "fulfillment_line_item_external_id": "line-item-1",
        }
    ]
    assert prescription.shop_identifier == "telemedicine-shop"
    assert prescription.external_order_id == "order-100045"
    assert prescription.external_fulfillment_id == "fulfillment-100045-1"
    assert prescription.external_provider_identifier == "rxscale"

    # when the doctor changes again
    again = payload("prescription.doctor_changed", level="organisation")
    again["data"].update(
        old_doctor_uid="doctor_123", new_doctor_uid="doctor_456", doctor_assignment_reason="QUEUE"
    )
    again["data"]["prescription"]["doctor"] = {
        "uid": "doctor_456",
        "first_name": "Jonas",
        "last_name": "Weber",
    }
    second = delivery_of(deliver(again))

    # then the current doctor is the new one and the history has both changes
    assert second.status == Status.PROCESSED, second.error
    prescription.refresh_from_db()
    assert (prescription.doctor_uid, prescription.doctor_last_name) == ("doctor_456", "Weber")
    assert list(
        PrescriptionChange.objects.values_list(
            "category",
            "event",
            "status",
            "doctor_assignment_reason",
            "old_doctor_uid",
            "new_doctor_uid",
            "delivery",
        )
    ) == [
        ("prescription", "doctor_changed", "pending", "ADMIN_ASSIGNED", "", "doctor_123", first.pk),
        (
            "prescription",
            "doctor_changed",
            "pending",
            "QUEUE",
            "doctor_123",
            "doctor_456",
            second.pk,
        ),
    ]
