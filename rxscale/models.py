"""The RxScale link's tables: the inbox (deliveries in), the sync runs and the outbox."""

from rxscale.inbox.models import WebhookDelivery
from rxscale.sync.models import SyncRun

__all__ = ["SyncRun", "WebhookDelivery"]
