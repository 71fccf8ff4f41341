"""The RxScale link's tables: the inbox (deliveries in), the outbox (commands out), sync runs."""

from rxscale.inbox.models import WebhookDelivery
from rxscale.outbox.models import OutboundCommand
from rxscale.sync.models import SyncRun

__all__ = ["OutboundCommand", "SyncRun", "WebhookDelivery"]
