"""Webhook handlers for order, meeting and prescription events (called by the dispatcher)."""

from common.validation import read_payload, validated_event
from pharmacy_orders.payloads import MeetingPayload, PharmacyOrderPayload, PrescriptionEnvelope
from pharmacy_orders.services.snapshots import (
    meeting_apply_snapshot,
    order_apply_snapshot,
    prescription_apply_notification,
)
from pharmacy_orders.webhooks.models import WebhookDelivery
from pharmacy_orders.webhooks.registry import HandlerResult

Kind = WebhookDelivery.SubjectKind


def handle_pharmacy_order_event(*, delivery: WebhookDelivery, payload: dict) -> HandlerResult:
    envelope, snapshot, reading = validated_event(payload, PharmacyOrderPayload)
    outcome = order_apply_snapshot(
        snapshot=snapshot,
        delivery=delivery,
        payload_warnings=reading.warnings,
        rx_extra=reading.extra,
    )
    problem = [outcome.prescription_problem] if outcome.prescription_problem else []
    return HandlerResult(
        stale=outcome.stale,
        subject_kind=Kind.ORDER,
        subject_uid=outcome.order.uid,
        event_timestamp=envelope["timestamp"],
        pdf_sha256=outcome.pdf_sha256,
        warnings=[*reading.warnings, *outcome.warnings, *problem],
    )


def handle_meeting_event(*, delivery: WebhookDelivery, payload: dict) -> HandlerResult:
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


def handle_prescription_notification(*, delivery: WebhookDelivery, payload: dict) -> HandlerResult:
    envelope, reading = read_payload(PrescriptionEnvelope, payload)
    prescription = prescription_apply_notification(envelope=envelope, delivery=delivery)
    return HandlerResult(
        stale=False,
        subject_kind=Kind.PRESCRIPTION,
        subject_uid=prescription.uid,
        warnings=reading.warnings,
    )
