"""Reading delivery bodies: strict JSON, event type, where the prescription PDF is."""

import json
from typing import Any

from common.events import (
    PDF_CONTENT_KEY,
    PDF_DISCARDED_KEY,
    PDF_KEYS,
    PDF_PROBLEM_KEY,
    PDF_REFERENCE_KEY,
)

# RxScale payloads nest about six levels. The parser alone accepts ~1000, which leaves later
# recursive code (validation, json.dumps, the database) too little stack: a crash, not an answer.
MAX_JSON_DEPTH = 100


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_object(body: bytes) -> tuple[dict | None, str]:
    """Return (payload, "") or (None, reason). Strict: no NaN/Infinity, UTF-8 only."""
    try:
        payload = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        return None, "Body is not UTF-8 encoded."
    except RecursionError:
        return None, "Body is nested too deeply."
    except ValueError as exc:
        return None, f"Body is not valid JSON: {exc}"
    if not isinstance(payload, dict):
        return None, f"Body must be a JSON object, not {type(payload).__name__}."
    if _nested_deeper_than(payload, MAX_JSON_DEPTH):
        return None, f"Body is nested too deeply (more than {MAX_JSON_DEPTH} levels)."
    return payload, ""


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Iterative, so that checking the depth cannot itself run out of stack."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def delivery_event_type(payload: dict) -> str:
    """`event_type` for webhooks; `category.event` for the prescription notification envelope."""
    event_type = payload.get("event_type")
    if isinstance(event_type, str):
        return event_type
    category, event = payload.get("category"), payload.get("event")
    if isinstance(category, str) and isinstance(event, str):
        return f"{category}.{event}"
    return ""


def prescription_file(payload: dict) -> dict | None:
    """`data.prescription_file` if the payload has one (order events)."""
    data = payload.get("data")
    if not isinstance(data, dict):
        return None
    found = data.get("prescription_file")
    return found if isinstance(found, dict) else None


def redact_pdf_content(payload: dict) -> dict:
    """A copy of the payload whose PDF base64 is replaced by its length, for people to read."""
    file_data = prescription_file(payload)
    if file_data is None or PDF_CONTENT_KEY not in file_data:
        return payload
    content = file_data[PDF_CONTENT_KEY]
    size = len(content) if isinstance(content, str) else 0
    redacted = {**file_data, PDF_CONTENT_KEY: f"[redacted: {size} base64 characters]"}
    return {**payload, "data": {**payload["data"], "prescription_file": redacted}}


def pdf_content(payload: dict) -> str:
    """The prescription's base64 as the payload carries it; "" when there is none."""
    file_data = prescription_file(payload)
    content = file_data.get(PDF_CONTENT_KEY) if file_data is not None else None
    return content if isinstance(content, str) else ""


def pdf_reference_fields(*, sha256: str = "", problem: str = "") -> dict:
    """What the stored body keeps in place of the PDF content.

    - `content_sha256`: the content is in storage under that hash (PrescriptionDocument);
    - `content_problem`: it was not stored because it is not a PDF; the handler puts the
      problem on the order;
    - `content_discarded`: it was dropped unread (a delivery no handler will ever apply).
    """
    if sha256:
        return {PDF_REFERENCE_KEY: sha256}
    if problem:
        return {PDF_PROBLEM_KEY: problem}
    return {PDF_DISCARDED_KEY: True}


def replace_pdf_content(payload: dict, fields: dict) -> dict:
    """The payload with the PDF content (and any earlier reference) swapped for `fields`."""
    file_data = prescription_file(payload)
    if file_data is None:
        return payload
    kept = {k: v for k, v in file_data.items() if k not in PDF_KEYS}
    return {**payload, "data": {**payload["data"], "prescription_file": {**kept, **fields}}}


def encode_body(payload: Any) -> bytes:
    # A lone surrogate ("\ud800" in the JSON RxScale sent) has no UTF-8 form: keep it as the
    # escape it arrived as, so that the stored body still says exactly what came.
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")
