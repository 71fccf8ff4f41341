"""Webhook handler for stock events (called by the intake's dispatcher)."""

from common.validation import validated_event
from inventory.payloads import PharmacySkuStockPayload
from inventory.services import pharmacy_sku_apply_snapshot
from pharmacy_orders.webhooks.models import WebhookDelivery
from pharmacy_orders.webhooks.registry import HandlerResult


def handle_stock_event(*, delivery: WebhookDelivery, payload: dict) -> HandlerResult:
    envelope, snapshot = validated_event(payload, PharmacySkuStockPayload)
    pharmacy_sku, stale = pharmacy_sku_apply_snapshot(snapshot=snapshot, delivery=delivery)
    return HandlerResult(
        stale=stale,
        subject_kind=WebhookDelivery.SubjectKind.PHARMACY_SKU,
        subject_uid=pharmacy_sku.uid,
        event_timestamp=envelope["timestamp"],
    )
