"""Sync runs: one at a time across processes, recorded, and scheduled by the worker.

The lock is the SyncRun row itself: at most one row is `active` (a partial unique index), so
of two processes starting at once one insert fails and that process does not run. A run keeps
its heartbeat fresh; one whose process died (no heartbeat for SYNC_ABANDONED_AFTER) is closed
as abandoned by the next process that wants to start, which then runs.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.storable import single_line
from rxscale.client import api_configured
from rxscale.sync.fetch import SyncReader
from rxscale.sync.models import SyncRun
from rxscale.sync.run import SyncReport, rxscale_settle_ties, rxscale_sync, sync_reader

logger = logging.getLogger(__name__)

SYNC_ABANDONED_AFTER = timedelta(minutes=10)
HEARTBEAT_EVERY = timedelta(seconds=30)
# The next scheduled run reads from the last one's start minus this: RxScale's clock and ours
# may disagree, and an object changed while the last run read its pages may have been missed.
SYNC_OVERLAP = timedelta(minutes=5)
# How often an idle worker asks the database whether a sync is due.
_CHECK_EVERY_SECONDS = 30.0


class SyncBusy(Exception):
    """Another process is syncing now."""

    def __init__(self, run: SyncRun | None) -> None:
        since = f" (run #{run.pk}, started {run.started_at:%Y-%m-%d %H:%M:%S})" if run else ""
        super().__init__(f"Another RxScale sync is running{since}.")


def sync_run_start(
    *,
    trigger: str,
    orders: bool = True,
    skus: bool = True,
    since: datetime | None = None,
    worker: str = "",
    not_within: timedelta | None = None,
) -> SyncRun:
    """Take the lock by inserting an active SyncRun. Raises SyncBusy if another holds it, or
    (`not_within`, the schedule) if another run started less than that long ago."""
    now = timezone.now()
    SyncRun.objects.filter(active=True, heartbeat_at__lt=now - SYNC_ABANDONED_AFTER).update(
        active=False,
        finished_at=now,
        error="Abandoned: its process stopped without finishing (no heartbeat).",
    )
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(
                trigger=trigger,
                orders=orders,
                skus=skus,
                since=since,
                worker=worker,
                started_at=now,
                heartbeat_at=now,
            )
            # Checked after the insert, under the lock: a run that started and finished while
            # this process was deciding is seen here.
            if (
                not_within is not None
                and SyncRun.objects.filter(started_at__gt=now - not_within)
                .exclude(pk=run.pk)
                .exists()
            ):
                raise SyncBusy(None)
    except IntegrityError:
        raise SyncBusy(SyncRun.objects.filter(active=True).first()) from None
    return run


def sync_run_finish(run: SyncRun, report: SyncReport, *, error: str = "") -> SyncRun:
    """Release the lock and record the outcome; a run without error sets where the next
    scheduled run reads from."""
    run.finished_at = timezone.now()
    run.active = False
    run.counts = report.as_json()
    run.failures = report.failures
    run.error = error
    run.next_since = _next_since(run, report) if not error else None
    run.save()
    return run


def _next_since(run: SyncRun, report: SyncReport) -> datetime | None:
    """Everything updated before this is in (or was failed and is read again next time)."""
    if not (run.orders and run.skus):
        return None
    covered_until = run.started_at
    if report.oldest_failed_at is not None:
        covered_until = min(covered_until, report.oldest_failed_at)
    if run.since is not None:
        # This run read only from `since`: it extends the previous coverage, if it joins it.
        previous = sync_resume_since(before=run)
        if previous is None or run.since > previous:
            return previous
    return covered_until - SYNC_OVERLAP


def sync_resume_since(*, before: SyncRun | None = None) -> datetime | None:
    """Where the next scheduled run starts reading; None: from the beginning."""
    runs = SyncRun.objects.filter(
        finished_at__isnull=False, error="", orders=True, skus=True, next_since__isnull=False
    )
    if before is not None:
        runs = runs.exclude(pk=before.pk).filter(started_at__lte=before.started_at)
    return runs.order_by("-started_at").values_list("next_since", flat=True).first()


def sync_last_success() -> SyncRun | None:
    """The last run that finished without error (for a health check: "last synced at")."""
    return SyncRun.objects.filter(finished_at__isnull=False, error="").first()


class _Heartbeat:
    def __init__(self, run: SyncRun, should_stop: Callable[[], bool] | None) -> None:
        self._run, self._should_stop = run, should_stop or (lambda: False)
        self._next = time.monotonic()

    def __call__(self) -> bool:
        """The reader's `should_stop`: beats now and then on the way."""
        if time.monotonic() >= self._next:
            self._next = time.monotonic() + HEARTBEAT_EVERY.total_seconds()
            SyncRun.objects.filter(pk=self._run.pk, active=True).update(heartbeat_at=timezone.now())
        return self._should_stop()


def sync_run_execute(
    run: SyncRun,
    *,
    settle_ties: bool = True,
    should_stop: Callable[[], bool] | None = None,
    reader: SyncReader | None = None,
) -> SyncRun:
    """Run the sync (and tie settling) that `run` describes and record it. A failure of the
    whole run (a list that cannot be read, a stop) is recorded as its error, not raised."""
    report, error = SyncReport(), ""
    beat = _Heartbeat(run, should_stop)
    try:
        if reader is None:
            with sync_reader(should_stop=beat) as reader:
                _execute(run, reader, report, settle_ties)
        else:
            _execute(run, reader, report, settle_ties)
    except Exception as exc:
        logger.exception("rxscale sync run %s stopped", run.pk, extra={"sync_run_id": run.pk})
        error = single_line(f"{type(exc).__name__}: {exc}")[:2000]
    finish = sync_run_finish(run, report, error=error)
    logger.info(
        "rxscale sync run %s: %s%s",
        run.pk,
        "; ".join(report.lines()) or "nothing to do",
        f" (error: {error})" if error else "",
        extra={"sync_run_id": run.pk},
    )
    return finish


def _execute(run: SyncRun, reader: SyncReader, report: SyncReport, settle_ties: bool) -> None:
    rxscale_sync(reader=reader, orders=run.orders, skus=run.skus, since=run.since, report=report)
    if settle_ties:
        rxscale_settle_ties(reader=reader, orders=run.orders, skus=run.skus, report=report)


class SyncSchedule:
    """The worker's timer: every RXSCALE_SYNC_INTERVAL_MINUTES (0: never), with the API
    configured, one worker across all processes runs the sync of orders and SKUs since the
    last successful run, then settles ties."""

    def __init__(self, *, worker_id: str) -> None:
        self._worker_id = worker_id
        self._next_check = 0.0

    def run_if_due(self, *, should_stop: Callable[[], bool]) -> SyncRun | None:
        interval = settings.RXSCALE_SYNC_INTERVAL_MINUTES
        if interval <= 0 or time.monotonic() < self._next_check or not api_configured():
            return None
        self._next_check = time.monotonic() + _CHECK_EVERY_SECONDS
        every = timedelta(minutes=interval)
        last = SyncRun.objects.values_list("started_at", flat=True).first()
        if last is not None and last > timezone.now() - every:
            return None
        try:
            run = sync_run_start(
                trigger=SyncRun.Trigger.SCHEDULE,
                since=sync_resume_since(),
                worker=self._worker_id,
                not_within=every,
            )
        except SyncBusy:
            return None
        return sync_run_execute(run, should_stop=should_stop)
