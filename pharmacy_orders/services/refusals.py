"""Why an order transition did not happen: one exception per reason, each with the HTTP status
and the machine-readable code the page and the JSON API answer with. `message` is for the clerk.
"""

from django.utils import dateformat, timezone

from pharmacy_orders.models import PharmacyOrder


class TransitionRefused(Exception):
    """A transition that did not happen; nothing was changed. `message` is for the clerk."""

    code = "refused"
    http_status = 409

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class TransitionInvalid(TransitionRefused):
    code = "invalid"
    http_status = 400


class TransitionNotAllowed(TransitionRefused):
    code = "not_allowed"
    http_status = 409


class StaleOrderStatus(TransitionRefused):
    """Somebody (a colleague or RxScale) changed the order since the clerk loaded it."""

    code = "stale"
    http_status = 409


class TransitionForbidden(TransitionRefused):
    code = "forbidden"
    http_status = 403


class OrderDeletedByRxScale(TransitionRefused):
    """RxScale deleted the order: there is nothing left for the pharmacy to do with it."""

    code = "deleted"
    http_status = 409


def deleted_refusal_message(order: PharmacyOrder) -> str:
    """Why a deleted order refuses an action; shared by transitions and claims."""
    when = dateformat.format(timezone.localtime(order.rx_deleted_at), "j M Y, H:i")
    return (
        f"RxScale deleted this order on {when}; it can no longer be worked on. "
        "Nothing was changed. Notes can still be added."
    )


# --- The gates before an order leaves the pharmacy (services/gates.py) -----------------------


class PaperOriginalMissing(TransitionRefused):
    """A paper-prescription order whose original has not been recorded as received."""

    code = "paper_original_missing"
    http_status = 409


class ReleaseChecklistIncomplete(TransitionInvalid):
    """A release to ready_for_pickup without every checklist item confirmed."""

    code = "release_checklist_incomplete"
    http_status = 400


class ReleaseBySamePerson(TransitionRefused):
    """Four eyes: the person who prepared the order may not release it alone."""

    code = "release_same_person"
    http_status = 403


class ReleaseVoided(TransitionRefused):
    """RxScale changed the items or the prescription after the release."""

    code = "release_voided"
    http_status = 409
