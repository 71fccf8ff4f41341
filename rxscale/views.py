"""Staff actions on commands to RxScale: retry or discard (thin: rules in outbox/staff.py)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from common.events import SubjectKind
from rxscale.outbox.models import OutboundCommand
from rxscale.outbox.staff import RETRY_PERMISSION, command_discard, command_retry


def _back(command: OutboundCommand):
    if command.subject_kind == SubjectKind.ORDER:
        return redirect("orders:detail", command.subject_uid)
    return redirect("inventory:detail", command.subject_uid)


@require_POST
def command_retry_view(request, pk: int):
    if not request.user.has_perm(RETRY_PERMISSION):
        raise PermissionDenied
    command = get_object_or_404(OutboundCommand, pk=pk)
    try:
        command_retry(command_id=command.pk, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The change will be sent to RxScale again.")
    return _back(command)


@require_POST
def command_discard_view(request, pk: int):
    if not request.user.has_perm(RETRY_PERMISSION):
        raise PermissionDenied
    command = get_object_or_404(OutboundCommand, pk=pk)
    try:
        command_discard(
            command_id=command.pk, user=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Discarded: RxScale will not be told about this change.")
    return _back(command)
