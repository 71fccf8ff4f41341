"""Applying RxScale's full-state snapshots: orders, meetings, prescriptions.

State-based and idempotent: the same snapshot twice leaves the same state and history; an
older one (by `updated_at`) changes nothing.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from common.events import Delivery
from pharmacy_orders.models import (
    MeetingChange,
    OrderStatusChange,
    PatientDoctorMeeting,
    PharmacyOrder,
    Prescription,
    PrescriptionChange,
)
from pharmacy_orders.services.gates import order_release_void_on_change
from pharmacy_orders.services.new_orders import order_insert_from_snapshot
from pharmacy_orders.services.order_contents import (
    order_items_apply,
    order_shipping_methods_apply,
)
from pharmacy_orders.services.pharmacies import pharmacy_upsert
from pharmacy_orders.services.prescriptions import order_prescription_apply
from pharmacy_orders.services.rxscale_decisions import (
    order_apply_tie,
    order_release_if_deleted,
    order_snapshot_sha256,
    order_status_from_snapshot,
    pdf_reference,
)


@dataclass(frozen=True)
class OrderSnapshotOutcome:
    order: PharmacyOrder
    stale: bool
    prescription_problem: str = ""
    # For the delivery: conflicts with staff actions, ties.
    warnings: tuple[str, ...] = ()


def _lock_or_create(model, lookup: dict, defaults: dict):
    """Row-lock the object, creating it first if needed; safe against a concurrent create."""
    obj = model.objects.select_for_update().filter(**lookup).first()
    if obj is not None:
        return obj, False
    try:
        with transaction.atomic():
            return model.objects.create(**lookup, **defaults), True
    except IntegrityError:
        return model.objects.select_for_update().get(**lookup), False


def _locked_orders():
    """Orders row-locked with their pharmacy and current prescription joined: an update
    compares both with the snapshot without further queries. Only the order row is locked
    (`of`; PostgreSQL refuses FOR UPDATE on the nullable side of a join)."""
    return PharmacyOrder.objects.select_for_update(of=("self",)).select_related(
        "pharmacy", "current_prescription"
    )


def order_lock_existing(uid: str) -> PharmacyOrder | None:
    """The stored order `uid`, row-locked (see `_locked_orders`); None if there is none."""
    return _locked_orders().filter(uid=uid).first() if uid else None


def _stored_order(
    uid: str, known: tuple[str, PharmacyOrder | None] | None, likely_new: bool
) -> PharmacyOrder | None:
    """The stored order, row-locked, or None to insert it. `known`: (uid,
    order_lock_existing(uid)) when the caller looked already (the handler does, before
    validation). `likely_new`: try the insert without looking first (it finds an existing
    order just as well, and then inserts nothing)."""
    if known is not None and known[0] == uid:
        return known[1]
    return None if likely_new else order_lock_existing(uid)


def _text(value) -> str:
    return value or ""


def _order_fields(
    snapshot: dict,
    *,
    payload_warnings: Sequence[str] = (),
    rx_extra: Mapping[str, Any] | None = None,
) -> dict:
    """The order's own columns from a validated snapshot (and what the reader noticed)."""
    parent = snapshot.get("order") or {}
    delivery_type = snapshot.get("delivery_type") or {}
    patient = snapshot.get("patient_data") or {}
    doctor = snapshot.get("doctor_data") or {}
    fulfillment = snapshot.get("fulfillment") or {}
    shop_order = (fulfillment.get("order") or {}).get("shop_order") or {}
    # Webhooks carry shipping costs under `order`, the API's order lists at the top level.
    shipping_costs = parent if parent.get("shipping_costs_amount") is not None else snapshot
    return {
        "status": snapshot["status"],
        "name": _text(snapshot.get("name")),
        "custom_data": snapshot.get("data") or {},
        "external_status": _text(snapshot.get("external_status")),
        "rx_created_at": snapshot.get("created_at"),
        "rx_updated_at": snapshot["updated_at"],
        "rx_deleted_at": snapshot.get("deleted_at"),
        "parent_order_uid": _text(parent.get("uid")),
        # Whole, as they came (`province` and any other key included); storable already.
        "delivery_address": parent.get("delivery_address"),
        "invoice_address": parent.get("invoice_address"),
        "shipping_costs_amount": shipping_costs.get("shipping_costs_amount"),
        "shipping_costs_currency": _text(
            parent.get("shipping_costs_currency") or snapshot.get("shipping_costs_currency")
        ),
        "priority": parent.get("priority") or 0,
        "delivery_type_uid": _text(delivery_type.get("uid")),
        "delivery_type_name": _text(delivery_type.get("display_name")),
        "delivery_type_identifier": _text(delivery_type.get("identifier")),
        "prepaid": snapshot.get("prepaid", False),
        "patient_uid": _text(patient.get("uid")),
        "patient_name": _text(patient.get("display_name")),
        "patient_email": _text(patient.get("email")),
        "patient_date_of_birth": patient.get("date_of_birth"),
        "patient_phone": _text(patient.get("phone_number")),
        "doctor_uid": _text(doctor.get("uid")),
        "doctor_name": _text(doctor.get("display_name")),
        "fulfillment_uid": _text(fulfillment.get("uid")),
        "fulfillment_external_id": _text(fulfillment.get("external_id")),
        "fulfillment_items": fulfillment.get("items") or [],
        "shop_order_uid": _text(shop_order.get("uid")),
        # The shop's external order id is not its name: each only from a field of that name
        # (`shop_order_name` is documented on the API's order; webhooks document neither).
        "shop_order_external_id": _text(shop_order.get("external_id")),
        "shop_order_name": _text(snapshot.get("shop_order_name") or shop_order.get("name")),
        "shop_identifier": _text(shop_order.get("shop_identifier")),
        "payload_warnings": list(payload_warnings),
        "rx_extra": dict(rx_extra or {}),
    }


def order_apply_snapshot(
    *,
    snapshot: dict,
    delivery: Delivery,
    payload_warnings: Sequence[str] = (),
    rx_extra: Mapping[str, Any] | None = None,
    known: tuple[str, PharmacyOrder | None] | None = None,
    likely_new: bool = False,
) -> OrderSnapshotOutcome:
    """Apply a pharmacy_order_created/updated snapshot (validated `data`).

    Stale (older `updated_at` than stored): nothing changes. The same `updated_at` with other
    content than the applied version is a tie: see `order_apply_tie`. Otherwise every field,
    the items, the shipping methods and the prescription take the snapshot's values; the
    status too, unless a newer staff action holds it (RxScale's final decisions override that;
    see `order_status_from_snapshot`), and a status change is recorded in the order's history.
    Locks the order row, then SKU rows in uid order. An order not stored yet is inserted whole
    (pharmacy_orders/services/new_orders.py).

    `payload_warnings` and `rx_extra` are what the tolerant reader noticed (warnings, and
    undocumented fields as they came; common/validation.py): they replace the order's own
    whenever the snapshot is applied. `known`: (uid, the order `order_lock_existing` locked or
    None), when the caller has looked it up already; `likely_new` (a `created` event): insert
    the order first and look only if that finds it there (one query fewer for a new order).
    """
    fields = _order_fields(snapshot, payload_warnings=payload_warnings, rx_extra=rx_extra)
    order = _stored_order(snapshot["uid"], known, likely_new)
    if order is None:
        created = order_insert_from_snapshot(snapshot=snapshot, fields=fields, delivery=delivery)
        if created is not None:
            order, problem = created
            return OrderSnapshotOutcome(order=order, stale=False, prescription_problem=problem)
        # Stored already (a repeat, a reprocess, or a delivery whose insert ours waited for).
        order = _locked_orders().get(uid=snapshot["uid"])
    updated_at = snapshot["updated_at"]
    if order.rx_updated_at and updated_at < order.rx_updated_at:
        return OrderSnapshotOutcome(order=order, stale=True)
    content_sha, settles = "", False
    if order.rx_updated_at == updated_at:
        pdf_sha, pdf_content = pdf_reference(snapshot.get("prescription_file"))
        content_sha = order_snapshot_sha256(snapshot=snapshot, pdf_sha256=pdf_sha)
        # No stored fingerprint (applied before fingerprints existed): a plain re-apply.
        differs = bool(order.rx_snapshot_sha256) and content_sha != order.rx_snapshot_sha256
        # Read from RxScale's API, the version is what RxScale holds: applied, it settles.
        settles = delivery.authoritative and (differs or order.needs_confirmation)
        if (differs or order.needs_confirmation) and not settles:
            warnings = order_apply_tie(
                order=order,
                snapshot=snapshot,
                fields=fields,
                content_sha=content_sha,
                pdf_sha=pdf_sha,
                pdf_content=pdf_content,
                delivery=delivery,
            )
            return OrderSnapshotOutcome(order=order, stale=False, warnings=tuple(warnings))
    # Lock order: order, then pharmacy, then SKUs and pharmacy SKUs by uid.
    fields["pharmacy"] = pharmacy_upsert(snapshot.get("pharmacy"), order.pharmacy)

    previous_status = order.status
    was_deleted = order.rx_deleted_at is not None
    newer = order.rx_updated_at != updated_at
    status = fields.pop("status")
    # What a pharmacist's release checked: a change of either voids it (below).
    released_rx = (order.current_prescription_id, order.doctor_uid)
    warnings = order_status_from_snapshot(
        order=order, status=status, snapshot=snapshot, delivery=delivery
    )
    for name, value in fields.items():
        setattr(order, name, value)
    order_release_if_deleted(order=order, was_deleted=was_deleted)
    if newer or settles:  # a newer snapshot settles an earlier tie, outdates a failure
        order.needs_confirmation, order.needs_confirmation_reason = False, ""
        order.rx_update_failed_at = None
    items_changed = order_items_apply(
        order, snapshot.get("order_items") or [], delivery, new_order=False
    )
    order_shipping_methods_apply(order, snapshot.get("shop_shipping_methods") or [])

    outcome_sha, problem = "", ""
    if snapshot.get("prescription_file"):
        outcome = order_prescription_apply(
            order=order,
            file_data=snapshot["prescription_file"],
            delivery=delivery,
        )
        outcome_sha, problem = outcome.sha256, outcome.problem
        if not snapshot["prescription_file"].get("content_discarded"):
            order.prescription_problem = problem
    order.rx_snapshot_sha256 = content_sha or order_snapshot_sha256(
        snapshot=snapshot,
        pdf_sha256=(snapshot.get("prescription_file") or {}).get("content_sha256") or outcome_sha,
    )
    order.save()
    order_release_void_on_change(
        order=order,
        delivery=delivery,
        items=items_changed,
        prescription=released_rx != (order.current_prescription_id, order.doctor_uid),
    )

    if previous_status != order.status:
        OrderStatusChange.objects.create(
            order=order, from_status=previous_status, to_status=order.status, delivery=delivery
        )
    return OrderSnapshotOutcome(
        order=order,
        stale=False,
        prescription_problem=problem,
        warnings=tuple(warnings),
    )


def meeting_apply_snapshot(
    *, snapshot: dict, event_at: datetime, delivery: Delivery
) -> tuple[PatientDoctorMeeting, bool]:
    """Apply a patient_doctor_meeting_updated snapshot. Returns (meeting, stale).

    Meetings carry no `updated_at`, so the envelope timestamp orders them: a stale event does
    not change the current state, but its change still joins the history. Every change is
    kept once (RxScale's key: meeting_uid + change). Locks the meeting row.
    """
    values = {
        "organisation_uid": _text(snapshot.get("organisation_uid")),
        "change": snapshot["change"],
        "status": _text(snapshot.get("status")),
        "meeting_type": _text(snapshot.get("meeting_type")),
        "meeting_format": _text(snapshot.get("meeting_format")),
        "start_date": snapshot.get("start_date"),
        "end_date": snapshot.get("end_date"),
        "estimated_duration_minutes": snapshot.get("estimated_duration_minutes"),
        "confirmed_at": snapshot.get("confirmed_at"),
        "cancelled_at": snapshot.get("cancelled_at"),
        "cancellation_reason": _text(snapshot.get("cancellation_reason")),
        "expires_at": snapshot.get("expires_at"),
        "previous_meeting_uid": _text(snapshot.get("previous_meeting_uid")),
        "appointment_type_uid": _text(snapshot.get("appointment_type_uid")),
        "doctor_uid": _text(snapshot.get("doctor_uid")),
        "patient_profile_uid": _text(snapshot.get("patient_profile_uid")),
        "event_at": event_at,
    }
    meeting, created = _lock_or_create(
        PatientDoctorMeeting, {"meeting_uid": snapshot["meeting_uid"]}, values
    )
    stale = not created and event_at < meeting.event_at
    if not created and not stale:
        for name, value in values.items():
            setattr(meeting, name, value)
        meeting.save()
    # History keeps every change, a late one too (in its place by event time); only the
    # current state ignores a stale event.
    MeetingChange.objects.get_or_create(
        meeting=meeting,
        change=snapshot["change"],
        defaults={"status": values["status"], "event_at": event_at, "delivery": delivery},
    )
    return meeting, stale


def prescription_apply_notification(*, envelope: dict, delivery: Delivery) -> Prescription:
    """Apply a `{category, event, data}` prescription notification.

    The envelope has no timestamp, so deliveries apply in arrival order (delivery id); each
    one adds one history row (a reprocess does not add another). One processed after a newer
    delivery was applied (a slow worker, a reprocess) joins the history but leaves the current
    state alone. Locks the prescription row.
    """
    data = envelope["data"]
    prescription_data = data["prescription"]
    doctor = prescription_data.get("doctor") or {}
    values = {
        "status": _text(prescription_data.get("status")),
        "rx_created_at": prescription_data.get("created_at"),
        "doctor_uid": _text(doctor.get("uid")),
        "doctor_first_name": _text(doctor.get("first_name")),
        "doctor_last_name": _text(doctor.get("last_name")),
        "patient_data": prescription_data.get("patient_data") or {},
        "documents": prescription_data.get("documents") or [],
        "items": prescription_data.get("items") or [],
        "shop_identifier": _text(data.get("shop_identifier")),
        "external_order_id": _text(data.get("external_order_id")),
        "external_fulfillment_id": _text(data.get("external_fulfillment_id")),
        "external_provider_identifier": _text(data.get("external_provider_identifier")),
    }
    prescription, created = _lock_or_create(Prescription, {"uid": prescription_data["uid"]}, values)
    # Without this, re-running an old notification rolled the current doctor back.
    newer_applied = PrescriptionChange.objects.filter(
        prescription=prescription, delivery_id__gt=delivery.pk
    ).exists()
    if not created and not newer_applied:
        for name, value in values.items():
            setattr(prescription, name, value)
        prescription.save()
    PrescriptionChange.objects.get_or_create(
        delivery=delivery,
        defaults={
            "prescription": prescription,
            "category": envelope["category"],
            "event": envelope["event"],
            "status": values["status"],
            "doctor_assignment_reason": _text(data.get("doctor_assignment_reason")),
            "old_doctor_uid": _text(data.get("old_doctor_uid")),
            "new_doctor_uid": _text(data.get("new_doctor_uid")),
        },
    )
    return prescription
