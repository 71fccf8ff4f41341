"""`rxscale_sync` and `rxscale_settle_ties`: what the command and the worker's schedule run.

Each object goes through the inbox (apply.py), one at a time, each in its own transactions:
a failure (a detail that cannot be read, a snapshot that fails validation, storage down) is
counted and kept with its reason, and the run goes on.
"""

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db import models

from common.log_format import subject_fields
from common.storable import single_line
from common.validation import is_older, raw_unix_time
from inventory.models import PharmacySku
from pharmacy_orders.models import PharmacyOrder
from rxscale.client import RxScaleClient
from rxscale.errors import RxScaleError
from rxscale.sync.apply import (
    FAILED,
    OUTCOMES,
    SKIPPED,
    STALE,
    Applied,
    Known,
    known_states,
    snapshot_apply,
)
from rxscale.sync.fetch import SyncReader, SyncStopped
from rxscale.sync.mapping import (
    ORDER_EVENT,
    SKU_EVENT,
    SKU_FIELDS_NOT_IN_API,
    envelope,
    order_data,
    sku_data,
)

logger = logging.getLogger(__name__)

ORDERS, SKUS, ORDER_TIES, SKU_TIES = "orders", "skus", "order ties", "SKU ties"
SETTLED = "settled"
# Kept on the SyncRun row: enough to find them, bounded for a run where everything fails.
MAX_FAILURES_KEPT = 100


@dataclass
class SyncReport:
    """Counts per kind (orders, skus, ties) and the failures, each with its reason."""

    counts: dict[str, Counter] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    # The oldest `updated_at` of a failed object: the next scheduled run reads from there.
    oldest_failed_at: datetime | None = None

    def record(self, kind: str, uid: str, applied: Applied, updated_at: datetime | None) -> None:
        self.counts.setdefault(kind, Counter())[applied.outcome] += 1
        if applied.outcome != FAILED:
            return
        logger.warning(
            "rxscale sync: %s %s failed: %s",
            kind,
            single_line(uid),
            applied.error,
            extra={"delivery_id": applied.delivery_id, **_uid_fields(kind, uid)},
        )
        if len(self.failures) < MAX_FAILURES_KEPT:
            self.failures.append(
                {"kind": kind, "uid": uid, "delivery": applied.delivery_id, "error": applied.error}
            )
        if updated_at is not None and (
            self.oldest_failed_at is None or updated_at < self.oldest_failed_at
        ):
            self.oldest_failed_at = updated_at

    @property
    def failed(self) -> int:
        return sum(counter[FAILED] for counter in self.counts.values())

    def as_json(self) -> dict[str, dict[str, int]]:
        return {kind: dict(counter) for kind, counter in self.counts.items()}

    def lines(self) -> list[str]:
        return count_lines(self.as_json())


def _uid_fields(kind: str, uid: str) -> dict[str, str]:
    return subject_fields("order" if kind in (ORDERS, ORDER_TIES) else "pharmacy_sku", uid)


def count_lines(counts: dict[str, dict[str, int]]) -> list[str]:
    """One line per kind: the five counts always, anything else when it happened."""
    lines = []
    for kind, counter in counts.items():
        named = OUTCOMES if kind in (ORDERS, SKUS) else (SETTLED, *OUTCOMES)
        shown = [f"{counter.get(name, 0)} {name}" for name in named]
        shown += [f"{n} {name}" for name, n in counter.items() if name not in named]
        lines.append(f"{kind}: {', '.join(shown)}")
    return lines


@contextmanager
def sync_reader(*, should_stop: Callable[[], bool] | None = None) -> Iterator[SyncReader]:
    """A reader over a client configured from the settings (RXSCALE_API_*)."""
    with RxScaleClient() as client:
        yield SyncReader(client, should_stop=should_stop)


def rxscale_sync(
    *,
    reader: SyncReader,
    orders: bool = True,
    skus: bool = True,
    since: datetime | None = None,
    report: SyncReport | None = None,
) -> SyncReport:
    """Read every order and/or pharmacy SKU from RxScale and apply each through the inbox.

    `since`: objects whose `updated_at` is older are skipped unread (the lists cannot filter,
    so every page is still read). An object strictly older than ours is counted stale without
    reading its details, as the handler would leave it unread. Raises RxScaleError when a
    list page cannot be read (the run cannot go on), SyncStopped when asked to stop.
    """
    report = report or SyncReport()
    if orders:
        for items in reader.pages(reader.client.list_orders):
            states = known_states(PharmacyOrder, _uids(items))
            for item in items:
                reader.check_stop()
                _sync_item(
                    ORDERS,
                    item,
                    model=PharmacyOrder,
                    since=since,
                    states=states,
                    report=report,
                    build=partial(_order_payload, reader),
                )
    if skus:
        for items in reader.pages(reader.client.list_skus):
            uids = _uids(items)
            states = known_states(PharmacySku, uids)
            stored = _sku_fields_not_in_api(uids)
            for item in items:
                reader.check_stop()
                _sync_item(
                    SKUS,
                    item,
                    model=PharmacySku,
                    since=since,
                    states=states,
                    report=report,
                    build=partial(_sku_payload, stored),
                )
    return report


def rxscale_settle_ties(
    *,
    reader: SyncReader,
    orders: bool = True,
    skus: bool = True,
    report: SyncReport | None = None,
) -> SyncReport:
    """Read every order and pharmacy SKU that waits for confirmation of a tie from RxScale and
    apply it as authoritative: its version replaces ours and the mark is cleared.

    Orders are read one by one; SKUs (the API has no single-SKU read) from the list, only
    when some wait. A waiting SKU missing from the list (a hidden type, or gone) is failed.
    """
    report = report or SyncReport()
    if orders:
        waiting_orders = list(
            PharmacyOrder.objects.filter(needs_confirmation=True).values_list("uid", flat=True)
        )
        for uid in waiting_orders:
            reader.check_stop()
            _settle(
                ORDER_TIES,
                uid,
                PharmacyOrder,
                report,
                partial(_order_payload, reader),
            )
    waiting = set(
        PharmacySku.objects.filter(needs_confirmation=True).values_list("uid", flat=True)
        if skus
        else ()
    )
    if waiting:
        for items in reader.pages(reader.client.list_skus):
            listed = [item for item in items if item.get("uid") in waiting]
            stored = _sku_fields_not_in_api(_uids(listed))
            for item in listed:
                reader.check_stop()
                uid = item["uid"]
                waiting.discard(uid)
                _settle(
                    SKU_TIES,
                    uid,
                    PharmacySku,
                    report,
                    partial(_sku_payload, stored),
                    item,
                )
        for uid in sorted(waiting):
            error = "Not in RxScale's SKU list (deleted, or of a hidden SKU type)."
            report.record(SKU_TIES, uid, Applied(FAILED, error=error), None)
    return report


def _order_payload(reader: SyncReader, uid: str, item: Any) -> dict:
    """The list leaves out patient, doctor, PDF and `prepaid`: the details carry them."""
    return envelope(ORDER_EVENT, order_data(reader.order(uid)))


def _sku_payload(stored: dict[str, dict[str, Any]], uid: str, item: dict) -> dict:
    """The list entry is the whole pharmacy SKU (there is no single-SKU read)."""
    return envelope(SKU_EVENT, sku_data(item, stored.get(uid)))


def _uids(items: list[dict]) -> list[str]:
    return [item["uid"] for item in items if isinstance(item.get("uid"), str)]


def _sku_fields_not_in_api(uids: list[str]) -> dict[str, dict[str, Any]]:
    rows = PharmacySku.objects.filter(uid__in=uids).values("uid", *SKU_FIELDS_NOT_IN_API)
    return {row.pop("uid"): row for row in rows}


def _sync_item(
    kind: str,
    item: Any,
    *,
    model: type[models.Model],
    since: datetime | None,
    states: dict[str, Known],
    report: SyncReport,
    build: Callable[[str, dict], dict],
) -> None:
    uid = item.get("uid") if isinstance(item, dict) else None
    if not isinstance(uid, str) or not uid:
        report.record(kind, "", Applied(FAILED, error="A list entry without a uid."), None)
        return
    updated_at = raw_unix_time(item.get("updated_at"))
    if since is not None and updated_at is not None and updated_at < since:
        report.counts.setdefault(kind, Counter())[SKIPPED] += 1
        return
    before = states.get(uid)
    if before is not None and is_older(updated_at, before.rx_updated_at):
        # The handler would find it stale unread: its details need not be read either.
        report.record(kind, uid, Applied(STALE), updated_at)
        return
    report.record(kind, uid, _apply(uid, model, before, build, item), updated_at)


def _settle(
    kind: str,
    uid: str,
    model: type[models.Model],
    report: SyncReport,
    build: Callable[[str, Any], dict],
    item: Any = None,
) -> None:
    before = known_states(model, [uid]).get(uid)
    applied = _apply(uid, model, before, build, item)
    after = known_states(model, [uid]).get(uid)
    if applied.outcome != FAILED and after is not None and not after.needs_confirmation:
        applied = Applied(SETTLED, applied.delivery_id)
    report.record(kind, uid, applied, None)


def _apply(
    uid: str,
    model: type[models.Model],
    before: Known | None,
    build: Callable[[str, Any], dict],
    item: Any,
) -> Applied:
    """Build the snapshot (reading details if need be) and apply it; failures are told."""
    try:
        payload = build(uid, item)
        return snapshot_apply(model=model, uid=uid, payload=payload, before=before)
    except SyncStopped:
        raise
    except RxScaleError as exc:
        return Applied(FAILED, error=single_line(f"Reading it from RxScale failed: {exc}")[:500])
    except Exception as exc:
        # Storage down, a bug: this object fails, the others may still go through.
        logger.exception(
            "rxscale sync: %s could not be applied",
            single_line(uid),
            extra=subject_fields("order" if model is PharmacyOrder else "pharmacy_sku", uid),
        )
        return Applied(FAILED, error=single_line(f"{type(exc).__name__}: {exc}")[:500])
