"""The gates in the browser: the paper original, and the pharmacist's release by keyboard."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from pharmacy_orders.models import OrderStatus, PharmacistRelease, PharmacyOrder
from pharmacy_orders.services.workflow import order_transition
from rxscale.inbox.samples import build_payload
from tests.browser.test_orders import send_order, status_badge
from tests.conftest import post_signed

pytestmark = pytest.mark.django_db(transaction=True)

S = OrderStatus


def prepare(order: PharmacyOrder, user) -> None:
    """Review and start the order as `user` (the preparer)."""
    for action, expected in [("review", S.WAITING_FOR_PHARMACY), ("start", S.PENDING_REVIEW)]:
        order_transition(order_uid=order.uid, action=action, user=user, expected_status=expected)


def tab_to(page, name: str, limit: int = 80) -> None:
    """Press Tab until the field `name` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.name") == name:
            return
    pytest.fail(f"Tab never reached {name!r}")


def test_a_pharmacist_releases_by_keyboard_what_a_pta_prepared(
    login, pta, pharmacist, page, screenshot
):
    order = send_order("po-2001")
    prepare(order, pta)
    login(pharmacist)
    page.goto(f"/orders/{order.uid}/")
    expect(page.get_by_role("group", name="Release checklist")).to_be_visible()

    # tab to the checklist, space to tick each item, enter to submit
    tab_to(page, "prescription_checked")
    for _ in range(3):
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
    expect(page.get_by_label("Dose and interactions plausible")).to_be_checked()
    focused = page.evaluate("document.activeElement.textContent")
    assert "Release: ready for pickup" in focused
    page.keyboard.press("Enter")

    expect(status_badge(page)).to_have_text("Ready for pickup")
    release = page.get_by_test_id("release")
    expect(release).to_contain_text("Released by pharmacist")
    expect(release).to_contain_text("Prepared by pta")
    expect(page.locator("ol.timeline")).to_contain_text("checklist confirmed")
    assert PharmacistRelease.objects.get().released_by == pharmacist
    screenshot("order-released")


def test_the_preparer_is_told_and_refused(login, pharmacist, page):
    order = send_order("po-2002")
    prepare(order, pharmacist)
    login(pharmacist)
    page.goto(f"/orders/{order.uid}/")
    expect(page.get_by_test_id("four-eyes-note")).to_contain_text("another pharmacist")

    for label in ["Prescription checked", "Doctor and signature checked"]:
        page.get_by_label(label).check()
    page.get_by_label("Dose and interactions plausible").check()
    page.get_by_role("button", name="Release: ready for pickup").click()

    expect(page.get_by_role("alert").filter(has_text="so you can't release it")).to_be_visible()
    expect(status_badge(page)).to_have_text("In progress")


def test_a_paper_order_waits_for_its_original(login, pharmacist, page, screenshot):
    send_order("po-2003", S.IN_PROGRESS, prepaid=1, name="#PAPER")
    login(pharmacist)
    page.goto("/orders/?status=awaiting-original")
    expect(page.get_by_role("link", name="Awaiting original")).to_contain_text("1")
    page.get_by_role("link", name="#PAPER").click()

    # releasing is refused: the original is missing
    for label in ["Prescription checked", "Doctor and signature checked"]:
        page.get_by_label(label).check()
    page.get_by_label("Dose and interactions plausible").check()
    page.get_by_role("button", name="Release: ready for pickup").click()
    expect(
        page.get_by_role("alert").filter(has_text="paper original of this prescription is missing")
    ).to_be_visible()
    expect(status_badge(page)).to_have_text("In progress")

    # the clerk records the original
    page.get_by_label("Note (optional)").fill("Arrived with the morning post")
    page.get_by_label("Scan reference (optional)").fill("DMS-2003")
    page.get_by_role("button", name="Record receipt of the original").click()
    expect(page.get_by_text("The paper original is recorded as received.")).to_be_visible()
    expect(page.get_by_test_id("paper-original")).to_contain_text("DMS-2003")
    screenshot("order-paper-original")

    for label in ["Prescription checked", "Doctor and signature checked"]:
        page.get_by_label(label).check()
    page.get_by_label("Dose and interactions plausible").check()
    page.get_by_role("button", name="Release: ready for pickup").click()
    expect(status_badge(page)).to_have_text("Ready for pickup")

    page.goto("/orders/?status=awaiting-original")
    expect(page.get_by_role("link", name="#PAPER")).to_have_count(0)


def test_a_change_from_rxscale_voids_the_release_and_the_order_says_so(
    login, pta, pharmacist, page
):
    order = send_order("po-2004")
    prepare(order, pta)
    login(pharmacist)
    page.goto(f"/orders/{order.uid}/")
    for label in ["Prescription checked", "Doctor and signature checked"]:
        page.get_by_label(label).check()
    page.get_by_label("Dose and interactions plausible").check()
    page.get_by_role("button", name="Release: ready for pickup").click()
    expect(status_badge(page)).to_have_text("Ready for pickup")

    # RxScale changes the amount of an item
    update = build_payload(
        "pharmacy_order_updated", uid=order.uid, status=S.READY_FOR_PICKUP, updated_at=1_795_000_000
    )
    update["data"]["prepaid"] = 0
    update["data"]["order_items"][0]["amount"] = 5
    assert post_signed(Client(), update).status_code == 200

    page.reload()
    expect(page.get_by_test_id("release-voided-banner")).to_contain_text(
        "RxScale changed the items"
    )
    page.get_by_role("button", name="Complete order").click()
    expect(page.get_by_role("alert").filter(has_text="is void")).to_be_visible()
    expect(status_badge(page)).to_have_text("Ready for pickup")
