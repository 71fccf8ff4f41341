"""Webhook handlers for order, meeting and prescription events (called by the dispatcher)."""

from common.events import Delivery, HandlerResult, SubjectKind
from common.validation import is_older, raw_snapshot_head, read_payload, validated_event
from pharmacy_orders.payloads import MeetingPayload, PharmacyOrderPayload, PrescriptionEnvelope
from pharmacy_orders.services.snapshots import (
    meeting_apply_snapshot,
    order_apply_snapshot,
    order_lock_existing,
    prescription_apply_notification,
)
from pharmacy_orders.services.workflow import FINAL_STATUSES

Kind = SubjectKind


def handle_pharmacy_order_event(*, delivery: Delivery, payload: dict) -> HandlerResult:
    # An update: lock the order first and leave a strictly older snapshot unread (a burst
    # carries many superseded snapshots, and validation costs more than all the queries of
    # the delivery). Stale changes nothing, so it has no warnings either; an equal
    # `updated_at` goes on to the tie check, which needs the validated snapshot. A `created`
    # event is almost always a new order: validated first, then inserted without a look.
    likely_new = delivery.event_type == "pharmacy_order_created"
    known = None
    if not likely_new:
        uid, updated_at, timestamp = raw_snapshot_head(payload)
        stored = order_lock_existing(uid)
        if stored is not None and is_older(updated_at, stored.rx_updated_at):
            return HandlerResult(
                stale=True,
                subject_kind=Kind.ORDER,
                subject_uid=stored.uid,
                event_timestamp=timestamp,
            )
        known = (uid, stored)
    envelope, snapshot, reading = validated_event(payload, PharmacyOrderPayload)
    outcome = order_apply_snapshot(
        snapshot=snapshot,
        delivery=delivery,
        payload_warnings=reading.warnings,
        rx_extra=reading.extra,
        known=known,
        likely_new=likely_new,
    )
    problem = [outcome.prescription_problem] if outcome.prescription_problem else []
    return HandlerResult(
        stale=outcome.stale,
        subject_kind=Kind.ORDER,
        subject_uid=outcome.order.uid,
        event_timestamp=envelope["timestamp"],
        warnings=[*reading.warnings, *outcome.warnings, *problem],
        final_decision_over_unsent="" if outcome.stale else _final_decision(outcome.order),
    )


def _final_decision(order) -> str:
    """RxScale's final decision now on an order with changes of ours not yet at RxScale."""
    if not order.sync_unsettled:
        return ""
    if order.rx_deleted_at is not None:
        return "deleted"
    return order.status if order.status in FINAL_STATUSES else ""


def handle_meeting_event(*, delivery: Delivery, payload: dict) -> HandlerResult:
    envelope, snapshot, reading = validated_event(payload, MeetingPayload, report_unknown=False)
    meeting, stale = meeting_apply_snapshot(
        snapshot=snapshot, event_at=envelope["timestamp"], delivery=delivery
    )
    return HandlerResult(
        stale=stale,
        subject_kind=Kind.MEETING,
        subject_uid=meeting.meeting_uid,
        event_timestamp=envelope["timestamp"],
        warnings=reading.warnings,
    )


def handle_prescription_notification(*, delivery: Delivery, payload: dict) -> HandlerResult:
    envelope, reading = read_payload(PrescriptionEnvelope, payload)
    prescription = prescription_apply_notification(envelope=envelope, delivery=delivery)
    return HandlerResult(
        stale=False,
        subject_kind=Kind.PRESCRIPTION,
        subject_uid=prescription.uid,
        warnings=reading.warnings,
    )
