"""Opening a stored prescription PDF for a member of staff: every view is audited."""

from dataclasses import dataclass
from typing import BinaryIO

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied

from common.storage import STORAGE_ERRORS
from pharmacy_orders.models import OrderPrescription, PharmacyOrder, PrescriptionDocument
from pharmacy_orders.services.audit import AuditAction, audit_record
from pharmacy_orders.services.prescriptions import sanitise_filename

VIEW_PERMISSION = "pharmacy_orders.view_prescription_pdf"


class PrescriptionUnavailable(Exception):
    """The order has no such prescription (or its file is missing from storage)."""


@dataclass
class OpenedPrescription:
    file: BinaryIO
    filename: str
    document: PrescriptionDocument


def order_prescription_open(
    *,
    order: PharmacyOrder,
    user: AbstractBaseUser,
    version_id: int | None = None,
    download: bool = False,
) -> OpenedPrescription:
    """Open the order's current prescription, or the earlier version `version_id` (an
    OrderPrescription id of this order), and write the view to the audit trail.

    Errors: PermissionDenied, PrescriptionUnavailable. The caller closes `file` (a
    FileResponse does).
    """
    if not user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    links = OrderPrescription.objects.filter(order=order).select_related("document")
    if version_id is not None:
        link = links.filter(pk=version_id).first()
    elif order.current_prescription_id:
        link = links.filter(document_id=order.current_prescription_id).first()
    else:
        link = None
    if link is None:
        raise PrescriptionUnavailable
    document = link.document
    try:
        handle = document.file.open("rb")
    except (ValueError, *STORAGE_ERRORS) as exc:
        # Missing (a restore without its files) or storage unreachable: staff are told the
        # file cannot be shown; nothing half-served.
        raise PrescriptionUnavailable from exc
    audit_record(
        user=user,
        action=AuditAction.PRESCRIPTION_DOWNLOAD if download else AuditAction.PRESCRIPTION_VIEW,
        order_uid=order.uid,
        details={
            "sha256": document.sha256,
            "version_id": link.pk,
            "current": document.pk == order.current_prescription_id,
        },
    )
    return OpenedPrescription(
        file=handle, filename=sanitise_filename(link.filename), document=document
    )
