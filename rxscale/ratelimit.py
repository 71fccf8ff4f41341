"""RxScale's rate limit, kept by every process together through the database.

rate-limits.md: 10 requests per second and 600 per minute, else 429 (no Retry-After). Every
web process, worker and management command sends with the same API key, so a limit kept in
each process would let N processes send N times as much. The count lives in two tables:

- RateLimitSlot: one row per request about to be sent, with its send time. Rows older than the
  longest window are deleted on the way, so the table holds about one minute's worth.
- RateLimitLock: one row per bucket. Every acquisition UPDATEs it first, which serialises the
  check-then-record across processes: a row lock on PostgreSQL, the database's write lock on
  SQLite (an UPDATE takes it there whatever the transaction mode; SELECT FOR UPDATE is a no-op).

The check is a strict sliding window per limit: a request may go when fewer than `limit` were
recorded in the last `window` seconds. Send times come from the database's clock, not the
process's: app processes on machines whose clocks disagree by a tenth of a second would
otherwise misjudge a one-second window. Waits are durations, slept on the local clock.

`rxscale/models.py` only imports the models from here, so that the app's other models and
their migrations can change around this file without merge conflicts.
"""

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models, transaction
from django.db.models.functions import Greatest, Now

from rxscale.errors import RxScaleRateLimitTimeout

# The documented limits apply per API key; this app sends with one key, so one bucket.
DEFAULT_BUCKET = "external_pharmacy_api"


class RateLimitLock(models.Model):
    """One row per bucket; updated (locked) by every acquisition."""

    bucket = models.CharField(max_length=64, primary_key=True)
    # Set by the locking UPDATE (that is the lock); also shows when the API was last used.
    locked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.bucket


class RateLimitSlot(models.Model):
    """A request sent (or about to be) at `sent_at`, by the database's clock."""

    bucket = models.CharField(max_length=64)
    sent_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["bucket", "sent_at"], name="rxscale_slot_bucket_sent")]

    def __str__(self) -> str:
        return f"{self.bucket} {self.sent_at.isoformat()}"


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: float


class SharedRateLimiter:
    """Waits for a free slot under every window, shared by all processes on one database.

    Call it (the client's `before_request` hook) or `acquire(deadline)` before each request.
    `margin_seconds` lengthens each window: a request reaches RxScale some time after its slot
    is recorded, and that delay varies, so requests spaced exactly one window apart here could
    arrive a little less than one window apart there.
    """

    def __init__(
        self,
        *,
        per_second: int,
        per_minute: int,
        margin_seconds: float = 0.25,
        max_wait_seconds: float = 10.0,
        bucket: str = DEFAULT_BUCKET,
        using: str = "default",
    ) -> None:
        if per_second < 1 or per_minute < 1 or margin_seconds < 0:
            raise ValueError("Limits must be at least 1 and the margin not negative.")
        self.windows = (
            Window(per_second, 1.0 + margin_seconds),
            Window(per_minute, 60.0 + margin_seconds),
        )
        self.max_wait_seconds = max_wait_seconds
        self.bucket = bucket
        self.using = using
        self._kept = timedelta(seconds=max(window.seconds for window in self.windows))
        # A slot whose recording took longer than this (a starved process, a slow commit) is
        # not used: its request would reach RxScale too long after its recorded time. Half the
        # margin; the other half is for the way to RxScale.
        self._stale_after = margin_seconds / 2 if margin_seconds else math.inf

    @classmethod
    def from_settings(cls) -> "SharedRateLimiter":
        from django.conf import settings

        return cls(
            per_second=settings.RXSCALE_API_MAX_REQUESTS_PER_SECOND,
            per_minute=settings.RXSCALE_API_MAX_REQUESTS_PER_MINUTE,
            margin_seconds=settings.RXSCALE_API_RATE_LIMIT_MARGIN_SECONDS,
            max_wait_seconds=settings.RXSCALE_API_RATE_LIMIT_MAX_WAIT_SECONDS,
        )

    def __call__(self) -> None:
        self.acquire(time.monotonic() + self.max_wait_seconds)

    def acquire(self, deadline: float) -> None:
        """Wait until a request may go, record it, return; `deadline` is a time.monotonic().

        Raises RxScaleRateLimitTimeout as soon as the next possible slot lies past the
        deadline; the request must not be sent then. Must not run inside a transaction, which
        the durable block enforces: a slot in an uncommitted transaction is invisible to the other
        processes, and the sleep would hold that transaction's locks.
        """
        while True:
            wait, recording_started = self._take_or_wait()
            if recording_started is not None:
                if time.monotonic() - recording_started <= self._stale_after:
                    return
                # Stale: it stays counted (it may be all the others see), and another is taken.
                wait = 0.0
            if time.monotonic() + wait > deadline:
                raise RxScaleRateLimitTimeout(
                    "No request slot under the shared rate limit before the deadline; "
                    "nothing was sent."
                )
            if wait > 0:
                time.sleep(wait)  # outside the transaction: the others keep going meanwhile

    def _take_or_wait(self) -> tuple[float, float | None]:
        """Record a slot, or find how long until one may be free.

        Returns (0, the time.monotonic() when the recording began) or (seconds to wait, None).
        """
        slots = RateLimitSlot.objects.using(self.using).filter(bucket=self.bucket)
        with transaction.atomic(using=self.using, durable=True):
            self._lock()
            now = self._database_now()
            newest = slots.order_by("-sent_at").values_list("sent_at", flat=True).first()
            if newest is not None and newest > now:
                now = newest  # the database clock stepped back: keep the log in order
            wait = 0.0
            for window in self.windows:
                start = now - timedelta(seconds=window.seconds)
                # The limit-th newest slot inside the window: while it exists the window is
                # full, and it leaves the window `window.seconds` after it was sent.
                nth = (
                    slots.filter(sent_at__gt=start)
                    .order_by("-sent_at")
                    .values_list("sent_at", flat=True)[window.limit - 1 : window.limit]
                )
                for sent_at in nth:
                    wait = max(wait, (sent_at - start).total_seconds())
            if wait > 0:
                return wait, None
            slots.filter(sent_at__lte=now - self._kept).delete()
            recording_started = time.monotonic()
            # The slot's time is the INSERT's own, as close to the send as it gets; any time
            # after `now` is as much within the limit, since nobody else records meanwhile.
            sent_at = Greatest(Now(), models.Value(now, output_field=models.DateTimeField()))
            RateLimitSlot.objects.using(self.using).create(bucket=self.bucket, sent_at=sent_at)
        return 0.0, recording_started

    def _lock(self) -> None:
        locks = RateLimitLock.objects.using(self.using).filter(bucket=self.bucket)
        if not locks.update(locked_at=Now()):
            # First use of the bucket. A concurrent creator makes get_or_create fetch its row.
            RateLimitLock.objects.using(self.using).get_or_create(bucket=self.bucket)
            locks.update(locked_at=Now())

    def _database_now(self) -> datetime:
        # A statement of its own, after the lock is held: PostgreSQL's STATEMENT_TIMESTAMP()
        # in the locking UPDATE is when that statement began, before it waited for the lock.
        return (
            RateLimitLock.objects.using(self.using)
            .filter(bucket=self.bucket)
            .annotate(database_now=Now())
            .values_list("database_now", flat=True)
            .get()
        )
