"""Webhook handler for stock events (called by the intake's dispatcher)."""

from common.validation import validated_event
from inventory.payloads import PharmacySkuStockPayload
from inventory.services import pharmacy_sku_apply_snapshot
from pharmacy_orders.webhooks.models import WebhookDelivery
from pharmacy_orders.webhooks.registry import HandlerResult


def handle_stock_event(*, delivery: WebhookDelivery, payload: dict) -> HandlerResult:
    envelope, snapshot, reading = validated_event(payload, PharmacySkuStockPayload)
    outcome = pharmacy_sku_apply_snapshot(
        snapshot=snapshot, delivery=delivery, payload_warnings=reading.warnings
    )
    return HandlerResult(
        stale=outcome.stale,
        subject_kind=WebhookDelivery.SubjectKind.PHARMACY_SKU,
        subject_uid=outcome.pharmacy_sku.uid,
        event_timestamp=envelope["timestamp"],
        warnings=[*reading.warnings, *outcome.warnings],
    )
