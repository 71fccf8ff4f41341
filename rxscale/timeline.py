"""What the RxScale link adds to an order's timeline (registered by `RxScaleConfig.ready`)."""

from pharmacy_orders.models import PharmacyOrder
from pharmacy_orders.timeline import TimelineEntry
from rxscale.inbox.models import WebhookDelivery

# Staff should see whether RxScale told us (a webhook) or we asked (the catch-up sync).
_SOURCE_PREFIX = {WebhookDelivery.Source.API: "RxScale API"}


def order_delivery_entries(order: PharmacyOrder) -> list[TimelineEntry]:
    """One entry per delivery about the order, failed ones included (one query)."""
    deliveries = WebhookDelivery.objects.filter(
        subject_kind=WebhookDelivery.SubjectKind.ORDER, subject_uid=order.uid
    ).only("id", "event_type", "source", "status", "received_at", "error")
    return [
        TimelineEntry(
            at=delivery.received_at,
            kind="delivery",
            title=f"{_SOURCE_PREFIX.get(delivery.source, 'RxScale')}: "
            f"{delivery.event_type or 'delivery'}",
            badge=delivery.status,
            text=delivery.error,
            delivery_id=delivery.pk,
        )
        for delivery in deliveries
    ]
