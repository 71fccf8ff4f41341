"""Webhook handler for stock events (called by the intake's dispatcher)."""

from common.events import Delivery, HandlerResult, SubjectKind
from common.validation import is_older, raw_snapshot_head, validated_event
from inventory.models import PharmacySku
from inventory.payloads import PharmacySkuStockPayload
from inventory.services import pharmacy_sku_apply_snapshot


def handle_stock_event(*, delivery: Delivery, payload: dict) -> HandlerResult:
    # A strictly older snapshot is stale unread (validation is most of a stock event's cost);
    # the row read here is the one the service would read anyway (`stored`).
    uid, updated_at, timestamp = raw_snapshot_head(payload)
    stored = PharmacySku.objects.filter(uid=uid).first() if uid else None
    if stored is not None and is_older(updated_at, stored.rx_updated_at):
        return HandlerResult(
            stale=True,
            subject_kind=SubjectKind.PHARMACY_SKU,
            subject_uid=stored.uid,
            event_timestamp=timestamp,
        )
    envelope, snapshot, reading = validated_event(payload, PharmacySkuStockPayload)
    outcome = pharmacy_sku_apply_snapshot(
        snapshot=snapshot,
        delivery=delivery,
        payload_warnings=reading.warnings,
        stored=(uid, stored),
    )
    return HandlerResult(
        stale=outcome.stale,
        subject_kind=SubjectKind.PHARMACY_SKU,
        subject_uid=outcome.pharmacy_sku.uid,
        event_timestamp=envelope["timestamp"],
        warnings=[*reading.warnings, *outcome.warnings],
    )
