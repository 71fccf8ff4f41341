"""/inventory/<uid>/ through HTTP: permissions, ledger, open orders, reconciliation figures."""

import re

import pytest
from django.urls import reverse

from inventory.models import PharmacySku, StockLedgerEntry
from inventory.services import pharmacy_sku_adjust_stock
from rxscale.models import WebhookDelivery
from tests.inventory.conftest import T0

pytestmark = pytest.mark.django_db

DETAIL = reverse("inventory:detail", args=["psku-a"])


@pytest.fixture
def sku_a(deliver, stock_event):
    deliver(stock_event(stock=45, reserved=3, product="Medication A"))
    deliver(stock_event(updated_at=T0 + 60, stock=44, reserved=5, price=1399))
    return PharmacySku.objects.get(uid="psku-a")


def test_anonymous_is_sent_to_login(client, sku_a):
    response = client.get(DETAIL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_user_without_a_role_is_refused(client, no_role_user, sku_a):
    client.force_login(no_role_user)

    assert client.get(DETAIL).status_code == 403


@pytest.mark.parametrize(
    ("role", "can_adjust"), [("pta", False), ("pharmacist", False), ("pharmacy_admin", True)]
)
def test_every_role_sees_the_detail_only_admins_get_the_forms(
    client, request, sku_a, role, can_adjust
):
    client.force_login(request.getfixturevalue(role))

    response = client.get(DETAIL)

    assert response.status_code == 200
    html = response.content.decode()
    assert ("Adjust stock" in html) is can_adjust
    assert ("Save threshold" in html) is can_adjust
    assert 'id="ledger"' in html


def test_unknown_sku_is_404(client, pta):
    client.force_login(pta)

    assert client.get(reverse("inventory:detail", args=["nope"])).status_code == 404


def test_ledger_is_newest_first_with_old_and_new_values(client, pta, sku_a):
    client.force_login(pta)

    response = client.get(DETAIL)

    rows = response.context["ledger_rows"]
    assert [row["entry"].reason for row in rows] == ["", "First seen"]
    changes = {c.field: (c.old, c.new) for c in rows[0]["changes"]}
    assert changes == {
        "stock": ("45", "44"),
        "reserved_amount": ("3", "5"),
        "price": ("€12.99", "€13.99"),
    }
    html = response.content.decode()
    assert re.search(
        r'Stock</span> <span class="inv-old">45</span>.*<span class="inv-new">44</span>', html
    )
    assert "Stock webhook" in html


def test_webhook_cause_links_to_the_delivery_for_admins_who_may_see_it(
    client, pharmacy_admin, sku_a
):
    client.force_login(pharmacy_admin)
    delivery = WebhookDelivery.objects.order_by("-id").first()

    html = client.get(DETAIL).content.decode()

    url = reverse("admin:rxscale_webhookdelivery_change", args=[delivery.pk])
    assert f'href="{url}"' in html
    assert client.get(url).status_code == 200


def test_webhook_cause_is_named_without_a_link_for_staff(client, pta, sku_a):
    client.force_login(pta)

    html = client.get(DETAIL).content.decode()

    delivery = WebhookDelivery.objects.order_by("-id").first()
    assert f"Webhook delivery #{delivery.pk}" in html
    assert "/admin/rxscale/webhookdelivery/" not in html


def test_staff_adjustment_shows_user_and_reason(client, pta, pharmacy_admin, sku_a):
    pharmacy_sku_adjust_stock(
        pharmacy_sku=sku_a, new_stock=40, reason="Breakage <b>2</b>", user=pharmacy_admin
    )
    client.force_login(pta)

    html = client.get(DETAIL).content.decode()

    assert "Staff adjustment" in html
    assert "pharmacyadmin" in html
    assert "Breakage &lt;b&gt;2&lt;/b&gt;" in html


def test_open_orders_with_amounts_link_to_the_order(client, pta, sku_a, deliver, order_event):
    deliver(order_event("po-open", [("a", 2), ("b", 1)]))
    deliver(order_event("po-hold", [("a", 1)], status="on-hold"))
    deliver(order_event("po-done", [("a", 4)], status="completed"))
    deliver(order_event("po-gone", [("a", 8)], status="cancelled"))
    client.force_login(pta)

    response = client.get(DETAIL)

    items = response.context["open_items"]
    assert [(item.order.uid, item.amount) for item in items] == [("po-open", 2), ("po-hold", 1)]
    html = response.content.decode()
    assert f'href="{reverse("orders:detail", args=["po-open"])}"' in html
    assert "po-done" not in html


def test_reconciliation_figures_are_on_the_detail_page(client, pta, sku_a, deliver, order_event):
    deliver(order_event("po-1", [("a", 2)]))
    client.force_login(pta)

    response = client.get(DETAIL)

    sku = response.context["pharmacy_sku"]
    assert (sku.reserved_amount, sku.open_order_amount, sku.reserved_difference) == (5, 2, 3)
    html = response.content.decode()
    assert "Mismatch" in html
    assert "RxScale reserves 3 more than our open orders hold" in html


def test_matching_reservation_says_so(client, pta, deliver, stock_event, order_event):
    deliver(order_event("po-1", [("a", 2)]))
    deliver(stock_event(stock=10, reserved=2))
    client.force_login(pta)

    html = client.get(DETAIL).content.decode()

    assert "Matches" in html


def test_ledger_is_paginated(client, pta, deliver, stock_event, monkeypatch):
    monkeypatch.setattr("inventory.views.LEDGER_PAGE_SIZE", 3)
    for step in range(5):
        deliver(stock_event(updated_at=T0 + step, stock=50 - step))
    client.force_login(pta)

    first = client.get(DETAIL).context["ledger_rows"]
    older = client.get(DETAIL, {"ledger_page": 2}).context["ledger_rows"]

    assert len(first) == 3
    assert len(older) == 2
    assert older[-1]["entry"].reason == "First seen"
    assert StockLedgerEntry.objects.count() == 5
