"""Read queries about the inbox, for the people who look after it."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min

from rxscale.inbox.models import PENDING_STATUSES, WebhookDelivery

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
