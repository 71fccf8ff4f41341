"""Pharmacy-order statuses: RxScale's exact strings, and who may set which.

Both apps need these: pharmacy_orders (the model's choices, the workflow map) and rxscale (the
API client, the loopback stand-in). App imports point one way, rxscale -> pharmacy_orders, so
they live here and `rxscale/statuses.py` re-exports them; this module imports no models, so
either app may import it at any time (before the app registry is ready too). It also reads the
one setting about them, RXSCALE_RESUME_FALLBACK_STATUS (`resume_fallback_status`).

Sources (docs in rxscale-docs/): order-lifecycle.md, newer version ("Who sets it"),
external-pharmacy-orders.md (on-hold and its comment), help-center-pharmacy-order-statuses.md
(on-hold in the newest flow).
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class OrderStatus(models.TextChoices):
    """RxScale's exact strings (mixed separators are theirs)."""

    INIT = "init", "Init"
    WAITING_FOR_PHARMACY = "waiting for pharmacy", "Waiting for pharmacy"
    PENDING_REVIEW = "pending review", "Pending review"
    ON_HOLD = "on-hold", "On hold"
    IN_PROGRESS = "in-progress", "In progress"
    READY_FOR_PICKUP = "ready_for_pickup", "Ready for pickup"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


S = OrderStatus

ORDER_STATUSES = frozenset(S.values)
# "Who sets it: System" in the lifecycle guide: never a target of the pharmacy's status PATCH,
# so never the target of a staff action either.
RXSCALE_ONLY_STATUSES = frozenset({S.INIT.value, S.WAITING_FOR_PHARMACY.value})
# What the pharmacy may send to PATCH …/status. `completed` is deliberately absent: "Do not set
# `completed` through the generic status endpoint. Use `complete_order`".
STATUS_ENDPOINT_TARGETS = frozenset(
    {
        S.PENDING_REVIEW.value,
        S.ON_HOLD.value,
        S.IN_PROGRESS.value,
        S.READY_FOR_PICKUP.value,
        S.CANCELLED.value,
    }
)
# The one status only PATCH …/complete_order reaches (it reduces stock and emits the shipment).
COMPLETE_ORDER_TARGET = S.COMPLETED.value
# Nothing moves an order out of these (a cancelled order may be re-routed, but to another
# pharmacy, as a different pharmacy order).
FINAL_STATUSES = frozenset({S.COMPLETED.value, S.CANCELLED.value})
# Where an order may go back to when its hold ends: what the pharmacy may set, not final and not
# the hold itself. Also the values RXSCALE_RESUME_FALLBACK_STATUS may take.
RESUME_TARGETS = STATUS_ENDPOINT_TARGETS - FINAL_STATUSES - {S.ON_HOLD.value}


def resume_fallback_status() -> str:
    """Where "resume" goes when the status before the hold is not one the pharmacy may set:
    the hold was from `waiting for pharmacy`/`init` (RxScale's own statuses), or the order
    arrived on hold from RxScale (no local "before"). RxScale's docs are silent on the exits
    from on-hold (the accepted-values table of PATCH …/status is not retrievable; see
    external-pharmacy-orders.md and help-center-pharmacy-order-statuses.md), so this is a
    setting, RXSCALE_RESUME_FALLBACK_STATUS, default `pending review`: back to checking the
    order, the step after `waiting for pharmacy`. It must be one of RESUME_TARGETS; checked at
    startup (PharmacyOrdersConfig.ready) and at every use.
    """
    value = settings.RXSCALE_RESUME_FALLBACK_STATUS
    if value not in RESUME_TARGETS:
        raise ImproperlyConfigured(
            f"RXSCALE_RESUME_FALLBACK_STATUS is {value!r}; it must be one of "
            f"{', '.join(sorted(RESUME_TARGETS))}."
        )
    return value
