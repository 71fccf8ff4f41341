"""Which domain handler applies which event type. Handlers live in the app that owns the data."""

from collections.abc import Callable

from django.utils.module_loading import import_string

from common.events import HandlerResult

# Defined where payloads are validated (common/ imports no domain app); named here too, since
# handlers raise it and the processing code catches it by this name.
from common.validation import PayloadInvalid as PayloadInvalid

_ORDER_ROUTE = ("pharmacy_orders.handlers.handle_pharmacy_order_event", "order", ("data", "uid"))
_ROUTES = {
    # event type: (handler, subject kind, where the payload names the subject's uid)
    "pharmacy_order_created": _ORDER_ROUTE,
    "pharmacy_order_updated": _ORDER_ROUTE,
    "patient_doctor_meeting_updated": (
        "pharmacy_orders.handlers.handle_meeting_event",
        "meeting",
        ("data", "meeting_uid"),
    ),
    "pharmacy_sku_stock_updated": (
        "inventory.handlers.handle_stock_event",
        "pharmacy_sku",
        ("data", "uid"),
    ),
}
# The `{category, event, data}` envelope: every prescription event carries the same shape.
_CATEGORY_ROUTES = {
    "prescription": (
        "pharmacy_orders.handlers.handle_prescription_notification",
        "prescription",
        ("data", "prescription", "uid"),
    ),
}


def _route(event_type: str) -> tuple[str, str, tuple[str, ...]] | None:
    if event_type in _ROUTES:
        return _ROUTES[event_type]
    category, _, event = event_type.partition(".")
    return _CATEGORY_ROUTES.get(category) if event else None


def claimed_subject(event_type: str, payload: dict) -> tuple[str, str]:
    """(kind, uid) the payload says it is about, read before validation so that a delivery
    that then fails can still be found by its subject; ("", "") if none. Not cleaned."""
    route = _route(event_type)
    if route is None:
        return "", ""
    kind, node = route[1], payload
    for key in route[2]:
        node = node.get(key) if isinstance(node, dict) else None
    return (kind, node) if isinstance(node, str) else ("", "")


def is_handled_event_type(event_type: str) -> bool:
    return _route(event_type) is not None


def handler_for(event_type: str) -> Callable[..., HandlerResult]:
    route = _route(event_type)
    if route is None:
        raise LookupError(f"No handler for event type {event_type!r}")
    return import_string(route[0])
