"""Writes with rules for products, SKUs and pharmacy SKUs. Every stock change is ledgered.

Stock and reserved come from RxScale; the only local stock movement is a recorded staff
adjustment. For the stock figure the newest wins by time: RxScale's `updated_at` for a webhook,
the moment of the adjustment for staff. A figure that loses stays in the ledger as superseded.
Locking: one pharmacy SKU row per call (select_for_update); webhook processing locks its
delivery row before it, so the order is always delivery -> pharmacy SKU.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from common.content_hash import content_sha256
from common.events import Delivery
from common.text import clean_typed_text
from inventory.models import LEDGER_FIELDS, PharmacySku, Product, Sku, StockLedgerEntry
from inventory.sku_payload import product_values, sku_values
from inventory.snapshot_ties import (
    PharmacySkuSnapshotOutcome,
    pharmacy_sku_apply_tie,
    pharmacy_sku_is_tie,
)

# Sent inside an applied staff adjustment's transaction, with the SKU row locked: a receiver's
# writes (the RxScale link's command) commit or roll back with it. Keyword arguments:
# pharmacy_sku, ledger_entry, user.
stock_adjusted = Signal()

# RxScale stock is a non-negative integer level; anything above this is a typo, not a count.
MAX_STOCK = 1_000_000
MAX_THRESHOLD = 1_000_000
MAX_REASON_LENGTH = 500


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
    product = _upsert(Product, sku_data["product_uid"], product_values(sku_data))
    values = {"product": product, **sku_values(sku_data)}
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
    *,
    snapshot: dict,
    delivery: Delivery,
    payload_warnings: Sequence[str] = (),
    stored: tuple[str, PharmacySku | None] | None = None,
) -> PharmacySkuSnapshotOutcome:
    """Apply a pharmacy_sku_stock_updated snapshot.

    Older than the stored `updated_at`: stale, nothing changes. Equal with the same content:
    re-applied, no ledger entry. Equal with other content: a tie (inventory/snapshot_ties.py).
    The stock figure is only taken when the snapshot is newer than the last staff adjustment
    (newest wins by time); a newer snapshot settles a tie. `payload_warnings` (the tolerant
    reader's) replace the row's own whenever the snapshot is applied. Locks the row.
    `stored`: (uid, the row as the caller read it unlocked, or None), saving that read.
    """
    updated_at = snapshot["updated_at"]
    content_sha = content_sha256(snapshot)
    values = {
        "pharmacy_uid": snapshot.get("pharmacy_uid") or "",
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
        # What the tolerant reader noticed (common/validation.py), replaced by each snapshot.
        "payload_warnings": list(payload_warnings),
    }
    for name in ("markup", "priority"):  # unreadable (warned): the stored figure stays
        if values[name] is None:
            del values[name]
    # A stale snapshot or a tie must not touch the SKU or product: rx_updated_at only grows, so
    # this unlocked look is final for "stale" (both are checked again under the lock). Upserting
    # the SKU before locking the pharmacy SKU keeps the lock order of order events.
    if stored is not None and stored[0] == snapshot["uid"]:
        row = stored[1]
        seen = row is not None and row.rx_updated_at is not None
        known = row if seen and row.rx_updated_at >= updated_at else None
    else:
        known = PharmacySku.objects.filter(
            uid=snapshot["uid"], rx_updated_at__gte=updated_at
        ).first()
    if known is not None and known.rx_updated_at > updated_at:
        return PharmacySkuSnapshotOutcome(pharmacy_sku=known, stale=True)
    tie = {"snapshot": snapshot, "values": values, "content_sha": content_sha, "delivery": delivery}
    # Read from RxScale's API, an equal `updated_at` is what RxScale holds: applied, it settles.
    authoritative = delivery.authoritative
    if (
        known is not None
        and not authoritative
        and pharmacy_sku_is_tie(known, snapshot, content_sha)
    ):
        return pharmacy_sku_apply_tie(pharmacy_sku=known, **tie)  # locks the row
    values["sku"] = sku_upsert(sku_data=snapshot["sku"])
    pharmacy_sku, created = _lock_or_create_pharmacy_sku(
        snapshot["uid"],
        {
            **values,
            "rx_updated_at": updated_at,
            "stock_set_at": updated_at,
            "rx_snapshot_sha256": content_sha,
        },
    )
    if created:
        _ledger_created(pharmacy_sku, StockLedgerEntry.Cause.STOCK_WEBHOOK, delivery, updated_at)
        return PharmacySkuSnapshotOutcome(pharmacy_sku=pharmacy_sku, stale=False)
    if pharmacy_sku.rx_updated_at and updated_at < pharmacy_sku.rx_updated_at:
        return PharmacySkuSnapshotOutcome(pharmacy_sku=pharmacy_sku, stale=True)
    is_tie = pharmacy_sku_is_tie(pharmacy_sku, snapshot, content_sha)
    if is_tie and not authoritative:
        return pharmacy_sku_apply_tie(pharmacy_sku=pharmacy_sku, **tie)
    settles = is_tie  # an API answer at the tie's time is applied instead
    # Equal `updated_at` is the same snapshot again (re-sent or reprocessed): it may re-apply
    # but must not add history, so superseded figures are only recorded for newer snapshots.
    newer = pharmacy_sku.rx_updated_at is None or updated_at > pharmacy_sku.rx_updated_at
    superseded = {}
    if pharmacy_sku.stock_set_at and updated_at < pharmacy_sku.stock_set_at:
        # A newer staff adjustment holds the stock figure; keep RxScale's on record.
        reported = values.pop("stock")
        if newer and reported != pharmacy_sku.stock:
            superseded["stock"] = {
                "value": reported,
                "held_since": _ledger_value(pharmacy_sku.stock_set_at),
            }
    else:
        values["stock_set_at"] = updated_at
    values["rx_updated_at"] = updated_at
    values["rx_snapshot_sha256"] = content_sha
    if newer or settles:
        values["needs_confirmation"], values["needs_confirmation_reason"] = False, ""
    changes = _assign_changes(pharmacy_sku, values)
    if changes:  # an identical snapshot leaves the row, and its updated_at, untouched
        pharmacy_sku.save()
    ledgered = {k: v for k, v in changes.items() if k in LEDGER_FIELDS}
    if ledgered or superseded:
        StockLedgerEntry.objects.create(
            pharmacy_sku=pharmacy_sku,
            cause=StockLedgerEntry.Cause.STOCK_WEBHOOK,
            changes=ledgered,
            superseded=superseded,
            delivery=delivery,
            effective_at=updated_at,
        )
    return PharmacySkuSnapshotOutcome(pharmacy_sku=pharmacy_sku, stale=False)


def _ledger_created(
    pharmacy_sku: PharmacySku, cause: str, delivery: Delivery, effective_at: datetime
) -> None:
    _ledger_entry(pharmacy_sku, cause, delivery, effective_at).save()


def _ledger_entry(
    pharmacy_sku: PharmacySku, cause: str, delivery: Delivery, effective_at: datetime
) -> StockLedgerEntry:
    """The unsaved "First seen" entry of a new pharmacy SKU (saved alone or in bulk)."""
    return StockLedgerEntry(
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


class StockAdjustmentConflict(Exception):
    """The stock changed since the clerk saw it; nothing was written."""

    def __init__(self, *, current_stock: int):
        super().__init__(f"The stock is now {current_stock}.")
        self.current_stock = current_stock


@dataclass(frozen=True)
class StockAdjustmentOutcome:
    pharmacy_sku: PharmacySku
    entry: StockLedgerEntry
    # False when a newer RxScale figure holds the stock (recorded as superseded only).
    applied: bool


def _require_permission(user, permission: str) -> None:
    if user is None or not user.has_perm(permission):
        raise PermissionDenied(f"{permission} is required.")


def _clean_stock(new_stock) -> int:
    if isinstance(new_stock, bool) or not isinstance(new_stock, int):
        raise ValidationError({"new_stock": "Enter a whole number."}, code="invalid")
    if not 0 <= new_stock <= MAX_STOCK:
        raise ValidationError(
            {"new_stock": f"Stock must be between 0 and {MAX_STOCK}."}, code="out_of_range"
        )
    return new_stock


def _clean_reason(reason: str) -> str:
    reason = clean_typed_text(reason)
    if not reason:
        raise ValidationError({"reason": "A reason is required."}, code="required")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(
            {"reason": f"At most {MAX_REASON_LENGTH} characters."}, code="max_length"
        )
    return reason


def pharmacy_sku_adjust_stock(
    *,
    pharmacy_sku: PharmacySku,
    new_stock: int,
    reason: str,
    user: AbstractBaseUser,
    expected_stock: int | None = None,
) -> StockAdjustmentOutcome:
    """Set a pharmacy SKU's stock figure by hand (a stock count), with a required reason.

    The adjustment happens now: it takes effect unless the stored stock figure is newer (an
    RxScale snapshot dated after now, i.e. clock skew), in which case it is recorded as
    superseded and `applied` is False. Either way one ledger entry (staff_adjustment, user,
    reason) is written. An applied adjustment sends `stock_adjusted` inside the transaction.

    `expected_stock` is the figure the clerk saw; if the stock differs by the time the row is
    locked, StockAdjustmentConflict is raised and nothing is written.

    Errors: PermissionDenied without inventory.adjust_stock; ValidationError for a stock
    outside 0..MAX_STOCK, a blank or overlong reason, or a figure equal to the current stock.
    Locking: the pharmacy SKU row (select_for_update), for the whole check-and-write.
    """
    _require_permission(user, "inventory.adjust_stock")
    new_stock = _clean_stock(new_stock)
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = PharmacySku.objects.select_for_update().get(pk=pharmacy_sku.pk)
        if expected_stock is not None and locked.stock != expected_stock:
            raise StockAdjustmentConflict(current_stock=locked.stock)
        if locked.stock == new_stock:
            raise ValidationError(
                {"new_stock": f"The stock is already {new_stock}."}, code="unchanged"
            )
        now = timezone.now()
        applied = locked.stock_set_at is None or locked.stock_set_at <= now
        if applied:
            changes = {"stock": {"old": locked.stock, "new": new_stock}}
            superseded = {}
            locked.stock = new_stock
            locked.stock_set_at = now
            locked.save(update_fields=["stock", "stock_set_at", "updated_at"])
            locked.refresh_from_db(fields=["available"])
        else:
            changes = {}
            superseded = {
                "stock": {"value": new_stock, "held_since": _ledger_value(locked.stock_set_at)}
            }
        entry = StockLedgerEntry.objects.create(
            pharmacy_sku=locked,
            cause=StockLedgerEntry.Cause.STAFF_ADJUSTMENT,
            changes=changes,
            superseded=superseded,
            user=user,
            reason=reason,
            effective_at=now,
        )
        if applied:
            # In the transaction: the RxScale link writes its command with the adjustment.
            stock_adjusted.send(
                sender=PharmacySku, pharmacy_sku=locked, ledger_entry=entry, user=user
            )
    return StockAdjustmentOutcome(pharmacy_sku=locked, entry=entry, applied=applied)


def pharmacy_sku_set_threshold(
    *, pharmacy_sku: PharmacySku, threshold: int | None, user: AbstractBaseUser
) -> PharmacySku:
    """Set the SKU's low-stock threshold; None means the global LOW_STOCK_THRESHOLD_DEFAULT.

    A local setting (never sent to RxScale). A real change is ledgered (threshold_change,
    with the user); setting the same value again writes nothing.
    Errors: PermissionDenied without inventory.change_pharmacysku; ValidationError outside
    0..MAX_THRESHOLD. Locking: the pharmacy SKU row.
    """
    _require_permission(user, "inventory.change_pharmacysku")
    if threshold is not None and (
        isinstance(threshold, bool)
        or not isinstance(threshold, int)
        or not 0 <= threshold <= MAX_THRESHOLD
    ):
        raise ValidationError(
            {"low_stock_threshold": f"Enter a whole number between 0 and {MAX_THRESHOLD}."},
            code="invalid",
        )
    with transaction.atomic():
        locked = PharmacySku.objects.select_for_update().get(pk=pharmacy_sku.pk)
        old = locked.low_stock_threshold
        if old == threshold:
            return locked
        locked.low_stock_threshold = threshold
        locked.save(update_fields=["low_stock_threshold", "updated_at"])
        StockLedgerEntry.objects.create(
            pharmacy_sku=locked,
            cause=StockLedgerEntry.Cause.THRESHOLD_CHANGE,
            changes={"low_stock_threshold": {"old": old, "new": threshold}},
            user=user,
            effective_at=timezone.now(),
        )
    return locked
