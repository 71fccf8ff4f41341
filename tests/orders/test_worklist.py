"""/orders/: what needs work, in the right order, with filters, counts and warnings."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import PharmacySku
from pharmacy_orders.models import OrderStatus, PharmacyOrder
from rxscale.models import WebhookDelivery

S = OrderStatus
BASE = 1_780_000_000  # 2026-05-28 20:26:40 UTC


def names_in(page: str) -> list[str]:
    return re.findall(r'class="order-link" href="[^"]+">([^<]+)</a>', page)


def worklist(client, **params) -> str:
    response = client.get("/orders/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_default_shows_what_needs_work_by_priority_then_oldest_first(pta_client, make_order):
    make_order(uid="a", name="#A", priority=0, created_at=BASE + 1000)
    make_order(uid="b", name="#B", priority=5, created_at=BASE + 3000)
    make_order(uid="c", name="#C", priority=0, created_at=BASE + 500, status=S.ON_HOLD)
    make_order(uid="d", name="#D", priority=5, created_at=BASE + 2000, status=S.IN_PROGRESS)
    make_order(uid="e", name="#E", priority=9, status=S.COMPLETED)
    make_order(uid="f", name="#F", priority=9, status=S.CANCELLED)
    make_order(uid="g", name="#G", priority=9, status=S.INIT)
    make_order(uid="h", name="#H", priority=1, status=S.READY_FOR_PICKUP, created_at=BASE)
    make_order(uid="i", name="#I", priority=1, status=S.PENDING_REVIEW, created_at=BASE + 1)

    assert names_in(worklist(pta_client)) == ["#D", "#B", "#H", "#I", "#C", "#A"]


def test_tabs_carry_counts_and_filter_by_status(pta_client, make_order):
    make_order(uid="a", name="#A")
    make_order(uid="b", name="#B", status=S.COMPLETED)
    make_order(uid="c", name="#C", status=S.COMPLETED)

    page = worklist(pta_client)
    assert re.search(r"Needs work <span class=\"tab-count\">1</span>", page)
    assert re.search(r"Completed <span class=\"tab-count\">2</span>", page)
    assert re.search(r"All <span class=\"tab-count\">3</span>", page)

    assert names_in(worklist(pta_client, status="completed")) == ["#B", "#C"]
    assert len(names_in(worklist(pta_client, status="all"))) == 3


def test_filters(pta_client, make_order):
    unmapped = [{"uid": "ssm-x", "display_name": "Courier X", "pharmacy_mapping": None}]
    make_order(uid="a", name="#A", prepaid=1)
    make_order(uid="b", name="#B", prepaid=0, shipping=unmapped)

    assert names_in(worklist(pta_client, prepaid="yes")) == ["#A"]
    assert names_in(worklist(pta_client, prepaid="no")) == ["#B"]
    assert names_in(worklist(pta_client, unmapped="on")) == ["#B"]
    assert names_in(worklist(pta_client, shipping="ssm-x")) == ["#B"]
    assert names_in(worklist(pta_client, shipping="ssm-001")) == ["#A"]
    assert names_in(worklist(pta_client, pharmacy="ph-xyz")) == ["#A", "#B"]
    assert names_in(worklist(pta_client, pharmacy="ph-other")) == ["#A", "#B"]  # unknown: ignored
    # Tab counts stay within the other filters.
    assert 'All <span class="tab-count">1</span>' in worklist(pta_client, prepaid="yes")


@pytest.mark.parametrize("query", ["#B", "shop-77", "Erika", "erika muster", "po-find", "PO-FIND"])
def test_search_matches_name_shop_order_patient_and_uid(pta_client, make_order, query):
    make_order(uid="po-other", name="#A", patient_name="Max Mustermann")
    order = make_order(uid="po-find-me", name="#B", patient_name="Erika Musterfrau")
    PharmacyOrder.objects.filter(pk=order.pk).update(shop_order_name="shop-77")

    assert names_in(worklist(pta_client, q=query)) == ["#B"]


def test_row_shows_the_order_facts(pta_client, pta, make_order):
    order = make_order(uid="po-1", name="#1001", priority=3, created_at=BASE)
    PharmacyOrder.objects.filter(pk=order.pk).update(claimed_by=pta)

    page = worklist(pta_client)

    row = page[page.index("#1001") : page.index("</tr>", page.index("#1001"))]
    assert "Waiting for pharmacy" in row
    assert "Max Mustermann" in row
    assert "DHL_STANDARD" in row
    assert 'class="prio"' in row
    assert '<span class="claimant">pta</span>' in row
    assert '<td class="num">1</td>' in row  # item count
    # Dates in the pharmacy's time zone (Europe/Berlin, summer time: UTC+2).
    assert "28 May, 22:26" in row
    assert 'datetime="2026-05-28T22:26:40+02:00"' in row


def test_warnings(pta_client, make_order):
    unmapped = [{"uid": "ssm-x", "display_name": "Courier X", "pharmacy_mapping": None}]
    order = make_order(uid="po-w", name="#W", prepaid=1, shipping=unmapped)

    def row():
        page = worklist(pta_client)
        start = page.index("#W")
        return page[start : page.index("</tr>", start)]

    assert "Unmapped" in row()
    assert "Paper Rx" in row()
    assert "Oversold" not in row() and "Out of stock" not in row()

    PharmacySku.objects.filter(uid="psku-456").update(stock=0, reserved_amount=0)
    assert "Out of stock" in row()
    PharmacySku.objects.filter(uid="psku-456").update(stock=1, reserved_amount=3)
    assert "Oversold" in row()

    # (a real failed delivery sets this flag: test_failed_update_is_flagged below)
    assert "Update failed" not in row()
    PharmacyOrder.objects.filter(pk=order.pk).update(rx_update_failed_at=timezone.now())
    assert "Update failed" in row()

    # The outbox's summary: a long-pending command, then a failed one.
    assert "Sync pending" not in row() and "Not synced" not in row()
    PharmacyOrder.objects.filter(pk=order.pk).update(
        sync_state="pending", sync_pending_since=timezone.now()
    )
    assert "Sync pending" not in row()  # only a long wait is flagged
    PharmacyOrder.objects.filter(pk=order.pk).update(
        sync_pending_since=timezone.now() - timedelta(hours=1)
    )
    assert "Sync pending" in row()
    PharmacyOrder.objects.filter(pk=order.pk).update(
        sync_state="failed", sync_problem="RxScale refused it"
    )
    assert "Not synced" in row() and "RxScale refused it" in row()

    PharmacyOrder.objects.filter(pk=order.pk).update(prescription_problem="Not a PDF")
    assert "Rx problem" in row()


def test_user_data_is_escaped(pta_client, make_order):
    make_order(patient_name="<script>alert('x')</script> Test")

    page = worklist(pta_client)

    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Test" in page


def test_query_count_does_not_grow_with_page_size(pta_client, make_order):
    for n in range(30):
        make_order(uid=f"po-{n}", name=f"#{n}", priority=n % 3)

    counts = {}
    for per_page in (25, 100):
        with CaptureQueriesContext(connection) as queries:
            page = worklist(pta_client, per_page=per_page)
        counts[per_page] = len(queries)
        assert len(names_in(page)) == min(per_page, 30)

    assert counts[25] == counts[100]
    # 12 for the page, plus the session's renewal (SESSION_SAVE_EVERY_REQUEST: idle expiry).
    assert counts[25] <= 13


def test_pagination(pta_client, make_order):
    for n in range(27):
        make_order(uid=f"po-{n:02}", name=f"#{n:02}", created_at=BASE + n)

    first = worklist(pta_client, per_page=25)
    second = worklist(pta_client, per_page=25, page=2)

    assert len(names_in(first)) == 25
    assert names_in(second) == ["#25", "#26"]
    assert "Page 1 of 2" in first
    assert "page=2" in first and "per_page=25" in first


def test_bad_filter_values_fall_back_instead_of_failing(pta_client, make_order):
    make_order(name="#A")

    page = worklist(pta_client, status="bogus", prepaid="maybe", per_page="7", page="x")

    assert names_in(page) == ["#A"]


def test_a_delivery_that_failed_to_apply_is_flagged_on_list_page_and_timeline(
    pta_client, order, payload, deliver
):
    broken = payload("pharmacy_order_updated", uid=order.uid, updated_at=1_900_000_000)
    broken["data"]["order_items"] = "not a list"
    deliver(broken)
    failed = WebhookDelivery.objects.get(status=WebhookDelivery.Status.FAILED)
    assert failed.subject_uid == order.uid

    assert "Update failed" in worklist(pta_client)
    page = pta_client.get(f"/orders/{order.uid}/").content.decode()
    assert "An RxScale update for this order failed to apply." in page
    assert "RxScale: pharmacy_order_updated" in page
