"""Two different stock snapshots of one pharmacy SKU with the same `updated_at` (a tie).

Neither can be called newer, so neither is applied blindly: the version applied first stays,
only `deleted_at` becoming set is taken from the other (it never goes back), the other's figures
are ledgered as "not applied", and the SKU is marked as needing confirmation. Which version
RxScale really holds is settled by reading the SKU from RxScale's API (the next issue).

Known gap: two versions of one second processed at the same moment may both upsert the catalogue
SKU's descriptive data (name, PZN) before the pharmacy SKU's lock decides the tie; the pharmacy
SKU's own figures are always decided under that lock.
"""

from dataclasses import dataclass
from datetime import datetime

from common.events import Delivery
from inventory.models import LEDGER_FIELDS, PharmacySku, StockLedgerEntry


@dataclass(frozen=True)
class PharmacySkuSnapshotOutcome:
    pharmacy_sku: PharmacySku
    stale: bool
    # For the delivery (a tie, for example).
    warnings: tuple[str, ...] = ()


# The figures a stock snapshot reports that the ledger shows (a deletion is applied on a tie).
_REPORTED = tuple(name for name in LEDGER_FIELDS if name != "rx_deleted_at")


def pharmacy_sku_is_tie(pharmacy_sku: PharmacySku, snapshot: dict, content_sha: str) -> bool:
    """Whether the snapshot must go through `pharmacy_sku_apply_tie`: the same time as the
    applied one with other content, or any content while an earlier tie at that time is
    unconfirmed (re-applying the first version would undo a deletion taken from it). A row
    without a stored fingerprint (applied before they existed) re-applies as before."""
    if pharmacy_sku.rx_updated_at != snapshot["updated_at"]:
        return False
    differs = (
        bool(pharmacy_sku.rx_snapshot_sha256) and content_sha != pharmacy_sku.rx_snapshot_sha256
    )
    return differs or pharmacy_sku.needs_confirmation


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _tie_record(
    *,
    pharmacy_sku: PharmacySku,
    values: dict,
    content_sha: str,
    delivery: Delivery,
) -> list[str]:
    """Saves the row and ledgers the tie once per version; returns warnings."""
    if content_sha == pharmacy_sku.rx_snapshot_sha256:
        return []  # the applied version again, after a tie: nothing new, nothing to undo
    updated_at = pharmacy_sku.rx_updated_at
    changes = {}
    deleted_at = values.get("rx_deleted_at")
    if deleted_at is not None and pharmacy_sku.rx_deleted_at is None:
        changes["rx_deleted_at"] = {"old": None, "new": _iso(deleted_at)}
        pharmacy_sku.rx_deleted_at = deleted_at
    superseded = {
        name: {"value": values[name], "held_since": _iso(updated_at), "tie": True}
        for name in _REPORTED
        if name in values and values[name] != getattr(pharmacy_sku, name)
    }
    differing = [str(PharmacySku._meta.get_field(name).verbose_name) for name in superseded]
    if changes:
        differing.append("deleted")
    only = " except its deletion" if changes else ""
    reason = (
        "RxScale sent two different stock snapshots with the same update time (they differ "
        f"in: {', '.join(differing) or 'SKU details'}). The one received first is shown; the "
        f"other's figures are in the ledger as not applied{only}."
    )
    pharmacy_sku.needs_confirmation, pharmacy_sku.needs_confirmation_reason = True, reason
    pharmacy_sku.save()
    ledger_reason = (
        f"Tie: another version with the same time (version {content_sha[:12]}); "
        "needs confirmation from RxScale."
    )
    # Once per version: a re-sent or reprocessed tie adds no history.
    if not StockLedgerEntry.objects.filter(
        pharmacy_sku=pharmacy_sku, effective_at=updated_at, reason=ledger_reason
    ).exists():
        StockLedgerEntry.objects.create(
            pharmacy_sku=pharmacy_sku,
            cause=StockLedgerEntry.Cause.STOCK_WEBHOOK,
            changes=changes,
            superseded=superseded,
            delivery=delivery,
            reason=ledger_reason,
            effective_at=updated_at,
        )
    return [
        "Tie: this stock snapshot has the same updated_at as the one applied but different "
        f"content; it was not applied{only}. The pharmacy SKU needs confirmation from RxScale."
    ]


def pharmacy_sku_apply_tie(
    *,
    pharmacy_sku: PharmacySku,
    snapshot: dict,
    values: dict,
    content_sha: str,
    delivery: Delivery,
) -> PharmacySkuSnapshotOutcome:
    """Apply a tie to `pharmacy_sku` (`values`: the snapshot as model fields). Locks the row
    (again, if the caller holds it already) and re-reads it."""
    pharmacy_sku = PharmacySku.objects.select_for_update().get(pk=pharmacy_sku.pk)
    if pharmacy_sku.rx_updated_at > snapshot["updated_at"]:
        # A newer snapshot was applied while this one waited for the lock.
        return PharmacySkuSnapshotOutcome(pharmacy_sku=pharmacy_sku, stale=True)
    warnings = _tie_record(
        pharmacy_sku=pharmacy_sku, values=values, content_sha=content_sha, delivery=delivery
    )
    return PharmacySkuSnapshotOutcome(
        pharmacy_sku=pharmacy_sku, stale=False, warnings=tuple(warnings)
    )
