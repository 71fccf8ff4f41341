"""Prescription PDFs: validated, stored once per content hash, linked to every order."""

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.text import get_valid_filename

from pharmacy_orders.models import OrderPrescription, PharmacyOrder, PrescriptionDocument
from pharmacy_orders.webhooks.models import WebhookDelivery

PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class PrescriptionOutcome:
    sha256: str = ""
    problem: str = ""


def sanitise_filename(raw: str | None) -> str:
    """Keep only a safe base name ending in .pdf: no directories, no markup, no NUL."""
    name = (raw or "").replace("\x00", "").replace("\\", "/")
    name = os.path.basename(name).strip().lstrip(".")
    name = get_valid_filename(name) if name else ""
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    return f"{stem[:120] or 'prescription'}.pdf"


def _decode_pdf(content_base64: str) -> tuple[bytes | None, str]:
    try:
        content = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        return None, "The prescription file is not valid base64."
    if not content.startswith(PDF_MAGIC):
        return None, "The prescription file is not a PDF."
    return content, ""


def prescription_document_store(*, content: bytes) -> PrescriptionDocument:
    """Store PDF bytes once per sha256 in private storage (never served by URL)."""
    sha256 = hashlib.sha256(content).hexdigest()
    document = PrescriptionDocument.objects.filter(sha256=sha256).first()
    if document is not None:
        return document
    name = f"prescriptions/{sha256[:2]}/{sha256}.pdf"
    saved = (
        name if default_storage.exists(name) else default_storage.save(name, ContentFile(content))
    )
    document, _ = PrescriptionDocument.objects.get_or_create(
        sha256=sha256, defaults={"file": saved, "size": len(content)}
    )
    if document.file.name != saved:
        # A concurrent delivery stored the same PDF first and the storage gave our copy an
        # alternative name; keep one copy per content.
        default_storage.delete(saved)
    return document


def order_prescription_apply(
    *, order: PharmacyOrder, file_data: dict, delivery: WebhookDelivery
) -> PrescriptionOutcome:
    """Link the snapshot's prescription file to the order and make it current.

    Bad base64 or non-PDF content is not stored: the problem is recorded on the order and
    the delivery, and the order keeps its previous prescription. The caller holds the order
    row lock.
    """
    if file_data.get("content_discarded"):
        return PrescriptionOutcome()
    if file_data.get("content_sha256"):
        document = PrescriptionDocument.objects.filter(sha256=file_data["content_sha256"]).first()
        if document is None:
            return PrescriptionOutcome(problem="The referenced prescription file is missing.")
    elif file_data.get("content_base64"):
        content, problem = _decode_pdf(file_data["content_base64"])
        if content is None:
            return PrescriptionOutcome(problem=problem)
        document = prescription_document_store(content=content)
    else:
        return PrescriptionOutcome(problem="The prescription file has no content.")
    OrderPrescription.objects.get_or_create(
        order=order,
        document=document,
        defaults={"filename": sanitise_filename(file_data.get("filename")), "delivery": delivery},
    )
    order.current_prescription = document
    return PrescriptionOutcome(sha256=document.sha256)
