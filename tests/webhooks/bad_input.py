"""Assertions shared by the bad-input tests: what an invalid or failed delivery leaves."""

from inventory.models import PharmacySku, Product, Sku, StockLedgerEntry
from pharmacy_orders.models import Pharmacy, PharmacyOrder
from rxscale.models import WebhookDelivery
from tests.webhooks.helpers import Status, answer, delivery_of

DOMAIN_MODELS = [PharmacyOrder, Pharmacy, Sku, Product, PharmacySku, StockLedgerEntry]


def assert_no_domain_writes() -> None:
    for model in DOMAIN_MODELS:
        assert not model.objects.exists(), model.__name__


def assert_invalid(response, error_fragment: str) -> WebhookDelivery:
    """400 with a clear error, stored once as invalid with its raw bytes, nothing applied."""
    assert response.status_code == 400
    body = answer(response)
    assert body["status"] == Status.INVALID
    assert error_fragment in body["error"]
    delivery = delivery_of(response)
    assert delivery.status == Status.INVALID
    assert error_fragment in delivery.error
    assert delivery.attempts == 0
    assert_no_domain_writes()
    return delivery


def assert_failed(response, *error_path: str) -> WebhookDelivery:
    """200 (stored), then failed with a field-level error at `error_path`, nothing applied."""
    assert response.status_code == 200, response.content
    delivery = delivery_of(response)
    assert delivery.status == Status.FAILED, (delivery.status, delivery.error)
    assert delivery.error == "Payload failed validation."
    assert delivery.traceback == ""
    node = delivery.error_details
    for key in error_path:
        assert key in node, (key, delivery.error_details)
        node = node[key]
    assert node, delivery.error_details
    assert_no_domain_writes()
    return delivery


def with_value(payload_dict: dict, path: str, value) -> dict:
    """`payload_dict` with the value at a dotted path (list indexes as numbers) replaced."""
    node = payload_dict
    *parents, last = path.split(".")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
    return payload_dict
