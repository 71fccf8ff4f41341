"""The SKUs, products and pharmacy SKUs an order's items refer to, in a few bulk statements.

Every order update repeats the whole order, so most items already point at rows that match the
payload: those cost nothing (`sku_matches`). The rest are fetched by uid in one statement per
table, the missing ones created in bulk, the changed ones saved one by one (rare).
Rules as in inventory/services.py: descriptive SKU/product data, the newest payload wins; an
order payload only creates a pharmacy SKU first seen (ledgered), never overwrites its figures.
Lock order: products, then SKUs, then pharmacy SKUs, each by uid.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction

from common.events import Delivery
from inventory.models import PharmacySku, Product, Sku, StockLedgerEntry
from inventory.services import _assign_changes, _ledger_entry, _lock_or_create_pharmacy_sku
from inventory.sku_payload import product_values, sku_values


def sku_matches(sku: Sku, sku_data: dict) -> bool:
    """Whether `sku` and its product already hold the payload's values (no write needed)."""
    product = sku.product
    wanted_sku = sku_values(sku_data)
    return (
        sku.uid == sku_data["uid"]
        and product.uid == sku_data["product_uid"]
        and all(getattr(product, k) == v for k, v in product_values(sku_data).items())
        and all(getattr(sku, k) == v for k, v in wanted_sku.items())
    )


def _upsert_many(
    model, wanted: dict[str, dict], loaded: dict | None = None, *, complete: bool = False
) -> dict[str, object]:
    """Rows by uid with `wanted` values: created if missing, changed rows saved (uid order).
    `loaded`: rows already read (by uid); only the others are looked up, unless `complete`
    says that those are all there are."""
    rows = {uid: row for uid, row in (loaded or {}).items() if uid in wanted}
    unread = [] if complete else [uid for uid in wanted if uid not in rows]
    if unread:
        rows.update({row.uid: row for row in model.objects.filter(uid__in=unread)})
    missing = [uid for uid in sorted(wanted) if uid not in rows]
    if missing:
        # A concurrent writer may create some first: skip those, then read what is there.
        model.objects.bulk_create(
            [model(uid=uid, **wanted[uid]) for uid in missing], ignore_conflicts=True
        )
        rows.update({row.uid: row for row in model.objects.filter(uid__in=missing)})
    for uid in sorted(wanted):
        row = rows[uid]
        if _assign_changes(row, wanted[uid]):
            row.save(update_fields=list(wanted[uid]))
    return rows


def skus_upsert(*, skus_data: Iterable[dict]) -> dict[str, Sku]:
    """`sku_upsert` for several payload `sku` objects at once; SKUs by uid."""
    skus_data = {data["uid"]: data for data in skus_data}
    if not skus_data:
        return {}
    # One read for SKUs and their products (a known catalogue, the common case); products
    # the SKUs do not lead to (new SKUs, a SKU moved to another product) are read after.
    loaded = Sku.objects.filter(uid__in=skus_data).select_related("product")
    loaded = {sku.uid: sku for sku in loaded}
    products = _upsert_many(
        Product,
        {data["product_uid"]: product_values(data) for data in skus_data.values()},
        {sku.product.uid: sku.product for sku in loaded.values()},
    )
    # Compared and written by product id (comparing `product` would load each SKU's product);
    # the products are then put on the SKUs, so nothing later loads them again.
    skus = _upsert_many(
        Sku,
        {
            uid: {"product_id": products[data["product_uid"]].pk, **sku_values(data)}
            for uid, data in skus_data.items()
        },
        loaded,
        complete=True,
    )
    for uid, sku in skus.items():
        sku.product = products[skus_data[uid]["product_uid"]]
    return skus


def _pharmacy_sku_defaults(data: dict, sku: Sku, pharmacy_uid: str) -> dict:
    # The figures an order shows for a pharmacy SKU first seen; stock events own them after.
    return {
        "sku": sku,
        "pharmacy_uid": pharmacy_uid,
        "external_id": data.get("external_id") or "",
        "price": data.get("price"),
        "stock": data.get("stock") or 0,
    }


def pharmacy_skus_ensure_for_order(
    *,
    wanted: dict[str, tuple[dict, Sku]],
    pharmacy_uid: str,
    delivery: Delivery,
    seen_at: datetime,
) -> dict[str, PharmacySku]:
    """Pharmacy SKUs first seen on an order, several at once: `wanted` maps a pharmacy SKU uid to
    its payload and SKU. Existing rows are locked (uid order) and left alone; missing ones are
    created with a "First seen" ledger entry each."""
    rows = {
        row.uid: row
        for row in PharmacySku.objects.select_for_update().filter(uid__in=wanted).order_by("uid")
    }
    missing = [uid for uid in sorted(wanted) if uid not in rows]
    if not missing:
        return rows
    created = [
        PharmacySku(uid=uid, **_pharmacy_sku_defaults(*wanted[uid], pharmacy_uid))
        for uid in missing
    ]
    try:
        with transaction.atomic():
            PharmacySku.objects.bulk_create(created)
    except IntegrityError:
        # Some were created concurrently: one by one, as the single-item path does.
        created = []
        for uid in missing:
            data, sku = wanted[uid]
            row, new = _lock_or_create_pharmacy_sku(
                uid, _pharmacy_sku_defaults(data, sku, pharmacy_uid)
            )
            rows[uid] = row
            if new:
                created.append(row)
    else:
        rows.update({row.uid: row for row in created})
    StockLedgerEntry.objects.bulk_create(
        _ledger_entry(row, StockLedgerEntry.Cause.ORDER_WEBHOOK, delivery, seen_at)
        for row in created
    )
    return rows
