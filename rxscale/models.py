"""The RxScale link's tables: the inbox (deliveries in) and the outbox (commands out)."""

from rxscale.inbox.models import WebhookDelivery
from rxscale.outbox.models import OutboundCommand

__all__ = ["OutboundCommand", "WebhookDelivery"]
