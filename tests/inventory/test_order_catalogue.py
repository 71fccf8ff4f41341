"""What an order's items make of the catalogue: SKUs, products and pharmacy SKUs created once,
updated by the newest payload, pharmacy SKUs never overwritten by an order."""

import pytest

from inventory.models import PharmacySku, Product, Sku, StockLedgerEntry
from pharmacy_orders.models import OrderItem
from rxscale.models import WebhookDelivery
from tests.inventory.conftest import T0
from tests.webhooks.helpers import delivery_of

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


def _ledgered() -> list[str]:
    return sorted(StockLedgerEntry.objects.values_list("pharmacy_sku__uid", flat=True))


def test_a_new_order_of_known_and_new_rows_creates_and_ledgers_only_the_new(
    deliver, order_event, stock_event
):
    # given SKU a with its pharmacy SKU (from a stock event), and SKU b known from another
    # pharmacy SKU only
    deliver(stock_event("a", stock=45))
    deliver(stock_event("b", stock=7))
    PharmacySku.objects.filter(uid="psku-b").update(uid="psku-b-elsewhere")
    before = _ledgered()

    # when an order of a, b (a new pharmacy SKU of a known SKU) and c (all new) arrives
    delivery = delivery_of(deliver(order_event("po-1", [("a", 1), ("b", 2), ("c", 3)])))

    # then the new rows exist once, the known ones are unchanged, and only new ones are ledgered
    assert delivery.status == Status.PROCESSED, delivery.error
    assert sorted(Sku.objects.values_list("uid", flat=True)) == ["sku-a", "sku-b", "sku-c"]
    assert sorted(Product.objects.values_list("uid", flat=True)) == ["prod-a", "prod-b", "prod-c"]
    assert PharmacySku.objects.get(uid="psku-a").stock == 45  # the order never overwrites it
    assert PharmacySku.objects.get(uid="psku-b").stock == 50  # as the order carried it
    assert _ledgered() == sorted([*before, "psku-b", "psku-c"])
    items = OrderItem.objects.order_by("uid")
    assert [(i.sku.uid, i.pharmacy_sku.uid, i.amount) for i in items] == [
        ("sku-a", "psku-a", 1),
        ("sku-b", "psku-b", 2),
        ("sku-c", "psku-c", 3),
    ]


def test_a_new_sku_on_a_stored_pharmacy_sku_leaves_that_pharmacy_sku_alone(
    deliver, order_event, stock_event
):
    # given pharmacy SKU a on SKU a
    deliver(stock_event("a", stock=45))
    event = order_event("po-1", [("new", 1)])
    event["data"]["order_items"][0]["pharmacy_sku"]["uid"] = "psku-a"

    # when an order names it with a SKU never seen before
    delivery = delivery_of(deliver(event))

    # then the SKU is created, the pharmacy SKU keeps its SKU and figures, nothing is ledgered
    assert delivery.status == Status.PROCESSED, delivery.error
    psku = PharmacySku.objects.get()
    assert (psku.uid, psku.sku.uid, psku.stock) == ("psku-a", "sku-a", 45)
    assert _ledgered() == ["psku-a"]  # its stock event's entry only
    item = OrderItem.objects.get()
    assert (item.sku.uid, item.pharmacy_sku_id) == ("sku-new", psku.pk)


def test_a_new_order_renaming_a_known_sku_and_product_renames_them(deliver, order_event):
    # given SKU a from an order
    deliver(order_event("po-1", [("a", 1)]))

    # when a new order carries new names for it
    event = order_event("po-2", [("a", 1)], updated_at=T0 + 60)
    event["data"]["order_items"][0]["sku"].update(
        display_name="Renamed 100mg", pzn="87654321", product_display_name="Renamed"
    )
    delivery = delivery_of(deliver(event))

    # then the newest payload's names hold, on the same rows
    assert delivery.status == Status.PROCESSED, delivery.error
    sku = Sku.objects.select_related("product").get()
    assert (sku.display_name, sku.pzn, sku.product.display_name) == (
        "Renamed 100mg",
        "87654321",
        "Renamed",
    )
    assert Product.objects.count() == 1


def test_a_pharmacy_level_order_changing_a_sku_keeps_its_shopify_ids(deliver, payload):
    # given a SKU with Shopify ids from an organisation-level order
    deliver(payload("pharmacy_order_created", level="organisation"))
    assert Sku.objects.get().shop_variation_id == "48372910234"

    # when a new pharmacy-level order (no Shopify ids) renames the SKU
    event = payload("pharmacy_order_created", uid="po-second")
    event["data"]["order_items"][0]["sku"]["display_name"] = "Renamed 100mg"
    delivery = delivery_of(deliver(event))

    # then the name changes and the Shopify ids stay
    assert delivery.status == Status.PROCESSED, delivery.error
    sku = Sku.objects.get()
    assert sku.display_name == "Renamed 100mg"
    assert (sku.shop_variation_id, sku.shop_product_external_id) == ("48372910234", "93847261045")
