"""The contract between the RxScale link (`rxscale/`) and the domain apps that own the data.

The link stores deliveries, routes each event type to a domain handler and records what the
handler returns. Domain handlers only see this module, never the link's code, so the import
direction stays one way: `rxscale` → `pharmacy_orders`/`inventory` → `common`.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from django.db import models


class SubjectKind(models.TextChoices):
    ORDER = "order", "Pharmacy order"
    PHARMACY_SKU = "pharmacy_sku", "Pharmacy SKU"
    MEETING = "meeting", "Patient–doctor meeting"
    PRESCRIPTION = "prescription", "Prescription"


class Delivery(Protocol):
    """What a handler may read of the inbox row (`rxscale.WebhookDelivery`) it applies.

    Domain rows keep a foreign key to it (where a change came from); the key is declared by
    name ("rxscale.WebhookDelivery"), so no domain module imports the link.
    """

    pk: int
    event_type: str
    # True for a snapshot read from RxScale's API (the catch-up sync, tie settling): it is
    # what RxScale holds now, so an equal `updated_at` with other content is applied (and
    # clears `needs_confirmation`) instead of being recorded as another tie.
    authoritative: bool


@dataclass
class HandlerResult:
    stale: bool
    subject_kind: str
    subject_uid: str
    event_timestamp: datetime | None = None
    warnings: list[str] = field(default_factory=list)
    # Set when the snapshot applied one of RxScale's final decisions (a final status, or
    # "deleted") to a subject whose own changes had not all reached RxScale: the link then
    # drops those changes' unsent commands, with the reason.
    final_decision_over_unsent: str = ""


# Keys of `data.prescription_file` in a stored body. Intake replaces the PDF's base64 by a
# reference to the stored file before the delivery row exists; handlers read the reference.
PDF_CONTENT_KEY = "content_base64"
PDF_REFERENCE_KEY = "content_sha256"
PDF_PROBLEM_KEY = "content_problem"
PDF_DISCARDED_KEY = "content_discarded"
# Every key that carries the content or stands in for it.
PDF_KEYS = frozenset({PDF_CONTENT_KEY, PDF_REFERENCE_KEY, PDF_PROBLEM_KEY, PDF_DISCARDED_KEY})
