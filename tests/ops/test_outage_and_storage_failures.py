"""Failures of the database and of storage in the middle of a delivery: nothing half-written,
the failure visible, and the next attempt (RxScale's retry, a reprocess) succeeds."""

from pathlib import Path

import pytest
from django.core.management import call_command

from pharmacy_orders.models import OrderPrescription, PharmacyOrder, PrescriptionDocument
from rxscale.inbox.models import WebhookDelivery
from rxscale.inbox.payload import encode_body
from rxscale.inbox.processing import delivery_process_now
from rxscale.inbox.samples import sample_pdf
from tests.faults import fault_on_insert
from tests.webhooks.helpers import Status, answer, b64, delivery_of

pytestmark = pytest.mark.django_db
INBOX_TABLE = WebhookDelivery._meta.db_table


@pytest.mark.postgres
def test_a_database_outage_mid_delivery_answers_503_with_nothing_half_written(
    deliver, payload, settings
):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL (an admin_shutdown raised by the server)")
    # given an order with a PDF, and a database that goes down as the delivery row is written
    # (after the PDF's document row: both belong to one transaction)
    pdf = sample_pdf(6_000)
    body = payload("pharmacy_order_created", uid="po-outage-1", pdf=pdf)
    with fault_on_insert(INBOX_TABLE, code="57P01"):
        # when RxScale delivers it
        response = deliver(body)

    # then it is told to retry, and neither the delivery, nor the document row, nor the order
    # exists: the document row went with the failed transaction
    assert response.status_code == 503
    assert "database" in answer(response)["error"].lower()
    assert not WebhookDelivery.objects.exists()
    assert not PrescriptionDocument.objects.exists()
    assert not PharmacyOrder.objects.exists()

    # when the database is back and RxScale retries the same body
    retry = deliver(body)

    # then it is stored and applied once, with its PDF
    assert retry.status_code == 200
    delivery = delivery_of(retry)
    assert delivery.status == Status.PROCESSED, delivery.error
    order = PharmacyOrder.objects.get(uid="po-outage-1")
    assert order.current_prescription.size == len(pdf)
    assert WebhookDelivery.objects.count() == 1
    assert PrescriptionDocument.objects.count() == 1


def test_storage_failing_while_processing_a_pdf_fails_the_delivery_visibly_and_it_reprocesses(
    payload, settings, django_capture_on_commit_callbacks
):
    # given a delivery whose stored body still carries its PDF (stored before intake took
    # PDFs out: processing then saves the PDF), and storage that cannot take it
    settings.WORK_QUEUE_MAX_ATTEMPTS = 1
    pdf = sample_pdf(3_000)
    body = encode_body(payload("pharmacy_order_created", uid="po-storage-1", pdf=pdf))
    assert b64(pdf).encode() in body
    delivery = WebhookDelivery.objects.create(
        dedupe_key="legacy-body-with-pdf",
        event_type="pharmacy_order_created",
        body=body,
        secret_index=0,
        status=Status.RECEIVED,
    )
    blocker = Path(settings.MEDIA_ROOT) / "prescriptions"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a directory")

    # when a worker applies it
    delivery_process_now(delivery_id=delivery.pk)

    # then the delivery failed, saying why, and the order was not half-applied
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert "Error" in delivery.error and delivery.traceback
    assert not PharmacyOrder.objects.exists()
    assert not PrescriptionDocument.objects.exists()

    # when storage is fixed and an admin reprocesses it
    blocker.unlink()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reprocess_webhooks", str(delivery.pk))

    # then it is applied with its PDF
    delivery.refresh_from_db()
    assert delivery.status == Status.PROCESSED, delivery.error
    order = PharmacyOrder.objects.get(uid="po-storage-1")
    assert OrderPrescription.objects.get(order=order).document.size == len(pdf)
    assert (Path(settings.MEDIA_ROOT) / order.current_prescription.file.name).read_bytes() == pdf
