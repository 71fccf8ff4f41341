"""When an RxScale snapshot and the pharmacy's own state disagree: what wins, and the record.

Two rules, applied by `order_apply_snapshot` (which holds the order row lock):

- RxScale's final decisions always win. A snapshot whose status is cancelled or completed, or
  that carries `deleted_at`, sets RxScale's status even over a newer staff action: the order has
  left the pharmacy at RxScale whatever a clerk clicked meanwhile. Any other status older than a
  staff action leaves the staff action's status in place. Either way the disagreement is kept as
  an OrderConflict (both values, both times, what was kept) for the order's timeline.
- A second, different snapshot with the same `updated_at` (a tie) is never applied blindly: only
  what cannot be undone is taken (a final status, `deleted_at` becoming set), the tie is recorded,
  and the order is marked as needing confirmation from RxScale.
"""

import base64
import binascii
import hashlib
from datetime import datetime

from common.content_hash import content_sha256
from common.events import Delivery
from pharmacy_orders.models import OrderConflict, OrderItem, OrderStatusChange, PharmacyOrder
from pharmacy_orders.services.prescriptions import PDF_MAGIC, prescription_document_store
from pharmacy_orders.services.workflow import FINAL_STATUSES, order_status_set, status_label

KEPT_LOCAL, KEPT_RXSCALE, KEPT_TIE = "local", "rxscale", "tie"
FIELD_STATUS, FIELD_SNAPSHOT = "status", "snapshot"

# The PDF's transport form (inline base64, a reference after intake, dropped) is not content.
_PDF_TRANSPORT_KEYS = ("content_base64", "content_sha256", "content_discarded")


def pdf_reference(file_data: dict | None) -> tuple[str, bytes | None]:
    """(sha256, decoded bytes or None) of the snapshot's PDF, as order_prescription_apply
    would store it; ("", None) when there is none that could be stored."""
    if not file_data or file_data.get("content_discarded"):
        return "", None
    if file_data.get("content_sha256"):
        return file_data["content_sha256"], None
    try:
        content = base64.b64decode(file_data.get("content_base64") or "", validate=True)
    except (binascii.Error, ValueError):
        return "", None
    if not content.startswith(PDF_MAGIC):
        return "", None
    return hashlib.sha256(content).hexdigest(), content


def order_snapshot_sha256(*, snapshot: dict, pdf_sha256: str) -> str:
    """The fingerprint of a validated order snapshot: the same for one version whether its
    PDF came inline, as a stored reference or not at all, different for any other content."""
    file_data = snapshot.get("prescription_file")
    if file_data:
        kept = {k: v for k, v in file_data.items() if k not in _PDF_TRANSPORT_KEYS}
        snapshot = {**snapshot, "prescription_file": {**kept, "pdf_sha256": pdf_sha256}}
    return content_sha256(snapshot)


def _conflict_record(
    *,
    order: PharmacyOrder,
    field: str,
    local_value: str,
    local_set_at: datetime | None,
    rxscale_value: str,
    rxscale_at: datetime,
    kept: str,
    explanation: str,
    delivery: Delivery,
) -> bool:
    """Record a conflict once: a reprocess or a re-sent body finds it already there."""
    lookup = {
        "order": order,
        "field": field,
        "local_value": local_value[:255],
        "local_set_at": local_set_at,
        "rxscale_value": rxscale_value[:255],
        "rxscale_at": rxscale_at,
        "kept": kept,
    }
    if OrderConflict.objects.filter(**lookup).exists():
        return False
    OrderConflict.objects.create(**lookup, explanation=explanation, delivery=delivery)
    return True


def order_status_from_snapshot(
    *, order: PharmacyOrder, status: str, snapshot: dict, delivery: Delivery
) -> list[str]:
    """Set the snapshot's status on the (locked, unsaved) order unless a newer staff action
    holds it; RxScale's final decisions override that too. Returns warnings for the delivery.

    A status set by RxScale has `status_set_at` = its `updated_at`, never later than
    `rx_updated_at`, so a later `status_set_at` always means a staff action."""
    rx_at = snapshot["updated_at"]
    deleted = snapshot.get("deleted_at") is not None
    final = status in FINAL_STATUSES or deleted
    # A staff change still on its way to RxScale (its command unsent or refused): RxScale's
    # snapshot cannot know it yet, however new it is, so only a final decision overrides it.
    in_flight = order.sync_unsettled and not final
    newer = order.status_set_at is None or rx_at >= order.status_set_at
    if newer and not in_flight:
        order_status_set(order=order, status=status, at=rx_at)
        return []
    if status == order.status:
        return []
    local, local_at = order.status, order.status_set_at
    rx_label, local_label = status_label(status), status_label(local)
    if final:
        decision = "deleted the order" if deleted else f"set “{rx_label}”"
        explanation = (
            f"RxScale {decision} before a staff action set “{local_label}”, and the update "
            "arrived afterwards. RxScale's final decisions (cancelled, completed, deleted) "
            f"always win, so the order is now “{rx_label}”."
        )
        _conflict_record(
            order=order,
            field=FIELD_STATUS,
            local_value=local,
            local_set_at=local_at,
            rxscale_value=status,
            rxscale_at=rx_at,
            kept=KEPT_RXSCALE,
            explanation=explanation,
            delivery=delivery,
        )
        order_status_set(order=order, status=status, at=rx_at)
        return [f"RxScale's “{rx_label}” replaced a newer staff action's “{local_label}”."]
    if in_flight:
        explanation = (
            f"RxScale reported “{rx_label}” while the staff action that set “{local_label}” "
            "had not reached RxScale yet, so the staff action's status is kept."
        )
    else:
        explanation = (
            f"RxScale reported “{rx_label}” as of a time before a staff action set "
            f"“{local_label}”, so the staff action's status is kept. RxScale has probably not "
            "seen the staff action yet."
        )
    _conflict_record(
        order=order,
        field=FIELD_STATUS,
        local_value=local,
        local_set_at=local_at,
        rxscale_value=status,
        rxscale_at=rx_at,
        kept=KEPT_LOCAL,
        explanation=explanation,
        delivery=delivery,
    )
    return [f"Status “{rx_label}” not applied: a newer staff action set “{local_label}”."]


def order_release_if_deleted(*, order: PharmacyOrder, was_deleted: bool) -> None:
    """Nobody works on an order RxScale deleted: its claim goes (as for a final status)."""
    if order.rx_deleted_at is not None and not was_deleted:
        order.claimed_by, order.claimed_at = None, None


# Staff-facing names where the column's own would puzzle.
_FIELD_NAMES = {
    "rx_created_at": "created at",
    "rx_deleted_at": "deleted at",
    "custom_data": "custom data",
    "payload_warnings": "unexpected data",
    "rx_extra": "undocumented fields",
}


def _tie_differences(order: PharmacyOrder, snapshot: dict, fields: dict, pdf_sha: str) -> str:
    """Which parts differ from the applied version, by name only (never patient values)."""
    columns = {column.name: column for column in PharmacyOrder._meta.concrete_fields}
    names = []
    for name, value in fields.items():
        if name in columns and getattr(order, name) != value:
            names.append(_FIELD_NAMES.get(name, str(columns[name].verbose_name)))
    wanted_items = sorted(
        (item["uid"], item["amount"], item["sku"]["uid"])
        for item in snapshot.get("order_items") or []
    )
    stored_items = sorted(
        OrderItem.objects.filter(order=order).values_list("uid", "amount", "sku__uid")
    )
    if wanted_items != stored_items:
        names.append("items")
    if snapshot.get("prescription_file") and order.current_prescription_id:
        current = order.current_prescription.sha256 if order.current_prescription else ""
        if pdf_sha and pdf_sha != current:
            names.append("prescription PDF")
    return ", ".join(names) or "details not shown on this page"


def order_apply_tie(
    *,
    order: PharmacyOrder,
    snapshot: dict,
    fields: dict,
    content_sha: str,
    pdf_sha: str,
    pdf_content: bytes | None,
    delivery: Delivery,
) -> list[str]:
    """Apply a snapshot whose `updated_at` equals the applied one's (locked order), when its
    content differs or an earlier tie at that time is still unconfirmed. Saves the order;
    returns warnings for the delivery.

    Only what never goes backwards is taken: a final status over a non-final one, and
    `deleted_at` becoming set. Everything else stays as the version applied first. Which
    version RxScale really holds is settled by reading the order from RxScale's API (the next
    issue); until then the order is marked `needs_confirmation`.
    """
    if pdf_content is not None:
        # Kept (once per content) so that the confirmation can show this version's PDF and
        # the delivery's stored body can reference it instead of the base64.
        prescription_document_store(content=pdf_content)
    if content_sha == order.rx_snapshot_sha256:
        return []  # the applied version again, after a tie: nothing new, nothing to undo
    rx_at = snapshot["updated_at"]
    differences = _tie_differences(order, snapshot, fields, pdf_sha)
    applied = []
    status = snapshot["status"]
    if status in FINAL_STATUSES and order.status not in FINAL_STATUSES:
        from_status = order.status
        order_status_set(order=order, status=status, at=rx_at)
        OrderStatusChange.objects.create(
            order=order, from_status=from_status, to_status=status, delivery=delivery
        )
        applied.append(f"its status “{status_label(status)}”")
    if snapshot.get("deleted_at") is not None and order.rx_deleted_at is None:
        order.rx_deleted_at = snapshot["deleted_at"]
        order_release_if_deleted(order=order, was_deleted=False)
        applied.append("its deletion")
    taken = f"; from the other one only {' and '.join(applied)} was applied" if applied else ""
    reason = (
        f"RxScale sent two different versions of this order with the same update time "
        f"(they differ in: {differences}). The version received first is shown{taken}."
    )
    _conflict_record(
        order=order,
        field=FIELD_SNAPSHOT,
        local_value=order.rx_snapshot_sha256,
        local_set_at=order.rx_updated_at,
        rxscale_value=content_sha,
        rxscale_at=rx_at,
        kept=KEPT_TIE,
        explanation=reason,
        delivery=delivery,
    )
    order.needs_confirmation, order.needs_confirmation_reason = True, reason
    order.save()
    only = f" except {' and '.join(applied)}" if applied else ""
    return [
        "Tie: this snapshot has the same updated_at as the one applied but different content "
        f"({differences}); it was not applied{only}. The order needs confirmation from RxScale."
    ]
