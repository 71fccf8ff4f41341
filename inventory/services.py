"""Writes with rules for products, SKUs and pharmacy SKUs. Every stock change is ledgered."""

from datetime import datetime

from django.db import IntegrityError, transaction

from inventory.models import PharmacySku, Product, Sku, StockLedgerEntry
from pharmacy_orders.webhooks.models import WebhookDelivery

# Fields of a pharmacy SKU whose changes the ledger records, in display order.
LEDGER_FIELDS = (
    "stock",
    "reserved_amount",
    "price",
    "external_id",
    "markup",
    "priority",
    "type",
    "shop_identifier",
    "pharmacy_uid",
    "rx_deleted_at",
)


def _ledger_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _assign_changes(instance, values: dict) -> dict:
    """Set `values` on `instance`; return {field: {"old", "new"}} for those that differed."""
    changes = {}
    for name, new in values.items():
        old = getattr(instance, name)
        if old != new:
            changes[name] = {"old": _ledger_value(old), "new": _ledger_value(new)}
            setattr(instance, name, new)
    return changes


def _upsert(model, uid: str, values: dict):
    obj, created = model.objects.get_or_create(uid=uid, defaults=values)
    if not created and _assign_changes(obj, values):
        obj.save(update_fields=[*values, *(["updated_at"] if hasattr(obj, "updated_at") else [])])
    return obj


def sku_upsert(*, sku_data: dict) -> Sku:
    """Create or refresh a SKU and its product from a payload's `sku` object.

    Descriptive data only: the newest payload wins. Shopify ids arrive only on
    organisation-level deliveries, so their absence never clears a stored value.
    """
    product = _upsert(
        Product,
        sku_data["product_uid"],
        {
            "display_name": sku_data.get("product_display_name") or "",
            "handle": sku_data.get("product_handle") or "",
        },
    )
    values = {
        "product": product,
        "display_name": sku_data.get("display_name") or "",
        "pzn": sku_data.get("pzn") or "",
        "unit": sku_data.get("unit") or "",
        "standard_selling_unit": sku_data.get("standard_selling_unit"),
    }
    for shopify_field in ("shop_variation_id", "shop_product_external_id"):
        if sku_data.get(shopify_field):
            values[shopify_field] = sku_data[shopify_field]
    return _upsert(Sku, sku_data["uid"], values)


def _lock_or_create_pharmacy_sku(uid: str, defaults: dict) -> tuple[PharmacySku, bool]:
    pharmacy_sku = PharmacySku.objects.select_for_update().filter(uid=uid).first()
    if pharmacy_sku is not None:
        return pharmacy_sku, False
    try:
        with transaction.atomic():
            return PharmacySku.objects.create(uid=uid, **defaults), True
    except IntegrityError:
        # Created concurrently: wait for that transaction, then work on its row.
        return PharmacySku.objects.select_for_update().get(uid=uid), False


def pharmacy_sku_apply_snapshot(
    *, snapshot: dict, delivery: WebhookDelivery
) -> tuple[PharmacySku, bool]:
    """Apply a pharmacy_sku_stock_updated snapshot. Returns (pharmacy_sku, stale).

    Older than the stored `updated_at`: stale, nothing changes. Equal: applied, and since
    nothing differs no ledger entry is written. The stock figure itself is only taken when the
    snapshot is newer than the last staff adjustment (newest wins by time). Locks the row.
    """
    sku = sku_upsert(sku_data=snapshot["sku"])
    updated_at = snapshot["updated_at"]
    values = {
        "pharmacy_uid": snapshot.get("pharmacy_uid") or "",
        "sku": sku,
        "external_id": snapshot.get("external_id") or "",
        "price": snapshot.get("price"),
        "stock": snapshot["stock"],
        "reserved_amount": snapshot["reserved_amount"],
        "markup": snapshot["markup"],
        "priority": snapshot["priority"],
        "type": snapshot.get("type") or "",
        "shop_identifier": snapshot.get("shop_identifier") or "",
        "rx_created_at": snapshot.get("created_at"),
        "rx_deleted_at": snapshot.get("deleted_at"),
    }
    pharmacy_sku, created = _lock_or_create_pharmacy_sku(
        snapshot["uid"], {**values, "rx_updated_at": updated_at, "stock_set_at": updated_at}
    )
    if created:
        _ledger_created(pharmacy_sku, StockLedgerEntry.Cause.STOCK_WEBHOOK, delivery, updated_at)
        return pharmacy_sku, False
    if pharmacy_sku.rx_updated_at and updated_at < pharmacy_sku.rx_updated_at:
        return pharmacy_sku, True
    if pharmacy_sku.stock_set_at and updated_at < pharmacy_sku.stock_set_at:
        del values["stock"]  # a newer staff adjustment holds the stock figure
    else:
        pharmacy_sku.stock_set_at = updated_at
    pharmacy_sku.rx_updated_at = updated_at
    changes = _assign_changes(pharmacy_sku, values)
    pharmacy_sku.save()
    ledgered = {k: v for k, v in changes.items() if k in LEDGER_FIELDS}
    if ledgered:
        StockLedgerEntry.objects.create(
            pharmacy_sku=pharmacy_sku,
            cause=StockLedgerEntry.Cause.STOCK_WEBHOOK,
            changes=ledgered,
            delivery=delivery,
            effective_at=updated_at,
        )
    return pharmacy_sku, False


def pharmacy_sku_ensure_for_order_item(
    *,
    pharmacy_sku_data: dict,
    sku: Sku,
    pharmacy_uid: str,
    delivery: WebhookDelivery,
    seen_at: datetime,
) -> PharmacySku:
    """Create a pharmacy SKU first seen on an order. An existing one is left alone.

    Order payloads carry no SKU `updated_at`, so they never overwrite figures that stock
    events (which do) maintain.
    """
    pharmacy_sku, created = _lock_or_create_pharmacy_sku(
        pharmacy_sku_data["uid"],
        {
            "sku": sku,
            "pharmacy_uid": pharmacy_uid,
            "external_id": pharmacy_sku_data.get("external_id") or "",
            "price": pharmacy_sku_data.get("price"),
            "stock": pharmacy_sku_data.get("stock") or 0,
        },
    )
    if created:
        _ledger_created(pharmacy_sku, StockLedgerEntry.Cause.ORDER_WEBHOOK, delivery, seen_at)
    return pharmacy_sku


def _ledger_created(
    pharmacy_sku: PharmacySku, cause: str, delivery: WebhookDelivery, effective_at: datetime
) -> None:
    StockLedgerEntry.objects.create(
        pharmacy_sku=pharmacy_sku,
        cause=cause,
        changes={
            name: {"old": None, "new": _ledger_value(getattr(pharmacy_sku, name))}
            for name in LEDGER_FIELDS
            if getattr(pharmacy_sku, name) not in (None, "")
        },
        delivery=delivery,
        effective_at=effective_at,
        reason="First seen",
    )
