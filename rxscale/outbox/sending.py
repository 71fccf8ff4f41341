"""Sending commands: claim, check, send, record. Exactly one effect per command.

A worker claims due commands (at most one per order or SKU: a later command waits while an
earlier one is pending, sending or failed), marks them `sending` with a lease, and sends each
outside any transaction. Then it records the answer, locking the subject row first and the
command second, as the staff services do.

No second effect after success: the API has no idempotency key, so a command that may have
reached RxScale before (any attempt after the first: a timeout, a dropped connection, a worker
killed between send and record) is checked first. For an order, RxScale's current status is
read; a command already in effect is recorded as sent without sending it again. A stock figure
is absolute, so sending it again sets the same figure. The remaining window: a request still
in flight from a dead worker that RxScale applies after the check (the lease, longer than the
HTTP timeout, makes this need a request that RxScale holds for longer than the lease).
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from common.events import SubjectKind
from common.log_format import subject_fields
from common.storable import single_line, storable_text
from common.workqueue import claim_due, is_transient, lease_release_fields, retry_delay
from rxscale import statuses
from rxscale.client import RxScaleClient, api_configured
from rxscale.errors import (
    RxScaleConflict,
    RxScaleError,
    RxScaleRateLimited,
    RxScaleTransient,
)
from rxscale.outbox.models import BLOCKING_STATUSES, UNSENT_STATUSES, OutboundCommand
from rxscale.outbox.recording import subject_lock, subject_sync_refresh

logger = logging.getLogger(__name__)
Command = OutboundCommand
S = Command.Status


def sendable_commands():
    """Unsent commands with no earlier unfinished command of the same subject."""
    earlier = Command.objects.filter(
        subject_kind=OuterRef("subject_kind"),
        subject_uid=OuterRef("subject_uid"),
        id__lt=OuterRef("id"),
        status__in=BLOCKING_STATUSES,
    )
    return Command.objects.filter(status__in=UNSENT_STATUSES).filter(~Exists(earlier))


def outbox_send_due(
    *, worker_id: str, limit: int, client_factory: Callable[[], RxScaleClient] = RxScaleClient
) -> int:
    """Claim and send up to `limit` due commands. Returns how many were claimed."""
    if not api_configured():
        return 0
    ids = claim_due(
        sendable_commands(),
        worker_id=worker_id,
        limit=limit,
        lease=settings.RXSCALE_OUTBOX_LEASE_SECONDS,
    )
    if not ids:
        return 0
    Command.objects.filter(pk__in=ids, leased_by=worker_id).update(status=S.SENDING)
    with client_factory() as client:
        for command_id in ids:
            command_send(command_id=command_id, worker_id=worker_id, client=client)
    return len(ids)


def command_send(*, command_id: int, worker_id: str, client: RxScaleClient) -> str:
    """Send one leased command and record the outcome. Never raises."""
    command = Command.objects.filter(pk=command_id, leased_by=worker_id).first()
    if command is None or command.status not in UNSENT_STATUSES:
        return ""
    try:
        if command.attempts > 1 and _already_in_effect(command, client):
            return _record(command, S.SENT, note="Already in effect at RxScale; not sent again.")
        _send(command, client)
        return _record(command, S.SENT)
    except RxScaleConflict as exc:
        return _record_refusal(command, exc, client)
    except (RxScaleTransient, RxScaleRateLimited) as exc:
        return _record_retry(command, exc)
    except RxScaleError as exc:  # auth, or a request we should not have built
        return _record(command, S.FAILED, error=exc)
    except Exception as exc:
        if is_transient(exc):  # our database or network, not RxScale's answer
            return _record_retry(command, exc)
        logger.exception(
            "outbound command %s failed (permanent)", command.pk, extra=_log_fields(command)
        )
        return _record(command, S.FAILED, error=exc)


def _send(command: OutboundCommand, client: RxScaleClient) -> None:
    payload = command.payload
    if command.kind == Command.Kind.ORDER_COMPLETE:
        client.complete_order(command.subject_uid)
    elif command.kind == Command.Kind.ORDER_STATUS:
        client.set_order_status(
            command.subject_uid, payload["status"], comment=payload.get("comment", "")
        )
    elif command.kind == Command.Kind.SKU_STOCK:
        client.update_sku_stock(command.subject_uid, payload["stock"])
    else:
        raise ValueError(f"Unknown command kind {command.kind!r}")


def _target_status(command: OutboundCommand) -> str | None:
    if command.kind == Command.Kind.ORDER_COMPLETE:
        return statuses.COMPLETED
    if command.kind == Command.Kind.ORDER_STATUS:
        return command.payload.get("status")
    return None


def _already_in_effect(command: OutboundCommand, client: RxScaleClient) -> bool:
    """Whether an earlier attempt of this order command has taken effect at RxScale."""
    target = _target_status(command)
    if target is None:
        return False  # an absolute stock figure: sending it again is harmless
    return client.get_order(command.subject_uid).get("status") == target


def _record_refusal(command: OutboundCommand, exc: RxScaleConflict, client) -> str:
    """RxScale refused: in effect already, overtaken by RxScale's final decision, or failed."""
    target = _target_status(command)
    if target is not None:
        try:
            current = client.get_order(command.subject_uid).get("status")
        except RxScaleError:
            current = None
        if current == target:
            return _record(command, S.SENT, note="Already in effect at RxScale; not sent again.")
        if current in statuses.FINAL_STATUSES:
            note = (
                f"RxScale had already set the order to “{current}”, and RxScale's final "
                "decisions win: this change was not applied there."
            )
            return _record(command, S.DISCARDED, error=exc, note=note)
    return _record(command, S.FAILED, error=exc)


def _record_retry(command: OutboundCommand, exc: Exception) -> str:
    if command.attempts >= settings.RXSCALE_OUTBOX_MAX_ATTEMPTS:
        return _record(command, S.FAILED, error=exc)
    logger.warning(
        "outbound command %s: attempt %s failed (will retry): %s",
        command.pk,
        command.attempts,
        single_line(str(exc)),
        extra=_log_fields(command),
    )
    return _record(command, S.PENDING, error=exc, retry=True)


def _record(
    command: OutboundCommand,
    status: str,
    *,
    error: Exception | None = None,
    note: str = "",
    retry: bool = False,
) -> str:
    """Store the outcome if the lease is still ours; refresh the subject's summary."""
    now = timezone.now()
    with transaction.atomic():
        subject_lock(command.subject_kind, command.subject_uid)
        locked = (
            Command.objects.select_for_update()
            .filter(pk=command.pk, leased_by=command.leased_by, status__in=UNSENT_STATUSES)
            .first()
        )
        if locked is None:  # our lease ran out and another worker has it now
            return ""
        locked.status = status
        if error is not None:
            locked.last_error = storable_text(_error_text(error), 2000)
            locked.error_code = storable_text(getattr(error, "code", "") or "", 100)
            locked.http_status = getattr(error, "status_code", None)
        if status == S.SENT:
            locked.sent_at = now
        if note:
            locked.outcome_note = note
        if retry:
            locked.next_attempt_at = now + retry_delay(locked.attempts)
        else:
            locked.finished_at = now
        for name, value in lease_release_fields().items():
            setattr(locked, name, value)
        locked.save()
        subject_sync_refresh(locked.subject_kind, locked.subject_uid)
    level = logging.WARNING if status == S.FAILED else logging.INFO
    logger.log(
        level,
        "outbound command %s (%s): %s",
        command.pk,
        command.kind,
        status,
        extra=_log_fields(command),
    )
    return status


def _log_fields(command: OutboundCommand) -> dict:
    """The `extra=` of a command's log lines: its id, kind and subject."""
    return {
        "command_id": command.pk,
        "command_kind": command.kind,
        **subject_fields(command.subject_kind, command.subject_uid),
    }


def _error_text(error: Exception) -> str:
    if isinstance(error, RxScaleError):
        return error.description or str(error)
    return f"{type(error).__name__}: {error}"


def order_commands_discard_for_rxscale_decision(*, order_uid: str, status: str) -> int:
    """RxScale cancelled, completed or deleted the order: its unsent and failed commands go.

    Called by the inbox in the transaction that applied the decision (the order row is locked).
    A command a worker is sending right now is left to it: RxScale will refuse it, and the
    refusal path discards it with the same reason.
    """
    note = (
        f"RxScale set the order to “{status}” before this change reached it; RxScale's final "
        "decisions win, so it was not sent."
    )
    discarded = (
        Command.objects.filter(
            subject_kind=SubjectKind.ORDER,
            subject_uid=order_uid,
            status__in=(S.PENDING, S.FAILED),
        )
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=timezone.now()))
        .update(status=S.DISCARDED, outcome_note=note, finished_at=timezone.now())
    )
    if discarded:
        subject_sync_refresh(SubjectKind.ORDER, order_uid)
    return discarded
