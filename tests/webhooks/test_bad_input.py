"""Bad input, each with its expected answer. A 500 is never acceptable.

Signed bodies that are not a JSON object: 400 and stored `invalid`. Parseable ones: 200; then
processing marks them `failed` with field-level errors where a wrong value can harm
(identifiers, timestamps, unit counts), or applies them with a warning (tolerant reader), or
records a problem and goes on (prescription files). NUL characters matter because PostgreSQL
refuses them in text and jsonb.
"""

import json
from pathlib import Path

import pytest

from inventory.models import PharmacySku, Product, Sku, StockLedgerEntry
from pharmacy_orders.models import OrderPrescription, Pharmacy, PharmacyOrder, PrescriptionDocument
from rxscale.inbox.samples import sample_pdf
from rxscale.models import WebhookDelivery
from tests.webhooks.helpers import Status, answer, b64, delivery_of, files_under

DOMAIN_MODELS = [PharmacyOrder, Pharmacy, Sku, Product, PharmacySku, StockLedgerEntry]


def _assert_no_domain_writes() -> None:
    for model in DOMAIN_MODELS:
        assert not model.objects.exists(), model.__name__


def _assert_invalid(response, error_fragment: str) -> WebhookDelivery:
    """400 with a clear error, stored once as invalid with its raw bytes, nothing applied."""
    assert response.status_code == 400
    body = answer(response)
    assert body["status"] == Status.INVALID
    assert error_fragment in body["error"]
    delivery = delivery_of(response)
    assert delivery.status == Status.INVALID
    assert error_fragment in delivery.error
    assert delivery.attempts == 0
    _assert_no_domain_writes()
    return delivery


def _assert_failed(response, *error_path: str) -> WebhookDelivery:
    """200 (stored), then failed with a field-level error at `error_path`, nothing applied."""
    assert response.status_code == 200, response.content
    delivery = delivery_of(response)
    assert delivery.status == Status.FAILED, (delivery.status, delivery.error)
    assert delivery.error == "Payload failed validation."
    assert delivery.traceback == ""
    node = delivery.error_details
    for key in error_path:
        assert key in node, (key, delivery.error_details)
        node = node[key]
    assert node, delivery.error_details
    _assert_no_domain_writes()
    return delivery


# --- Not a JSON object: 400, stored invalid ------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(b'{"event_type": "pharmacy_order_created", ', "not valid JSON", id="broken"),
        pytest.param(b"", "not valid JSON", id="empty"),
        pytest.param(b"   ", "not valid JSON", id="whitespace"),
        pytest.param(b"[1, 2, 3]", "must be a JSON object, not list", id="array"),
        pytest.param(b'"pharmacy_order_created"', "must be a JSON object, not str", id="string"),
        pytest.param(b"42", "must be a JSON object, not int", id="number"),
        pytest.param(b"null", "must be a JSON object, not NoneType", id="null"),
        pytest.param(b'{"a": NaN}', "not valid JSON", id="nan"),
        pytest.param(b'{"a": Infinity}', "not valid JSON", id="infinity"),
        pytest.param(b'{"a": 1} trailing', "not valid JSON", id="trailing-garbage"),
        pytest.param(b'{"event_type": "x\x00"}', "not valid JSON", id="raw-nul-in-string"),
        pytest.param(b'\x00{"event_type": "x"}', "not valid JSON", id="raw-nul-outside"),
        pytest.param(b'{"name": "M\xfcller"}', "not UTF-8", id="latin-1"),
        pytest.param(b"\xff\xfe{\x00}\x00", "not UTF-8", id="utf-16-bom"),
        pytest.param(b'\xef\xbb\xbf{"a": 1}', "not valid JSON", id="utf-8-bom"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "nested too deeply", id="deeply-nested"),
        pytest.param(
            b'{"event_type": "pharmacy_sku_stock_updated", "n": ' + b"9" * 5000 + b"}",
            "not valid JSON",
            id="5000-digit-int",
        ),
    ],
)
def test_a_signed_body_that_is_not_a_json_object_is_stored_invalid_and_answered_400(
    deliver, body, error
):
    # given a correctly signed body that is not a JSON object
    # when it is delivered
    response = deliver(body)

    # then it is stored as invalid, byte for byte, and answered 400 with the reason
    delivery = _assert_invalid(response, error)
    assert bytes(delivery.body) == body
    assert delivery.event_type == ""


def test_an_invalid_body_repeated_is_still_one_row(deliver):
    deliver(b"[1]")
    response = deliver(b"[1]")

    assert response.status_code == 400
    assert answer(response)["duplicate"] is True
    assert WebhookDelivery.objects.count() == 1


# --- NUL characters (\u0000) in parseable JSON: never a 500 on PostgreSQL ------------------
# Tolerant reader: in text and free-form JSON a NUL becomes U+FFFD with a warning and the
# delivery applies; in identifiers (uids, PZN, keys of our history) it is a field error.


def _with(payload_dict: dict, path: str, value) -> dict:
    node = payload_dict
    *parents, last = path.split(".")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
    return payload_dict


@pytest.mark.parametrize(
    ("event_type", "path", "value", "error_path"),
    [
        ("pharmacy_order_created", "data.uid", "po-\x00", ("data", "uid")),
        (
            "pharmacy_order_created",
            "data.order_items.0.sku.pzn",
            "1234\x00",
            ("data", "order_items", "0", "sku", "pzn"),
        ),
        (
            "pharmacy_order_created",
            "data.shop_shipping_methods.0.pharmacy_mapping.pharmacy_uid",
            "ph\x00",
            ("data", "shop_shipping_methods", "0", "pharmacy_mapping", "pharmacy_uid"),
        ),
        ("pharmacy_sku_stock_updated", "data.sku_uid", "sku-\x00", ("data", "sku_uid")),
        (
            "patient_doctor_meeting_updated",
            "data.change",
            "confirmed\x00",
            ("data", "change"),
        ),
    ],
)
def test_nul_in_an_identifier_fails_validation_with_field_errors(
    deliver, payload, event_type, path, value, error_path
):
    # given a seed payload with \u0000 in an identifier
    body = _with(payload(event_type, level="organisation"), path, value)

    # when it is delivered
    response = deliver(body)

    # then it is stored (200) and failed with an error on that field; nothing is applied
    delivery = _assert_failed(response, *error_path)
    assert "\\u0000" not in json.dumps(delivery.error_details)


@pytest.mark.parametrize(
    ("event_type", "path", "value", "warned_at"),
    [
        ("pharmacy_order_created", "data.name", "#10\x0001", "name"),
        ("pharmacy_order_created", "data.status", "init\x00", "status"),
        ("pharmacy_order_created", "data.data", {"note": "a\x00b"}, "data"),
        ("pharmacy_order_created", "data.data", {"k\x00": 1}, "data"),
        ("pharmacy_order_created", "data.data", [[["\x00"]]], "data"),
        (
            "pharmacy_order_created",
            "data.patient_data.display_name",
            "Max\x00",
            "patient_data.display_name",
        ),
        (
            "pharmacy_order_created",
            "data.order.delivery_address.street",
            "Haupt\x00str.",
            "order.delivery_address.street",
        ),
        (
            "pharmacy_order_created",
            "data.prescription_file.filename",
            "rx\x00.pdf",
            "prescription_file.filename",
        ),
        ("pharmacy_sku_stock_updated", "data.type", "default\x00", "type"),
        ("pharmacy_sku_stock_updated", "payload_version", "1\x00", "payload_version"),
        (
            "prescription.doctor_changed",
            "data.prescription.patient_data",
            {"first_name": "\x00"},
            "data.prescription.patient_data",
        ),
        (
            "prescription.doctor_changed",
            "data.prescription.doctor.last_name",
            "Schneider\x00",
            "data.prescription.doctor.last_name",
        ),
    ],
)
def test_nul_in_text_is_replaced_with_a_warning_and_the_delivery_applies(
    deliver, payload, event_type, path, value, warned_at
):
    # given a seed payload with \u0000 in text or free-form JSON (no identifier)
    body = _with(payload(event_type, level="organisation"), path, value)

    # when it is delivered
    delivery = delivery_of(deliver(body))

    # then it is applied, with a warning naming the field; no NUL is stored anywhere
    assert delivery.status == Status.PROCESSED, (delivery.error, delivery.error_details)
    assert any(warning.startswith(f"{warned_at} ") for warning in delivery.warnings), (
        delivery.warnings
    )
    assert not any("\x00" in warning for warning in delivery.warnings)
    for order in PharmacyOrder.objects.all():
        assert order.payload_warnings and set(order.payload_warnings) <= set(delivery.warnings)
        stored = json.dumps([order.name, order.status, order.custom_data, order.delivery_address])
        assert "\\u0000" not in stored


def test_nul_in_the_event_type_is_stored_ignored(deliver, payload):
    # given an event type with \u0000 in it (no handler can match it)
    body = payload("pharmacy_order_created")
    body["event_type"] = "pharmacy_order_created\x00"

    # when it is delivered
    response = deliver(body)

    # then it is stored ignored, with the NUL replaced in the stored type
    assert response.status_code == 200
    delivery = delivery_of(response)
    assert delivery.status == Status.IGNORED
    assert delivery.event_type == "pharmacy_order_created\N{REPLACEMENT CHARACTER}"
    _assert_no_domain_writes()


def test_nul_in_the_envelope_event_fails_validation(deliver, payload):
    body = payload("prescription.doctor_changed", level="organisation")
    body["event"] = "doctor\x00changed"

    delivery = _assert_failed(deliver(body), "event")
    assert delivery.event_type == "prescription.doctor\N{REPLACEMENT CHARACTER}changed"


def test_nul_in_an_unknown_field_and_in_headers_is_harmless(deliver, payload):
    # given \u0000 in a key and value the handler does not read, and in a header
    body = payload("pharmacy_sku_stock_updated")
    body["data"]["extra\x00"] = "value\x00"
    body["\x00"] = {"\x00": "\x00"}

    # when it is delivered
    response = deliver(body, headers={"X-Request-Note": "a\x00b"})

    # then it is processed; the stored headers hold no NUL; the undocumented field is named
    # in a warning (NUL replaced, as in its stored path); the envelope's own are not read
    assert response.status_code == 200
    delivery = delivery_of(response)
    assert delivery.status == Status.PROCESSED, delivery.error
    assert "\\u0000" not in json.dumps(delivery.headers, ensure_ascii=False)
    pharmacy_sku = PharmacySku.objects.get()
    assert pharmacy_sku.stock == 45
    assert delivery.warnings == [
        "Undocumented field, stored but not used: extra\N{REPLACEMENT CHARACTER}."
    ]
    assert pharmacy_sku.payload_warnings == delivery.warnings


# --- Wrong types and huge numbers: failed with field-level errors --------------------------
# Only where a wrong value can harm: identifiers, timestamps, unit counts, the status's
# presence, the shape of objects. Other wrong values are stored with a warning (below, and
# tests/webhooks/test_tolerant_reader.py).


@pytest.mark.parametrize(
    ("event_type", "path", "value", "error_path"),
    [
        ("pharmacy_order_created", "data.order_items.0.amount", "1", ("data", "order_items", "0")),
        ("pharmacy_order_created", "data.order_items.0.amount", 1.5, ("data", "order_items", "0")),
        ("pharmacy_order_created", "data.order_items.0.amount", True, ("data", "order_items", "0")),
        ("pharmacy_order_created", "data.updated_at", 1711899000.0, ("data", "updated_at")),
        ("pharmacy_order_created", "data.updated_at", "1711899000", ("data", "updated_at")),
        ("pharmacy_order_created", "data.updated_at", None, ("data", "updated_at")),
        ("pharmacy_order_created", "data.updated_at", -1, ("data", "updated_at")),
        ("pharmacy_order_created", "data.updated_at", 2**40, ("data", "updated_at")),
        ("pharmacy_order_created", "data.status", None, ("data", "status")),
        ("pharmacy_order_created", "data.status", ["init"], ("data", "status")),
        ("pharmacy_order_created", "data.order_items.0.sku.uid", 456, ("data", "order_items", "0")),
        ("pharmacy_order_created", "data.uid", "p" * 65, ("data", "uid")),
        ("pharmacy_order_created", "data.order_items", {"uid": "x"}, ("data", "order_items")),
        ("pharmacy_order_created", "data.order_items.0.sku", None, ("data", "order_items", "0")),
        ("pharmacy_order_created", "data.fulfillment.items", "x", ("data", "fulfillment")),
        ("pharmacy_order_created", "timestamp", "yesterday", ("timestamp",)),
        ("pharmacy_order_created", "data.uid", "po/1", ("data", "uid")),
        (
            "pharmacy_order_created",
            "data.order_items.0.pharmacy_sku.uid",
            "../psku",
            ("data", "order_items", "0", "pharmacy_sku", "uid"),
        ),
        ("pharmacy_sku_stock_updated", "data.uid", "psku/../1", ("data", "uid")),
        ("pharmacy_sku_stock_updated", "data.stock", "45", ("data", "stock")),
        ("pharmacy_sku_stock_updated", "data.stock", True, ("data", "stock")),
        ("pharmacy_sku_stock_updated", "data.stock", 2**70, ("data", "stock")),
        ("pharmacy_sku_stock_updated", "data.stock", -(2**70), ("data", "stock")),
        ("pharmacy_sku_stock_updated", "data.stock", 1e300, ("data", "stock")),
        ("pharmacy_sku_stock_updated", "data.stock", None, ("data", "stock")),
        ("pharmacy_sku_stock_updated", "data.reserved_amount", 7.0, ("data", "reserved_amount")),
        ("pharmacy_sku_stock_updated", "data.sku_uid", "sku-other", ("data", "sku_uid")),
        (
            "patient_doctor_meeting_updated",
            "data.estimated_duration_minutes",
            2**40,
            ("data", "estimated_duration_minutes"),
        ),
        ("patient_doctor_meeting_updated", "data.start_date", "tomorrow", ("data", "start_date")),
        (
            "prescription.doctor_changed",
            "data.prescription.created_at",
            "not a date",
            ("data", "prescription", "created_at"),
        ),
        ("prescription.doctor_changed", "data.prescription", None, ("data", "prescription")),
    ],
)
def test_wrong_types_and_out_of_range_numbers_fail_with_field_errors(
    deliver, payload, event_type, path, value, error_path
):
    # given a seed payload with one field of the wrong type or out of range
    body = _with(payload(event_type, level="organisation"), path, value)

    # when it is delivered, then it is stored, failed, with the error on that field
    _assert_failed(deliver(body), *error_path)


@pytest.mark.parametrize(
    ("event_type", "path", "value", "warned_at"),
    [
        ("pharmacy_order_created", "data.prepaid", True, "prepaid"),
        ("pharmacy_order_created", "data.prepaid", 2, "prepaid"),
        ("pharmacy_order_created", "data.status", "shipped", "status"),
        ("pharmacy_order_created", "data.name", "n" * 10_000, "name"),
        ("pharmacy_order_created", "data.order.priority", 2**70, "order.priority"),
        ("pharmacy_order_created", "data.order.priority", 1.5, "order.priority"),
        (
            "pharmacy_order_created",
            "data.order.shipping_costs_amount",
            2**70,
            "order.shipping_costs_amount",
        ),
        (
            "pharmacy_order_created",
            "data.patient_data.date_of_birth",
            "31.02.1990",
            "patient_data.date_of_birth",
        ),
        (
            "pharmacy_order_created",
            "data.patient_data.date_of_birth",
            19900615,
            "patient_data.date_of_birth",
        ),
        ("pharmacy_order_created", "data.patient_data.email", {"x": 1}, "patient_data.email"),
        ("pharmacy_sku_stock_updated", "data.price", 2**70, "price"),
        ("pharmacy_sku_stock_updated", "data.priority", "top", "priority"),
        (
            "pharmacy_sku_stock_updated",
            "data.sku.standard_selling_unit",
            10**20,
            "sku.standard_selling_unit",
        ),
    ],
)
def test_wrong_values_that_cannot_harm_are_stored_with_a_warning(
    deliver, payload, event_type, path, value, warned_at
):
    # given a seed payload with a value outside the documented set, where none can harm
    body = _with(payload(event_type, level="organisation"), path, value)

    # when it is delivered, then it is applied, with a warning naming the field
    delivery = delivery_of(deliver(body))
    assert delivery.status == Status.PROCESSED, (delivery.error, delivery.error_details)
    assert any(warning.startswith(f"{warned_at} ") for warning in delivery.warnings), (
        delivery.warnings
    )


@pytest.mark.parametrize(
    ("number", "error_path"),
    [
        (b"1e400", ("data", "stock")),
        (b"-1e400", ("data", "stock")),
        (b"9" * 4000, ("data", "stock")),
    ],
)
def test_numbers_beyond_any_column_fail_with_field_errors(deliver, payload, number, error_path):
    # given raw JSON numbers no database column can hold (1e400 parses to infinity)
    template = json.dumps(payload("pharmacy_sku_stock_updated")).encode()
    body = template.replace(b'"stock": 45', b'"stock": ' + number)
    assert body != template

    # when it is delivered, then it is stored, failed, with the error on that field
    _assert_failed(deliver(body), *error_path)


def test_huge_and_infinite_numbers_in_custom_data(deliver, payload):
    # given custom order data with a 4000-digit integer (storable JSON) ...
    template = json.dumps(payload("pharmacy_order_created")).encode()
    big = template.replace(b'"data": {}', b'"data": {"n": ' + b"7" * 4000 + b"}")

    # when it is delivered, then it is stored as it came
    delivery = delivery_of(deliver(big))
    assert delivery.status == Status.PROCESSED, delivery.error
    assert PharmacyOrder.objects.get().custom_data == {"n": int("7" * 4000)}

    # ... and with 1e400 (infinite: not representable in JSON columns): null, with a warning
    infinite = template.replace(b'"data": {}', b'"data": {"n": 1e400}').replace(
        b'"updated_at": 1711899000', b'"updated_at": 1711899001'
    )
    applied = delivery_of(deliver(infinite))
    assert applied.status == Status.PROCESSED, applied.error_details
    order = PharmacyOrder.objects.get()
    assert (order.rx_updated_at.timestamp(), order.custom_data) == (1711899001, {"n": None})
    assert [w for w in applied.warnings if w.startswith("data ")] == order.payload_warnings


@pytest.mark.parametrize("depth", [101, 500, 950])
def test_deep_nesting_the_parser_accepts_is_refused_before_it_can_exhaust_the_stack(
    deliver, payload, depth
):
    # given custom data nested deeper than any RxScale payload, but within what json.loads takes
    template = json.dumps(payload("pharmacy_order_created")).encode()
    body = template.replace(
        b'"data": {}', b'"data": {"deep": ' + b"[" * depth + b"]" * depth + b"}"
    )

    # when it is delivered
    response = deliver(body)

    # then it is refused as invalid with a clear reason (not a crash in validation later)
    _assert_invalid(response, "nested too deeply")


def test_nesting_within_the_limit_is_stored(deliver, payload):
    # given custom data nested 90 levels deep (the body's own levels bring it to ~92)
    template = json.dumps(payload("pharmacy_order_created")).encode()
    body = template.replace(b'"data": {}', b'"data": {"deep": ' + b"[" * 90 + b"]" * 90 + b"}")

    # when it is delivered, then it is applied
    delivery = delivery_of(deliver(body))

    assert delivery.status == Status.PROCESSED, delivery.error
    custom = PharmacyOrder.objects.get().custom_data["deep"]
    for _ in range(89):
        [custom] = custom
    assert custom == []


# --- Missing or misshapen parts ------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "error_path"),
    [
        (lambda body: body.pop("data"), ("data",)),
        (lambda body: body.update(data=None), ("data",)),
        (lambda body: body.update(data=[]), ("data",)),
        (lambda body: body.update(data="x"), ("data",)),
        (lambda body: body.pop("timestamp"), ("timestamp",)),
        (lambda body: body["data"].pop("uid"), ("data", "uid")),
        (lambda body: body["data"].pop("updated_at"), ("data", "updated_at")),
        (lambda body: body["data"].pop("status"), ("data", "status")),
        (lambda body: body["data"]["order_items"].append({}), ("data", "order_items")),
    ],
)
def test_missing_parts_of_an_order_event_fail_with_field_errors(
    deliver, payload, change, error_path
):
    body = payload("pharmacy_order_created")
    change(body)

    _assert_failed(deliver(body), *error_path)


def test_a_prescription_envelope_without_data_fails_with_field_errors(deliver):
    _assert_failed(deliver({"category": "prescription", "event": "signed"}), "data")


def test_duplicate_order_item_uids_fail_with_field_errors(deliver, payload):
    body = payload("pharmacy_order_created")
    body["data"]["order_items"].append(body["data"]["order_items"][0])

    _assert_failed(deliver(body), "data", "order_items")


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
    _assert_no_domain_writes()


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
