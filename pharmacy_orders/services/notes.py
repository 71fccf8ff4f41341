"""Free-text notes staff leave on an order."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from common.text import clean_typed_text
from pharmacy_orders.models import OrderNote, PharmacyOrder
from pharmacy_orders.services.audit import AuditAction, audit_record
from pharmacy_orders.services.workflow import WORK_PERMISSION

NOTE_MAX_LENGTH = 5000


class NoteRefused(Exception):
    def __init__(self, message: str, *, http_status: int = 400):
        super().__init__(message)
        self.message = message
        self.http_status = http_status


def order_note_add(*, order_uid: str, user: AbstractBaseUser, text: str) -> OrderNote:
    """Add a note to an order and audit it (the audit keeps the note id, not its text:
    notes may hold health data and the trail is read more widely).

    Errors: NoteRefused (no permission, blank, too long), PharmacyOrder.DoesNotExist.
    """
    if not user.has_perm(WORK_PERMISSION):
        raise NoteRefused("You are not allowed to work on orders.", http_status=403)
    text = clean_typed_text(text)
    if not text:
        raise NoteRefused("A note cannot be empty.")
    if len(text) > NOTE_MAX_LENGTH:
        raise NoteRefused(f"A note can have at most {NOTE_MAX_LENGTH} characters.")
    with transaction.atomic():
        order = PharmacyOrder.objects.only("id", "uid").get(uid=order_uid)
        note = OrderNote.objects.create(order=order, author=user, text=text)
        audit_record(
            user=user,
            action=AuditAction.NOTE,
            order_uid=order.uid,
            details={"note_id": note.pk, "length": len(text)},
        )
    return note
