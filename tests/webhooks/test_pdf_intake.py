"""The prescription PDF leaves the body at intake: stored by its sha256, referenced, never kept.

Whatever becomes of a delivery (processed, failed, stale, ignored, a bad PDF, not JSON at
all), its stored body holds no PDF content. The fast path cuts the base64 out of the raw
bytes; bodies it cannot be sure about (an escape inside the value, the key twice) take a full
parse, with the same outcome. Storage that fails at intake answers 503 and stores nothing, so
RxScale's retry is the next attempt.
"""

import hashlib
import json
from pathlib import Path

import pytest

from pharmacy_orders.models import OrderPrescription, PharmacyOrder, PrescriptionDocument
from rxscale.inbox.models import WebhookDelivery
from rxscale.inbox.samples import sample_pdf
from tests.webhooks.helpers import (
    Status,
    answer,
    b64,
    body_of,
    delivery_of,
    files_under,
    stored_body,
)

NOT_BASE64 = "The prescription file is not valid base64."
NOT_A_PDF = "The prescription file is not a PDF."


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _prescription_file(delivery: WebhookDelivery) -> dict:
    return json.loads(stored_body(delivery))["data"]["prescription_file"]


def _assert_no_content(delivery: WebhookDelivery, content_base64: str) -> None:
    body = stored_body(delivery)
    assert content_base64.encode() not in body
    assert content_base64.replace("/", "\\/").encode() not in body
    assert b'"content_base64"' not in body
    assert delivery.body_redacted is True


@pytest.fixture
def broken_storage(settings) -> Path:
    """A regular file where the prescriptions directory belongs: every PDF write fails."""
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    blocker = media_root / "prescriptions"
    blocker.write_text("not a directory")
    return blocker


# --- Stored at intake, referenced in the body ---------------------------------------------


def test_a_processed_order_keeps_a_reference_and_its_pdf_is_stored_once_by_hash(
    deliver, payload, settings
):
    # given an order with a 50 kB PDF
    pdf = sample_pdf(50_000)
    body = payload("pharmacy_order_created", pdf=pdf)

    # when it is delivered
    delivery = delivery_of(deliver(body))

    # then the body names the stored document instead of holding it
    assert delivery.status == Status.PROCESSED, delivery.error
    _assert_no_content(delivery, b64(pdf))
    assert _prescription_file(delivery) == {
        "filename": "prescription_001.pdf",
        "content_sha256": _sha(pdf),
    }
    assert delivery.document_sha256 == _sha(pdf)
    # and the PDF is one file, named by its hash, with one document row the order shows
    document = PrescriptionDocument.objects.get()
    assert (document.sha256, document.size) == (_sha(pdf), len(pdf))
    assert document.file.name == f"prescriptions/{_sha(pdf)[:2]}/{_sha(pdf)}.pdf"
    assert [p.read_bytes() for p in files_under(settings.MEDIA_ROOT)] == [pdf]
    assert PharmacyOrder.objects.get().current_prescription == document


def test_the_same_pdf_in_many_deliveries_is_one_file_and_one_row(deliver, payload, settings):
    pdf = sample_pdf(3000)

    deliveries = [
        delivery_of(deliver(payload("pharmacy_order_created", uid=uid, pdf=pdf)))
        for uid in ("po-a", "po-b")
    ]
    deliveries.append(delivery_of(deliver(payload("pharmacy_order_updated", uid="po-a", pdf=pdf))))
    # and RxScale's retry of one of them
    repeat = answer(deliver(payload("pharmacy_order_updated", uid="po-a", pdf=pdf)))

    assert repeat["duplicate"] is True
    assert [d.status for d in deliveries] == [Status.PROCESSED] * 3
    assert {d.document_sha256 for d in deliveries} == {_sha(pdf)}
    assert PrescriptionDocument.objects.count() == 1
    assert OrderPrescription.objects.count() == 2
    assert len(files_under(settings.MEDIA_ROOT)) == 1


def test_a_failed_delivery_keeps_no_pdf_content_but_its_reference(deliver, payload):
    # given an order that fails validation (no updated_at)
    pdf = sample_pdf(2000)
    body = payload("pharmacy_order_created", pdf=pdf)
    del body["data"]["updated_at"]

    # when it is delivered
    delivery = delivery_of(deliver(body))

    # then it failed, visibly, and kept the PDF by reference for a reprocess
    assert delivery.status == Status.FAILED
    assert "updated_at" in delivery.error_details["data"]
    _assert_no_content(delivery, b64(pdf))
    assert _prescription_file(delivery)["content_sha256"] == _sha(pdf)
    assert PrescriptionDocument.objects.get().sha256 == delivery.document_sha256


def test_a_stale_delivery_keeps_no_pdf_content(deliver, payload):
    deliver(payload("pharmacy_order_updated", updated_at=1711910000))
    older_pdf = sample_pdf(1700)

    stale = delivery_of(
        deliver(payload("pharmacy_order_updated", updated_at=1711900000, pdf=older_pdf))
    )

    assert stale.status == Status.STALE
    _assert_no_content(stale, b64(older_pdf))
    assert _prescription_file(stale)["content_sha256"] == _sha(older_pdf)
    # the order still shows the newer snapshot's PDF
    assert PharmacyOrder.objects.get().current_prescription.sha256 == _sha(sample_pdf())


def test_an_ignored_delivery_drops_its_pdf_unstored(deliver, payload, settings):
    unknown = payload("pharmacy_order_created", pdf=sample_pdf(1500))
    unknown["event_type"] = "pharmacy_order_archived"

    delivery = delivery_of(deliver(unknown))

    assert delivery.status == Status.IGNORED
    _assert_no_content(delivery, b64(sample_pdf(1500)))
    assert _prescription_file(delivery) == {
        "filename": "prescription_001.pdf",
        "content_discarded": True,
    }
    assert delivery.document_sha256 == ""
    assert not PrescriptionDocument.objects.exists()
    assert files_under(settings.MEDIA_ROOT) == []


def test_a_body_that_is_not_json_keeps_no_pdf_content(deliver, settings):
    content = b64(sample_pdf(1200))
    # a truncated body: the JSON never closes
    broken = (
        '{"event_type": "pharmacy_order_created", "data": {"prescription_file": '
        f'{{"content_base64": "{content}"}}'
    )

    response = deliver(broken.encode())

    assert response.status_code == 400
    delivery = delivery_of(response)
    assert delivery.status == Status.INVALID
    assert "not valid JSON" in delivery.error
    _assert_no_content(delivery, content)
    assert b'"content_discarded":true' in stored_body(delivery)
    assert files_under(settings.MEDIA_ROOT) == []


# --- Content that is not a PDF: recorded, never stored ------------------------------------


@pytest.mark.parametrize(
    ("content_base64", "problem"),
    [
        ("JVBERi0xLjQK...", NOT_BASE64),
        ("JVBER", NOT_BASE64),
        ("%PDF-1.4 not encoded", NOT_BASE64),
        (b64(b"GIF89a not a pdf"), NOT_A_PDF),
        (b64(b"%PD"), NOT_A_PDF),
        # padding in the middle: each half alone is valid base64, the whole is not
        (b64(sample_pdf(3 * 262_144 - 1)) + b64(b"abc"), NOT_BASE64),
    ],
    ids=["truncated", "bad-padding", "raw-pdf", "gif", "too-short", "padding-mid-slice"],
)
def test_bad_content_is_not_stored_and_the_problem_is_shown_on_the_order(
    deliver, payload, settings, content_base64, problem
):
    # given an order whose PDF is not valid base64, or decodes to something else
    body = payload("pharmacy_order_created")
    body["data"]["prescription_file"]["content_base64"] = content_base64

    # when it is delivered
    delivery = delivery_of(deliver(body))

    # then the order is stored with the problem, the body records it instead of the content
    assert delivery.status == Status.PROCESSED, delivery.error
    order = PharmacyOrder.objects.get()
    assert order.prescription_problem == problem
    assert order.current_prescription is None
    assert problem in delivery.warnings
    _assert_no_content(delivery, content_base64)
    assert _prescription_file(delivery)["content_problem"] == problem
    assert delivery.document_sha256 == ""
    assert not PrescriptionDocument.objects.exists()
    assert files_under(settings.MEDIA_ROOT) == []


def test_a_good_pdf_after_a_bad_one_clears_the_problem(deliver, payload):
    bad = payload("pharmacy_order_created")
    bad["data"]["prescription_file"]["content_base64"] = b64(b"not a pdf")
    deliver(bad)
    assert PharmacyOrder.objects.get().prescription_problem == NOT_A_PDF

    deliver(payload("pharmacy_order_updated"))

    order = PharmacyOrder.objects.get()
    assert order.prescription_problem == ""
    assert order.current_prescription.sha256 == _sha(sample_pdf())


# --- Bodies the fast path is not sure about: a full parse, the same outcome ---------------


def test_an_escaped_slash_inside_the_base64_still_stores_the_pdf(deliver, payload, settings):
    # given a PDF whose base64 has "/" in it, sent JSON-escaped as "\/" (as PHP does)
    pdf = sample_pdf(900) + bytes(range(256)) * 4
    content = b64(pdf)
    assert "/" in content
    raw = body_of(payload("pharmacy_order_created", pdf=pdf)).replace(b"/", b"\\/")
    assert content.replace("/", "\\/").encode() in raw

    # when it is delivered
    delivery = delivery_of(deliver(raw))

    # then the PDF is stored and the body keeps neither spelling of it
    assert delivery.status == Status.PROCESSED, delivery.error
    _assert_no_content(delivery, content)
    assert _prescription_file(delivery)["content_sha256"] == _sha(pdf)
    assert PharmacyOrder.objects.get().current_prescription.sha256 == _sha(pdf)
    assert [p.read_bytes() for p in files_under(settings.MEDIA_ROOT)] == [pdf]


def test_an_escaped_bad_value_still_records_the_problem(deliver, payload):
    body = payload("pharmacy_order_created")
    body["data"]["prescription_file"]["content_base64"] = "JVBE\nRi0x"

    delivery = delivery_of(deliver(body))

    assert PharmacyOrder.objects.get().prescription_problem == NOT_BASE64
    assert b"JVBE" not in stored_body(delivery)


def test_a_decoy_content_base64_elsewhere_does_not_confuse_intake(deliver, payload, settings):
    # given "content_base64" also appearing before the real one, outside the prescription
    pdf = sample_pdf(2500)
    body = {"content_base64": "RGVjb3k=", **payload("pharmacy_order_created", pdf=pdf)}
    body["data"]["data"] = {"note": 'a "content_base64": "QUJD" inside text'}

    # when it is delivered
    delivery = delivery_of(deliver(body))

    # then the real PDF is stored and referenced, and the decoys are kept as they came
    assert delivery.status == Status.PROCESSED, delivery.error
    assert b64(pdf).encode() not in stored_body(delivery)
    stored = json.loads(stored_body(delivery))
    assert stored["content_base64"] == "RGVjb3k="
    assert stored["data"]["data"] == body["data"]["data"]
    assert stored["data"]["prescription_file"]["content_sha256"] == _sha(pdf)
    assert [p.read_bytes() for p in files_under(settings.MEDIA_ROOT)] == [pdf]


def test_a_body_claiming_a_reference_beside_its_content_gets_the_real_hash(deliver, payload):
    pdf = sample_pdf(1800)
    body = payload("pharmacy_order_created", pdf=pdf)
    body["data"]["prescription_file"]["content_sha256"] = "0" * 64

    delivery = delivery_of(deliver(body))

    assert _prescription_file(delivery)["content_sha256"] == _sha(pdf)
    assert PharmacyOrder.objects.get().current_prescription.sha256 == _sha(pdf)


def test_pretty_printed_bodies_keep_their_layout_except_for_the_pdf(deliver, payload):
    pdf = sample_pdf(1000)
    raw = json.dumps(payload("pharmacy_order_created", pdf=pdf), indent=2).encode()

    delivery = delivery_of(deliver(raw))

    stored = stored_body(delivery)
    assert stored == raw.replace(
        f'"content_base64": "{b64(pdf)}"'.encode(), f'"content_sha256":"{_sha(pdf)}"'.encode()
    )


# --- Storage failing at intake ------------------------------------------------------------


def test_storage_failing_at_intake_answers_503_stores_nothing_and_the_retry_succeeds(
    deliver, payload, broken_storage, settings
):
    # given storage that cannot take the PDF
    pdf = sample_pdf(4000)
    body = payload("pharmacy_order_created", pdf=pdf)

    # when the order arrives
    response = deliver(body)

    # then RxScale is told to retry and nothing is stored
    assert response.status_code == 503
    assert "storage" in answer(response)["error"].lower()
    assert not WebhookDelivery.objects.exists()
    assert not PrescriptionDocument.objects.exists()
    assert not PharmacyOrder.objects.exists()

    # when storage is back and RxScale retries the same body
    broken_storage.unlink()
    retry = deliver(body)

    # then it is stored and processed as if nothing had happened
    assert retry.status_code == 200
    delivery = delivery_of(retry)
    assert "duplicate" not in answer(retry)
    assert delivery.status == Status.PROCESSED
    assert PharmacyOrder.objects.get().current_prescription.sha256 == _sha(pdf)
    assert [p.read_bytes() for p in files_under(settings.MEDIA_ROOT)] == [pdf]


def test_storage_failing_does_not_touch_deliveries_without_a_pdf(deliver, payload, broken_storage):
    stock = deliver(payload("pharmacy_sku_stock_updated"))

    assert stock.status_code == 200
    assert delivery_of(stock).status == Status.PROCESSED


def test_a_file_under_the_name_with_the_wrong_size_is_not_trusted(deliver, payload, settings):
    # given a truncated file under the PDF's name (a crash mid-write), with no document row
    pdf = sample_pdf(6000)
    name = f"prescriptions/{_sha(pdf)[:2]}/{_sha(pdf)}.pdf"
    partial = Path(settings.MEDIA_ROOT) / name
    partial.parent.mkdir(parents=True)
    partial.write_bytes(pdf[:100])

    # when the PDF arrives
    deliver(payload("pharmacy_order_created", pdf=pdf))

    # then the document is a whole copy
    document = PharmacyOrder.objects.get().current_prescription
    assert Path(document.file.path).read_bytes() == pdf
