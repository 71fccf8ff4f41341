"""The RxScale link's tables: the inbox (deliveries in), the outbox (commands out), sync runs
and the shared API rate limit. Each lives beside the code that uses it; importing them here is
how Django finds them."""

from rxscale.inbox.models import WebhookDelivery
from rxscale.outbox.models import OutboundCommand
from rxscale.ratelimit import RateLimitLock, RateLimitSlot
from rxscale.sync.models import SyncRun

__all__ = ["OutboundCommand", "RateLimitLock", "RateLimitSlot", "SyncRun", "WebhookDelivery"]
