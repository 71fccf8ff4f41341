"""A worker's batch: claim due deliveries, take each subject's backlog along, newest first.

Order and pharmacy SKU events are full snapshots ordered by `data.updated_at` (newest wins).
When workers fall behind (a burst), one subject's backlog holds several versions. Taken
together, the newest is applied and, once it has been (processed, or stale because RxScale's
even newer one is stored), every strictly older one is stale by definition: they are marked
so in one statement, without being parsed or validated. The final state is the one claim
order would reach; only intermediate states are never applied (no history rows for them), as
if RxScale had sent the newest alone. If the newest fails, the next one is applied normally.
Meetings (their history keeps every change) and prescriptions (arrival order) are not grouped.
"""

from collections import defaultdict

from django.db.models import Q
from django.utils import timezone

from common.validation import raw_snapshot_head
from common.workqueue import claim_due_rows, lease_release_fields
from rxscale.inbox.models import (
    WebhookDelivery,
    pending_deliveries,
)
from rxscale.inbox.payload import parse_json_object
from rxscale.inbox.processing import delivery_run

Status = WebhookDelivery.Status
_SNAPSHOT_KINDS = (WebhookDelivery.SubjectKind.ORDER, WebhookDelivery.SubjectKind.PHARMACY_SKU)
# Bounds the siblings one batch takes along (its lease holds them while the batch runs).
SAME_SUBJECT_LIMIT = 200
# Outcomes after which the subject holds a snapshot at least as new as the one just run.
_SETTLED = (Status.PROCESSED, Status.STALE)


def inbox_process_due(*, worker_id: str, limit: int) -> int:
    """Claim up to `limit` due deliveries, plus the other due snapshots of the same orders and
    pharmacy SKUs, and apply them. Returns how many were claimed."""
    rows = claim_due_rows(
        pending_deliveries(),
        worker_id=worker_id,
        limit=limit,
        fields=("subject_kind", "subject_uid"),
    )
    if len(rows) == limit:
        # A full batch may have left due siblings behind; a short one took every due row.
        rows += _claim_same_subjects(rows, worker_id=worker_id)
    for group in _subject_groups(rows):
        _run_newest_first(group, worker_id=worker_id)
    return len(rows)


def _snapshot_subject(kind: str, uid: str) -> tuple[str, str] | None:
    return (kind, uid) if kind in _SNAPSHOT_KINDS and uid else None


def _claim_same_subjects(rows: list[tuple], *, worker_id: str) -> list[tuple]:
    """Also lease the other due snapshots of the claimed orders and pharmacy SKUs."""
    subjects = {s for _, kind, uid in rows if (s := _snapshot_subject(kind, uid))}
    if not subjects:
        return []
    same_subject = Q()
    for kind, uid in subjects:
        same_subject |= Q(subject_kind=kind, subject_uid=uid)
    claimed = [pk for pk, _, _ in rows]
    siblings = pending_deliveries().filter(same_subject).exclude(pk__in=claimed)
    return claim_due_rows(
        siblings,
        worker_id=worker_id,
        limit=SAME_SUBJECT_LIMIT,
        fields=("subject_kind", "subject_uid"),
    )


def _subject_groups(rows: list[tuple]) -> list[list[tuple[int, float]]]:
    """The claimed rows in claim order as groups of (id, updated_at): one group per order or
    pharmacy SKU, newest first (stable: equal or unreadable times keep claim order), placed
    where its first row was claimed; every other row a group of its own. Bodies are read
    (one query) only when some subject has several rows to order."""
    subject_of = {pk: s for pk, kind, uid in rows if (s := _snapshot_subject(kind, uid))}
    members: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, _, _ in rows:
        if pk in subject_of:
            members[subject_of[pk]].append(pk)
    several = [pk for pks in members.values() if len(pks) > 1 for pk in pks]
    time_of = dict.fromkeys(subject_of, -1.0)
    if several:
        bodies = WebhookDelivery.objects.filter(pk__in=several).values_list("pk", "body")
        time_of.update((pk, _raw_updated_at(body)) for pk, body in bodies)
    groups, placed = [], set()
    for pk, _, _ in rows:
        subject = subject_of.get(pk)
        if subject is None:
            groups.append([(pk, -1.0)])
        elif subject not in placed:
            placed.add(subject)
            newest_first = sorted(members[subject], key=lambda m: time_of[m], reverse=True)
            groups.append([(m, time_of[m]) for m in newest_first])
    return groups


def _run_newest_first(group: list[tuple[int, float]], *, worker_id: str) -> None:
    remaining = list(group)
    while remaining:
        (delivery_id, updated_at), remaining = remaining[0], remaining[1:]
        status = delivery_run(delivery_id=delivery_id, worker_id=worker_id)
        if status in _SETTLED and updated_at >= 0:
            older = [pk for pk, at in remaining if 0 <= at < updated_at]
            _mark_stale(older, worker_id=worker_id)
            remaining = [(pk, at) for pk, at in remaining if pk not in older]


def _mark_stale(delivery_ids: list[int], *, worker_id: str) -> None:
    """Strictly older than a snapshot the subject already holds: nothing to apply."""
    if delivery_ids:
        pending_deliveries().filter(pk__in=delivery_ids, leased_by=worker_id).update(
            status=Status.STALE, processed_at=timezone.now(), **lease_release_fields()
        )


def _raw_updated_at(body: bytes) -> float:
    """`data.updated_at` of a stored body as validation would read it; -1 if it would not."""
    payload, _ = parse_json_object(bytes(body))
    updated_at = raw_snapshot_head(payload)[1] if payload is not None else None
    return updated_at.timestamp() if updated_at is not None else -1.0
