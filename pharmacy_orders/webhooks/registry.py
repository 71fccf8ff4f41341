"""Which domain handler applies which event type. Handlers live in the app that owns the data."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.module_loading import import_string

_HANDLERS = {
    "pharmacy_order_created": "pharmacy_orders.handlers.handle_pharmacy_order_event",
    "pharmacy_order_updated": "pharmacy_orders.handlers.handle_pharmacy_order_event",
    "patient_doctor_meeting_updated": "pharmacy_orders.handlers.handle_meeting_event",
    "pharmacy_sku_stock_updated": "inventory.handlers.handle_stock_event",
}
# The `{category, event, data}` envelope: every prescription event carries the same shape.
_CATEGORY_HANDLERS = {
    "prescription": "pharmacy_orders.handlers.handle_prescription_notification",
}


class PayloadInvalid(Exception):
    """The payload does not have the documented shape; `errors` maps fields to messages."""

    def __init__(self, errors: dict | list | str):
        self.errors = errors
        super().__init__("Payload failed validation.")


@dataclass
class HandlerResult:
    stale: bool
    subject_kind: str
    subject_uid: str
    event_timestamp: datetime | None = None
    pdf_sha256: str = ""
    warnings: list[str] = field(default_factory=list)


def _handler_path(event_type: str) -> str | None:
    if event_type in _HANDLERS:
        return _HANDLERS[event_type]
    category, _, event = event_type.partition(".")
    return _CATEGORY_HANDLERS.get(category) if event else None


def is_handled_event_type(event_type: str) -> bool:
    return _handler_path(event_type) is not None


def handler_for(event_type: str) -> Callable[..., HandlerResult]:
    path = _handler_path(event_type)
    if path is None:
        raise LookupError(f"No handler for event type {event_type!r}")
    return import_string(path)
