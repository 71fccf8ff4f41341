"""A change RxScale refused, as a pharmacist sees and settles it in Chromium."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from rxscale.standin.faults import Fault
from tests.browser.test_orders import status_badge
from tests.rxscale.outbox_helpers import (
    UID,
    connected_standin,  # noqa: F401 (the `standin` fixture)
    order_known_to_both,
    send_all,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_refused_change_is_shown_and_sent_again(standin, login, pharmacist, page, screenshot):
    # given an order, and RxScale refusing the next status change once
    order_known_to_both(Client(), standin)
    standin.faults.inject(Fault(kind="error", status=422, path="/status"))
    login(pharmacist)
    page.goto(f"/orders/{UID}/")
    expect(page.get_by_test_id("local-only-banner")).to_have_count(0)

    # when the pharmacist starts the review and the worker tries to tell RxScale
    page.get_by_role("button", name="Start review").click()
    expect(status_badge(page)).to_have_text("Pending review")
    send_all()
    page.reload()

    # then the page says the change is not at RxScale, with RxScale's answer
    panel = page.get_by_test_id("sync-panel")
    expect(panel).to_contain_text("Not synced with RxScale")
    expect(panel).to_contain_text("Injected fault")
    screenshot("order-not-synced")

    # when the pharmacist sends it again and the worker runs
    panel.get_by_role("button", name="Send again").click()
    expect(page.get_by_text("will be sent to RxScale again")).to_be_visible()
    send_all()
    page.reload()

    # then it reached RxScale and the panel is gone
    expect(page.get_by_test_id("sync-panel")).to_have_count(0)
    assert standin.store.order(UID)["status"] == "pending review"
