"""Read queries about the inbox, for the people who look after it."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from rxscale.inbox.models import PENDING_STATUSES, WebhookDelivery, pending_deliveries

Status = WebhookDelivery.Status


@dataclass(frozen=True)
class InboxHealth:
    failed: int
    retrying: int
    waiting: int
    oldest_pending_at: datetime | None

    @property
    def needs_attention(self) -> bool:
        return bool(self.failed or self.retrying)


def inbox_health() -> InboxHealth:
    """Counts of failed, retrying and waiting deliveries, and the oldest unfinished one.

    Two queries on the status index; final rows other than failed are not counted.
    """
    counted = (Status.FAILED, *PENDING_STATUSES)
    per_status = dict(
        WebhookDelivery.objects.filter(status__in=counted)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    oldest = WebhookDelivery.objects.filter(status__in=PENDING_STATUSES).aggregate(
        at=Min("received_at")
    )["at"]
    return InboxHealth(
        failed=per_status.get(Status.FAILED, 0),
        retrying=per_status.get(Status.RETRYING, 0),
        waiting=per_status.get(Status.RECEIVED, 0),
        oldest_pending_at=oldest,
    )


def intake_is_busy() -> bool:
    """A burst is arriving (more than WORK_QUEUE_YIELD_TO_INTAKE_PER_SECOND deliveries in the
    last second) and no due row has waited WORK_QUEUE_YIELD_MAX_SECONDS yet: a worker should
    give the acknowledgements the CPU for now. Two index range reads, at most one second's
    deliveries counted."""
    per_second = settings.WORK_QUEUE_YIELD_TO_INTAKE_PER_SECOND
    if per_second <= 0:
        return False
    now = timezone.now()
    recent = WebhookDelivery.objects.filter(received_at__gte=now - timedelta(seconds=1))
    if recent[:per_second].count() < per_second:
        return False
    waited = now - timedelta(seconds=settings.WORK_QUEUE_YIELD_MAX_SECONDS)
    return not pending_deliveries().filter(next_attempt_at__lte=waited).exists()
