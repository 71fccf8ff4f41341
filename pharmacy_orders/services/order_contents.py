"""An order snapshot's items and shop shipping methods (called by order_apply_snapshot, which
holds the order row lock).

Every update repeats the whole order, so what is already stored as the payload says costs
no writes and as few reads as possible.
"""

from common.events import Delivery
from inventory.order_items import pharmacy_skus_ensure_for_order, sku_matches, skus_upsert
from pharmacy_orders.models import OrderItem, OrderShopShippingMethod, PharmacyOrder
from pharmacy_orders.services.shipping import order_refresh_shipping_identifier


def _text(value) -> str:
    return value or ""


def order_items_apply(
    order: PharmacyOrder,
    items: list[dict],
    delivery: Delivery,
    *,
    new_order: bool,
    pharmacy_uid: str | None = None,
) -> bool:
    """Make the order's items those of the snapshot. `new_order`: created by this snapshot, so
    it has no items yet (nothing to read). `pharmacy_uid`: the order's pharmacy's, when the
    caller knows it without loading the pharmacy. Returns whether what was ordered changed
    (an item added or removed, another SKU or amount; not the stock figures it carries)."""
    if pharmacy_uid is None:
        pharmacy_uid = order.pharmacy.uid if order.pharmacy else ""
    stored = [] if new_order else order.items.select_related("sku__product", "pharmacy_sku")
    existing = {item.uid: item for item in stored}
    # An item already on the SKU, product and pharmacy SKU the payload describes needs no
    # upsert (the common case: every update repeats the order); the rest go in bulk.
    to_resolve = [data for data in items if not _item_refs_match(existing.get(data["uid"]), data)]
    skus, known_skus = skus_upsert(skus_data=[data["sku"] for data in to_resolve])
    with_pharmacy_sku = [data for data in to_resolve if data.get("pharmacy_sku")]
    pharmacy_skus = pharmacy_skus_ensure_for_order(
        wanted={
            data["pharmacy_sku"]["uid"]: (data["pharmacy_sku"], skus[data["sku"]["uid"]])
            for data in with_pharmacy_sku
        },
        pharmacy_uid=pharmacy_uid,
        delivery=delivery,
        seen_at=order.rx_updated_at,
        # A SKU new to us has no pharmacy SKU here yet, as a rule: insert it without a look.
        likely_new=[
            data["pharmacy_sku"]["uid"]
            for data in with_pharmacy_sku
            if data["sku"]["uid"] not in known_skus
        ],
    )
    resolved = {data["uid"] for data in to_resolve}
    new_items, changed = [], False
    # Items are created in SKU uid order, as before (their ids order them).
    for item_data in sorted(items, key=lambda item: item["sku"]["uid"]):
        item = existing.pop(item_data["uid"], None)
        pharmacy_sku_data = item_data.get("pharmacy_sku")
        if item_data["uid"] in resolved:
            sku = skus[item_data["sku"]["uid"]]
            pharmacy_sku = pharmacy_skus[pharmacy_sku_data["uid"]] if pharmacy_sku_data else None
        else:
            sku, pharmacy_sku = item.sku, item.pharmacy_sku
        values = {
            "amount": item_data["amount"],
            "total_paid_amount": item_data.get("total_paid_amount"),
            "sku": sku,
            "pharmacy_sku": pharmacy_sku,
            "pharmacy_sku_price": (pharmacy_sku_data or {}).get("price"),
            "pharmacy_sku_stock": (pharmacy_sku_data or {}).get("stock"),
        }
        if item is None:
            new_items.append(OrderItem(order=order, uid=item_data["uid"], **values))
        elif any(getattr(item, k) != v for k, v in values.items()):
            changed = changed or item.amount != values["amount"] or item.sku_id != sku.pk
            for name, value in values.items():
                setattr(item, name, value)
            item.save()
    OrderItem.objects.bulk_create(new_items)  # no query when empty
    if existing:
        OrderItem.objects.filter(pk__in=[item.pk for item in existing.values()]).delete()
    return changed or bool(new_items) or bool(existing)


def _item_refs_match(item: OrderItem | None, data: dict) -> bool:
    """Whether the stored item points at rows that already hold the payload's SKU data."""
    if item is None or not sku_matches(item.sku, data["sku"]):
        return False
    pharmacy_sku_data = data.get("pharmacy_sku")
    if not pharmacy_sku_data:
        return item.pharmacy_sku_id is None
    return item.pharmacy_sku_id is not None and item.pharmacy_sku.uid == pharmacy_sku_data["uid"]


def _shipping_method_values(methods: list[dict]) -> list[dict]:
    return [
        {
            "uid": method["uid"],
            "display_name": _text(method.get("display_name")),
            "external_id": _text(method.get("external_id")),
            "mapping_pharmacy_uid": _text(
                (method.get("pharmacy_mapping") or {}).get("pharmacy_uid")
            ),
            "mapping_identifier": _text(
                (method.get("pharmacy_mapping") or {}).get(
                    "shipping_method_identifier_for_pharmacy"
                )
            ),
        }
        for method in methods
    ]


def shop_shipping_methods_build(
    order: PharmacyOrder, methods: list[dict]
) -> list[OrderShopShippingMethod]:
    """The snapshot's shop shipping methods of `order`, unsaved (in the snapshot's order)."""
    return [
        OrderShopShippingMethod(order=order, **values)
        for values in _shipping_method_values(methods)
    ]


def order_shipping_methods_apply(order: PharmacyOrder, methods: list[dict]) -> None:
    """Make the stored order's shop shipping methods the snapshot's and resolve its carrier
    identifier."""
    wanted = _shipping_method_values(methods)
    current = list(
        order.shop_shipping_methods.values(
            "uid", "display_name", "external_id", "mapping_pharmacy_uid", "mapping_identifier"
        )
    )
    methods = shop_shipping_methods_build(order, methods)
    if current != wanted:
        if current:
            order.shop_shipping_methods.all().delete()
        OrderShopShippingMethod.objects.bulk_create(methods)
    # The stored rows now equal `methods`, in this order (by id): resolve from them rather
    # than reading them back.
    order_refresh_shipping_identifier(order=order, methods=methods)
