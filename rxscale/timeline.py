"""What the RxScale link adds to an order's timeline (registered by `RxScaleConfig.ready`)."""

from pharmacy_orders.models import PharmacyOrder
from pharmacy_orders.timeline import TimelineEntry
from rxscale.inbox.models import WebhookDelivery


def order_delivery_entries(order: PharmacyOrder) -> list[TimelineEntry]:
    """One entry per delivery about the order, failed ones included (one query)."""
    deliveries = WebhookDelivery.objects.filter(
        subject_kind=WebhookDelivery.SubjectKind.ORDER, subject_uid=order.uid
    ).only("id", "event_type", "status", "received_at", "error")
    return [
        TimelineEntry(
            at=delivery.received_at,
            kind="delivery",
            title=f"RxScale: {delivery.event_type or 'delivery'}",
            badge=delivery.status,
            text=delivery.error,
            delivery_id=delivery.pk,
        )
        for delivery in deliveries
    ]
