"""RxScale's decisions as staff see them in Chromium: a cancellation that beats a click, a
deletion that ends all work, and the inbox banner for admins."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from pharmacy_orders.models import OrderStatus
from rxscale.inbox.samples import build_payload
from tests.browser.test_orders import send_order, status_badge
from tests.conftest import post_signed

pytestmark = pytest.mark.django_db(transaction=True)

S = OrderStatus


def _rxscale_update(uid: str, *, status: str, updated_at: int, **data) -> None:
    payload = build_payload("pharmacy_order_updated", uid=uid, status=status, updated_at=updated_at)
    payload["data"].update(data)
    assert post_signed(Client(), payload).status_code == 200


def test_a_cancellation_that_beats_a_click_wins_and_the_page_says_why(login, pta, page, screenshot):
    # given an order a clerk starts reviewing, while RxScale had already cancelled it
    order = send_order("po-2001", name="#2001")
    cancelled_at = int(order.rx_updated_at.timestamp()) + 1
    login(pta)
    page.goto("/orders/po-2001/")
    page.get_by_role("button", name="Start review").click()
    expect(status_badge(page)).to_have_text("Pending review")

    # when RxScale's cancellation (older than the click) arrives, with a field we do not know
    _rxscale_update(
        "po-2001", status=S.CANCELLED, updated_at=cancelled_at, courier_hint="leave at door"
    )
    page.reload()

    # then RxScale's decision shows, the conflict is on the timeline with both values
    expect(status_badge(page)).to_have_text("Cancelled")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Pending review")
    expect(timeline).to_contain_text("Cancelled")
    expect(page.get_by_text("courier_hint", exact=False).first).to_be_visible()
    screenshot("order-rxscale-cancelled")


def test_a_deleted_order_shows_a_banner_and_offers_no_action(login, pta, page, screenshot):
    order = send_order("po-2002", name="#2002")
    deleted_at = int(order.rx_updated_at.timestamp()) + 5
    _rxscale_update(
        "po-2002", status=S.WAITING_FOR_PHARMACY, updated_at=deleted_at, deleted_at=deleted_at
    )
    login(pta)

    page.goto("/orders/")
    expect(page.locator("a.order-link", has_text="#2002")).to_have_count(0)
    page.goto("/orders/po-2002/")

    expect(page.get_by_test_id("deleted-banner")).to_contain_text("RxScale deleted this order")
    expect(page.get_by_role("button", name="Start review")).to_have_count(0)
    expect(page.get_by_role("button", name="Work on this order")).to_have_count(0)
    screenshot("order-deleted")


def test_admins_see_failed_deliveries_on_the_worklist(login, pharmacy_admin, page, screenshot):
    broken = build_payload("pharmacy_order_created", uid="po-2003")
    del broken["data"]["updated_at"]
    assert post_signed(Client(), broken).status_code == 200
    login(pharmacy_admin)

    page.goto("/orders/")

    banner = page.locator(".inbox-banner")
    expect(banner).to_contain_text("1 failed")
    banner.get_by_role("link", name="1 failed").click()
    expect(page).to_have_url(re.compile(r"status__exact=failed"))
    expect(page.locator("#result_list")).to_contain_text("po-2003")
    screenshot("admin-failed-deliveries")
