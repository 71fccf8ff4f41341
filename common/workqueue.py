"""Rows are the queue: the fields and the claim that any durable work table shares.

A row that has work to do carries a due time (`next_attempt_at`). A worker claims due rows with
`SELECT … FOR UPDATE SKIP LOCKED`, commits a lease (`lease_expires_at`, `leased_by`) and one more
attempt, and only then does the work, in a transaction of its own that locks the row again. So:

- a worker killed or disconnected mid-work loses nothing: its transaction rolls back, its lease
  runs out, and the next claim takes the row;
- the attempt counted at claim time survives a crash, so a row that kills every worker that
  touches it stops after `WORK_QUEUE_MAX_ATTEMPTS` instead of looping for ever;
- two workers never do the same row at once: the work holds the row lock, and a claim skips
  locked rows.

The inbox (webhook deliveries) and the outbox (commands to RxScale) both use it.
The task backend only wakes workers (see `common.tasks_backend`); no row depends on a task.
"""

import os
import random
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from common.storage import STORAGE_ERRORS


class QueueRow(models.Model):
    """The queue fields of a work row. Subclasses own their status field and its values."""

    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker should next try this row (pending only)"
    )
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="A worker holds the row until then"
    )
    leased_by = models.CharField(max_length=100, blank=True)

    class Meta:
        abstract = True


def worker_identity() -> str:
    """Host, process and a random part: unique per worker process, readable in the admin."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def lease_seconds() -> int:
    return settings.WORK_QUEUE_LEASE_SECONDS


def retry_delay(attempts: int) -> timedelta:
    """Capped exponential backoff with jitter (so that retries of a burst spread out)."""
    base = settings.WORK_QUEUE_RETRY_BASE_SECONDS
    cap = settings.WORK_QUEUE_RETRY_MAX_SECONDS
    seconds = min(cap, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=seconds * random.uniform(0.75, 1.0))


def is_transient(exc: BaseException) -> bool:
    """Worth trying again later: the database went away or deadlocked, storage failed.

    Everything else (validation, a value the database refuses, a bug) is permanent until
    somebody changes the data or the code, so retrying would only hide it.
    """
    return isinstance(exc, (OperationalError, InterfaceError, *STORAGE_ERRORS))


def claim_due(
    pending: QuerySet, *, worker_id: str, limit: int, lease: int | None = None
) -> list[int]:
    """Lease up to `limit` due rows of `pending` to `worker_id` (for `lease` seconds, default
    WORK_QUEUE_LEASE_SECONDS); return their ids, oldest due first.

    Due: `next_attempt_at` has come and no live lease holds the row. Rows locked by a worker
    that is working on them are skipped, not waited for. Commits before returning.
    """
    rows = claim_due_rows(pending, worker_id=worker_id, limit=limit, lease=lease)
    return [row[0] for row in rows]


def claim_due_rows(
    pending: QuerySet,
    *,
    worker_id: str,
    limit: int,
    lease: int | None = None,
    fields: tuple[str, ...] = (),
) -> list[tuple]:
    """As `claim_due`, returning (id, *fields) per claimed row: what the caller needs to know
    of its rows comes back from the claim itself, not from another query."""
    now = timezone.now()
    due = pending.filter(next_attempt_at__lte=now)
    return _claim(due, now, worker_id=worker_id, limit=limit, lease=lease, fields=fields)


def claim_one(pending: QuerySet, *, pk: int, worker_id: str) -> bool:
    """Lease one row now, whatever its due time (inline processing, reprocess)."""
    return bool(_claim(pending.filter(pk=pk), timezone.now(), worker_id=worker_id, limit=1))


def _claim(
    rows: QuerySet,
    now,
    *,
    worker_id: str,
    limit: int,
    lease: int | None = None,
    fields: tuple[str, ...] = (),
) -> list[tuple]:
    """Lease the first `limit` of `rows` that no live lease or row lock holds.

    One statement: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING`
    (SQLite, which has no row locks, runs the same without FOR UPDATE: its writer lock
    serialises claims). The rows come back in claim order: oldest due first.
    """
    model = rows.model
    connection = connections[rows.db]
    candidates = (
        rows.filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
        .order_by("next_attempt_at", "pk")
        .select_for_update(skip_locked=True)
        .values("pk")[:limit]
    )
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    returned = [model._meta.pk.column, "next_attempt_at"]
    returned += [model._meta.get_field(name).column for name in fields]
    expires = now + timedelta(seconds=lease or lease_seconds())
    with transaction.atomic(using=rows.db):
        inner_sql, inner_params = candidates.query.get_compiler(connection=connection).as_sql()
        # Only quoted model names and the ORM's own compiled SQL go in; values are parameters.
        columns = ", ".join(quote(column) for column in returned)
        lease_set = f"{quote('lease_expires_at')} = %s, {quote('leased_by')} = %s"
        attempts = f"{quote('attempts')} = {quote('attempts')} + 1"
        sql = f"UPDATE {table} SET {lease_set}, {attempts} WHERE {pk} IN ({inner_sql}) RETURNING {columns}"  # noqa: S608, E501
        params = [connection.ops.adapt_datetimefield_value(expires), worker_id, *inner_params]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            claimed = cursor.fetchall()
    # RETURNING has no order of its own. Due times compare within one backend (datetimes on
    # PostgreSQL, ISO strings on SQLite); a row claimed by id alone may have none.
    claimed.sort(key=lambda row: (row[1] is None, row[1] or 0, row[0]))
    return [(row[0], *row[2:]) for row in claimed]


def lease_release_fields() -> dict:
    return {"lease_expires_at": None, "leased_by": ""}
