"""Applying a stored delivery: lock it, run its handler, keep the outcome on the row."""

import logging
import traceback
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from pharmacy_orders.services.audit import AuditAction, audit_record
from pharmacy_orders.webhooks.intake import clean_json, clean_text
from pharmacy_orders.webhooks.models import WebhookDelivery
from pharmacy_orders.webhooks.payload import (
    encode_body,
    has_pdf_content,
    parse_json_object,
    replace_pdf_with_reference,
)
from pharmacy_orders.webhooks.registry import (
    PayloadInvalid,
    handler_for,
    is_handled_event_type,
)

logger = logging.getLogger(__name__)

_FINAL = {
    WebhookDelivery.Status.PROCESSED,
    WebhookDelivery.Status.STALE,
    WebhookDelivery.Status.IGNORED,
    WebhookDelivery.Status.INVALID,
}


def delivery_process(*, delivery_id: int, force: bool = False) -> str:
    """Run the handler for one delivery and record the outcome. Returns the new status.

    Locking: the delivery row first, then whatever the handler locks (its order or SKU rows,
    always in a fixed order). Domain writes and the delivery's new status commit together;
    a failure rolls the domain writes back and keeps error and traceback on the row.
    A delivery already in a final state is left alone unless `force` (reprocessing).
    """
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status in _FINAL and not force:
            return delivery.status
        delivery.attempts += 1
        delivery.error, delivery.error_details, delivery.traceback = "", {}, ""
        delivery.warnings = []
        payload, parse_error = parse_json_object(bytes(delivery.body))
        if payload is None:
            delivery.status = WebhookDelivery.Status.INVALID
            delivery.error = parse_error
        elif not is_handled_event_type(delivery.event_type):
            delivery.status = WebhookDelivery.Status.IGNORED
        else:
            _run_handler(delivery, payload)
        delivery.processed_at = timezone.now()
        delivery.save()
    logger.info("webhook delivery %s: %s", delivery.pk, delivery.status)
    return delivery.status


def _run_handler(delivery: WebhookDelivery, payload: dict) -> None:
    handler = handler_for(delivery.event_type)
    try:
        with transaction.atomic():
            result = handler(delivery=delivery, payload=payload)
    except PayloadInvalid as exc:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.error = "Payload failed validation."
        delivery.error_details = clean_json(exc.errors)
        return
    except Exception as exc:
        logger.exception("webhook delivery %s failed", delivery.pk)
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.error = clean_text(f"{type(exc).__name__}: {exc}", 2000)
        delivery.traceback = clean_text(traceback.format_exc(), 20000)
        return
    delivery.status = (
        WebhookDelivery.Status.STALE if result.stale else WebhookDelivery.Status.PROCESSED
    )
    delivery.subject_kind = result.subject_kind
    delivery.subject_uid = result.subject_uid
    delivery.event_timestamp = result.event_timestamp
    delivery.warnings = result.warnings
    if has_pdf_content(payload):
        delivery.body = encode_body(replace_pdf_with_reference(payload, result.pdf_sha256))
        delivery.body_redacted = True


def deliveries_reprocess(
    *, delivery_ids: Iterable[int], user: AbstractBaseUser | None, via: str
) -> list[str]:
    """Really re-run the handler of each delivery (oldest first), each in its own transaction,
    and put every run in the audit trail (a reprocess can change an order). Returns the new
    statuses in order. `via` says where it was asked for ("admin", "manage.py")."""
    ordered = WebhookDelivery.objects.filter(pk__in=list(delivery_ids)).order_by(
        "received_at", "id"
    )
    outcomes = []
    for delivery_id, kind, uid in ordered.values_list("pk", "subject_kind", "subject_uid"):
        outcome = delivery_process(delivery_id=delivery_id, force=True)
        audit_record(
            user=user,
            action=AuditAction.WEBHOOK_REPROCESS,
            order_uid=uid if kind == WebhookDelivery.SubjectKind.ORDER else "",
            details={"delivery": delivery_id, "status": outcome, "via": via},
        )
        outcomes.append(outcome)
    return outcomes
