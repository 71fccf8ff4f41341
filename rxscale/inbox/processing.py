"""Applying stored deliveries: claim, lock, run the handler, keep the outcome on the row.

The inbox rows are the queue (common/workqueue.py). A worker, or the inline path right after
intake, leases a row, then applies it in one transaction that locks the row again: domain
writes and the row's new status commit together. What can go wrong ends in one of three ways:

- permanent (validation, a value the database refuses, a bug): `failed`, with the error, the
  field errors or the traceback on the row, for staff to see and reprocess;
- transient (the database went away or deadlocked, storage failed): `retrying`, due again after
  a capped exponential backoff, `failed` once `WORK_QUEUE_MAX_ATTEMPTS` is spent;
- the worker dies: nothing is recorded, the lease runs out, another worker claims the row.
"""

import logging
import traceback
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from common.log_format import subject_fields
from common.storable import single_line, storable_json, storable_text
from common.workqueue import (
    claim_one,
    is_transient,
    lease_release_fields,
    retry_delay,
    worker_identity,
)
from pharmacy_orders.models import PharmacyOrder
from pharmacy_orders.services.audit import AuditAction, audit_record
from rxscale.inbox.models import (
    PENDING_STATUSES,
    WebhookDelivery,
    pending_deliveries,
)
from rxscale.inbox.payload import parse_json_object
from rxscale.inbox.registry import (
    PayloadInvalid,
    handler_for,
    is_handled_event_type,
)
from rxscale.outbox.sending import order_commands_discard_for_rxscale_decision

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status


def delivery_process_now(*, delivery_id: int) -> str | None:
    """Claim this one delivery and apply it now (the inline path, reprocessing).

    Returns the new status, or None when the row is not pending or a live lease holds it
    (another worker is on it).
    """
    worker_id = worker_identity()
    if not claim_one(pending_deliveries(), pk=delivery_id, worker_id=worker_id):
        return None
    return delivery_run(delivery_id=delivery_id, worker_id=worker_id)


def delivery_run(*, delivery_id: int, worker_id: str) -> str:
    """Apply a delivery leased to `worker_id`; record whatever happens. Never raises."""
    try:
        return _run_locked(delivery_id, worker_id)
    except Exception as exc:
        return _record_crash(delivery_id, worker_id, exc)


def _run_locked(delivery_id: int, worker_id: str) -> str:
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status not in PENDING_STATUSES or delivery.leased_by != worker_id:
            # Done already, or our lease ran out and another worker has the row now.
            return delivery.status
        delivery.error, delivery.error_details, delivery.traceback = "", {}, ""
        delivery.warnings = []
        if delivery.attempts > settings.WORK_QUEUE_MAX_ATTEMPTS:
            delivery.status = Status.FAILED
            delivery.error = (
                f"Gave up after {delivery.attempts - 1} attempts: each one ended without an "
                "outcome (the worker stopped or lost its database connection)."
            )
        else:
            _apply(delivery)
        delivery.processed_at = timezone.now()
        for name, value in lease_release_fields().items():
            setattr(delivery, name, value)
        delivery.save()
    logger.info(
        "webhook delivery %s: %s", delivery.pk, delivery.status, extra=_log_fields(delivery)
    )
    return delivery.status


def _log_fields(delivery: WebhookDelivery) -> dict:
    """The `extra=` of a delivery's log lines: its id, event type and subject."""
    return {
        "delivery_id": delivery.pk,
        "event_type": delivery.event_type,
        **subject_fields(delivery.subject_kind, delivery.subject_uid),
    }


def _apply(delivery: WebhookDelivery) -> None:
    payload, parse_error = parse_json_object(bytes(delivery.body))
    if payload is None:
        delivery.status = Status.INVALID
        delivery.error = parse_error
    elif not is_handled_event_type(delivery.event_type):
        delivery.status = Status.IGNORED
    else:
        _run_handler(delivery, payload)


def _run_handler(delivery: WebhookDelivery, payload: dict) -> None:
    handler = handler_for(delivery.event_type)
    # No savepoint around the handler (it cost two statements per delivery): PayloadInvalid
    # is raised by validation before any write, and any other exception rolls the whole
    # attempt back in `delivery_run`, whose `_record_crash` fails the row (with traceback) or
    # schedules a retry in a fresh transaction.
    try:
        result = handler(delivery=delivery, payload=payload)
    except PayloadInvalid as exc:
        delivery.status = Status.FAILED
        delivery.error = "Payload failed validation."
        delivery.error_details = storable_json(exc.errors)
        _flag_failed_order_update(delivery)
        return
    delivery.status = Status.STALE if result.stale else Status.PROCESSED
    delivery.subject_kind = result.subject_kind
    delivery.subject_uid = storable_text(result.subject_uid, 64)
    delivery.event_timestamp = result.event_timestamp
    delivery.warnings = storable_json(result.warnings)
    if result.final_decision_over_unsent:
        order_commands_discard_for_rxscale_decision(
            order_uid=result.subject_uid, status=result.final_decision_over_unsent
        )
    # The stored body needs no rewrite: intake already swapped the PDF for its reference.


def _record_crash(delivery_id: int, worker_id: str, exc: Exception) -> str:
    """The attempt raised and rolled back: schedule a retry (transient) or fail the row."""
    transient = is_transient(exc)
    if transient:
        logger.warning(
            "webhook delivery %s: attempt failed (will retry): %s",
            delivery_id,
            single_line(f"{type(exc).__name__}: {exc}"),
            extra={"delivery_id": delivery_id},
        )
    else:
        # A bug or a value the database refuses: staff need the traceback in the log too.
        logger.exception(
            "webhook delivery %s failed (permanent)",
            delivery_id,
            extra={"delivery_id": delivery_id},
        )
    if not connection.in_atomic_block:
        # A dropped connection is useless now; the next query opens a fresh one.
        connection.close_if_unusable_or_obsolete()
    try:
        with transaction.atomic():
            delivery = (
                pending_deliveries()
                .select_for_update()
                .filter(pk=delivery_id, leased_by=worker_id)
                .first()
            )
            if delivery is None:
                return ""
            delivery.error = storable_text(f"{type(exc).__name__}: {exc}", 2000)
            if transient and delivery.attempts < settings.WORK_QUEUE_MAX_ATTEMPTS:
                delivery.status = Status.RETRYING
                delivery.next_attempt_at = timezone.now() + retry_delay(delivery.attempts)
            else:
                delivery.status = Status.FAILED
                delivery.processed_at = timezone.now()
                delivery.error_details = {}
                delivery.traceback = storable_text("".join(traceback.format_exception(exc)), 20000)
            for name, value in lease_release_fields().items():
                setattr(delivery, name, value)
            delivery.save()
    except Exception:
        # Still no database: the lease runs out and the next claim tries again.
        logger.exception(
            "webhook delivery %s: could not record the failed attempt",
            delivery_id,
            extra={"delivery_id": delivery_id},
        )
        return ""
    if delivery.status == Status.FAILED:
        _flag_failed_order_update(delivery)
    return delivery.status


def _flag_failed_order_update(delivery: WebhookDelivery) -> None:
    """The order's page and worklist row say that an update failed (until a newer applies).

    Best effort, after the failure is recorded: the inbox row is the record staff act on (the
    admin banner counts it), and what broke the delivery may break this update too.
    """
    if delivery.subject_kind != WebhookDelivery.SubjectKind.ORDER or not delivery.subject_uid:
        return
    try:
        with transaction.atomic():
            PharmacyOrder.objects.filter(
                uid=delivery.subject_uid, rx_update_failed_at__isnull=True
            ).update(rx_update_failed_at=timezone.now())
    except Exception:
        logger.exception(
            "webhook delivery %s: could not flag its order",
            delivery.pk,
            extra=_log_fields(delivery),
        )


def delivery_requeue(*, delivery_id: int) -> bool:
    """Make a delivery due again from scratch (reprocess). A row a live worker holds is left
    to that worker. Returns whether it was requeued."""
    now = timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        leased = delivery.lease_expires_at is not None and delivery.lease_expires_at > now
        if delivery.status in PENDING_STATUSES and leased:
            return False
        delivery.status = Status.RECEIVED
        delivery.attempts = 0  # a person asked for this run: it gets the whole retry budget
        delivery.next_attempt_at = now
        for name, value in lease_release_fields().items():
            setattr(delivery, name, value)
        delivery.save()
    return True


def deliveries_reprocess(
    *, delivery_ids: Iterable[int], user: AbstractBaseUser | None, via: str
) -> list[tuple[int, str]]:
    """Really re-run the handler of each delivery (oldest first), each in its own transaction,
    and put every run in the audit trail (a reprocess can change an order).

    Goes on past a delivery that cannot be reprocessed. Returns (id, outcome) per delivery:
    the new status, "in progress" when a worker holds it, or "error: …". `via` says where it
    was asked for ("admin", "manage.py").
    """
    ordered = WebhookDelivery.objects.filter(pk__in=list(delivery_ids)).order_by(
        "received_at", "id"
    )
    outcomes = []
    for delivery_id, kind, uid in ordered.values_list("pk", "subject_kind", "subject_uid"):
        try:
            if delivery_requeue(delivery_id=delivery_id):
                outcome = delivery_process_now(delivery_id=delivery_id) or "in progress"
            else:
                outcome = "in progress"
        except Exception as exc:
            logger.exception(
                "reprocessing webhook delivery %s failed",
                delivery_id,
                extra={"delivery_id": delivery_id, **subject_fields(kind, uid)},
            )
            outcome = single_line(f"error: {type(exc).__name__}: {exc}")
        audit_record(
            user=user,
            action=AuditAction.WEBHOOK_REPROCESS,
            order_uid=uid if kind == WebhookDelivery.SubjectKind.ORDER else "",
            details={"delivery": delivery_id, "status": outcome, "via": via},
        )
        outcomes.append((delivery_id, outcome))
    return outcomes
