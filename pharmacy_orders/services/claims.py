"""Claiming an order: who is working on it, so two clerks do not pick the same package."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from pharmacy_orders.models import PharmacyOrder
from pharmacy_orders.services.audit import AuditAction, audit_record
from pharmacy_orders.services.workflow import (
    FINAL_STATUSES,
    WORK_PERMISSION,
    deleted_refusal_message,
    status_label,
)


class ClaimRefused(Exception):
    """Nothing was changed; `message` is for the clerk."""

    code = "refused"
    http_status = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ClaimForbidden(ClaimRefused):
    code = "forbidden"
    http_status = 403


class ClaimRefusedDeleted(ClaimRefused):
    """RxScale deleted the order: nobody works on it any more."""

    code = "deleted"


@dataclass(frozen=True)
class ClaimOutcome:
    order: PharmacyOrder
    # "claimed", "taken_over", "already_yours" or "released"
    result: str
    previous_claimant: str = ""


def _user_label(user: AbstractBaseUser) -> str:
    return user.get_username() if user is not None else ""


def _lock_order(order_uid: str) -> PharmacyOrder:
    # No select_related: when the lock was waited for, PostgreSQL re-reads the locked row but
    # not a joined one, so a joined claimant could be the one from before the wait (a race
    # test caught two clerks both "claiming"). The claimant is loaded after the lock instead.
    return PharmacyOrder.objects.select_for_update().get(uid=order_uid)


def order_claim(
    *,
    order_uid: str,
    user: AbstractBaseUser,
    takeover: bool = False,
    expected_claimant_id: int | None = None,
) -> ClaimOutcome:
    """Claim an order for `user`.

    An order claimed by someone else is only taken over when `takeover` is set, and only if
    it is still claimed by `expected_claimant_id` (the claimant the clerk saw): two clerks
    taking over at once cannot silently overwrite each other. A takeover is recorded.

    Errors: ClaimForbidden (no permission), ClaimRefusedDeleted (RxScale deleted the order),
    ClaimRefused (claimed by another user, claimant changed, order completed or cancelled),
    PharmacyOrder.DoesNotExist.
    Locking: the order row.
    """
    if not user.has_perm(WORK_PERMISSION):
        raise ClaimForbidden("You are not allowed to work on orders.")
    with transaction.atomic():
        order = _lock_order(order_uid)
        if order.rx_deleted_at is not None:
            raise ClaimRefusedDeleted(deleted_refusal_message(order))
        if order.status in FINAL_STATUSES:
            raise ClaimRefused(
                f"The order is “{status_label(order.status)}”; there is nothing left to claim."
            )
        current = order.claimed_by
        if current is not None and current.pk == user.pk:
            return ClaimOutcome(order=order, result="already_yours")
        if current is not None and not takeover:
            raise ClaimRefused(
                f"{_user_label(current)} is already working on this order. "
                "Take it over explicitly if you need to."
            )
        if takeover and (current.pk if current else None) != expected_claimant_id:
            now = f"claimed by {_user_label(current)}" if current else "unclaimed"
            raise ClaimRefused(
                f"The claim changed while you were looking at the order: it is now {now}. "
                "Nothing was changed; check and try again."
            )
        order.claimed_by, order.claimed_at = user, timezone.now()
        order.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
        if current is not None:
            audit_record(
                user=user,
                action=AuditAction.TAKEOVER,
                order_uid=order.uid,
                details={"from_user_id": current.pk, "from_user": _user_label(current)},
            )
            return ClaimOutcome(
                order=order, result="taken_over", previous_claimant=_user_label(current)
            )
        audit_record(user=user, action=AuditAction.CLAIM, order_uid=order.uid)
        return ClaimOutcome(order=order, result="claimed")


def order_release(*, order_uid: str, user: AbstractBaseUser) -> ClaimOutcome:
    """Give up `user`'s claim. Only the claimant can release; others take over instead.
    Allowed on an order RxScale deleted: giving up a claim is not work on the order.

    Errors: ClaimForbidden, ClaimRefused (not claimed by `user`), PharmacyOrder.DoesNotExist.
    Locking: the order row.
    """
    if not user.has_perm(WORK_PERMISSION):
        raise ClaimForbidden("You are not allowed to work on orders.")
    with transaction.atomic():
        order = _lock_order(order_uid)
        if order.claimed_by_id != user.pk:
            holder = order.claimed_by
            raise ClaimRefused(
                f"You can only release your own claim; the order is claimed by "
                f"{_user_label(holder)}."
                if holder
                else "The order is not claimed."
            )
        order.claimed_by, order.claimed_at = None, None
        order.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
        audit_record(user=user, action=AuditAction.RELEASE, order_uid=order.uid)
        return ClaimOutcome(order=order, result="released")
