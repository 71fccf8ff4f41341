"""Taking the prescription PDF out of a delivery body at intake, without holding it twice.

An order delivery carries its PDF as base64 in `data.prescription_file.content_base64`: a 20 MB
PDF is a ~27 MB body. Parsing that body whole holds the text, the base64 string and then the
decoded bytes next to the raw body (about ten times the body at peak). Instead:

1. the `"content_base64": "…"` member is found in the raw bytes and cut out; the small rest,
   with a one-off placeholder in its place, is parsed as JSON;
2. the placeholder must land exactly at `data.prescription_file`, with no other spelling of
   the content beside it; otherwise (the key also appears elsewhere, escapes inside the value,
   duplicate keys, anything odd) the whole body is parsed the ordinary way, which still
   stores the PDF and never keeps it;
3. the base64 is decoded in slices straight from the body, hashed and checked, and only then,
   if storage has no such PDF yet, decoded again into a temporary file that storage reads in
   chunks (`prescription_file_save`).

The stored body keeps the member's place: `content_sha256`, `content_problem` or
`content_discarded` (payload.pdf_reference_fields).
"""

import binascii
import hashlib
import json
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import IO

from common.storable import single_line
from common.storage import STORAGE_ERRORS
from pharmacy_orders.services.prescriptions import (
    NOT_A_PDF,
    NOT_BASE64,
    PDF_MAGIC,
    StoredFile,
    prescription_document_ensure,
    prescription_file_save,
)
from rxscale.inbox.payload import (
    PDF_CONTENT_KEY,
    PDF_KEYS,
    encode_body,
    parse_json_object,
    pdf_content,
    pdf_reference_fields,
    prescription_file,
    replace_pdf_content,
)

logger = logging.getLogger(__name__)

_KEY = json.dumps(PDF_CONTENT_KEY).encode()
_JSON_SPACE = b" \t\n\r"
# Base64 characters decoded per step: a multiple of 4 (whole quanta), small next to any body.
_SLICE = 1024 * 1024


@dataclass(frozen=True)
class Base64Span:
    """The PDF's base64: a range of the raw body (bytes) or, after a full parse, the string."""

    source: bytes | str
    start: int
    end: int

    def decoded(self) -> Iterator[bytes]:
        """The PDF bytes, slice by slice. Raises ValueError (binascii.Error) for exactly what
        `base64.b64decode(…, validate=True)` refuses."""
        source, end = self.source, self.end
        view = memoryview(source) if isinstance(source, bytes) else source
        padding = "=" if isinstance(source, str) else b"="
        first_padding = source.find(padding, self.start, end)
        offset = self.start
        while offset < end:
            stop = min(offset + _SLICE, end)
            if source[stop : stop + 1] == padding:
                # Padding must not start a slice: alone, that is "leading padding".
                stop = end
            if stop < end and 0 <= first_padding < stop:
                # Each slice alone would accept padding at its end; the whole string refuses
                # data after padding.
                raise binascii.Error("Discontinuous padding not allowed")
            # A non-ASCII str raises ValueError; non-alphabet bytes raise binascii.Error.
            yield binascii.a2b_base64(view[offset:stop], strict_mode=True)
            offset = stop


@dataclass(frozen=True)
class PdfCheck:
    """What the content is: a PDF with this hash and size, or a problem for the order."""

    sha256: str = ""
    size: int = 0
    problem: str = ""


def pdf_check(span: Base64Span) -> PdfCheck:
    """Decode, hash and check the content without keeping it (a few MB at a time)."""
    digest = hashlib.sha256()
    size, head = 0, b""
    try:
        for chunk in span.decoded():
            if len(head) < len(PDF_MAGIC):
                head += chunk[: len(PDF_MAGIC) - len(head)]
            digest.update(chunk)
            size += len(chunk)
    except ValueError:
        return PdfCheck(problem=NOT_BASE64)
    if head != PDF_MAGIC:
        return PdfCheck(problem=NOT_A_PDF)
    return PdfCheck(sha256=digest.hexdigest(), size=size)


def pdf_write(span: Base64Span, file: IO[bytes]) -> None:
    """Decode the content into `file` (checked by pdf_check already)."""
    for chunk in span.decoded():
        file.write(chunk)


@dataclass(frozen=True)
class BodyReading:
    """A delivery body read for intake: its payload (or why it is none) and its PDF content.

    `content` is the prescription's base64 when the body carries any; `stored_body` gives the
    body to keep, with `fields` in the content's place.
    """

    body: bytes
    payload: dict | None
    parse_error: str
    content: Base64Span | None = None
    # (start, end) of the `"content_base64": "…"` member in the raw body: cut out in place.
    member: tuple[int, int] | None = None

    def stored_body(self, fields: dict) -> bytes:
        if self.content is None:
            return self.body
        if self.member is not None:
            start, end = self.member
            view = memoryview(self.body)
            return b"".join((view[:start], _member_bytes(fields), view[end:]))
        return encode_body(replace_pdf_content(self.payload or {}, fields))


def body_read(body: bytes) -> BodyReading:
    """Parse a delivery body, finding its PDF content without parsing the base64 itself."""
    located = _locate_member(body)
    if located is not None:
        start, end, value_start, value_end = located
        placeholder = f"{PDF_CONTENT_KEY} placeholder {secrets.token_hex(8)}"
        small = b"".join((body[:start], _member_bytes({placeholder: True}), body[end:]))
        payload, _ = parse_json_object(small)
        if payload is not None and _placed_exactly(payload, placeholder):
            content = Base64Span(body, value_start, value_end)
            return BodyReading(body, payload, "", content=content, member=(start, end))
    payload, parse_error = parse_json_object(body)
    if payload is None:
        # Not JSON: kept for staff to see why, but without what looked like the PDF.
        content = Base64Span(body, located[2], located[3]) if located else None
        member = located[:2] if located else None
        return BodyReading(body, None, parse_error, content=content, member=member)
    value = pdf_content(payload)
    if not value:
        return BodyReading(body, payload, "")
    return BodyReading(body, payload, "", content=Base64Span(value, 0, len(value)))


def _locate_member(body: bytes) -> tuple[int, int, int, int] | None:
    """(member start, member end, value start, value end) of the only `"content_base64"`
    key in the raw body whose value is a plain string; None when there is no such key,
    more than one, an escape inside the value, or an empty value (nothing to take out)."""
    key_at = body.find(_KEY)
    if key_at == -1 or body.find(_KEY, key_at + len(_KEY)) != -1:
        return None
    position = _skip_space(body, key_at + len(_KEY))
    if body[position : position + 1] != b":":
        return None
    position = _skip_space(body, position + 1)
    if body[position : position + 1] != b'"':
        return None
    value_start = position + 1
    value_end = body.find(b'"', value_start)
    if value_end <= value_start or body.find(b"\\", value_start, value_end) != -1:
        return None
    return key_at, value_end + 1, value_start, value_end


def _skip_space(body: bytes, position: int) -> int:
    while body[position : position + 1] and body[position] in _JSON_SPACE:
        position += 1
    return position


def _placed_exactly(payload: dict, placeholder: str) -> bool:
    """The cut-out member was data.prescription_file.content_base64, and nothing else there
    carries or stands in for the content. Removes the placeholder from the payload."""
    file_data = prescription_file(payload)
    if file_data is None or file_data.get(placeholder) is not True:
        return False
    del file_data[placeholder]
    return not PDF_KEYS.intersection(file_data)


def _member_bytes(fields: dict) -> bytes:
    """`"key":value,…` for splicing into the raw body (ASCII, so any encoding fits)."""
    return json.dumps(fields, separators=(",", ":"))[1:-1].encode("ascii")


class PdfStorageUnavailable(Exception):
    """Storage refused the delivery's PDF (disk full, permissions, a mount gone). Nothing was
    stored; the sender should retry."""


@dataclass(frozen=True)
class IntakePdf:
    """What intake does with a delivery's PDF: the fields that stand in for it in the stored
    body and, when it went to storage, its hash, size and file."""

    fields: dict = field(default_factory=pdf_reference_fields)
    sha256: str = ""
    size: int = 0
    content: Base64Span | None = None
    stored: StoredFile | None = None

    def document_ensure(self) -> None:
        """Inside the transaction that stores the delivery: its document row, so that both
        commit together (see prescription_document_ensure)."""
        if self.stored is None:
            return
        save = partial(
            prescription_file_save,
            sha256=self.sha256,
            size=self.size,
            write=partial(pdf_write, self.content),
            reuse=False,
        )
        try:
            prescription_document_ensure(
                sha256=self.sha256, size=self.size, stored=self.stored, save=save
            )
        except STORAGE_ERRORS as exc:
            raise _storage_failed(exc) from exc


def pdf_intake_prepare(reading: BodyReading, *, keep: bool) -> IntakePdf:
    """Check the body's PDF and, if it is to be kept, put it in storage.

    Runs before the intake transaction: file I/O must not hold database locks. Content that
    is not kept (a delivery that will never be processed) is dropped unread. Raises
    PdfStorageUnavailable when storage fails.
    """
    if reading.content is None or not keep:
        return IntakePdf()
    check = pdf_check(reading.content)
    if check.problem:
        return IntakePdf(fields=pdf_reference_fields(problem=check.problem))
    write = partial(pdf_write, reading.content)
    try:
        stored = prescription_file_save(sha256=check.sha256, size=check.size, write=write)
    except STORAGE_ERRORS as exc:
        raise _storage_failed(exc) from exc
    return IntakePdf(
        fields=pdf_reference_fields(sha256=check.sha256),
        sha256=check.sha256,
        size=check.size,
        content=reading.content,
        stored=stored,
    )


def _storage_failed(exc: BaseException) -> PdfStorageUnavailable:
    logger.error(
        "webhook delivery not stored: its prescription PDF could not be saved (%s); "
        "answered 503 so that RxScale retries",
        single_line(f"{type(exc).__name__}: {exc}"),
    )
    return PdfStorageUnavailable(str(exc))
