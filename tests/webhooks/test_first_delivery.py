"""The first delivery of an order, whose row is inserted whole: the rare cases that the INSERT
cannot settle alone (a renamed pharmacy, a PDF no longer stored, a body from before intake took
PDFs out) end as they would for a stored order."""

import pytest

from pharmacy_orders.models import (
    OrderPrescription,
    Pharmacy,
    PharmacyOrder,
    PrescriptionDocument,
)
from pharmacy_orders.services.prescriptions import MISSING
from rxscale.inbox.payload import encode_body
from rxscale.inbox.processing import delivery_process_now
from rxscale.inbox.samples import sample_pdf
from rxscale.models import WebhookDelivery
from tests.conftest import post_signed
from tests.webhooks.helpers import delivery_of

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


@pytest.fixture
def stored(client, settings):
    """Store a delivery without processing it (durable mode); process it with `process`."""
    settings.TASKS = {"default": {"BACKEND": "common.tasks_backend.WakeWorkersBackend"}}

    def _stored(body: dict) -> WebhookDelivery:
        delivery = delivery_of(post_signed(client, body))
        assert delivery.status == Status.RECEIVED
        return delivery

    return _stored


def process(delivery: WebhookDelivery) -> WebhookDelivery:
    delivery_process_now(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


def test_a_new_order_under_a_new_pharmacy_name_renames_the_pharmacy(deliver, payload):
    # given the pharmacy, known under another name
    Pharmacy.objects.create(uid="ph-xyz", display_name="Old Name")

    # when a new order names it "City Pharmacy"
    delivery = delivery_of(deliver(payload("pharmacy_order_created")))

    # then the order is on that pharmacy, renamed
    assert delivery.status == Status.PROCESSED, delivery.error
    order = PharmacyOrder.objects.select_related("pharmacy").get()
    assert (order.pharmacy.uid, order.pharmacy.display_name) == ("ph-xyz", "City Pharmacy")
    assert Pharmacy.objects.count() == 1
    assert order.shipping_identifier == "DHL_STANDARD"  # the payload's mapping for it


def test_a_new_order_naming_its_pharmacy_without_a_name_keeps_the_stored_name(deliver, payload):
    Pharmacy.objects.create(uid="ph-xyz", display_name="City Pharmacy")
    body = payload("pharmacy_order_created")
    body["data"]["pharmacy"]["display_name"] = None

    delivery = delivery_of(deliver(body))

    assert delivery.status == Status.PROCESSED, delivery.error
    order = PharmacyOrder.objects.select_related("pharmacy").get()
    assert (order.pharmacy.uid, order.pharmacy.display_name) == ("ph-xyz", "City Pharmacy")


def test_a_new_order_whose_stored_pdf_is_gone_says_so(stored, payload):
    # given a stored delivery whose PDF was removed before it was processed
    delivery = stored(payload("pharmacy_order_created"))
    PrescriptionDocument.objects.all().delete()

    # when it is processed
    delivery = process(delivery)

    # then the order exists without a prescription, and says why, as does the delivery
    assert delivery.status == Status.PROCESSED, delivery.error
    order = PharmacyOrder.objects.get()
    assert (order.current_prescription, order.prescription_problem) == (None, MISSING)
    assert not OrderPrescription.objects.exists()
    assert MISSING in delivery.warnings


def test_a_new_order_from_a_body_holding_its_pdf_inline_stores_and_links_it(stored, payload):
    # given a delivery stored before intake took PDFs out: its body holds the base64
    pdf = sample_pdf(3000)
    body = payload("pharmacy_order_created", pdf=pdf)
    delivery = stored(body)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(body=encode_body(body))
    PrescriptionDocument.objects.all().delete()

    # when it is processed
    delivery = process(delivery)

    # then the PDF is stored once and is the order's prescription
    assert delivery.status == Status.PROCESSED, delivery.error
    order = PharmacyOrder.objects.get()
    document = PrescriptionDocument.objects.get()
    assert order.current_prescription == document
    assert order.prescription_problem == ""
    assert OrderPrescription.objects.get().document == document
    assert document.file.read() == pdf


def test_a_stale_created_event_naming_a_new_pharmacy_leaves_no_pharmacy_behind(deliver, payload):
    # given an order stored from a newer update
    deliver(payload("pharmacy_order_updated", updated_at=1711910000))
    old = payload("pharmacy_order_created", updated_at=1711900000)
    old["data"]["pharmacy"] = {"uid": "ph-other", "display_name": "Other Pharmacy"}

    # when its older created event arrives, naming a pharmacy never seen
    stale = delivery_of(deliver(old))

    # then it is stale and changed nothing
    assert stale.status == Status.STALE
    assert list(Pharmacy.objects.values_list("uid", flat=True)) == ["ph-xyz"]
    assert PharmacyOrder.objects.get().pharmacy.uid == "ph-xyz"
