"""Pharmacy-order statuses as the External Pharmacy API knows them, and who may set which.

One definition for both apps: the strings and the who-sets-what sets live in
`pharmacy_orders/statuses.py` (a module without models), because the staff workflow needs them
too and app imports point one way, rxscale -> pharmacy_orders. This module gives them the names
the client and the stand-in use, as plain strings. Sources: see that module.
"""

from pharmacy_orders.statuses import (
    COMPLETE_ORDER_TARGET,
    FINAL_STATUSES,
    ORDER_STATUSES,
    RXSCALE_ONLY_STATUSES,
    STATUS_ENDPOINT_TARGETS,
    OrderStatus,
)

__all__ = [
    "CANCELLED",
    "COMPLETED",
    "COMPLETE_ORDER_TARGET",
    "FINAL_STATUSES",
    "INIT",
    "IN_PROGRESS",
    "ON_HOLD",
    "ORDER_STATUSES",
    "PENDING_REVIEW",
    "READY_FOR_PICKUP",
    "RXSCALE_ONLY_STATUSES",
    "STATUS_ENDPOINT_TARGETS",
    "WAITING_FOR_PHARMACY",
]

INIT = OrderStatus.INIT.value
WAITING_FOR_PHARMACY = OrderStatus.WAITING_FOR_PHARMACY.value
PENDING_REVIEW = OrderStatus.PENDING_REVIEW.value
ON_HOLD = OrderStatus.ON_HOLD.value
IN_PROGRESS = OrderStatus.IN_PROGRESS.value
READY_FOR_PICKUP = OrderStatus.READY_FOR_PICKUP.value
COMPLETED = OrderStatus.COMPLETED.value
CANCELLED = OrderStatus.CANCELLED.value
