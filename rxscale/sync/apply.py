"""One object read from the API, through the inbox: stored, applied now, its effect told."""

from dataclasses import dataclass
from datetime import datetime

from django.db import models

from common.storable import single_line
from rxscale.inbox.intake import snapshot_receive
from rxscale.inbox.models import PENDING_STATUSES, WebhookDelivery
from rxscale.inbox.payload import encode_body
from rxscale.inbox.processing import delivery_process_now, delivery_requeue

CREATED, UPDATED, UNCHANGED, STALE, FAILED = "created", "updated", "unchanged", "stale", "failed"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, STALE, FAILED)
# Not one of the five: a worker holds the row (it took over after our grace period ran out).
QUEUED = "queued"
SKIPPED = "skipped"  # older than --since: not looked at
Status = WebhookDelivery.Status


@dataclass(frozen=True)
class Known:
    """What decides "created / updated / unchanged": our row before and after applying."""

    rx_updated_at: datetime | None
    rx_snapshot_sha256: str
    needs_confirmation: bool


_STATE = ("rx_updated_at", "rx_snapshot_sha256", "needs_confirmation")


def known_states(model: type[models.Model], uids: list[str]) -> dict[str, Known]:
    """Our rows of these uids (one query per page of the API)."""
    rows = model.objects.filter(uid__in=uids).values_list("uid", *_STATE)
    return {uid: Known(*state) for uid, *state in rows}


@dataclass(frozen=True)
class Applied:
    outcome: str
    delivery_id: int | None = None
    error: str = ""


def snapshot_apply(
    *, model: type[models.Model], uid: str, payload: dict, before: Known | None
) -> Applied:
    """Store `payload` (a webhook envelope built from the API) and apply it now.

    An identical snapshot stored before is a duplicate: unchanged, unless the object waits
    for confirmation of a tie (then the stored row is run again: as an API answer it
    settles the tie) or the row is still pending (its first run never finished).
    Raises PdfStorageUnavailable when the PDF cannot be stored.
    """
    received = snapshot_receive(body=encode_body(payload))
    delivery = received.delivery
    pending = delivery.status in PENDING_STATUSES
    settle = before is not None and before.needs_confirmation
    if received.duplicate and not (pending or settle):
        status = delivery.status
        if status == Status.PROCESSED:
            return Applied(UNCHANGED, delivery.pk)
    else:
        if not pending:
            delivery_requeue(delivery_id=delivery.pk)
        status = delivery_process_now(delivery_id=delivery.pk)
        if status is None:
            delivery.refresh_from_db(fields=["status"])
            status = delivery.status
    if status in PENDING_STATUSES:
        return Applied(QUEUED, delivery.pk)
    if status == Status.STALE:
        return Applied(STALE, delivery.pk)
    if status != Status.PROCESSED:
        delivery.refresh_from_db(fields=["error", "error_details"])
        error = delivery.error or status
        if delivery.error_details:
            error = f"{error} {delivery.error_details}"
        return Applied(FAILED, delivery.pk, single_line(error)[:500])
    if before is None or before.rx_updated_at is None:
        # A pharmacy SKU known only from order items has had no snapshot of its own yet.
        return Applied(CREATED, delivery.pk)
    after = known_states(model, [uid]).get(uid)
    return Applied(UNCHANGED if after == before else UPDATED, delivery.pk)
