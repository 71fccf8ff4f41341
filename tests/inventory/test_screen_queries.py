"""Issue 9: the inventory pages' query count does not depend on the data size (1 SKU vs many),
and the open order amounts (a view: trigger-kept deltas on PostgreSQL, the items on SQLite)
equal the sum over open orders' items through every change of items and order status."""

from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import OpenOrderAmount, PharmacySku
from inventory.selectors import open_order_items
from pharmacy_orders.counters import counters_compact
from pharmacy_orders.models import PharmacyOrder
from tests.inventory.conftest import T0

LIST = reverse("inventory:list")
PAGES = [{}, {"status": "low"}, {"status": "mismatch"}, {"q": "EXT"}, {"sort": "-difference"}]


def _statements(client, path: str, params: dict) -> int:
    client.get(path, params)  # warm the session and permission caches alike for both runs
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(queries)


def test_list_and_sku_page_query_count_does_not_grow_with_the_data(
    client, pta, deliver, stock_event, order_event
):
    deliver(stock_event("s000", stock=3))
    deliver(order_event("po-0", [("s000", 1)]))
    client.force_login(pta)
    detail = reverse("inventory:detail", args=["psku-s000"])
    few = [_statements(client, LIST, params) for params in PAGES]
    few_detail = _statements(client, detail, {})

    for index in range(1, 25):
        deliver(stock_event(f"s{index:03d}", stock=index % 4, reserved=index % 3))
    for index in range(1, 6):
        deliver(order_event(f"po-{index}", [("s000", 1), (f"s{index:03d}", 2)]))

    assert [_statements(client, LIST, params) for params in PAGES] == few
    assert _statements(client, detail, {}) == few_detail


def _expected() -> dict[int, int]:
    rows = open_order_items().values("pharmacy_sku").annotate(total=Sum("amount"))
    return {row["pharmacy_sku"]: row["total"] for row in rows if row["total"]}


def _shown() -> dict[int, int]:
    return {row.pharmacy_sku_id: row.amount for row in OpenOrderAmount.objects.all()}


def test_open_amounts_follow_items_and_order_status(deliver, stock_event, order_event):
    for key in ("a", "b", "c"):
        deliver(stock_event(key, stock=10))
    deliver(order_event("po-1", [("a", 2), ("b", 1)]))
    deliver(order_event("po-2", [("a", 3)]))
    deliver(order_event("po-3", [("c", 4)], status="completed"))
    assert _shown() == _expected()
    a = PharmacySku.objects.get(uid="psku-a").pk
    assert _shown()[a] == 5

    # Items change with an update, an order closes, one is deleted at RxScale, one reopens.
    deliver(order_event("po-1", [("a", 1), ("c", 2)], updated_at=T0 + 10,
                        event_type="pharmacy_order_updated"))  # fmt: skip
    PharmacyOrder.objects.filter(uid="po-2").update(status="cancelled")
    PharmacyOrder.objects.filter(uid="po-3").update(status="in-progress")
    assert _shown() == _expected()
    PharmacyOrder.objects.filter(uid="po-1").update(rx_deleted_at="2026-01-01T00:00:00Z")
    assert _shown() == _expected()
    counters_compact()
    assert _shown() == _expected()
