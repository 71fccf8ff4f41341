"""Prescription PDFs in an S3-compatible store (django-storages), against a real S3 server.

moto's server (a dev dependency) listens on loopback; boto3 talks HTTP to it exactly as to any
S3-compatible store. Intake, the staff PDF view, retention and /healthz run unchanged on top
of `STORAGES["default"]`, and a store that refuses the write makes intake answer 503.
"""

import hashlib
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from pharmacy_orders.models import PharmacyOrder, PrescriptionDocument
from pharmacy_orders.services.prescriptions import prescription_storage_name
from rxscale.inbox.models import WebhookDelivery
from rxscale.inbox.retention import _stray_files, inbox_prune
from rxscale.inbox.samples import sample_pdf
from tests.webhooks.helpers import Status, answer, delivery_of

moto_server = pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")

pytestmark = pytest.mark.django_db
BUCKET = "prescriptions-test"
REGION = "eu-central-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(
        ip_address="127.0.0.1", port=_free_port(), verbose=False
    )
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(settings, s3_endpoint):
    """A fresh bucket, and STORAGES["default"] pointing at it through django-storages."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    )
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": REGION,
                "access_key": "test-key",
                "secret_key": "test-secret",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_intake_stores_the_pdf_once_in_the_bucket_by_its_hash(s3, deliver, payload):
    # given an order with a PDF, delivered twice as two updates
    pdf = sample_pdf(30_000)
    first = payload("pharmacy_order_created", uid="po-s3-1", pdf=pdf, updated_at=1_800_000_000)
    second = payload("pharmacy_order_updated", uid="po-s3-1", pdf=pdf, updated_at=1_800_000_100)

    # when both arrive
    deliveries = [delivery_of(deliver(body)) for body in (first, second)]

    # then both are processed, and the bucket holds the PDF once, under its hash
    assert [d.status for d in deliveries] == [Status.PROCESSED, Status.PROCESSED]
    assert _keys(s3) == [prescription_storage_name(_sha(pdf))]
    stored = s3.get_object(Bucket=BUCKET, Key=prescription_storage_name(_sha(pdf)))["Body"]
    assert stored.read() == pdf
    assert PharmacyOrder.objects.get(uid="po-s3-1").current_prescription.sha256 == _sha(pdf)


def test_staff_see_the_pdf_from_the_bucket(s3, deliver, payload, client, pharmacist):
    # given an order whose PDF is in the bucket
    pdf = sample_pdf(8_000)
    deliver(payload("pharmacy_order_created", uid="po-s3-2", pdf=pdf))

    # when a pharmacist opens it
    client.force_login(pharmacist)
    response = client.get("/orders/po-s3-2/prescription")

    # then the bytes come from S3, whole
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == pdf


def test_a_bucket_that_refuses_the_write_answers_503_and_the_retry_succeeds(
    s3, deliver, payload, settings
):
    # given storage pointing at a bucket that does not exist
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": "no-such"},
        },
    }
    pdf = sample_pdf(4_000)
    body = payload("pharmacy_order_created", uid="po-s3-3", pdf=pdf)

    # when the order arrives
    response = deliver(body)

    # then RxScale is told to retry, and nothing was stored
    assert response.status_code == 503
    assert "storage" in answer(response)["error"].lower()
    assert not WebhookDelivery.objects.exists()
    assert not PrescriptionDocument.objects.exists()
    assert not PharmacyOrder.objects.exists()

    # when the store is right again and RxScale retries the same body
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": BUCKET},
        },
    }
    retry = deliver(body)

    # then it is stored and applied once
    assert retry.status_code == 200
    assert delivery_of(retry).status == Status.PROCESSED
    assert _keys(s3) == [prescription_storage_name(_sha(pdf))]


def test_retention_removes_an_unreferenced_pdf_from_the_bucket(s3, deliver, payload):
    # given a PDF only a failed delivery refers to (the order failed validation), 40 days old
    pdf = sample_pdf(5_000)
    body = payload("pharmacy_order_created", uid="po-s3-4", pdf=pdf)
    del body["data"]["updated_at"]
    delivery = delivery_of(deliver(body))
    assert delivery.status == Status.FAILED
    long_ago = timezone.now() - timedelta(days=40)
    WebhookDelivery.objects.update(received_at=long_ago)
    PrescriptionDocument.objects.update(created_at=long_ago)
    # and a young stray object nobody names
    s3.put_object(Bucket=BUCKET, Key="prescriptions/ab/stray.pdf", Body=b"%PDF-stray")

    # when retention runs with 30 days
    report = inbox_prune(older_than=timedelta(days=30))

    # then the delivery, the document and its object are gone; the young stray stays
    assert (report.deliveries, report.documents) == (1, 1)
    assert _keys(s3) == ["prescriptions/ab/stray.pdf"]
    # and the bucket is listed like a folder: the stray is found once it is old enough
    later = timezone.now() + timedelta(minutes=5)
    assert list(_stray_files(later)) == ["prescriptions/ab/stray.pdf"]


def test_healthz_checks_the_bucket(s3, client, settings):
    # given the bucket is there, health is fine
    assert client.get("/healthz").json()["storage"]["ok"] is True

    # when the configured bucket is missing, health says so with 503
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": "no-such"},
        },
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["storage"]["ok"] is False
