"""Staff and admin edits of shipping-method mappings: saved, applied to orders, audited.

The resolving rule itself lives in shipping.py.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from pharmacy_orders.models import ShippingMethodMapping
from pharmacy_orders.services.audit import AuditAction, audit_record
from pharmacy_orders.services.shipping import orders_refresh_for_method


def shipping_mapping_store(
    *, mapping: ShippingMethodMapping, user: AbstractBaseUser
) -> ShippingMethodMapping:
    """Save a (new or changed) mapping and re-resolve every order using its shop method.
    Permission is the caller's check (add/change_shippingmethodmapping)."""
    with transaction.atomic():
        before = (
            ShippingMethodMapping.objects.filter(pk=mapping.pk)
            .values_list("carrier_identifier", flat=True)
            .first()
            if mapping.pk
            else None
        )
        mapping.save()
        updated = orders_refresh_for_method(
            shop_shipping_method_uid=mapping.shop_shipping_method_uid
        )
        audit_record(
            user=user,
            action=AuditAction.SHIPPING_MAPPING_SAVE,
            details={
                "shop_shipping_method_uid": mapping.shop_shipping_method_uid,
                "from": before or "",
                "to": mapping.carrier_identifier,
                "orders_updated": updated,
            },
        )
    return mapping


def shipping_mapping_set(
    *,
    shop_shipping_method_uid: str,
    carrier_identifier: str,
    display_name: str,
    user: AbstractBaseUser,
) -> ShippingMethodMapping:
    """Create or change the mapping for a shop shipping method (the staff page's form)."""
    with transaction.atomic():
        mapping = (
            ShippingMethodMapping.objects.select_for_update()
            .filter(shop_shipping_method_uid=shop_shipping_method_uid)
            .first()
        ) or ShippingMethodMapping(shop_shipping_method_uid=shop_shipping_method_uid)
        mapping.carrier_identifier = carrier_identifier.strip()
        mapping.display_name = display_name.strip()
        return shipping_mapping_store(mapping=mapping, user=user)


def shipping_mapping_remove(*, mapping: ShippingMethodMapping, user: AbstractBaseUser) -> None:
    """Delete a mapping; its orders fall back to RxScale's mapping or become unmapped."""
    with transaction.atomic():
        method_uid, identifier = mapping.shop_shipping_method_uid, mapping.carrier_identifier
        mapping.delete()
        updated = orders_refresh_for_method(shop_shipping_method_uid=method_uid)
        audit_record(
            user=user,
            action=AuditAction.SHIPPING_MAPPING_DELETE,
            details={
                "shop_shipping_method_uid": method_uid,
                "from": identifier,
                "orders_updated": updated,
            },
        )
