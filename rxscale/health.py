"""The link's health for GET /healthz: inbox and outbox backlogs, the last catch-up sync.

Every figure is one bounded query on a partial index that holds only unfinished rows: a
count stops at COUNT_CAP, an age reads one row. Nothing here names an order, a patient or a
payload; only counts, ages and times.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from rxscale.client import api_configured
from rxscale.inbox.models import pending_deliveries
from rxscale.outbox.models import UNSENT_STATUSES, OutboundCommand
from rxscale.sync.models import SyncRun
from rxscale.sync.runs import sync_last_success

# Beyond this a backlog is reported as "at least": counting further costs more than it tells.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Backlog:
    ok: bool
    count: int
    count_capped: bool
    oldest_age_seconds: float | None
    max_age_seconds: int

    def as_json(self) -> dict:
        return asdict(self)


def _backlog(unfinished, age_field: str, max_age: timedelta) -> Backlog:
    count = unfinished[: COUNT_CAP + 1].count()
    oldest = unfinished.order_by(age_field).values_list(age_field, flat=True).first()
    age = (timezone.now() - oldest).total_seconds() if oldest else None
    return Backlog(
        ok=age is None or age <= max_age.total_seconds(),
        count=min(count, COUNT_CAP),
        count_capped=count > COUNT_CAP,
        oldest_age_seconds=round(age, 1) if age is not None else None,
        max_age_seconds=int(max_age.total_seconds()),
    )


def inbox_backlog() -> Backlog:
    """Deliveries received but not yet final (received, retrying), and the oldest one's age."""
    max_age = timedelta(minutes=settings.HEALTHZ_INBOX_MAX_AGE_MINUTES)
    return _backlog(pending_deliveries(), "received_at", max_age)


def outbox_backlog() -> Backlog:
    """Commands not yet sent (pending, sending), and the oldest one's age."""
    max_age = timedelta(minutes=settings.HEALTHZ_OUTBOX_MAX_AGE_MINUTES)
    unsent = OutboundCommand.objects.filter(status__in=UNSENT_STATUSES)
    return _backlog(unsent, "created_at", max_age)


@dataclass(frozen=True)
class SyncHealth:
    ok: bool
    scheduled: bool
    last_success_at: datetime | None
    running: bool
    max_age_seconds: int

    def as_json(self) -> dict:
        data = asdict(self)
        data["last_success_at"] = self.last_success_at.isoformat() if self.last_success_at else None
        return data


def sync_health() -> SyncHealth:
    """The time of the last successful catch-up sync. Judged only when the workers run it on
    a schedule (API configured, RXSCALE_SYNC_INTERVAL_MINUTES > 0): then it must be younger
    than HEALTHZ_SYNC_MAX_AGE_MINUTES, or a run must be under way (the first one may take long).
    """
    last = sync_last_success()
    last_at = last.finished_at if last else None
    scheduled = api_configured() and settings.RXSCALE_SYNC_INTERVAL_MINUTES > 0
    max_age = timedelta(minutes=settings.HEALTHZ_SYNC_MAX_AGE_MINUTES)
    running = SyncRun.objects.filter(active=True).exists()
    fresh = last_at is not None and timezone.now() - last_at <= max_age
    return SyncHealth(
        ok=not scheduled or fresh or (last_at is None and running),
        scheduled=scheduled,
        last_success_at=last_at,
        running=running,
        max_age_seconds=int(max_age.total_seconds()),
    )
