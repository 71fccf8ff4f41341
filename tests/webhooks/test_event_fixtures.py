"""One test per event type and subscription level, built from the seed examples.

Each sends the payload signed through HTTP and checks every field that landed.
"""

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from inventory.models import Sku, StockLedgerEntry
from pharmacy_orders.models import (
    OrderPrescription,
    PharmacyOrder,
    PrescriptionDocument,
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
