"""What the RxScale link adds to an order's timeline (registered by `RxScaleConfig.ready`)."""

from common.events import SubjectKind
from pharmacy_orders.models import PharmacyOrder
from pharmacy_orders.services.workflow import status_label
from pharmacy_orders.timeline import TimelineEntry
from rxscale.inbox.models import WebhookDelivery
from rxscale.outbox.models import OutboundCommand

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


def order_command_entries(order: PharmacyOrder) -> list[TimelineEntry]:
    """One entry per command to RxScale about the order, with how it ended (one query)."""
    commands = OutboundCommand.objects.filter(
        subject_kind=SubjectKind.ORDER,
        subject_uid=order.uid,
    ).select_related("created_by")
    entries = []
    for command in commands:
        extra = []
        if command.sent_at:
            extra.append(f"Sent {command.sent_at:%d %b %Y, %H:%M:%S}")
        if command.outcome_note:
            extra.append(command.outcome_note)
        entries.append(
            TimelineEntry(
                at=command.created_at,
                kind="command",
                title=f"To RxScale: {command_summary(command)}",
                user=command.created_by.get_username() if command.created_by_id else "",
                badge=command.status,
                badge_level=_COMMAND_LEVELS.get(command.status, "info"),
                text=command.last_error if command.status != OutboundCommand.Status.SENT else "",
                extra=extra,
            )
        )
    return entries


_COMMAND_LEVELS = {
    OutboundCommand.Status.SENT: "ok",
    OutboundCommand.Status.FAILED: "danger",
    OutboundCommand.Status.DISCARDED: "warn",
}


def command_summary(command: OutboundCommand) -> str:
    """What the command asks of RxScale, in staff words."""
    if command.kind == OutboundCommand.Kind.ORDER_COMPLETE:
        return "complete the order"
    if command.kind == OutboundCommand.Kind.ORDER_STATUS:
        return f"set the status to “{status_label(command.payload.get('status', ''))}”"
    return f"set the stock to {command.payload.get('stock')}"
