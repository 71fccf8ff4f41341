"""The SKUs, products and pharmacy SKUs an order's items refer to, in a few bulk statements.

Every order update repeats the whole order, so most items already point at rows that match the
payload: those cost nothing (`sku_matches`). For the rest, SKUs and their products are read in
one statement; the ones missing or changed are written with one INSERT … ON CONFLICT DO UPDATE
per table (the newest payload wins, and a row another delivery creates at the same moment is
updated, not doubled). Pharmacy SKUs are looked up and locked where their SKU was known, and
inserted without a look where it was new to us (a new SKU rarely has a pharmacy SKU already).
Rules as in inventory/services.py: descriptive SKU/product data, the newest payload wins; an
order payload only creates a pharmacy SKU first seen (ledgered), never overwrites its figures.
Lock order: products, then SKUs, then pharmacy SKUs, each by uid.
"""

from collections.abc import Iterable
from datetime import datetime

from common.events import Delivery
from common.inserts import insert_missing
from inventory.models import PharmacySku, Product, Sku, StockLedgerEntry
from inventory.services import _ledger_entry
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


def _holds(row, values: dict) -> bool:
    return all(getattr(row, name) == value for name, value in values.items())


def _upsert_many(model, wanted: dict[str, dict]) -> dict[str, object]:
    """Rows by uid holding `wanted` values, created or updated in uid order: one statement per
    set of columns (a payload leaves out what it must not clear: see `sku_values`). The rows
    returned carry their primary key and the columns written, no others."""
    batches: dict[tuple[str, ...], list] = {}
    for uid in sorted(wanted):
        batches.setdefault(tuple(wanted[uid]), []).append(model(uid=uid, **wanted[uid]))
    rows = {}
    for columns, batch in batches.items():
        model.objects.bulk_create(
            batch, update_conflicts=True, unique_fields=["uid"], update_fields=list(columns)
        )
        rows.update((row.uid, row) for row in batch)
    return rows


def skus_upsert(*, skus_data: Iterable[dict]) -> tuple[dict[str, Sku], set[str]]:
    """`sku_upsert` for several payload `sku` objects at once: (SKUs by uid, the uids of those
    that were stored before)."""
    skus_data = {data["uid"]: data for data in skus_data}
    if not skus_data:
        return {}, set()
    # One read for SKUs and their products (a known catalogue, the common case).
    loaded = Sku.objects.filter(uid__in=skus_data).select_related("product")
    loaded = {sku.uid: sku for sku in loaded}
    wanted_products = {data["product_uid"]: product_values(data) for data in skus_data.values()}
    products = {
        sku.product.uid: sku.product
        for sku in loaded.values()
        if sku.product.uid in wanted_products
        and _holds(sku.product, wanted_products[sku.product.uid])
    }
    products.update(
        _upsert_many(Product, {uid: v for uid, v in wanted_products.items() if uid not in products})
    )
    # Compared and written by product id (comparing `product` would load each SKU's product);
    # the products are then put on the SKUs, so nothing later loads them again.
    wanted_skus = {
        uid: {"product_id": products[data["product_uid"]].pk, **sku_values(data)}
        for uid, data in skus_data.items()
    }
    skus = {uid: sku for uid, sku in loaded.items() if _holds(sku, wanted_skus[uid])}
    skus.update(_upsert_many(Sku, {uid: v for uid, v in wanted_skus.items() if uid not in skus}))
    for uid, sku in skus.items():
        sku.product = products[skus_data[uid]["product_uid"]]
    return skus, set(loaded)


def _pharmacy_sku_defaults(data: dict, sku: Sku, pharmacy_uid: str) -> dict:
    # The figures an order shows for a pharmacy SKU first seen; stock events own them after.
    return {
        "sku": sku,
        "pharmacy_uid": pharmacy_uid,
        "external_id": data.get("external_id") or "",
        "price": data.get("price"),
        "stock": data.get("stock") or 0,
    }


def _locked(uids: Iterable[str]) -> dict[str, PharmacySku]:
    found = PharmacySku.objects.select_for_update().filter(uid__in=list(uids)).order_by("uid")
    return {row.uid: row for row in found}


def pharmacy_skus_ensure_for_order(
    *,
    wanted: dict[str, tuple[dict, Sku]],
    pharmacy_uid: str,
    delivery: Delivery,
    seen_at: datetime,
    likely_new: Iterable[str] = (),
) -> dict[str, PharmacySku]:
    """Pharmacy SKUs first seen on an order, several at once: `wanted` maps a pharmacy SKU uid to
    its payload and SKU. Existing rows are locked (uid order) and left alone; missing ones are
    created with a "First seen" ledger entry each. `likely_new`: uids to insert without looking
    first (their SKU was new); any of them that turns out to be stored is locked afterwards."""
    likely_new = set(likely_new)
    look = [uid for uid in wanted if uid not in likely_new]
    rows = _locked(look) if look else {}
    missing = [uid for uid in sorted(wanted) if uid not in rows]
    if not missing:
        return rows
    created = insert_missing(
        [
            PharmacySku(uid=uid, **_pharmacy_sku_defaults(*wanted[uid], pharmacy_uid))
            for uid in missing
        ]
    )
    rows.update((row.uid, row) for row in created)
    # Stored before (or by another delivery while this insert waited for it): locked, left alone.
    stored = [uid for uid in missing if uid not in rows]
    if stored:
        rows.update(_locked(stored))
    StockLedgerEntry.objects.bulk_create(
        _ledger_entry(row, StockLedgerEntry.Cause.ORDER_WEBHOOK, delivery, seen_at)
        for row in created
    )
    return rows
