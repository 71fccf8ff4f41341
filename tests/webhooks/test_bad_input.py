"""Bad input that is not JSON, or carries NUL characters. A 500 is never acceptable.

Signed bodies that are not a JSON object: 400 and stored `invalid`. NUL characters matter
because PostgreSQL refuses them in text and jsonb.
"""

import json

import pytest

from inventory.models import PharmacySku
from pharmacy_orders.models import PharmacyOrder
from rxscale.models import WebhookDelivery
from tests.webhooks.bad_input import (
    assert_failed,
    assert_invalid,
    assert_no_domain_writes,
    with_value,
)
from tests.webhooks.helpers import Status, answer, delivery_of

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
    delivery = assert_invalid(response, error)
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
    body = with_value(payload(event_type, level="organisation"), path, value)

    # when it is delivered
    response = deliver(body)

    # then it is stored (200) and failed with an error on that field; nothing is applied
    delivery = assert_failed(response, *error_path)
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
    body = with_value(payload(event_type, level="organisation"), path, value)

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
    assert_no_domain_writes()


def test_nul_in_the_envelope_event_fails_validation(deliver, payload):
    body = payload("prescription.doctor_changed", level="organisation")
    body["event"] = "doctor\x00changed"

    delivery = assert_failed(deliver(body), "event")
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
