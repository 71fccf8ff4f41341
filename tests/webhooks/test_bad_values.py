"""Wrong types, huge numbers, deep nesting and missing parts: 200, then `failed` with
field-level errors where a wrong value can harm (identifiers, timestamps, unit counts), or
applied with a warning (tolerant reader). A 500 is never acceptable.
"""

import json

import pytest

from pharmacy_orders.models import PharmacyOrder
from tests.webhooks.bad_input import assert_failed, assert_invalid, with_value
from tests.webhooks.helpers import Status, delivery_of

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
    body = with_value(payload(event_type, level="organisation"), path, value)

    # when it is delivered, then it is stored, failed, with the error on that field
    assert_failed(deliver(body), *error_path)


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
    body = with_value(payload(event_type, level="organisation"), path, value)

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
    assert_failed(deliver(body), *error_path)


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
    assert_invalid(response, "nested too deeply")


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

    assert_failed(deliver(body), *error_path)


def test_a_prescription_envelope_without_data_fails_with_field_errors(deliver):
    assert_failed(deliver({"category": "prescription", "event": "signed"}), "data")


def test_duplicate_order_item_uids_fail_with_field_errors(deliver, payload):
    body = payload("pharmacy_order_created")
    body["data"]["order_items"].append(body["data"]["order_items"][0])

    assert_failed(deliver(body), "data", "order_items")
