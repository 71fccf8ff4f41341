"""The worklist's order and its "Needs work" condition, shared by the model's indexes and the
selectors: PostgreSQL uses an index only for the very same expressions."""

from django.db.models import F, Q
from django.db.models.functions import Coalesce

from pharmacy_orders.statuses import OrderStatus

# The worklist's sort: priority first, then the oldest first (RxScale's creation time, else ours).
# Its indexes use the very same expressions, so PostgreSQL reads a page in order off an index.
ORDER_RECEIVED_AT = Coalesce("rx_created_at", "first_received_at")
ORDER_LIST_ORDER = (F("priority").desc(), ORDER_RECEIVED_AT, F("id"))
# Orders that need no more work: the "Needs work" tab shows all others not deleted by RxScale
# (an undocumented status stays there: nobody knows what it needs).
NO_WORK_STATUSES = (OrderStatus.INIT, OrderStatus.COMPLETED, OrderStatus.CANCELLED)
NEEDS_WORK = Q(rx_deleted_at__isnull=True) & ~Q(status__in=NO_WORK_STATUSES)
