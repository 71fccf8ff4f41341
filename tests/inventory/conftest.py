"""Inventory test helpers: stock and order events for chosen pharmacy SKUs, as real payloads."""

import copy
import zlib

import pytest

# A fixed base time (Sep 2026), older than "now" when the tests run; staff adjustments are now.
T0 = 1_790_000_000


def pzn_for(key: str) -> str:
    return f"{zlib.crc32(key.encode()) % 10**8:08d}"


@pytest.fixture
def sku_names():
    """Descriptive SKU data per key, shared by stock and order events (newest payload wins)."""
    return {}


def _sku_data(template: dict, key: str, names: dict) -> dict:
    name, product, pzn = names.get(key, (None, None, None))
    return {
        **template,
        "uid": f"sku-{key}",
        "display_name": name if name is not None else f"Medication {key} 100mg",
        "pzn": pzn if pzn is not None else pzn_for(key),
        "product_uid": f"prod-{key}",
        "product_display_name": product if product is not None else f"Product {key}",
    }


@pytest.fixture
def stock_event(payload, sku_names):
    """A pharmacy_sku_stock_updated payload for pharmacy SKU `psku-<key>` (SKU `sku-<key>`)."""

    def _stock_event(
        key: str = "a",
        *,
        updated_at: int = T0,
        stock: int = 45,
        reserved: int = 0,
        price: int | None = 1299,
        name: str | None = None,
        product: str | None = None,
        pzn: str | None = None,
        external_id: str | None = None,
    ) -> dict:
        event = payload(
            "pharmacy_sku_stock_updated",
            uid=f"psku-{key}",
            updated_at=updated_at,
            stock=stock,
            reserved_amount=reserved,
        )
        data = event["data"]
        if (name, product, pzn) != (None, None, None):
            sku_names[key] = (name, product, pzn)
        data["sku"] = _sku_data(data["sku"], key, sku_names)
        data["sku_uid"] = data["sku"]["uid"]
        data["price"] = price
        data["external_id"] = external_id if external_id is not None else f"EXT-{key}"
        return event

    return _stock_event


@pytest.fixture
def order_event(payload, sku_names):
    """A pharmacy order payload whose items are (key, amount) pairs of pharmacy SKUs."""

    def _order_event(
        uid: str,
        items: list[tuple[str, int]],
        *,
        status: str = "waiting for pharmacy",
        updated_at: int = T0,
        event_type: str = "pharmacy_order_created",
    ) -> dict:
        event = payload(event_type, uid=uid, status=status, updated_at=updated_at)
        data = event["data"]
        data["name"] = f"#{uid}"
        template = data["order_items"][0]
        data["order_items"] = []
        for position, (key, amount) in enumerate(items):
            item = copy.deepcopy(template)
            item["uid"] = f"oi-{uid}-{position}"
            item["amount"] = amount
            item["sku"] = _sku_data(item["sku"], key, sku_names)
            item["pharmacy_sku"] = {**item["pharmacy_sku"], "uid": f"psku-{key}"}
            data["order_items"].append(item)
        return event

    return _order_event
