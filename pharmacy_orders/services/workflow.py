"""The order pipeline: one map of allowed transitions, used by the service, the form and the API.

Statuses are RxScale's exact strings. The pharmacy may move an order along the happy path
(waiting for pharmacy -> pending review -> in-progress -> ready_for_pickup -> completed),
put it on hold with a reason (RxScale requires a non-blank comment for on-hold), resume it to
the status it had before the hold, and cancel it with a reason (RxScale then tries to route
the order to another pharmacy). Every target is one the pharmacy may set at RxScale
(`pharmacy_orders/statuses.py`): `init` and `waiting for pharmacy` are RxScale's alone, and
`completed` is reached only by "complete" (PATCH …/complete_order, never …/status).

These transitions change the local order now. Telling RxScale is the link's concern: inside
the transition's transaction `order_transition_recorded` is sent, and the RxScale link
(rxscale/outbox) writes the command that tells RxScale in that same transaction; this module
never imports it. Until RxScale has taken the change, its snapshots and staff actions can
disagree: RxScale's final decisions (cancel, complete, delete) win whatever the time of a
staff action; otherwise the newer status by time wins, and every disagreement is kept as an
OrderConflict on the timeline (`services/rxscale_decisions.py`). An order RxScale deleted
refuses every transition. The gates before an order leaves (paper original, pharmacist
release) are in `services/gates.py`.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from common.text import clean_typed_text
from pharmacy_orders.models import OrderStatus, OrderStatusChange, PharmacyOrder
from pharmacy_orders.services.audit import AuditAction, audit_record
from pharmacy_orders.services.gates import (
    RELEASE_TARGET,
    ReleaseChecklist,
    order_gates_check,
    order_release_record,
)
from pharmacy_orders.services.refusals import (
    OrderDeletedByRxScale,
    StaleOrderStatus,
    TransitionForbidden,
    TransitionInvalid,
    TransitionNotAllowed,
    TransitionRefused,
    deleted_refusal_message,
)
from pharmacy_orders.statuses import (
    FINAL_STATUSES,
    ORDER_STATUSES,
    RESUME_TARGETS,
    resume_fallback_status,
)

S = OrderStatus

# Sent inside the transition's transaction, with the order row locked: a receiver's writes
# (the outbound command) commit or roll back with the change. Keyword arguments: order,
# action, from_status, to_status, reason, user, status_change.
order_transition_recorded = Signal()

WORK_PERMISSION = "pharmacy_orders.work_order"
PHARMACIST_PERMISSION = "pharmacy_orders.pharmacist_order"

# Pharmacist-only: moving an order INTO one of these statuses.
# - ready_for_pickup is the release after the final check: German pharmacy law (ApBetrO)
#   lets a PTA prepare a prescription medicine, but a pharmacist must check and sign off
#   what leaves the pharmacy. This also covers resuming a hold back to ready_for_pickup.
# - completed makes RxScale reduce stock and emit the shipment; it cannot be undone.
# - cancelled refuses the prescription and hands the order back for re-routing to another
#   pharmacy: a pharmaceutical decision that cannot be undone either.
# Reviewing, starting work and holding/resuming are daily PTA work and stay open to all staff.
PHARMACIST_TARGETS = frozenset({S.READY_FOR_PICKUP, S.COMPLETED, S.CANCELLED})

# Where the pharmacy works an order: everything but `init` and the final statuses. An order in
# `init` "has been created in the system but is not yet assigned to a pharmacy"
# (order-lifecycle.md, newer version, "Who sets it"), and the Help Center says of it "No action
# needed yet. [...] It will move to your queue shortly" (help-center-pharmacy-order-statuses.md):
# it is not yet the pharmacy's, so no action starts from `init`: no review, no hold, no cancel.
WORKABLE_STATUSES = ORDER_STATUSES - FINAL_STATUSES - {S.INIT}

REASON_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    # None: back to the status the order had before the hold.
    target: str | None
    reason_required: bool = False
    confirmation_required: bool = False
    style: str = "primary"


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        # "Waiting for Pharmacy to Pending Review" is the documented first step
        # (order-lifecycle.md); from `init` the order is not the pharmacy's yet.
        Transition("review", "Start review", frozenset({S.WAITING_FOR_PHARMACY}), S.PENDING_REVIEW),
        Transition("start", "Start work", frozenset({S.PENDING_REVIEW}), S.IN_PROGRESS),
        Transition(
            "ready", "Release: ready for pickup", frozenset({S.IN_PROGRESS}), S.READY_FOR_PICKUP
        ),
        Transition("complete", "Complete order", frozenset({S.READY_FOR_PICKUP}), S.COMPLETED),
        # From every workable status, `waiting for pharmacy` included: the order is in the
        # pharmacy's queue, and RxScale wants the comment "when transitioning to `on-hold` from
        # any other status" (external-pharmacy-orders.md). The newest Help Center diagram draws
        # on-hold after pending review, but as a linear step; the API text is the broader one.
        # Resuming such a hold cannot go back to `waiting for pharmacy` (RxScale's to set): it
        # goes to RXSCALE_RESUME_FALLBACK_STATUS (`statuses.resume_fallback_status`).
        Transition(
            "hold",
            "Put on hold",
            WORKABLE_STATUSES - {S.ON_HOLD},
            S.ON_HOLD,
            reason_required=True,
            style="secondary",
        ),
        Transition("resume", "Resume", frozenset({S.ON_HOLD}), None),
        Transition(
            "cancel",
            "Cancel order",
            # "An order can be cancelled before completion" (order-lifecycle.md; its diagram
            # draws cancel from `waiting for pharmacy` and `pending review`), but not from
            # `init`: the order is not the pharmacy's yet (WORKABLE_STATUSES).
            WORKABLE_STATUSES,
            S.CANCELLED,
            reason_required=True,
            confirmation_required=True,
            style="danger",
        ),
    ]
}


def status_label(status: str) -> str:
    try:
        return OrderStatus(status).label
    except ValueError:
        return status or "—"


def order_status_set(
    *, order: PharmacyOrder, status: str, at: datetime, hold_reason: str = ""
) -> None:
    """Set `status` (as of `at`) and what goes with it, unsaved; for staff and RxScale alike.

    Into on-hold: remember the status before the hold (resume goes back there). Out of
    on-hold: forget it. Into a final status: release the claim (nobody works on a finished
    order; the status change records who ended it).
    """
    from_status = order.status
    order.status, order.status_set_at = status, at
    if status == S.ON_HOLD and from_status != S.ON_HOLD:
        order.status_before_hold, order.hold_reason = from_status, hold_reason
    elif status != S.ON_HOLD and from_status == S.ON_HOLD:
        order.status_before_hold, order.hold_reason = "", ""
    if status in FINAL_STATUSES:
        order.claimed_by, order.claimed_at = None, None


# --- Reading the map -------------------------------------------------------------------------


def transition_target(*, transition: Transition, order: PharmacyOrder) -> str:
    if transition.target is not None:
        return transition.target
    # Resume: back to where the pharmacy held from, if the pharmacy may set that status.
    if order.status_before_hold in RESUME_TARGETS:
        return order.status_before_hold
    return resume_fallback_status()


def user_may_transition(*, user: AbstractBaseUser, target: str) -> bool:
    if not user.has_perm(WORK_PERMISSION):
        return False
    return target not in PHARMACIST_TARGETS or user.has_perm(PHARMACIST_PERMISSION)


@dataclass(frozen=True)
class OfferedTransition:
    transition: Transition
    target: str
    permitted: bool

    @property
    def action(self) -> str:
        return self.transition.action

    @property
    def pharmacist_only(self) -> bool:
        return self.target in PHARMACIST_TARGETS

    @property
    def target_label(self) -> str:
        return status_label(self.target)

    @property
    def is_release(self) -> bool:
        """A move into ready_for_pickup: a pharmacist's release with the checklist."""
        return self.target == RELEASE_TARGET


def order_offered_transitions(
    *, order: PharmacyOrder, user: AbstractBaseUser
) -> list[OfferedTransition]:
    """The transitions the map allows from the order's status, each marked as permitted to
    `user` or not (the UI shows pharmacist-only steps to a PTA as "pharmacist only").
    None for an order RxScale deleted (every one would be refused)."""
    if order.rx_deleted_at is not None:
        return []
    offered = []
    for transition in TRANSITIONS.values():
        if order.status not in transition.sources:
            continue
        target = transition_target(transition=transition, order=order)
        offered.append(
            OfferedTransition(
                transition=transition,
                target=target,
                permitted=user_may_transition(user=user, target=target),
            )
        )
    return offered


# --- The service -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TransitionOutcome:
    order: PharmacyOrder
    from_status: str
    to_status: str
    status_change: OrderStatusChange


def _validate_input(transition: Transition, reason: str, confirm: bool) -> None:
    if transition.reason_required and not reason:
        what = "putting an order on hold" if transition.action == "hold" else "cancelling"
        raise TransitionInvalid(f"A reason is required for {what}.", field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise TransitionInvalid(
            f"The reason is too long (at most {REASON_MAX_LENGTH} characters).", field="reason"
        )
    if transition.confirmation_required and not confirm:
        raise TransitionInvalid(
            "Confirm the cancellation: it cannot be undone here.",
            field="confirm",
        )


def _stale_message(order: PharmacyOrder, expected_status: str) -> str:
    last = order.status_changes.select_related("user").order_by("-created_at", "-id").first()
    by = ""
    if last is not None and last.to_status == order.status:
        by = f" by {last.user.get_username()}" if last.user_id else " by RxScale"
    return (
        f"This order changed while you were looking at it: it was "
        f"“{status_label(expected_status)}” and is now “{status_label(order.status)}”"
        f"{' (changed' + by + ')' if by else ''}. Nothing was changed; check the order and "
        "try again if it is still needed."
    )


def order_transition(
    *,
    order_uid: str,
    action: str,
    user: AbstractBaseUser,
    expected_status: str,
    reason: str = "",
    confirm: bool = False,
    checklist: ReleaseChecklist | None = None,
) -> TransitionOutcome:
    """Move an order along the pipeline, if the map, the clerk's role and the order allow it.

    `expected_status` is the status the clerk saw; if the order has moved on since (another
    clerk, or an RxScale update), the transition is refused so that of two clerks acting at
    once exactly one wins and the other is told.

    Errors (nothing is written except a `order_transition_refused` audit entry):
    TransitionInvalid (unknown action, missing reason or confirmation), OrderDeletedByRxScale,
    StaleOrderStatus, TransitionNotAllowed (not from this status), TransitionForbidden (role),
    the gates' refusals (`services/gates.py`: paper original, release checklist, four eyes,
    voided release), PharmacyOrder.DoesNotExist. `checklist`: a release's (into
    ready_for_pickup).

    Locking: the order row (SELECT … FOR UPDATE), then what `order_transition_recorded`'s
    receivers write (the outbound command) in the same transaction.
    """
    reason = clean_typed_text(reason)
    try:
        with transaction.atomic():
            outcome = _order_transition_locked(
                order_uid=order_uid,
                action=action,
                user=user,
                expected_status=expected_status,
                reason=reason,
                confirm=confirm,
                checklist=checklist,
            )
            order_transition_recorded.send(
                sender=PharmacyOrder,
                order=outcome.order,
                action=action,
                from_status=outcome.from_status,
                to_status=outcome.to_status,
                reason=reason,
                user=user,
                status_change=outcome.status_change,
            )
    except TransitionRefused as refusal:
        audit_record(
            user=user,
            action=AuditAction.TRANSITION_REFUSED,
            order_uid=order_uid,
            details={
                "action": action,
                "expected_status": expected_status,
                "code": refusal.code,
                "message": refusal.message,
            },
        )
        raise
    return outcome


def _order_transition_locked(
    *,
    order_uid: str,
    action: str,
    user: AbstractBaseUser,
    expected_status: str,
    reason: str,
    confirm: bool,
    checklist: ReleaseChecklist | None,
) -> TransitionOutcome:
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionInvalid(f"Unknown action “{action}”.", field="action")
    if not user.has_perm(WORK_PERMISSION):
        raise TransitionForbidden("You are not allowed to work on orders.")
    _validate_input(transition, reason, confirm)

    order = PharmacyOrder.objects.select_for_update().get(uid=order_uid)
    # Before the status check: "deleted" is the reason that holds whatever the clerk saw.
    if order.rx_deleted_at is not None:
        raise OrderDeletedByRxScale(deleted_refusal_message(order))
    if order.status != expected_status:
        raise StaleOrderStatus(_stale_message(order, expected_status))
    if order.status not in transition.sources:
        raise TransitionNotAllowed(
            f"“{transition.label}” is not possible while the order is "
            f"“{status_label(order.status)}”. Nothing was changed."
        )
    target = transition_target(transition=transition, order=order)
    if not user_may_transition(user=user, target=target):
        raise TransitionForbidden(
            f"Only a pharmacist may move an order to “{status_label(target)}”: "
            "ask a pharmacist to check and release it. Nothing was changed."
        )
    release = order_gates_check(order=order, target=target, user=user, checklist=checklist)

    from_status = order.status
    order_status_set(order=order, status=target, at=timezone.now(), hold_reason=reason)
    order.save(
        update_fields=[
            "status",
            "status_set_at",
            "status_before_hold",
            "hold_reason",
            "claimed_by",
            "claimed_at",
            "updated_at",
        ]
    )
    change = OrderStatusChange.objects.create(
        order=order, from_status=from_status, to_status=target, user=user, reason=reason
    )
    if release is not None:
        order_release_record(
            order=order, user=user, status_change=change, checklist=checklist, plan=release
        )
    audit_record(
        user=user,
        action=AuditAction.TRANSITION,
        order_uid=order.uid,
        details={"action": action, "from": from_status, "to": target, "reason": reason},
    )
    return TransitionOutcome(
        order=order, from_status=from_status, to_status=target, status_change=change
    )
