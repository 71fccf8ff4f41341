"""Realistic RxScale payloads built from the seed examples (samples/*.json, kept verbatim).

Used by `manage.py rxscale_send`, the demo data and the tests.
"""

import base64
import copy
import json
from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
LEVELS = ("pharmacy", "organisation")


def available_samples() -> list[str]:
    """Names like `pharmacy_order_created.pharmacy`: event type and subscription level."""
    return sorted(path.stem for path in SAMPLES_DIR.glob("*.json"))


def seed_payload(name: str) -> dict:
    """The seed example exactly as documented (its PDF base64 is a truncated placeholder)."""
    if name not in available_samples():
        raise KeyError(f"No sample {name!r}; choose from {', '.join(available_samples())}")
    return json.loads((SAMPLES_DIR / f"{name}.json").read_text())


def sample_name(event_type: str, level: str = "pharmacy") -> str:
    """Resolve an event type to its sample for a level, falling back to the only one there is."""
    for candidate in (f"{event_type}.{level}", *(f"{event_type}.{other}" for other in LEVELS)):
        if candidate in available_samples():
            return candidate
    raise KeyError(f"No sample for {event_type!r}; choose from {', '.join(available_samples())}")


def sample_pdf(size: int = 0) -> bytes:
    """A small valid PDF, padded with comment lines up to `size` bytes."""
    head = (
        b"%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n"
        b"3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>> endobj\n"
        b"trailer <</Root 1 0 R>>\n"
    )
    tail = b"%%EOF\n"
    padding = max(0, size - len(head) - len(tail))
    filler = (b"% padding " + b"x" * 69 + b"\n") * (padding // 80 + 1)
    return head + filler[:padding] + tail


def build_payload(
    event_type: str,
    *,
    level: str = "pharmacy",
    uid: str | None = None,
    status: str | None = None,
    updated_at: int | None = None,
    stock: int | None = None,
    reserved_amount: int | None = None,
    pdf: bytes | None = None,
) -> dict:
    """A payload for `event_type` from the seed example, with the given values changed.

    Order samples get a real PDF (`pdf`, or a small generated one) in place of the seed's
    placeholder. `updated_at` also sets the envelope timestamp.
    """
    payload = copy.deepcopy(seed_payload(sample_name(event_type, level)))
    data = payload["data"]
    if updated_at is not None:
        payload["timestamp"] = updated_at
        if "updated_at" in data:
            data["updated_at"] = updated_at
    if uid is not None:
        key = {"patient_doctor_meeting_updated": "meeting_uid"}.get(event_type, "uid")
        if "prescription" in data:
            data["prescription"]["uid"] = uid
        else:
            data[key] = uid
    if status is not None:
        data["status"] = status
    if stock is not None:
        data["stock"] = stock
    if reserved_amount is not None:
        data["reserved_amount"] = reserved_amount
    if "prescription_file" in data:
        content = pdf if pdf is not None else sample_pdf()
        data["prescription_file"]["content_base64"] = base64.b64encode(content).decode("ascii")
    return payload
