"""What staff may do with a command that did not reach RxScale: retry it or discard it.

Both lock the subject row, then the command (the order every outbox writer keeps), refresh the
subject's summary and go into the audit trail with who, what and why.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from common.events import SubjectKind
from common.tasks_backend import wake_workers
from common.text import clean_typed_text
from pharmacy_orders.services.audit import AuditAction, audit_record
from rxscale.outbox.models import OutboundCommand
from rxscale.outbox.recording import subject_lock, subject_sync_refresh

RETRY_PERMISSION = "rxscale.retry_outboundcommand"
S = OutboundCommand.Status


def command_retry(*, command_id: int, user: AbstractBaseUser) -> OutboundCommand:
    """Send a failed command again, with a fresh attempt budget."""
    return _command_change(command_id, user, action=AuditAction.OUTBOX_RETRY, reason="")


def command_discard(*, command_id: int, user: AbstractBaseUser, reason: str) -> OutboundCommand:
    """Give up on a failed or pending command: RxScale is not told. A reason is required."""
    reason = clean_typed_text(reason)
    if not reason:
        raise ValidationError({"reason": "Say why the change should not reach RxScale."})
    return _command_change(command_id, user, action=AuditAction.OUTBOX_DISCARD, reason=reason)


def _command_change(
    command_id: int, user: AbstractBaseUser, *, action: str, reason: str
) -> OutboundCommand:
    if not user.has_perm(RETRY_PERMISSION):
        raise PermissionDenied("You may not retry or discard commands to RxScale.")
    subject = OutboundCommand.objects.values_list("subject_kind", "subject_uid").get(pk=command_id)
    now = timezone.now()
    with transaction.atomic():
        subject_lock(*subject)
        command = OutboundCommand.objects.select_for_update().get(pk=command_id)
        if action == AuditAction.OUTBOX_RETRY:
            if command.status != S.FAILED:
                raise ValidationError("Only a failed command can be sent again.")
            command.status, command.attempts, command.next_attempt_at = S.PENDING, 0, now
            command.finished_at = None
            wake_workers()
        else:
            if command.status not in (S.FAILED, S.PENDING) or command.leased_by:
                raise ValidationError("Only a failed or waiting command can be discarded.")
            command.status, command.finished_at = S.DISCARDED, now
            command.outcome_note = f"Discarded by {user.get_username()}: {reason}"
        command.save()
        subject_sync_refresh(command.subject_kind, command.subject_uid)
        audit_record(
            user=user,
            action=action,
            order_uid=command.subject_uid if command.subject_kind == SubjectKind.ORDER else "",
            details={
                "command": command.pk,
                "kind": command.kind,
                "subject": command.subject_uid,
                "reason": reason,
            },
        )
    return command
