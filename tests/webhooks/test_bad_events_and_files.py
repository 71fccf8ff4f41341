"""Unknown events (stored ignored), bad prescription files (a problem recorded, the order
kept), hostile file names and markup (stored verbatim, files kept inside MEDIA_ROOT).
"""

from pathlib import Path

import pytest

from inventory.models import Sku
from pharmacy_orders.models import OrderPrescription, PharmacyOrder, PrescriptionDocument
from rxscale.inbox.samples import sample_pdf
from tests.webhooks.bad_input import assert_no_domain_writes
from tests.webhooks.helpers import Status, answer, b64, delivery_of, files_under

# --- Unknown events: stored ignored, 200 -------------------------------------------------


@pytest.mark.parametrize(
    ("body", "event_type"),
    [
        pytest.param(
            {"event_type": "pharmacy_order_shipped", "timestamp": 1711900000, "data": {}},
            "pharmacy_order_shipped",
            id="unknown-type",
        ),
        pytest.param(
            {"event_type": "test", "timestamp": 1711900000, "data": {"message": "Hello"}},
            "test",
            id="rxscale-setup-test-event",
        ),
        pytest.param({"message": "webhook test"}, "", id="setup-test-without-type"),
        pytest.param({"event_type": 42, "data": {}}, "", id="non-string-type"),
        pytest.param({"event_type": None, "data": {}}, "", id="null-type"),
        pytest.param({"category": "order", "event": "created", "data": {}}, "order.created"),
        pytest.param({"category": "prescription", "event": 5, "data": {}}, "", id="bad-event"),
    ],
)
def test_unknown_event_types_are_stored_ignored_and_answered_200(deliver, body, event_type):
    # given a signed, parseable delivery we have no handler for
    # when it is delivered (a real sender's header is always text)
    response = deliver(body, headers={"X-Webhook-Event": str(body.get("event_type"))})

    # then RxScale gets its 200 and the row stays for people to look at
    assert response.status_code == 200
    assert answer(response)["status"] == Status.IGNORED
    delivery = delivery_of(response)
    assert (delivery.status, delivery.event_type, delivery.attempts) == (
        Status.IGNORED,
        event_type,
        0,
    )
    assert_no_domain_writes()


def test_a_very_long_event_type_is_cut_and_ignored(deliver):
    response = deliver({"event_type": "x" * 5000, "data": {}})

    assert response.status_code == 200
    assert delivery_of(response).event_type == "x" * 100


# --- Prescription files: problems are recorded, the order is kept ------------------------


@pytest.mark.parametrize(
    ("content_base64", "problem"),
    [
        ("JVBERi0xLjQK...", "not valid base64"),
        ("%%%%", "not valid base64"),
        ("JVBER", "not valid base64"),  # bad padding
        (b64(b"GIF89a not a pdf"), "not a PDF"),
        (b64(b"<html><script>alert(1)</script></html>"), "not a PDF"),
        (b64(b"PK\x03\x04 zip"), "not a PDF"),
        ("", "has no content"),
        (None, "has no content"),
    ],
)
def test_bad_prescription_content_is_recorded_and_the_order_is_kept(
    deliver, payload, settings, content_base64, problem
):
    # given an order whose PDF is not valid base64, or decodes to something else
    body = payload("pharmacy_order_created")
    body["data"]["prescription_file"]["content_base64"] = content_base64

    # when it is delivered
    delivery = delivery_of(deliver(body))

    # then the order is stored without a document and the problem is recorded on both
    assert delivery.status == Status.PROCESSED, delivery.error
    order = PharmacyOrder.objects.get()
    assert problem in order.prescription_problem
    assert order.current_prescription is None
    assert delivery.warnings == [order.prescription_problem]
    assert not PrescriptionDocument.objects.exists()
    assert files_under(settings.MEDIA_ROOT) == []


def test_a_good_pdf_after_a_bad_one_clears_the_problem(deliver, payload):
    bad = payload("pharmacy_order_created")
    bad["data"]["prescription_file"]["content_base64"] = b64(b"not a pdf")
    deliver(bad)
    assert PharmacyOrder.objects.get().prescription_problem

    deliver(payload("pharmacy_order_updated"))

    order = PharmacyOrder.objects.get()
    assert order.prescription_problem == ""
    assert order.current_prescription is not None


@pytest.mark.parametrize(
    ("filename", "stored_name"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("..\\..\\x.pdf", "x.pdf"),
        ("/etc/shadow.pdf", "shadow.pdf"),
        ("....//....//x.pdf", "x.pdf"),
        ("<script>alert(1)</script>.pdf", "script.pdf"),
        ("..", "prescription.pdf"),
        ("", "prescription.pdf"),
        (None, "prescription.pdf"),
        ("Rezept Müller.PDF", "Rezept_Müller.pdf"),
    ],
)
def test_filenames_are_sanitised_and_the_file_stays_inside_media_root(
    deliver, payload, settings, tmp_path, filename, stored_name
):
    # given an order whose PDF carries a hostile or empty filename
    pdf = sample_pdf(700)
    body = payload("pharmacy_order_created", pdf=pdf)
    body["data"]["prescription_file"]["filename"] = filename

    # when it is delivered
    delivery = delivery_of(deliver(body))

    # then the name is sanitised and the only file written is inside MEDIA_ROOT
    assert delivery.status == Status.PROCESSED, delivery.error
    link = OrderPrescription.objects.get()
    assert link.filename == stored_name
    assert "/" not in link.filename and "\\" not in link.filename
    media_root = Path(settings.MEDIA_ROOT).resolve()
    [stored] = files_under(tmp_path)
    assert stored.resolve().is_relative_to(media_root)
    assert stored.resolve() == Path(link.document.file.path).resolve()
    assert stored.read_bytes() == pdf


def test_markup_in_names_is_stored_verbatim(deliver, payload):
    # given names with markup (escaping is the UI's job, not the intake's)
    script = "<script>alert('x')</script>"
    body = payload("pharmacy_order_created")
    body["data"]["name"] = "#<b>1001</b>"
    body["data"]["patient_data"]["display_name"] = script
    body["data"]["order"]["delivery_address"]["street"] = script
    body["data"]["order_items"][0]["sku"]["display_name"] = script

    # when it is delivered
    delivery = delivery_of(deliver(body))

    # then the text is stored exactly as sent
    assert delivery.status == Status.PROCESSED, delivery.error
    order = PharmacyOrder.objects.get()
    assert order.name == "#<b>1001</b>"
    assert order.patient_name == script
    assert order.delivery_address["street"] == script
    assert Sku.objects.get().display_name == script


def test_unicode_beyond_the_bmp_is_stored_verbatim(deliver, payload):
    body = payload("pharmacy_order_created")
    body["data"]["patient_data"]["display_name"] = "Zoë 👩‍⚕️ Ünal"

    delivery = delivery_of(deliver(body))

    assert delivery.status == Status.PROCESSED, delivery.error
    assert PharmacyOrder.objects.get().patient_name == "Zoë 👩‍⚕️ Ünal"


def test_unknown_extra_fields_are_kept_with_a_warning(deliver, payload):
    body = payload("pharmacy_order_created")
    body["data"]["brand_new_field"] = {"nested": [1, 2, 3]}
    body["brand_new_envelope_field"] = True

    delivery = delivery_of(deliver(body))

    assert delivery.status == Status.PROCESSED, delivery.error
    order = PharmacyOrder.objects.get()
    assert (order.status, order.rx_extra) == ("init", {"brand_new_field": {"nested": [1, 2, 3]}})
    assert delivery.warnings == ["Undocumented field, stored but not used: brand_new_field."]
