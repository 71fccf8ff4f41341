"""Edge cases found in review: stale events touch nothing, bounds that keep the database in
range, uids that could not name a page."""

import pytest

from inventory.models import PharmacySku, Sku
from pharmacy_orders.models import Pharmacy, PharmacyOrder
from rxscale.models import WebhookDelivery
from tests.webhooks.helpers import delivery_of

Status = WebhookDelivery.Status


def test_a_stale_stock_event_does_not_rename_the_sku(deliver, payload):
    deliver(payload("pharmacy_sku_stock_updated", updated_at=1711900500))
    old = payload("pharmacy_sku_stock_updated", updated_at=1711900000)
    old["data"]["sku"].update(display_name="OLD STALE NAME", pzn="00000000")

    stale = delivery_of(deliver(old))

    assert stale.status == Status.STALE
    sku = Sku.objects.get()
    assert (sku.display_name, sku.pzn) == ("Medication X 100mg", "12345678")


def test_a_stale_order_event_does_not_touch_the_pharmacy(deliver, payload):
    deliver(payload("pharmacy_order_updated", updated_at=1711910000))
    old = payload("pharmacy_order_updated", updated_at=1711900000)
    old["data"]["pharmacy"] = {"uid": "ph-other", "display_name": "Stale Pharmacy"}

    stale = delivery_of(deliver(old))

    assert stale.status == Status.STALE
    assert list(Pharmacy.objects.values_list("uid", flat=True)) == ["ph-xyz"]


@pytest.mark.parametrize(
    ("stock", "reserved"), [(2**63 - 1, -(2**63)), (2**31, 0), (0, -(2**31) - 1)]
)
def test_unit_counts_beyond_32_bits_fail_as_field_errors(deliver, payload, stock, reserved):
    body = payload("pharmacy_sku_stock_updated", stock=stock, reserved_amount=reserved)

    delivery = delivery_of(deliver(body))

    assert delivery.status == Status.FAILED
    assert set(delivery.error_details["data"]) <= {"stock", "reserved_amount"}
    assert not delivery.traceback
    assert not PharmacySku.objects.exists()


def test_a_negative_item_amount_fails_validation(deliver, payload):
    body = payload("pharmacy_order_created")
    body["data"]["order_items"][0]["amount"] = -1000

    delivery = delivery_of(deliver(body))

    assert delivery.status == Status.FAILED
    assert "amount" in str(delivery.error_details["data"]["order_items"])
    assert not PharmacyOrder.objects.exists()


@pytest.mark.parametrize("uid", ["ssm/1", "ssm\x01", "a\x7fb"])
def test_a_shop_shipping_method_uid_that_cannot_name_a_page_fails(deliver, payload, uid):
    body = payload("pharmacy_order_created")
    body["data"]["shop_shipping_methods"][0]["uid"] = uid

    delivery = delivery_of(deliver(body))

    assert delivery.status == Status.FAILED
    assert "shop_shipping_methods" in delivery.error_details["data"]


@pytest.mark.parametrize("version", ["²", "१", "-1", "1" * 30])
def test_an_odd_prescription_version_is_a_404(client, pharmacy_admin, deliver, payload, version):
    deliver(payload("pharmacy_order_created"))
    client.force_login(pharmacy_admin)

    response = client.get("/orders/po-abc123/prescription", {"version": version})

    assert response.status_code == 404
