"""The shipping-method identifier: from the payload's mapping, the admin's mapping, or
flagged unmapped."""

from pharmacy_orders.models import (
    PharmacyOrder,
    ShippingMethodMapping,
)
from rxscale.inbox.samples import seed_payload

ORG_FULFILLMENT_ITEMS = seed_payload("pharmacy_order_created.organisation")["data"]["fulfillment"][
    "items"
]


# --- Shipping-method identifier: payload mapping, admin mapping, or unmapped -----------------


def _order_with_method(payload, *, mapping: dict | None, uid: str = "po-abc123") -> dict:
    body = payload("pharmacy_order_created", uid=uid)
    body["data"]["shop_shipping_methods"][0]["pharmacy_mapping"] = mapping
    return body


def test_without_any_mapping_the_order_is_flagged_unmapped(deliver, payload):
    # given no admin mapping, when an order arrives whose shop method has no pharmacy mapping
    deliver(_order_with_method(payload, mapping=None))

    # then it has no identifier and is flagged
    order = PharmacyOrder.objects.get()
    assert (order.shipping_identifier, order.shipping_unmapped) == ("", True)
    assert order.shop_shipping_methods.get().mapping_identifier == ""


def test_the_admin_mapping_applies_when_the_payload_has_none(deliver, payload):
    # given an admin mapping for the shop method
    ShippingMethodMapping.objects.create(
        shop_shipping_method_uid="ssm-001", carrier_identifier="DPD_CLASSIC"
    )

    # when an order arrives without a payload mapping
    deliver(_order_with_method(payload, mapping=None))

    # then the admin's identifier is resolved
    order = PharmacyOrder.objects.get()
    assert (order.shipping_identifier, order.shipping_unmapped) == ("DPD_CLASSIC", False)


def test_a_payload_mapping_for_another_pharmacy_falls_back_to_the_admin_mapping(deliver, payload):
    # given an admin mapping, and a payload mapping meant for a different pharmacy
    ShippingMethodMapping.objects.create(
        shop_shipping_method_uid="ssm-001", carrier_identifier="DPD_CLASSIC"
    )
    other = {"pharmacy_uid": "ph-other", "shipping_method_identifier_for_pharmacy": "GLS"}

    # when the order arrives
    deliver(_order_with_method(payload, mapping=other))

    # then the other pharmacy's mapping is kept on the method but not used
    order = PharmacyOrder.objects.get()
    assert order.shop_shipping_methods.get().mapping_pharmacy_uid == "ph-other"
    assert order.shipping_identifier == "DPD_CLASSIC"


def test_the_payload_mapping_wins_over_the_admin_mapping(deliver, payload):
    # given an admin mapping
    ShippingMethodMapping.objects.create(
        shop_shipping_method_uid="ssm-001", carrier_identifier="DPD_CLASSIC"
    )

    # when the seed order (mapped to DHL_STANDARD for ph-xyz) arrives
    deliver(payload("pharmacy_order_created"))

    # then the payload's mapping is used
    assert PharmacyOrder.objects.get().shipping_identifier == "DHL_STANDARD"


def test_a_mapping_added_in_the_admin_resolves_orders_already_stored(
    deliver, payload, client, pharmacy_admin
):
    # given an unmapped order
    deliver(_order_with_method(payload, mapping=None))
    assert PharmacyOrder.objects.get().shipping_unmapped is True

    # when a pharmacy admin adds a mapping for its shop method in the admin
    pharmacy_admin.is_staff = True
    pharmacy_admin.save()
    client.force_login(pharmacy_admin)
    response = client.post(
        "/admin/pharmacy_orders/shippingmethodmapping/add/",
        {
            "shop_shipping_method_uid": "ssm-001",
            "display_name": "DHL Standard",
            "carrier_identifier": "DHL_PAKET",
        },
    )

    # then the stored order is resolved
    assert response.status_code == 302, response.content[:2000]
    order = PharmacyOrder.objects.get()
    assert (order.shipping_identifier, order.shipping_unmapped) == ("DHL_PAKET", False)
