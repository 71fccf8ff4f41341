"""The RxScale link's tables: the inbox (deliveries in) and, beside it, the outbox."""

from rxscale.inbox.models import WebhookDelivery

__all__ = ["WebhookDelivery"]
