"""A stable fingerprint of a validated snapshot: two versions with one `updated_at` told apart."""

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def _canonical(value: Any) -> Any:
    # One spelling per value: 0.5 and 0.500 are one number, a datetime is its UTC instant.
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def content_sha256(value: Any) -> str:
    """sha256 of canonical JSON (sorted keys, no whitespace, ASCII-escaped so that even a lone
    surrogate in a tolerated string hashes instead of failing to encode)."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=_canonical
    )
    return hashlib.sha256(text.encode("ascii")).hexdigest()
