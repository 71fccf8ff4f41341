"""Reading delivery bodies: strict JSON, event type, PDF redaction."""

import json
from typing import Any

PDF_REFERENCE_KEY = "content_sha256"
PDF_DISCARDED_KEY = "content_discarded"
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


def _prescription_file(payload: dict) -> dict | None:
    data = payload.get("data")
    if not isinstance(data, dict):
        return None
    prescription_file = data.get("prescription_file")
    return prescription_file if isinstance(prescription_file, dict) else None


def redact_pdf_content(payload: dict) -> dict:
    """A copy of the payload whose PDF base64 is replaced by its length, for people to read."""
    prescription_file = _prescription_file(payload)
    if prescription_file is None or "content_base64" not in prescription_file:
        return payload
    content = prescription_file["content_base64"]
    size = len(content) if isinstance(content, str) else 0
    redacted = {**prescription_file, "content_base64": f"[redacted: {size} base64 characters]"}
    return {**payload, "data": {**payload["data"], "prescription_file": redacted}}


def has_pdf_content(payload: dict) -> bool:
    prescription_file = _prescription_file(payload)
    return prescription_file is not None and "content_base64" in prescription_file


def replace_pdf_with_reference(payload: dict, sha256: str) -> dict:
    """The payload with the PDF base64 swapped for the stored document's hash.

    Processed bodies are kept this way so their size does not grow with the PDF, and a
    reprocess still finds the document. Content that was not stored (stale, or rejected as
    not a PDF) is dropped and marked as such.
    """
    prescription_file = _prescription_file(payload)
    if prescription_file is None:
        return payload
    reference = {k: v for k, v in prescription_file.items() if k != "content_base64"}
    if sha256:
        reference[PDF_REFERENCE_KEY] = sha256
    else:
        reference[PDF_DISCARDED_KEY] = True
    return {**payload, "data": {**payload["data"], "prescription_file": reference}}


def encode_body(payload: Any) -> bytes:
    # A lone surrogate ("\ud800" in the JSON RxScale sent) has no UTF-8 form: keep it as the
    # escape it arrived as, so that the stored body still says exactly what came.
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")
