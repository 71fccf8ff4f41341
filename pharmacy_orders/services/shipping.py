"""Which identifier the pharmacy's carrier expects for an order's shop shipping method."""

from collections.abc import Iterable

from pharmacy_orders.models import (
    OrderShopShippingMethod,
    PharmacyOrder,
    ShippingMethodMapping,
)


def resolve_shipping_identifier(
    *, methods: Iterable[OrderShopShippingMethod], pharmacy_uid: str
) -> str:
    """The payload's mapping for our pharmacy wins; else the admin's mapping; else ""."""
    methods = list(methods)
    for method in methods:
        if method.mapping_identifier and method.mapping_pharmacy_uid in ("", pharmacy_uid):
            return method.mapping_identifier
    admin_mappings = dict(
        ShippingMethodMapping.objects.filter(
            shop_shipping_method_uid__in=[m.uid for m in methods]
        ).values_list("shop_shipping_method_uid", "carrier_identifier")
    )
    for method in methods:
        if method.uid in admin_mappings:
            return admin_mappings[method.uid]
    return ""


def order_refresh_shipping_identifier(
    *, order: PharmacyOrder, methods: Iterable[OrderShopShippingMethod] | None = None
) -> None:
    """Set the order's carrier identifier from `methods` (default: its stored methods)."""
    order.shipping_identifier = resolve_shipping_identifier(
        methods=order.shop_shipping_methods.all() if methods is None else methods,
        pharmacy_uid=order.pharmacy.uid if order.pharmacy_id else "",
    )
    order.shipping_unmapped = not order.shipping_identifier


def orders_refresh_for_method(*, shop_shipping_method_uid: str) -> int:
    """Re-resolve every order that carries the shop method; returns how many.

    Locks the order rows in id order, the order every writer uses. No select_related: a
    joined row is not re-read after a lock wait, so the pharmacy is loaded after the lock.
    """
    orders = (
        PharmacyOrder.objects.select_for_update()
        .filter(
            id__in=OrderShopShippingMethod.objects.filter(uid=shop_shipping_method_uid).values(
                "order_id"
            )
        )
        .order_by("id")
    )
    count = 0
    for order in orders:
        order_refresh_shipping_identifier(order=order)
        order.save(update_fields=["shipping_identifier", "shipping_unmapped", "updated_at"])
        count += 1
    return count
