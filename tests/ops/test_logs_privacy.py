"""The logs of a whole run carry ids, never PDF content or patient data; every line is JSON.

One flow through the real paths, capturing every log record at DEBUG: an order with a PDF and
a patient arrives by signed webhook over HTTP and is processed; a pharmacist opens the PDF
and moves the order on; the worker sends that to the RxScale stand-in; one delivery fails
validation and another crashes on a database fault (tracebacks logged); the catch-up sync
reads the order back, patient and PDF included, from the stand-in's API. Then every record,
as the JSON formatter and the plain formatter write it, is searched for the patient's data and
the PDF.
"""

import base64
import json
import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from common.log_format import JsonFormatter, SingleLineFormatter
from rxscale.inbox.models import WebhookDelivery
from rxscale.inbox.samples import build_payload, sample_pdf
from rxscale.outbox.models import OutboundCommand
from rxscale.standin import RxScaleStandin
from tests.faults import fault_on_insert
from tests.rxscale.conftest import API_KEY
from tests.rxscale.outbox_helpers import UID, act, connect, post, send_all

pytestmark = pytest.mark.django_db

NAME, EMAIL, PHONE = "Zenobia Quillfeather", "zenobia.q@patient-mail.example", "+49 171 9876543"
STREET, BIRTH = "Wunderlichgasse", "03.04.1951"
PDF = sample_pdf(40_000).replace(b"% padding", b"% RXSECRETBYTES", 1)
SAMPLE = build_payload("pharmacy_order_created")["data"]  # the seed's patient, used by fixtures


def _order(uid: str, **changes) -> dict:
    body = build_payload("pharmacy_order_created", uid=uid, status="waiting for pharmacy", pdf=PDF)
    data = body["data"]
    data["patient_data"].update(display_name=NAME, email=EMAIL, phone_number=PHONE)
    data["patient_data"]["date_of_birth"] = BIRTH
    for address in ("delivery_address", "invoice_address"):
        data["order"][address].update(first_name="Zenobia", last_name="Quillfeather")
        data["order"][address]["street"] = STREET
    data.update(changes)
    return body


@pytest.fixture
def standin(settings):
    with RxScaleStandin(api_key=API_KEY) as running:
        connect(settings, running)
        settings.RXSCALE_SYNC_REQUESTS_PER_SECOND = 0
        yield running


def _forbidden() -> dict[str, str]:
    encoded = base64.b64encode(PDF).decode()
    sample_patient = SAMPLE["patient_data"]
    return {
        "patient name": NAME,
        "first name": "Zenobia",
        "last name": "Quillfeather",
        "email": EMAIL,
        "phone": PHONE,
        "street": STREET,
        "date of birth": BIRTH,
        "PDF base64 (start)": encoded[:40],
        "PDF base64 (middle)": encoded[len(encoded) // 2 : len(encoded) // 2 + 40],
        "PDF bytes": "RXSECRETBYTES",
        "PDF object text": "/Type/Catalog",
        "seed patient name": sample_patient["display_name"],
        "seed patient email": sample_patient["email"],
        "seed patient phone": sample_patient["phone_number"],
    }


def test_a_whole_run_logs_ids_and_never_patient_data_or_pdf_content(standin, caplog, pharmacist):
    caplog.set_level(logging.DEBUG)
    web = Client()

    # an order with PDF and patient, known to RxScale, arrives by webhook and is processed
    created = _order(UID)
    standin.store.put_order(json.loads(json.dumps(created["data"])), notify=False)
    created["data"]["updated_at"] = standin.store.order(UID)["updated_at"]
    post(web, created)
    # a pharmacist opens the PDF and starts the review; the worker tells RxScale
    web.force_login(pharmacist)
    assert web.get(f"/orders/{UID}/prescription").status_code == 200
    assert act(web, "review", "waiting for pharmacy").status_code == 302
    send_all()
    assert OutboundCommand.objects.get().status == OutboundCommand.Status.SENT
    # an update that fails validation, and a new order whose write the database refuses
    post(web, _order(UID, updated_at="not a time"))
    with fault_on_insert("pharmacy_orders_pharmacyorder"):
        post(web, _order("po-log-crash"))
    assert WebhookDelivery.objects.filter(status="failed").count() == 2
    # the catch-up sync reads the order back from RxScale, patient and PDF included
    call_command("rxscale_sync", stdout=StringIO())

    records = caplog.records
    json_lines = [JsonFormatter().format(record) for record in records]
    plain = SingleLineFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    plain_lines = [plain.format(record) for record in records]

    # the capture saw the flow, with the ids as fields
    entries = [json.loads(line) for line in json_lines]
    assert all("\n" not in line for line in json_lines + plain_lines)
    assert any(e.get("delivery_id") and e.get("order_uid") == UID for e in entries)
    assert any(e.get("command_id") and e.get("order_uid") == UID for e in entries)
    assert any(e.get("sync_run_id") for e in entries)
    assert any("exception" in e and e.get("delivery_id") for e in entries)
    # and nothing in it is the patient's or the PDF's
    everything = "\n".join([*json_lines, *plain_lines, caplog.text])
    leaked = {what: value for what, value in _forbidden().items() if value in everything}
    assert not leaked, f"found in the logs: {sorted(leaked)}"
