"""Prescription PDFs: validated, stored once per content hash, linked to every order.

Intake stores a delivery's PDF before the delivery row exists (rxscale/inbox/
pdf_intake.py), so the inbox never holds the content: the stored body names the document by
`content_sha256`, or says why there is none (`content_problem`). The handler then only links
the document to the order.
"""

import base64
import binascii
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils.text import get_valid_filename

from common.events import (
    PDF_CONTENT_KEY,
    PDF_DISCARDED_KEY,
    PDF_PROBLEM_KEY,
    PDF_REFERENCE_KEY,
    Delivery,
)
from pharmacy_orders.models import OrderPrescription, PharmacyOrder, PrescriptionDocument

PDF_MAGIC = b"%PDF-"
STORAGE_DIR = "prescriptions"
NOT_BASE64 = "The prescription file is not valid base64."
NOT_A_PDF = "The prescription file is not a PDF."
NO_CONTENT = "The prescription file has no content."
MISSING = "The referenced prescription file is missing."


@dataclass(frozen=True)
class PrescriptionOutcome:
    sha256: str = ""
    problem: str = ""


@dataclass(frozen=True)
class StoredFile:
    """Where a PDF is in storage, and whether this request wrote it (and so may remove it)."""

    name: str
    written: bool


def sanitise_filename(raw: str | None) -> str:
    """Keep only a safe base name ending in .pdf: no directories, no markup, no NUL."""
    name = (raw or "").replace("\x00", "").replace("\\", "/")
    name = os.path.basename(name).strip().lstrip(".")
    name = get_valid_filename(name) if name else ""
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    return f"{stem[:120] or 'prescription'}.pdf"


def prescription_storage_name(sha256: str) -> str:
    return f"{STORAGE_DIR}/{sha256[:2]}/{sha256}.pdf"


def prescription_file_save(
    *, sha256: str, size: int, write: Callable[[IO[bytes]], None], reuse: bool = True
) -> StoredFile:
    """Put a PDF into private storage under its hash, unless a whole copy is there already
    (the common case: every order update repeats the PDF; a stat, not a query).

    `write` fills a temporary file with the PDF; storage reads that file in chunks, so the
    PDF is never in memory whole. A file of the wrong size under the name (a crash mid-write)
    is not trusted: storage gives the new copy another name and retention removes the stray.
    `reuse=False` writes a copy of our own even then. Call outside a transaction (file I/O
    must not hold database locks). Raises one of common.storage.STORAGE_ERRORS when storage
    fails.
    """
    name = prescription_storage_name(sha256)
    if reuse and default_storage.exists(name) and default_storage.size(name) == size:
        return StoredFile(name, written=False)
    with tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as temporary:
        write(temporary)
        temporary.seek(0)
        saved = default_storage.save(name, File(temporary, name=name))
    return StoredFile(saved, written=True)


def prescription_document_ensure(
    *, sha256: str, size: int, stored: StoredFile, save: Callable[[], StoredFile]
) -> PrescriptionDocument:
    """The document row of the PDF intake has put in storage (`stored`), created if need be.

    Call inside the transaction that stores the delivery referring to it. The row is locked
    (FOR NO KEY UPDATE: inserting order links still works) so that retention, which locks
    the documents it removes, cannot remove it before the delivery commits. A new row never
    takes a file this request did not write (a crash's leftover, or one retention is about to
    delete): `save` writes a copy of our own first. Storing the same content twice, also at
    once, keeps one row and one file. Raises one of common.storage.STORAGE_ERRORS when
    storage fails.
    """
    document = (
        PrescriptionDocument.objects.select_for_update(no_key=True).filter(sha256=sha256).first()
    )
    if document is None:
        stored = stored if stored.written else save()
        document = _document_create(sha256=sha256, size=size, name=stored.name)
    if stored.written and document.file.name != stored.name:
        # A concurrent delivery stored the same PDF first and storage gave our copy another
        # name: keep one copy per content.
        default_storage.delete(stored.name)
    return document


def _document_create(*, sha256: str, size: int, name: str) -> PrescriptionDocument:
    try:
        with transaction.atomic():
            return PrescriptionDocument.objects.create(sha256=sha256, file=name, size=size)
    except IntegrityError:
        return PrescriptionDocument.objects.get(sha256=sha256)


def prescription_document_store(*, content: bytes) -> PrescriptionDocument:
    """Store PDF bytes once per sha256 in private storage (never served by URL).

    For content that is already in memory: bodies stored before intake took PDFs out.
    """
    sha256 = hashlib.sha256(content).hexdigest()
    document = PrescriptionDocument.objects.filter(sha256=sha256).first()
    if document is not None:
        return document
    name = prescription_storage_name(sha256)
    exists = default_storage.exists(name) and default_storage.size(name) == len(content)
    saved = name if exists else default_storage.save(name, ContentFile(content))
    document = _document_create(sha256=sha256, size=len(content), name=saved)
    if not exists and document.file.name != saved:
        default_storage.delete(saved)  # a concurrent delivery stored the same PDF first
    return document


def _decode_pdf(content_base64: str) -> tuple[bytes | None, str]:
    try:
        content = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        return None, NOT_BASE64
    if not content.startswith(PDF_MAGIC):
        return None, NOT_A_PDF
    return content, ""


def order_prescription_apply(
    *, order: PharmacyOrder, file_data: dict, delivery: Delivery
) -> PrescriptionOutcome:
    """Link the snapshot's prescription file to the order and make it current.

    The file comes as intake left it: a `content_sha256` reference to the document intake
    stored, or a `content_problem` (bad base64, not a PDF) that is returned for the order and
    the delivery, the order keeping its previous prescription. Bodies stored before intake
    took PDFs out still carry `content_base64`, decoded here. The caller holds the order row
    lock. (A new order: `NewOrderPrescription`.)
    """
    if file_data.get(PDF_DISCARDED_KEY):
        return PrescriptionOutcome()
    if file_data.get(PDF_REFERENCE_KEY):
        current = order.current_prescription if order.current_prescription_id else None
        if current is not None and current.sha256 == file_data[PDF_REFERENCE_KEY]:
            # Every update repeats the PDF. The current document was made current right after
            # its link to the order was ensured (below), and links go only with the order.
            return PrescriptionOutcome(sha256=current.sha256)
        document = PrescriptionDocument.objects.filter(sha256=file_data[PDF_REFERENCE_KEY]).first()
        if document is None:
            return PrescriptionOutcome(problem=MISSING)
    elif file_data.get(PDF_CONTENT_KEY):
        content, problem = _decode_pdf(file_data[PDF_CONTENT_KEY])
        if content is None:
            return PrescriptionOutcome(problem=problem)
        document = prescription_document_store(content=content)
    else:
        # Intake wrote why it kept no content (`content_problem`); otherwise there was none.
        return PrescriptionOutcome(problem=file_data.get(PDF_PROBLEM_KEY) or NO_CONTENT)
    link = {"filename": sanitise_filename(file_data.get("filename")), "delivery": delivery}
    OrderPrescription.objects.get_or_create(order=order, document=document, defaults=link)
    order.current_prescription = document
    return PrescriptionOutcome(sha256=document.sha256)


@dataclass(frozen=True)
class NewOrderPrescription:
    """`order_prescription_apply` for an order this snapshot creates, in two steps around the
    order's INSERT, which writes nothing first: the row is inserted with what is known without
    the database (`problem`) and, for the document intake stored, a subquery that finds it
    (`current_prescription_value`: no query of its own); `link` then links what the row found,
    or stores and links a PDF that came inline. Same outcomes and problems."""

    file_data: dict

    @property
    def problem(self) -> str:
        """The problem known before the INSERT (a missing document is found by `link`)."""
        if self.file_data.get(PDF_DISCARDED_KEY) or self.file_data.get(PDF_REFERENCE_KEY):
            return ""
        if self.file_data.get(PDF_CONTENT_KEY):
            return _decode_pdf(self.file_data[PDF_CONTENT_KEY])[1]
        return self.file_data.get(PDF_PROBLEM_KEY) or NO_CONTENT

    def current_prescription_value(self) -> Subquery | None:
        """What the new order row's `current_prescription_id` is inserted as."""
        reference = self.file_data.get(PDF_REFERENCE_KEY)
        if reference and not self.file_data.get(PDF_DISCARDED_KEY):
            return Subquery(PrescriptionDocument.objects.filter(sha256=reference).values("pk"))
        return None

    def link(self, *, order: PharmacyOrder, delivery: Delivery) -> PrescriptionOutcome:
        """After the INSERT: link the document the row found (or say it is missing). A PDF
        that came inline is stored and linked as for a stored order (the caller saves the
        order's new `current_prescription`)."""
        reference = self.file_data.get(PDF_REFERENCE_KEY)
        if self.file_data.get(PDF_DISCARDED_KEY) or not reference:
            return order_prescription_apply(
                order=order, file_data=self.file_data, delivery=delivery
            )
        if order.current_prescription_id is None:
            return PrescriptionOutcome(problem=MISSING)
        OrderPrescription.objects.create(
            order=order,
            document_id=order.current_prescription_id,
            filename=sanitise_filename(self.file_data.get("filename")),
            delivery=delivery,
        )
        return PrescriptionOutcome(sha256=reference)
