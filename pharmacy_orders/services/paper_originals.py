"""Recording that the paper original of a paper-prescription (`prepaid`) order has arrived.

Until it has, the order can't be released or completed (`services/gates.py`); the worklist's
"Awaiting original" queue lists the orders still waiting for theirs.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import dateformat, timezone

from common.text import clean_typed_text
from pharmacy_orders.models import PaperOriginalReceipt, PharmacyOrder
from pharmacy_orders.services.audit import audit_record
from pharmacy_orders.services.refusals import deleted_refusal_message
from pharmacy_orders.services.workflow import WORK_PERMISSION

AUDIT_PAPER_ORIGINAL = "order_paper_original_received"
NOTE_MAX_LENGTH = 2000
SCAN_REFERENCE_MAX_LENGTH = 255


class PaperOriginalRefused(Exception):
    """Nothing was recorded; `message` is for the clerk."""

    code = "refused"
    http_status = 409

    def __init__(self, message: str, *, code: str | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.http_status = http_status or self.http_status


def order_paper_original_record(
    *,
    order_uid: str,
    user: AbstractBaseUser,
    note: str = "",
    scan_reference: str = "",
) -> PaperOriginalReceipt:
    """Record that the paper original of order `order_uid` arrived now, received by `user`.

    Errors: PaperOriginalRefused (no permission, not a paper prescription, deleted by RxScale,
    recorded already, input too long), PharmacyOrder.DoesNotExist. Locks the order row, so
    two clerks recording at once get one receipt and one refusal.
    """
    note, scan_reference = clean_typed_text(note), clean_typed_text(scan_reference)
    if not user.has_perm(WORK_PERMISSION):
        raise PaperOriginalRefused(
            "You are not allowed to work on orders.", code="forbidden", http_status=403
        )
    if len(note) > NOTE_MAX_LENGTH or len(scan_reference) > SCAN_REFERENCE_MAX_LENGTH:
        raise PaperOriginalRefused(
            f"The note (at most {NOTE_MAX_LENGTH} characters) or the scan reference (at most "
            f"{SCAN_REFERENCE_MAX_LENGTH}) is too long.",
            code="invalid",
            http_status=400,
        )
    with transaction.atomic():
        order = PharmacyOrder.objects.select_for_update().get(uid=order_uid)
        if order.rx_deleted_at is not None:
            raise PaperOriginalRefused(deleted_refusal_message(order), code="deleted")
        if not order.prepaid:
            raise PaperOriginalRefused(
                "This order has no paper prescription: there is no original to record.",
                code="not_paper",
            )
        existing = PaperOriginalReceipt.objects.select_related("received_by").filter(order=order)
        if (receipt := existing.first()) is not None:
            when = dateformat.format(timezone.localtime(receipt.received_at), "j M Y, H:i")
            raise PaperOriginalRefused(
                f"{receipt.received_by.get_username()} recorded the paper original on {when} "
                "already. Nothing was changed.",
                code="already_recorded",
            )
        receipt = PaperOriginalReceipt.objects.create(
            order=order,
            received_by=user,
            received_at=timezone.now(),
            note=note,
            scan_reference=scan_reference,
        )
        audit_record(
            user=user,
            action=AUDIT_PAPER_ORIGINAL,
            order_uid=order.uid,
            details={"note": note, "scan_reference": scan_reference},
        )
    return receipt
