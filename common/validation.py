"""Reading RxScale payloads: strict where a wrong value costs patients or stock, tolerant elsewhere.

Identifiers, `updated_at` and unit counts must be right, or the delivery fails with field-level
errors (PayloadInvalid). Everything else that is unexpected (an unknown status, a prepaid of 2,
too many decimals, text too long or with characters no database stores, undocumented fields)
is read as well as it can be and noted in a PayloadReading: warnings for people, and the
undocumented fields as they came. RxScale adds fields and values faster than its docs say; an
order that never appears is worse for a patient than one shown with a warning.
"""

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rest_framework import serializers

from common.payload_fields import UNIX_MAX, Text, UnixTimestampField, storable_json_value
from common.storable import storable_text

# The undocumented fields one warning names; the rest are counted (all are kept).
UNKNOWN_FIELDS_NAMED = 10
WARNING_MAX_LENGTH = 500


class PayloadInvalid(Exception):
    """The payload does not have the documented shape; `errors` maps fields to messages."""

    def __init__(self, errors: dict | list | str):
        self.errors = errors
        super().__init__("Payload failed validation.")


@dataclass
class PayloadReading:
    """What a tolerant read noticed: short warnings for people, and undocumented fields
    (path -> value, storable) as they came."""

    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def warn(self, message: str) -> None:
        # Warnings land in JSON columns and on pages: storable, bounded, each said once.
        message = storable_text(message, WARNING_MAX_LENGTH)
        if message not in self.warnings:
            self.warnings.append(message)

    def merge(self, other: "PayloadReading") -> None:
        for message in other.warnings:
            self.warn(message)
        self.extra.update(other.extra)


class EventEnvelope(serializers.Serializer):
    event_type = serializers.CharField(max_length=100)
    timestamp = UnixTimestampField()
    payload_version = Text(max_length=16)
    data = serializers.DictField()


def _unknown_fields(node: serializers.Field, value: Any, path: str, found: dict) -> None:
    """Walk the input alongside the serializer's declared fields; collect undeclared keys.

    Free-form JSON fields and open objects (addresses) keep every key, so they are not
    walked into: nothing there is unknown.
    """
    if isinstance(node, serializers.ListSerializer):
        if isinstance(value, list):
            for index, item in enumerate(value):
                _unknown_fields(node.child, item, f"{path}[{index}]", found)
        return
    if not isinstance(node, serializers.Serializer) or not isinstance(value, Mapping):
        return
    if getattr(node, "keeps_unknown_keys", False):
        return
    declared = node.fields
    for key, item in value.items():
        key_path = f"{path}.{key}" if path else str(key)
        if key in declared:
            _unknown_fields(declared[key], item, key_path, found)
        else:
            found[storable_text(key_path, 200)] = storable_json_value(item)


def read_payload(
    serializer_class: type[serializers.Serializer], data: Any, *, prefix: str = ""
) -> tuple[dict, PayloadReading]:
    """Validate `data` tolerantly. Returns (validated data, reading).

    Raises PayloadInvalid with field-level errors (under `prefix`) for what must be right.
    """
    reading = PayloadReading()
    with _serializer(serializer_class, data, {"reading": reading}) as serializer:
        if not serializer.is_valid():
            raise PayloadInvalid({prefix: serializer.errors} if prefix else serializer.errors)
        _unknown_fields(serializer, data, "", reading.extra)
        return serializer.validated_data, reading


# One idle serializer per class and thread, reused for every payload of that class.
_idle = threading.local()


@contextmanager
def _serializer(
    serializer_class: type[serializers.Serializer], data: Any, context: dict
) -> Iterator[serializers.Serializer]:
    """A serializer for `data`, its fields built once per thread rather than per payload.

    DRF deep-copies every declared field of every nested serializer each time a serializer
    is built: about 60 field objects per order delivery, a third of the validation time. The
    built fields hold no state between validations (they read the reading through the root's
    context, and _IndexedList resets its position), so an idle serializer is reset the way
    `__init__` leaves a new one (data, context, no results) and used again. One per thread
    (gunicorn threads) and never two uses at once (a nested call gets a new one).
    """
    idle = _idle.__dict__
    serializer = idle.pop(serializer_class, None) or serializer_class(data=data)
    serializer.initial_data, serializer._context = data, context
    for result in ("_validated_data", "_errors", "_data"):
        serializer.__dict__.pop(result, None)
    try:
        yield serializer
    finally:
        # Drop this payload's data and results (a PDF body must not stay in memory).
        serializer.initial_data, serializer._context = None, {}
        for result in ("_validated_data", "_errors", "_data"):
            serializer.__dict__.pop(result, None)
        idle[serializer_class] = serializer


def validated(serializer_class: type[serializers.Serializer], data, *, prefix: str = "") -> dict:
    """Validate `data`; raise PayloadInvalid with field-level errors (under `prefix`)."""
    return read_payload(serializer_class, data, prefix=prefix)[0]


def validated_event(
    payload: dict, data_class: type[serializers.Serializer], *, report_unknown: bool = True
) -> tuple[dict, dict, PayloadReading]:
    """Validate the `{event_type, timestamp, payload_version, data}` envelope and its data.

    Returns (envelope, data, reading). Unknown keys of the envelope itself are not looked at;
    those inside `data` are collected in `reading.extra`, and with `report_unknown` one
    warning names them.
    """
    envelope, reading = read_payload(EventEnvelope, payload)
    reading.extra.clear()
    data, data_reading = read_payload(data_class, payload["data"], prefix="data")
    reading.merge(data_reading)
    if report_unknown and reading.extra:
        names = list(reading.extra)
        listed = ", ".join(names[:UNKNOWN_FIELDS_NAMED])
        more = len(names) - UNKNOWN_FIELDS_NAMED
        reading.warn(
            f"Undocumented field{'s' if len(names) > 1 else ''}, stored but not used: {listed}"
            + (f" and {more} more." if more > 0 else ".")
        )
    return envelope, data, reading


def raw_unix_time(value: Any) -> datetime | None:
    """A Unix time read from an unvalidated payload as `UnixTimestampField` would read it;
    None if that would refuse it. For checks that may skip validation (a stale snapshot)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UNIX_MAX:
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def raw_snapshot_head(payload: dict) -> tuple[str, datetime | None, datetime | None]:
    """(`data.uid`, `data.updated_at`, envelope `timestamp`) of an unvalidated event payload,
    each as validation would read it, or "" / None where it would not accept the value."""
    data = payload.get("data")
    data = data if isinstance(data, dict) else {}
    uid = data.get("uid")
    return (
        uid if isinstance(uid, str) else "",
        raw_unix_time(data.get("updated_at")),
        raw_unix_time(payload.get("timestamp")),
    )


def is_older(updated_at: datetime | None, stored: datetime | None) -> bool:
    """Whether a snapshot's `updated_at` is strictly older than the stored one (both known)."""
    return updated_at is not None and stored is not None and updated_at < stored
