"""The order page's timeline: everything that happened to one order, oldest first.

Reads only. Imports the selectors it shares (never the other way round). What the RxScale link
knows about an order (its deliveries and commands) comes from functions that the link
registers in `TIMELINE_SOURCES` when it loads: this app never imports the link.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pharmacy_orders.models import (
    AuditEntry,
    OrderConflict,
    OrderNote,
    OrderStatusChange,
    PaperOriginalReceipt,
    PharmacistRelease,
    PharmacyOrder,
)
from pharmacy_orders.services.audit import AuditAction
from pharmacy_orders.services.rxscale_decisions import (
    FIELD_SNAPSHOT,
    KEPT_LOCAL,
    KEPT_RXSCALE,
    KEPT_TIE,
)
from pharmacy_orders.services.workflow import status_label


@dataclass(frozen=True)
class ConflictSide:
    who: str
    value: str
    at: datetime | None


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # delivery, status, note, claim, conflict, deleted
    title: str
    user: str = ""
    text: str = ""
    badge: str = ""
    # css level of the badge when it is not a delivery status: ok, warn, danger, info
    badge_level: str = ""
    extra: list[str] = field(default_factory=list)
    sides: list[ConflictSide] = field(default_factory=list)
    # An RxScale delivery's entry: the status changes it caused are shown inside it.
    delivery_id: int | None = None


TimelineSource = Callable[[PharmacyOrder], list[TimelineEntry]]
TIMELINE_SOURCES: list[TimelineSource] = []


_CLAIM_TITLES = {
    AuditAction.CLAIM: "Claimed",
    AuditAction.TAKEOVER: "Taken over",
    AuditAction.RELEASE: "Claim released",
}

# kept -> (title, badge, badge level)
_CONFLICT_LOOK = {
    KEPT_RXSCALE: ("RxScale's final decision overrode a staff action", "RxScale kept", "danger"),
    KEPT_LOCAL: ("An older RxScale status did not undo a staff action", "staff kept", "info"),
    KEPT_TIE: (
        "RxScale sent two different versions with the same time",
        "needs confirmation",
        "warn",
    ),
}


def order_timeline(order: PharmacyOrder) -> list[TimelineEntry]:
    """Everything that happened to the order, oldest first: what the registered sources add
    (RxScale deliveries, with the status change each caused), staff status changes,
    conflicts between the two, the deletion at RxScale, notes and claims. A fixed number of
    queries."""
    entries: list[TimelineEntry] = []
    changes = list(order.status_changes.select_related("user"))
    by_delivery: dict[int, list[OrderStatusChange]] = {}
    for change in changes:
        if change.delivery_id:
            by_delivery.setdefault(change.delivery_id, []).append(change)

    delivery_ids = set()
    for source in TIMELINE_SOURCES:
        for entry in source(order):
            if entry.delivery_id is not None:
                delivery_ids.add(entry.delivery_id)
                entry.extra += [_change_text(c) for c in by_delivery.get(entry.delivery_id, [])]
            entries.append(entry)
    for change in changes:
        if change.delivery_id in delivery_ids:
            continue
        entries.append(
            TimelineEntry(
                at=change.created_at,
                kind="status",
                title=_change_text(change),
                user=change.user.get_username() if change.user_id else "RxScale",
                text=change.reason,
            )
        )
    entries += [_conflict_entry(c) for c in OrderConflict.objects.filter(order=order)]
    if order.rx_deleted_at is not None:
        entries.append(
            TimelineEntry(
                at=order.rx_deleted_at,
                kind="deleted",
                title="Deleted by RxScale",
                user="RxScale",
                badge="deleted",
                badge_level="danger",
            )
        )
    for note in OrderNote.objects.filter(order=order).select_related("author"):
        entries.append(
            TimelineEntry(
                at=note.created_at,
                kind="note",
                title="Note",
                user=note.author.get_username(),
                text=note.text,
            )
        )
    claims = AuditEntry.objects.filter(
        order_uid=order.uid, action__in=AuditAction.CLAIM_ACTIONS
    ).select_related("user")
    for entry in claims:
        title = _CLAIM_TITLES[entry.action]
        if entry.action == AuditAction.TAKEOVER and entry.details.get("from_user"):
            title = f"Taken over from {entry.details['from_user']}"
        entries.append(
            TimelineEntry(
                at=entry.created_at,
                kind="claim",
                title=title,
                user=entry.user.get_username() if entry.user_id else "",
            )
        )
    entries += _gate_entries(order)
    entries.sort(key=lambda e: e.at)
    return entries


def _gate_entries(order: PharmacyOrder) -> list[TimelineEntry]:
    """The paper original's receipt, and each pharmacist release (and its voiding)."""
    entries = []
    for receipt in PaperOriginalReceipt.objects.filter(order=order).select_related("received_by"):
        extra = [f"Scan reference: {receipt.scan_reference}"] if receipt.scan_reference else []
        entries.append(
            TimelineEntry(
                at=receipt.received_at,
                kind="paper",
                title="Paper original received",
                user=receipt.received_by.get_username(),
                text=receipt.note,
                extra=extra,
            )
        )
    releases = PharmacistRelease.objects.filter(order=order).select_related(
        "released_by", "prepared_by"
    )
    for release in releases:
        prepared = release.prepared_by.get_username() if release.prepared_by_id else ""
        entries.append(
            TimelineEntry(
                at=release.released_at,
                kind="release",
                title="Released by a pharmacist: checklist confirmed",
                user=release.released_by.get_username(),
                badge="single-person release" if release.single_person else "four eyes",
                badge_level="warn" if release.single_person else "ok",
                extra=[
                    "Prescription checked · Doctor and signature checked · "
                    "Dose and interactions plausible",
                    *([f"Prepared by {prepared}"] if prepared else []),
                ],
            )
        )
        if release.voided_at is not None:
            entries.append(
                TimelineEntry(
                    at=release.voided_at,
                    kind="release-void",
                    title="Release voided",
                    user="RxScale",
                    text=release.void_reason,
                    badge="void",
                    badge_level="danger",
                )
            )
    return entries


def _change_text(change: OrderStatusChange) -> str:
    if not change.from_status:
        return f"Arrived as “{status_label(change.to_status)}”"
    return f"{status_label(change.from_status)} → {status_label(change.to_status)}"


def _conflict_value(conflict: OrderConflict, value: str) -> str:
    if conflict.field == FIELD_SNAPSHOT:
        # Two versions are told apart by their content fingerprint, not by a value to show.
        return f"version {value[:12]}" if value else "version applied earlier"
    return status_label(value)


def _conflict_entry(conflict: OrderConflict) -> TimelineEntry:
    title, badge, level = _CONFLICT_LOOK.get(conflict.kept, ("Conflict", conflict.kept, "warn"))
    local_who = "Applied" if conflict.field == FIELD_SNAPSHOT else "Staff"
    return TimelineEntry(
        at=conflict.created_at,
        kind="conflict",
        title=title,
        text=conflict.explanation,
        badge=badge,
        badge_level=level,
        sides=[
            ConflictSide(
                "RxScale", _conflict_value(conflict, conflict.rxscale_value), conflict.rxscale_at
            ),
            ConflictSide(
                local_who, _conflict_value(conflict, conflict.local_value), conflict.local_set_at
            ),
        ],
    )
