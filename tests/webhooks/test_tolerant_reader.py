"""Tolerant reader: a value outside the documented set never costs the order.

Each case is delivered signed over HTTP. It is stored (processed), as it came where it can be,
with a warning on the delivery and on the order (or pharmacy SKU), shown on the staff pages.
Missing or broken identifiers still fail the delivery with field-level errors.
"""

import json
from decimal import Decimal

import pytest
from django.test import Client

from inventory.models import PharmacySku, Sku
from pharmacy_orders.models import PharmacyOrder
from tests.webhooks.helpers import ADDRESS, Status, delivery_of

FFFD = "\N{REPLACEMENT CHARACTER}"


@pytest.fixture
def staff_page(pta):
    """GET a staff page as a PTA (a client of its own: the webhook client stays anonymous)."""
    client = Client()
    client.force_login(pta)

    def _get(url: str) -> str:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response.content.decode()

    return _get


def _order_event(payload, **changes) -> dict:
    body = payload("pharmacy_order_created", level="organisation")
    body["data"].update(changes)
    return body


def _processed_order(deliver, body) -> tuple[PharmacyOrder, object]:
    delivery = delivery_of(deliver(body))
    assert delivery.status == Status.PROCESSED, (delivery.error, delivery.error_details)
    order = PharmacyOrder.objects.get()
    # What the reader noticed about the payload is on both (the delivery may add more).
    assert order.payload_warnings, "expected a warning on the order"
    assert set(order.payload_warnings) <= set(delivery.warnings)
    return order, delivery


def _one_warning(warnings: list[str], *fragments: str) -> str:
    matching = [w for w in warnings if all(fragment in w for fragment in fragments)]
    assert len(matching) == 1, (fragments, warnings)
    return matching[0]


# --- Unknown status ------------------------------------------------------------------------


def test_an_unknown_status_is_stored_as_sent_and_offers_no_action(deliver, payload, staff_page):
    # given an order whose status is outside the documented set (the old vocabulary's)
    body = _order_event(payload, status="shipped")

    # when it is delivered
    order, delivery = _processed_order(deliver, body)

    # then it is stored exactly as sent, with a warning on the delivery and the order
    assert order.status == "shipped"
    _one_warning(order.payload_warnings, "status", '"shipped"', "not a documented value")
    # and the order page shows it raw, marked, with no action on offer (nothing in the
    # transition map starts from a status we do not know; RxScale's next snapshot moves it)
    page = staff_page(f"/orders/{order.uid}/")
    assert 'data-testid="unknown-status"' in page
    assert "No action is possible from “shipped”" in page
    assert "is not a documented value" in page
    # the worklist and the JSON API cope with it too
    assert "#1001" in staff_page("/orders/?status=all")
    state = json.loads(staff_page(f"/orders/api/{order.uid}/"))
    assert (state["status"], state["status_label"]) == ("shipped", "shipped")


def test_a_known_status_has_no_unknown_status_badge(deliver, payload, staff_page):
    delivery = delivery_of(deliver(payload("pharmacy_order_created")))

    assert delivery.status == Status.PROCESSED
    assert delivery.warnings == []
    assert PharmacyOrder.objects.get().payload_warnings == []
    assert 'data-testid="unknown-status"' not in staff_page("/orders/po-abc123/")


# --- prepaid -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prepaid", "shown"), [(2, "2"), (-1, "-1"), (True, "true"), ("1", '"1"'), (None, "null")]
)
def test_a_prepaid_other_than_0_or_1_is_a_paper_prescription(deliver, payload, prepaid, shown):
    order, delivery = _processed_order(deliver, _order_event(payload, prepaid=prepaid))

    # the stricter reading: staff wait for the paper original rather than dispense without it
    assert order.prepaid is True
    _one_warning(delivery.warnings, "prepaid", f"{shown} is not 0 or 1")


@pytest.mark.parametrize(("prepaid", "paper"), [(0, False), (1, True)])
def test_a_documented_prepaid_has_no_warning(deliver, payload, prepaid, paper):
    delivery = delivery_of(deliver(_order_event(payload, prepaid=prepaid)))

    assert (delivery.status, delivery.warnings) == (Status.PROCESSED, [])
    assert PharmacyOrder.objects.get().prepaid is paper


# --- Decimals and other numbers ------------------------------------------------------------


def test_four_decimals_fit_the_column_and_are_stored_exactly(deliver, payload):
    # given 0.3333, which the old three-decimal reading refused (and with it the order)
    body = _order_event(payload)
    body["data"]["order_items"][0]["sku"]["standard_selling_unit"] = 0.3333

    # then it is stored exactly; nothing was changed, so there is nothing to warn about
    delivery = delivery_of(deliver(body))
    assert (delivery.status, delivery.warnings) == (Status.PROCESSED, [])
    assert Sku.objects.get().standard_selling_unit == Decimal("0.3333")


def test_more_than_six_decimals_are_rounded_with_the_raw_value_in_the_warning(deliver, payload):
    body = _order_event(payload)
    body["data"]["order_items"][0]["sku"]["standard_selling_unit"] = 0.1234567

    order, delivery = _processed_order(deliver, body)

    assert Sku.objects.get().standard_selling_unit == Decimal("0.123457")
    _one_warning(
        delivery.warnings,
        "order_items[0].sku.standard_selling_unit",
        "0.1234567",
        "rounded to 0.123457",
    )


@pytest.mark.parametrize("value", ["one", {"v": 1}, True, 10**20])
def test_a_selling_unit_that_is_no_storable_number_is_null_with_a_warning(deliver, payload, value):
    body = _order_event(payload)
    body["data"]["order_items"][0]["sku"]["standard_selling_unit"] = value

    order, delivery = _processed_order(deliver, body)

    assert Sku.objects.get().standard_selling_unit is None
    _one_warning(order.payload_warnings, "standard_selling_unit", "left empty")


def test_money_that_is_not_whole_cents_is_null_with_a_warning(deliver, payload):
    # given prices in euros instead of cents: harmless to leave empty, wrong to refuse the order
    body = _order_event(payload)
    body["data"]["order"]["shipping_costs_amount"] = 4.99
    body["data"]["order_items"][0]["total_paid_amount"] = "12.99"

    order, delivery = _processed_order(deliver, body)

    assert order.shipping_costs_amount is None
    assert order.items.get().total_paid_amount is None
    _one_warning(delivery.warnings, "order.shipping_costs_amount", "4.99")
    _one_warning(delivery.warnings, "order_items[0].total_paid_amount", '"12.99"')
    assert order.items.get().amount == 1  # the unit count itself stays strict and intact


def test_a_date_of_birth_that_is_no_date_is_null_with_a_warning(deliver, payload):
    body = _order_event(payload)
    body["data"]["patient_data"]["date_of_birth"] = "31.02.1990"

    order, _ = _processed_order(deliver, body)

    assert order.patient_date_of_birth is None
    _one_warning(order.payload_warnings, "patient_data.date_of_birth", "31.02.1990")


# --- Undocumented fields -------------------------------------------------------------------


def test_undocumented_fields_are_kept_in_rx_extra_with_one_warning(deliver, payload, staff_page):
    # given undocumented fields at the top level of data and nested inside documented objects
    body = _order_event(payload, brand_new_field={"nested": [1, 2, 3]})
    body["data"]["order_items"][0]["sku"]["dosage_form"] = "tablet"
    body["data"]["fulfillment"]["order"]["shop_order"]["channel"] = None
    body["brand_new_envelope_field"] = True  # the envelope's own are not the order's

    order, delivery = _processed_order(deliver, body)

    # then each is kept by its path, as it came, and one warning names them all
    assert order.rx_extra == {
        "brand_new_field": {"nested": [1, 2, 3]},
        "order_items[0].sku.dosage_form": "tablet",
        "fulfillment.order.shop_order.channel": None,
    }
    warning = _one_warning(order.payload_warnings, "Undocumented fields")
    for path in order.rx_extra:
        assert path in warning
    page = staff_page(f"/orders/{order.uid}/")
    assert 'data-testid="payload-warnings"' in page
    assert "order_items[0].sku.dosage_form" in page


def test_a_newer_clean_snapshot_replaces_the_warnings_and_extras(deliver, payload):
    deliver(_order_event(payload, status="shipped", brand_new_field=1))
    assert PharmacyOrder.objects.get().rx_extra == {"brand_new_field": 1}

    delivery = delivery_of(deliver(payload("pharmacy_order_updated", level="organisation")))

    assert (delivery.status, delivery.warnings) == (Status.PROCESSED, [])
    order = PharmacyOrder.objects.get()
    assert (order.status, order.payload_warnings, order.rx_extra) == ("in-progress", [], {})


def test_undocumented_fields_of_a_stock_event_warn_on_the_sku_and_delivery(
    deliver, payload, staff_page
):
    body = payload("pharmacy_sku_stock_updated", level="organisation")
    body["data"]["warehouse"] = "north"
    body["data"]["sku"]["dosage_form"] = "tablet"
    body["data"]["markup"] = "high"
    body["data"]["price"] = 12.5

    delivery = delivery_of(deliver(body))

    assert delivery.status == Status.PROCESSED, delivery.error_details
    pharmacy_sku = PharmacySku.objects.get()
    assert (pharmacy_sku.stock, pharmacy_sku.reserved_amount) == (45, 7)
    assert (pharmacy_sku.price, pharmacy_sku.markup) == (None, 0)
    assert pharmacy_sku.payload_warnings == delivery.warnings
    _one_warning(delivery.warnings, "Undocumented fields", "warehouse", "sku.dosage_form")
    _one_warning(delivery.warnings, "markup", '"high"')
    _one_warning(delivery.warnings, "price", "12.5")
    page = staff_page(f"/inventory/{pharmacy_sku.uid}/")
    assert 'data-testid="payload-warnings"' in page
    assert "sku.dosage_form" in page


# --- Addresses, shop order -----------------------------------------------------------------


def test_whole_addresses_are_kept_with_province_and_shown(deliver, payload, staff_page):
    # given the newer API's address shape (province) plus a key nobody documents
    body = _order_event(payload)
    body["data"]["order"]["delivery_address"].update(province="Bayern", door_code="12#")
    body["data"]["order"]["invoice_address"]["province"] = None

    delivery = delivery_of(deliver(body))

    # then both objects are stored whole, as they came, and no warning is needed
    assert (delivery.status, delivery.warnings) == (Status.PROCESSED, [])
    order = PharmacyOrder.objects.get()
    assert order.delivery_address == {**ADDRESS, "province": "Bayern", "door_code": "12#"}
    assert order.invoice_address == {**ADDRESS, "province": None}
    assert order.rx_extra == {}
    assert '<span data-testid="province">Bayern</span>' in staff_page(f"/orders/{order.uid}/")


def test_the_shop_orders_external_id_is_not_its_name(deliver, payload, staff_page):
    # given the organisation-level seed: shop_order carries uid, external_id, shop_identifier
    delivery = delivery_of(deliver(payload("pharmacy_order_created", level="organisation")))

    # then the external id is stored under its own name, and no name is made up from it
    assert delivery.status == Status.PROCESSED
    order = PharmacyOrder.objects.get()
    assert (order.shop_order_external_id, order.shop_order_name) == ("SHOP-789", "")
    page = staff_page(f"/orders/{order.uid}/")
    assert 'data-testid="shop-order-external-id"' in page
    assert 'data-testid="shop-order-name"' not in page


@pytest.mark.parametrize(
    ("where", "expected"),
    [("top-level", "#1234"), ("shop_order.name", "#2345"), ("both", "#1234")],
)
def test_a_shop_order_name_is_taken_only_from_a_field_of_that_name(
    deliver, payload, staff_page, where, expected
):
    body = payload("pharmacy_order_created", level="organisation")
    if where in ("top-level", "both"):
        body["data"]["shop_order_name"] = "#1234"  # as on the API's order (documented there)
    if where in ("shop_order.name", "both"):
        body["data"]["fulfillment"]["order"]["shop_order"]["name"] = "#2345"

    delivery = delivery_of(deliver(body))

    assert (delivery.status, delivery.warnings) == (Status.PROCESSED, [])
    order = PharmacyOrder.objects.get()
    assert (order.shop_order_name, order.shop_order_external_id) == (expected, "SHOP-789")
    page = staff_page(f"/orders/{order.uid}/")
    assert f"Shop order {expected}" in page
    assert "SHOP-789" in page


# --- Text: unstorable characters, length ---------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "stored"),
    [
        ("status", "init\udc00", f"init{FFFD}"),
        ("patient_data.display_name", "Max \ud800Muster", f"Max {FFFD}Muster"),
        ("patient_data.display_name", "Max\x00", f"Max{FFFD}"),
        ("name", "#10\x0001", f"#10{FFFD}01"),
        ("order.delivery_address.street", "Haupt\x00str.", f"Haupt{FFFD}str."),
    ],
)
def test_nul_and_lone_surrogates_in_text_are_replaced_with_a_warning(
    deliver, payload, staff_page, path, value, stored
):
    body = _order_event(payload)
    node = body["data"]
    *parents, last = path.split(".")
    for key in parents:
        node = node[key]
    node[last] = value

    order, delivery = _processed_order(deliver, body)

    street = order.delivery_address["street"]
    columns = {"status": order.status, "name": order.name, "order.delivery_address.street": street}
    assert columns.get(path, order.patient_name) == stored
    _one_warning(order.payload_warnings, path, "NUL or a lone surrogate")
    staff_page(f"/orders/{order.uid}/")  # and the page shows it


def test_a_lone_surrogate_in_raw_json_is_stored_replaced(deliver, payload):
    # given the body exactly as JSON escapes it ("\udc00" is valid JSON, but not UTF-8)
    body = json.dumps(_order_event(payload, status="shipped\udc00"))
    assert "\\udc00" in body

    order, delivery = _processed_order(deliver, body)

    assert order.status == f"shipped{FFFD}"
    assert any("\\udc00" in warning for warning in delivery.warnings)  # the raw value, escaped


def test_text_too_long_for_its_column_is_cut_with_a_warning(deliver, payload):
    order, _ = _processed_order(deliver, _order_event(payload, name="n" * 10_000))

    assert order.name == "n" * 128
    _one_warning(order.payload_warnings, "name", "10000 characters long: cut to 128")


def test_a_currency_code_too_long_is_left_empty_not_cut(deliver, payload):
    body = _order_event(payload)
    body["data"]["order"]["shipping_costs_currency"] = "EURO"

    order, _ = _processed_order(deliver, body)

    assert (order.shipping_costs_amount, order.shipping_costs_currency) == (499, "")
    _one_warning(order.payload_warnings, "shipping_costs_currency", '"EURO"')


# --- Identifiers stay strict ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "path", "value", "error_path"),
    [
        ("pharmacy_order_created", "data.uid", None, ("data", "uid")),
        ("pharmacy_order_created", "data.uid", "po-\udc00", ("data", "uid")),
        ("pharmacy_order_created", "data.updated_at", None, ("data", "updated_at")),
        ("pharmacy_order_created", "data.order_items.0.uid", None, ("data", "order_items")),
        ("pharmacy_order_created", "data.order_items.0.sku.uid", 7.5, ("data", "order_items")),
        ("pharmacy_order_created", "data.order_items.0.sku.product_uid", None, ("data",)),
        ("pharmacy_order_created", "data.order_items.0.sku.pzn", "1234\ud800", ("data",)),
        ("pharmacy_order_created", "data.order_items.0.pharmacy_sku.uid", [], ("data",)),
        ("pharmacy_order_created", "data.patient_data.uid", "p" * 65, ("data", "patient_data")),
        ("pharmacy_sku_stock_updated", "data.uid", None, ("data", "uid")),
        ("pharmacy_sku_stock_updated", "data.external_id", "EXT\x00", ("data", "external_id")),
        ("patient_doctor_meeting_updated", "data.meeting_uid", None, ("data", "meeting_uid")),
        ("prescription.doctor_changed", "data.prescription.uid", None, ("data", "prescription")),
    ],
)
def test_missing_or_broken_identifiers_still_fail_with_field_errors(
    deliver, payload, event_type, path, value, error_path
):
    body = payload(event_type, level="organisation")
    node = body
    *parents, last = path.split(".")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is None:
        del node[last]
    else:
        node[last] = value

    delivery = delivery_of(deliver(body))

    assert delivery.status == Status.FAILED
    assert delivery.error == "Payload failed validation."
    details = delivery.error_details
    for key in error_path:
        details = details[key]
    assert details
    assert not PharmacyOrder.objects.exists()
    assert not PharmacySku.objects.exists()
