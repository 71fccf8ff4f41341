"""One test per event type and subscription level, built from the seed examples.

Each sends the payload signed through HTTP and checks every field that landed.
"""

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from inventory.models import PharmacySku, Product, Sku, StockLedgerEntry
from pharmacy_orders.models import (
    MeetingChange,
    OrderPrescription,
    PatientDoctorMeeting,
    PharmacyOrder,
    Prescription,
    PrescriptionChange,
    PrescriptionDocument,
    ShippingMethodMapping,
)
from rxscale.inbox.samples import sample_pdf, seed_payload
from tests.webhooks.helpers import ADDRESS, Status, answer, delivery_of, files_under, ts

ORG_FULFILLMENT_ITEMS = seed_payload("pharmacy_order_created.organisation")["data"]["fulfillment"][
    "items"
]


def _assert_order_common(order: PharmacyOrder, *, pdf: bytes, delivery, settings) -> None:
    """Every field both subscription levels carry, as the seed examples have them."""
    assert order.name == "#1001"
    assert order.custom_data == {}
    assert order.rx_created_at == ts(1711899000)
    assert order.rx_deleted_at is None
    assert (order.pharmacy.uid, order.pharmacy.display_name) == ("ph-xyz", "City Pharmacy")
    assert order.parent_order_uid == "ord-123"
    assert order.delivery_address == ADDRESS
    assert order.invoice_address == ADDRESS
    assert (order.shipping_costs_amount, order.shipping_costs_currency) == (499, "EUR")
    assert order.priority == 5
    assert (order.delivery_type_uid, order.delivery_type_name, order.delivery_type_identifier) == (
        "dt-001",
        "Standard Shipping",
        "standard",
    )
    assert order.prepaid is True
    assert order.patient_uid == "pat-123"
    assert order.patient_name == "Max Mustermann"
    assert order.patient_email == "max@example.com"
    assert order.patient_date_of_birth == date(1990, 6, 15)
    assert order.patient_phone == "+49 170 1234567"
    assert (order.doctor_uid, order.doctor_name) == ("doc-456", "Dr. Schmidt")

    # Shop shipping methods with the payload's mapping, and the identifier resolved from it.
    assert list(
        order.shop_shipping_methods.values_list(
            "uid", "display_name", "external_id", "mapping_pharmacy_uid", "mapping_identifier"
        )
    ) == [("ssm-001", "DHL Standard", "shopify-standard", "ph-xyz", "DHL_STANDARD")]
    assert order.shipping_identifier == "DHL_STANDARD"
    assert order.shipping_unmapped is False

    # The item, its SKU and product, and the pharmacy SKU as the order carried it.
    [item] = order.items.all()
    assert (item.uid, item.amount, item.total_paid_amount) == ("oi-789", 1, 1299)
    assert (item.pharmacy_sku_price, item.pharmacy_sku_stock) == (1299, 50)
    sku = item.sku
    assert (sku.uid, sku.display_name, sku.pzn, sku.unit) == (
        "sku-456",
        "Medication X 100mg",
        "12345678",
        "ml",
    )
    assert sku.standard_selling_unit == Decimal("1.000")
    assert (sku.product.uid, sku.product.display_name, sku.product.handle) == (
        "prod-789",
        "Medication X",
        "medication-x",
    )
    pharmacy_sku = item.pharmacy_sku
    assert (pharmacy_sku.uid, pharmacy_sku.external_id, pharmacy_sku.pharmacy_uid) == (
        "psku-456",
        "EXT-001",
        "ph-xyz",
    )
    assert (pharmacy_sku.price, pharmacy_sku.stock, pharmacy_sku.reserved_amount) == (1299, 50, 0)
    assert pharmacy_sku.sku_id == sku.pk
    [entry] = pharmacy_sku.ledger_entries.all()
    assert entry.cause == StockLedgerEntry.Cause.ORDER_WEBHOOK
    assert entry.delivery_id == delivery.pk
    assert entry.changes["stock"] == {"old": None, "new": 50}
    assert entry.changes["price"] == {"old": None, "new": 1299}
    assert entry.changes["external_id"] == {"old": None, "new": "EXT-001"}

    # The prescription: stored once by content hash, in private storage, sanitised name.
    sha256 = hashlib.sha256(pdf).hexdigest()
    document = order.current_prescription
    assert (document.sha256, document.size) == (sha256, len(pdf))
    stored = Path(document.file.path).resolve()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert stored.read_bytes() == pdf
    assert files_under(settings.MEDIA_ROOT) == [stored]
    [link] = OrderPrescription.objects.filter(order=order)
    assert (link.filename, link.document_id, link.delivery_id) == (
        "prescription_001.pdf",
        document.pk,
        delivery.pk,
    )
    assert order.prescription_problem == ""

    # The processed delivery names its subject and keeps a reference instead of the PDF. The
    # seed examples are exactly as documented: nothing for the tolerant reader to warn about.
    assert (delivery.subject_kind, delivery.subject_uid) == ("order", "po-abc123")
    assert delivery.warnings == []
    assert (order.payload_warnings, order.rx_extra) == ([], {})
    assert delivery.body_redacted is True
    assert sha256.encode() in bytes(delivery.body)


@pytest.mark.parametrize("level", ["pharmacy", "organisation"])
def test_order_created_lands_every_field(deliver, payload, settings, level):
    # given the seed's order_created example with a real 3 kB PDF
    pdf = sample_pdf(3000)

    # when RxScale delivers it
    response = deliver(payload("pharmacy_order_created", level=level, pdf=pdf))

    # then it is stored, processed, and every field landed
    assert response.status_code == 200
    assert answer(response)["status"] == Status.RECEIVED  # processing runs after commit
    delivery = delivery_of(response)
    assert delivery.status == Status.PROCESSED, delivery.error
    assert delivery.event_type == "pharmacy_order_created"
    assert delivery.event_timestamp == ts(1711900000)
    assert delivery.attempts == 1
    order = PharmacyOrder.objects.get()
    assert (order.uid, order.status, order.external_status) == ("po-abc123", "init", "OPEN")
    assert order.rx_updated_at == ts(1711899000)
    _assert_order_common(order, pdf=pdf, delivery=delivery, settings=settings)
    assert list(order.status_changes.values_list("from_status", "to_status", "delivery")) == [
        ("", "init", delivery.pk)
    ]
    sku = Sku.objects.get()
    if level == "organisation":
        assert (sku.shop_variation_id, sku.shop_product_external_id) == (
            "48372910234",
            "93847261045",
        )
        assert (order.fulfillment_uid, order.fulfillment_external_id) == (
            "fo-abc123",
            "EXT-FO-001",
        )
        assert order.fulfillment_items == ORG_FULFILLMENT_ITEMS
        # The shop order's external id is not its name; the seed carries no name.
        assert (order.shop_order_uid, order.shop_order_external_id, order.shop_identifier) == (
            "so-456",
            "SHOP-789",
            "my-shopify-store",
        )
        assert order.shop_order_name == ""
    else:
        assert (sku.shop_variation_id, sku.shop_product_external_id) == ("", "")
        assert (order.fulfillment_uid, order.fulfillment_external_id) == ("", "")
        assert order.fulfillment_items == []
        assert (order.shop_order_uid, order.shop_order_external_id, order.shop_identifier) == (
            "",
            "",
            "",
        )


@pytest.mark.parametrize("level", ["pharmacy", "organisation"])
def test_order_updated_after_created_moves_status_and_keeps_one_document(
    deliver, payload, settings, level
):
    # given the order was created with a PDF
    pdf = sample_pdf(2000)
    created = delivery_of(deliver(payload("pharmacy_order_created", level=level, pdf=pdf)))

    # when the seed's order_updated example (same PDF, as RxScale repeats it) arrives
    response = deliver(payload("pharmacy_order_updated", level=level, pdf=pdf))

    # then the order carries the new state, the history both steps, and the PDF is stored once
    assert response.status_code == 200
    updated = delivery_of(response)
    assert updated.status == Status.PROCESSED, updated.error
    assert updated.event_type == "pharmacy_order_updated"
    order = PharmacyOrder.objects.get()
    assert (order.status, order.external_status) == ("in-progress", "IN_PROGRESS")
    assert order.rx_updated_at == ts(1711910000)
    _assert_order_common(order, pdf=pdf, delivery=created, settings=settings)
    assert list(order.status_changes.values_list("from_status", "to_status", "delivery")) == [
        ("", "init", created.pk),
        ("init", "in-progress", updated.pk),
    ]
    assert PrescriptionDocument.objects.count() == 1
    assert OrderPrescription.objects.count() == 1
    assert StockLedgerEntry.objects.count() == 1  # the order never rewrites stock figures
    assert order.fulfillment_uid == ("fo-abc123" if level == "organisation" else "")


def test_a_new_pdf_in_an_update_becomes_current_and_the_old_one_stays_linked(
    deliver, payload, settings
):
    # given an order with one PDF
    first, second = sample_pdf(1000), sample_pdf(1500)
    deliver(payload("pharmacy_order_created", pdf=first))

    # when an update carries a different PDF
    deliver(payload("pharmacy_order_updated", pdf=second))

    # then both are stored once each, the newer is current, both stay linked to the order
    order = PharmacyOrder.objects.get()
    assert order.current_prescription.sha256 == hashlib.sha256(second).hexdigest()
    assert sorted(OrderPrescription.objects.values_list("document__size", flat=True)) == [
        1000,
        1500,
    ]
    assert len(files_under(settings.MEDIA_ROOT)) == 2


def test_a_deleted_order_keeps_its_deleted_at(deliver, payload):
    # given an order, when RxScale's next snapshot says it was deleted
    deliver(payload("pharmacy_order_created"))
    deleted = payload("pharmacy_order_updated", status="cancelled")
    deleted["data"]["deleted_at"] = 1711910000

    # then the order is kept, cancelled, with the deletion time
    assert delivery_of(deliver(deleted)).status == Status.PROCESSED
    order = PharmacyOrder.objects.get()
    assert (order.status, order.rx_deleted_at) == ("cancelled", ts(1711910000))


def test_the_verbatim_seed_example_stores_the_order_and_records_the_bad_pdf(deliver):
    # given the seed example exactly as documented: its content_base64 "JVBERi0xLjQK..." is
    # truncated and so not valid base64
    seed = seed_payload("pharmacy_order_created.pharmacy")
    assert seed["data"]["prescription_file"]["content_base64"] == "JVBERi0xLjQK..."

    # when it is delivered
    response = deliver(seed)

    # then the order is stored, the PDF is not, and the problem is on the order and delivery
    assert response.status_code == 200
    delivery = delivery_of(response)
    assert delivery.status == Status.PROCESSED, delivery.error
    order = PharmacyOrder.objects.get()
    assert order.status == "init"
    assert order.patient_date_of_birth == date(1990, 6, 15)
    assert order.current_prescription is None
    assert order.prescription_problem == "The prescription file is not valid base64."
    assert delivery.warnings == ["The prescription file is not valid base64."]
    assert not PrescriptionDocument.objects.exists()
    assert b"JVBERi0xLjQK..." not in bytes(delivery.body)


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


# --- Shipping-method identifier: payload mapping, admin mapping, or unmapped -----------------


def _order_with_method(payload, *, mapping: dict | None, uid: str = "po-abc123") -> dict:
    body = payload("pharmacy_order_created", uid=uid)
    body["data"]["shop_shipping_methods"][0]["pharmacy_mapping"] = mapping
    return body


def test_without_any_mapping_the_order_is_flagged_unmapped(deliver, payload):
    # given no admin mapping, when an order arrives whose shop method has no pharmacy mapping
    deliver(_order_with_method(payload, mapping=None))

    # then it has no identifier and is flagged
    order = PharmacyOrder.objects.get()
    assert (order.shipping_identifier, order.shipping_unmapped) == ("", True)
    assert order.shop_shipping_methods.get().mapping_identifier == ""


def test_the_admin_mapping_applies_when_the_payload_has_none(deliver, payload):
    # given an admin mapping for the shop method
    ShippingMethodMapping.objects.create(
        shop_shipping_method_uid="ssm-001", carrier_identifier="DPD_CLASSIC"
    )

    # when an order arrives without a payload mapping
    deliver(_order_with_method(payload, mapping=None))

    # then the admin's identifier is resolved
    order = PharmacyOrder.objects.get()
    assert (order.shipping_identifier, order.shipping_unmapped) == ("DPD_CLASSIC", False)


def test_a_payload_mapping_for_another_pharmacy_falls_back_to_the_admin_mapping(deliver, payload):
    # given an admin mapping, and a payload mapping meant for a different pharmacy
    ShippingMethodMapping.objects.create(
        shop_shipping_method_uid="ssm-001", carrier_identifier="DPD_CLASSIC"
    )
    other = {"pharmacy_uid": "ph-other", "shipping_method_identifier_for_pharmacy": "GLS"}

    # when the order arrives
    deliver(_order_with_method(payload, mapping=other))

    # then the other pharmacy's mapping is kept on the method but not used
    order = PharmacyOrder.objects.get()
    assert order.shop_shipping_methods.get().mapping_pharmacy_uid == "ph-other"
    assert order.shipping_identifier == "DPD_CLASSIC"


def test_the_payload_mapping_wins_over_the_admin_mapping(deliver, payload):
    # given an admin mapping
    ShippingMethodMapping.objects.create(
        shop_shipping_method_uid="ssm-001", carrier_identifier="DPD_CLASSIC"
    )

    # when the seed order (mapped to DHL_STANDARD for ph-xyz) arrives
    deliver(payload("pharmacy_order_created"))

    # then the payload's mapping is used
    assert PharmacyOrder.objects.get().shipping_identifier == "DHL_STANDARD"


def test_a_mapping_added_in_the_admin_resolves_orders_already_stored(
    deliver, payload, client, pharmacy_admin
):
    # given an unmapped order
    deliver(_order_with_method(payload, mapping=None))
    assert PharmacyOrder.objects.get().shipping_unmapped is True

    # when a pharmacy admin adds a mapping for its shop method in the admin
    pharmacy_admin.is_staff = True
    pharmacy_admin.save()
    client.force_login(pharmacy_admin)
    response = client.post(
        "/admin/pharmacy_orders/shippingmethodmapping/add/",
        {
            "shop_shipping_method_uid": "ssm-001",
            "display_name": "DHL Standard",
            "carrier_identifier": "DHL_PAKET",
        },
    )

    # then the stored order is resolved
    assert response.status_code == 302, response.content[:2000]
    order = PharmacyOrder.objects.get()
    assert (order.shipping_identifier, order.shipping_unmapped) == ("DHL_PAKET", False)
