"""An order whose status RxScale did not document stays where staff work: "Needs work"."""

import re

from pharmacy_orders.models import PharmacyOrder


def _tab_count(html: str, label: str) -> int:
    match = re.search(rf">{label} <span class=\"tab-count\">(\d+)</span>", html)
    assert match, label
    return int(match.group(1))


def test_an_unknown_status_is_on_needs_work_and_counted(make_order, pta_client):
    make_order(uid="po-known", status="pending review")
    make_order(uid="po-odd", status="shipped")
    make_order(uid="po-done", status="completed")
    assert PharmacyOrder.objects.get(uid="po-odd").status == "shipped"

    html = pta_client.get("/orders/").content.decode()

    assert "po-odd" in html and "po-known" in html
    assert "po-done" not in html
    assert _tab_count(html, "Needs work") == 2


def test_search_finds_the_shop_order_external_id(make_order, pta_client, payload, deliver):
    body = payload("pharmacy_order_created", level="organisation", uid="po-shop")
    deliver(body)

    html = pta_client.get("/orders/", {"q": "SHOP-789", "status": "all"}).content.decode()

    assert "po-shop" in html
    assert "Shop SHOP-789" in html
