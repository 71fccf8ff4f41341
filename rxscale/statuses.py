"""Pharmacy-order statuses as the External Pharmacy API knows them, and who may set which.

Strings are exactly RxScale's (mixed separators included). Sources: order-lifecycle.md (newer
version: "Who sets it"), external-pharmacy-orders.md (on-hold and its comment) and
help-center-pharmacy-order-statuses.md (on-hold in the newest flow).
"""

INIT = "init"
WAITING_FOR_PHARMACY = "waiting for pharmacy"
PENDING_REVIEW = "pending review"
ON_HOLD = "on-hold"
IN_PROGRESS = "in-progress"
READY_FOR_PICKUP = "ready_for_pickup"
COMPLETED = "completed"
CANCELLED = "cancelled"

ORDER_STATUSES = frozenset(
    {
        INIT,
        WAITING_FOR_PHARMACY,
        PENDING_REVIEW,
        ON_HOLD,
        IN_PROGRESS,
        READY_FOR_PICKUP,
        COMPLETED,
        CANCELLED,
    }
)
# "Who sets it: System" in the lifecycle guide: never a target of the pharmacy's status PATCH.
RXSCALE_ONLY_STATUSES = frozenset({INIT, WAITING_FOR_PHARMACY})
# What the pharmacy may send to PATCH …/status. `completed` is deliberately absent: "Do not set
# `completed` through the generic status endpoint. Use `complete_order`".
STATUS_ENDPOINT_TARGETS = frozenset(
    {PENDING_REVIEW, ON_HOLD, IN_PROGRESS, READY_FOR_PICKUP, CANCELLED}
)
# Nothing moves an order out of these (a cancelled order may be re-routed, but to another
# pharmacy, as a different pharmacy order).
FINAL_STATUSES = frozenset({COMPLETED, CANCELLED})
