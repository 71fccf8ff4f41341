"""Writing commands: in the transaction of the staff change, and keeping the subject's summary.

The domain services send `order_transition_recorded` and `stock_adjusted` inside their
transactions (they do not know the link); the receivers here turn each into a command. In
local-only mode (no API settings) nothing is written: nothing would ever send it.
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Min
from django.utils import timezone

from common.events import SubjectKind
from common.sync_state import SyncState
from common.tasks_backend import wake_workers
from inventory.models import PharmacySku
from pharmacy_orders.models import OrderStatus, PharmacyOrder
from rxscale.client import api_configured
from rxscale.outbox.models import BLOCKING_STATUSES, OutboundCommand

Command = OutboundCommand
_SUBJECT_MODELS = {SubjectKind.ORDER: PharmacyOrder, SubjectKind.PHARMACY_SKU: PharmacySku}


def order_transition_to_command(
    *,
    order: PharmacyOrder,
    to_status: str,
    reason: str,
    user: AbstractBaseUser | None,
    **signal_kwargs,
) -> OutboundCommand | None:
    """Receiver of `order_transition_recorded`: the command that tells RxScale.

    `completed` only through complete_order (the lifecycle guide); any other status the
    pharmacy may set through the status endpoint, with the reason as its comment (required
    for on-hold; for a cancellation it tells RxScale's team why).
    """
    if not api_configured():
        return None
    if to_status == OrderStatus.COMPLETED:
        kind, payload = Command.Kind.ORDER_COMPLETE, {}
    else:
        kind, payload = Command.Kind.ORDER_STATUS, {"status": to_status}
        if reason:
            payload["comment"] = reason
    return _command_add(kind, SubjectKind.ORDER, order, payload, user)


def stock_adjustment_to_command(
    *, pharmacy_sku: PharmacySku, user: AbstractBaseUser | None, **signal_kwargs
) -> OutboundCommand | None:
    """Receiver of `stock_adjusted`: send the counted figure (the API sets stock absolutely)."""
    if not api_configured():
        return None
    payload = {"stock": pharmacy_sku.stock}
    return _command_add(
        Command.Kind.SKU_STOCK, SubjectKind.PHARMACY_SKU, pharmacy_sku, payload, user
    )


def _command_add(
    kind: str, subject_kind: str, subject, payload: dict, user: AbstractBaseUser | None
) -> OutboundCommand:
    """Insert the command and mark the (locked) subject as waiting for RxScale."""
    now = timezone.now()
    command = Command.objects.create(
        kind=kind,
        subject_kind=subject_kind,
        subject_uid=subject.uid,
        payload=payload,
        created_by=user if user is not None and user.is_authenticated else None,
        next_attempt_at=now,
    )
    if subject.sync_state == SyncState.IN_SYNC:
        subject.sync_state, subject.sync_pending_since = SyncState.PENDING, now
        type(subject).objects.filter(pk=subject.pk).update(
            sync_state=SyncState.PENDING, sync_pending_since=now
        )
    # Inside the transaction: PostgreSQL delivers the NOTIFY at commit, never for a rollback.
    wake_workers()
    return command


def subject_sync_refresh(subject_kind: str, subject_uid: str) -> None:
    """Recompute the subject's summary from its commands (after a send, retry or discard).

    Failed wins (it holds back everything after it), then pending since the oldest unsent.
    Callers hold the subject's row lock, so two refreshes cannot interleave.
    """
    open_commands = Command.objects.filter(
        subject_kind=subject_kind, subject_uid=subject_uid, status__in=BLOCKING_STATUSES
    )
    failed = open_commands.filter(status=Command.Status.FAILED).order_by("id").first()
    pending_since: datetime | None = None
    if failed is not None:
        state, problem = SyncState.FAILED, _problem_text(failed)
        pending_since = failed.created_at
    else:
        pending_since = open_commands.aggregate(at=Min("created_at"))["at"]
        state = SyncState.PENDING if pending_since else SyncState.IN_SYNC
        problem = ""
    _SUBJECT_MODELS[subject_kind].objects.filter(uid=subject_uid).update(
        sync_state=state, sync_pending_since=pending_since, sync_problem=problem
    )


def subject_lock(subject_kind: str, subject_uid: str) -> None:
    """Lock the order or SKU row first (the staff services' order: subject, then commands)."""
    model = _SUBJECT_MODELS.get(subject_kind)
    if model is not None:
        list(model.objects.select_for_update().filter(uid=subject_uid).values_list("pk"))


def _problem_text(command: OutboundCommand) -> str:
    code = f" ({command.error_code})" if command.error_code else ""
    return f"RxScale refused “{command.get_kind_display()}”{code}: {command.last_error}"
