"""The staff workspace end to end in headless Chromium: webhook in, worklist, order, actions."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from pharmacy_orders.models import AuditEntry, OrderStatus, PharmacyOrder
from pharmacy_orders.services.gates import CHECKLIST_LABELS
from rxscale.inbox.samples import build_payload
from tests.conftest import post_signed

pytestmark = pytest.mark.django_db(transaction=True)

S = OrderStatus
_next_updated_at = iter(range(1_780_000_000, 1_790_000_000, 60))


def send_order(uid: str, status: str = S.WAITING_FOR_PHARMACY, **changes) -> PharmacyOrder:
    """A signed pharmacy_order_created webhook through the real endpoint (on-commit runs for
    real in these transactional tests, and the immediate backend processes it)."""
    payload = build_payload(
        "pharmacy_order_created", uid=uid, status=status, updated_at=next(_next_updated_at)
    )
    data = payload["data"]
    data["name"] = changes.get("name", f"#{uid[-4:]}")
    data["created_at"] = payload["timestamp"] - changes.get("age_hours", 1) * 3600
    data["order"]["priority"] = changes.get("priority", 0)
    data["prepaid"] = changes.get("prepaid", 0)
    if "patient" in changes:
        data["patient_data"]["display_name"] = changes["patient"]
    if changes.get("unmapped"):
        data["shop_shipping_methods"] = [
            {"uid": "ssm-express", "display_name": "DHL Express", "pharmacy_mapping": None}
        ]
    response = post_signed(Client(), payload)
    assert response.status_code == 200, response.content
    return PharmacyOrder.objects.get(uid=uid)


def status_badge(page):
    return page.get_by_test_id("order-status")


def test_a_signed_webhook_creates_an_order_that_appears_in_the_worklist(
    login, pta, page, screenshot
):
    send_order("po-0001", priority=5, patient="Erika Musterfrau", age_hours=5, unmapped=True)
    send_order("po-0002", S.PENDING_REVIEW, patient="Jörg Weiß", age_hours=30, prepaid=1)
    send_order("po-0003", S.IN_PROGRESS, patient="<script>alert(1)</script>", age_hours=8)
    send_order("po-0004", S.ON_HOLD, patient="Aylin Yılmaz", age_hours=50)
    login(pta)

    send_order("po-1001", patient="Max Mustermann", age_hours=2)
    page.goto("/orders/")

    row = page.get_by_role("row").filter(has_text="#1001")
    expect(row).to_contain_text("Max Mustermann")
    expect(row).to_contain_text("Waiting for pharmacy")
    expect(row).to_contain_text("DHL_STANDARD")
    # Priority first: the urgent order heads the list.
    expect(page.locator("a.order-link").first).to_have_text("#0001")
    # Escaped: the script is shown as text, never run.
    expect(page.get_by_role("cell", name="<script>alert(1)</script>")).to_be_visible()
    # "/" jumps to the search box.
    page.keyboard.press("/")
    expect(page.get_by_label("Search")).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")  # visible keyboard focus
    page.keyboard.type("Mustermann")
    page.keyboard.press("Enter")
    expect(page.locator("a.order-link")).to_have_count(1)
    page.goto("/orders/")
    screenshot("worklist")


def test_pharmacist_opens_the_order_sees_the_pdf_and_completes_it(
    login, pharmacist, page, screenshot, settings
):
    settings.RELEASE_SINGLE_PERSON_ALLOWED = True  # one pharmacist does every step here
    send_order("po-1001", priority=2, age_hours=3)
    login(pharmacist)
    page.get_by_role("link", name="#1001").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Order #1001")
    viewer = page.get_by_test_id("pdf-viewer")
    expect(viewer).to_be_visible()
    pdf = page.request.get(viewer.get_attribute("src"))
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    expect(page.get_by_role("link", name=re.compile("Download prescription"))).to_be_visible()
    page.get_by_role("button", name="Claim").click()
    expect(page.get_by_text("You are now working on this order.")).to_be_visible()
    page.wait_for_timeout(500)  # let the PDF viewer paint
    screenshot("order")

    for button, status in [
        ("Start review", "Pending review"),
        ("Start work", "In progress"),
        ("Release: ready for pickup", "Ready for pickup"),
        ("Complete order", "Completed"),
    ]:
        if button.startswith("Release"):
            for label in CHECKLIST_LABELS.values():
                page.get_by_label(label).check()
        page.get_by_role("button", name=button).click()
        expect(status_badge(page)).to_have_text(status)

    expect(page.get_by_text("there is nothing more to do")).to_be_visible()
    expect(page.get_by_text("Nobody is working on this order.")).to_be_visible()
    assert PharmacyOrder.objects.get(uid="po-1001").status == S.COMPLETED
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("Ready for pickup → Completed")
    expect(timeline).to_contain_text("by pharmacist")
    assert AuditEntry.objects.filter(action="prescription_view", user=pharmacist).exists()

    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto("/orders/po-1001/")
    page.wait_for_timeout(800)
    screenshot("order-tablet")


def test_on_hold_with_a_reason_then_resume(login, pta, page):
    send_order("po-1001", S.IN_PROGRESS)
    login(pta)
    page.goto("/orders/po-1001/")

    page.get_by_text("Put on hold…").click()
    hold_button = page.locator(".reason-hold").get_by_role("button", name="Put on hold")
    hold_button.click()  # no reason: the browser's own check stops it
    expect(status_badge(page)).to_have_text("In progress")

    page.get_by_label(re.compile("^Reason")).first.fill("Doctor must confirm the dosage")
    hold_button.click()

    expect(status_badge(page)).to_have_text("On hold")
    expect(page.locator(".hold-note")).to_contain_text("Doctor must confirm the dosage")
    page.get_by_role("button", name="Resume (In progress)").click()
    expect(status_badge(page)).to_have_text("In progress")
    assert PharmacyOrder.objects.get(uid="po-1001").status_before_hold == ""


def test_a_pta_is_refused_a_pharmacist_only_action(login, pta, page):
    send_order("po-1001", S.IN_PROGRESS)
    login(pta)
    page.goto("/orders/po-1001/")

    release = page.get_by_role("button", name="Release: ready for pickup")
    expect(release).to_be_disabled()
    expect(page.get_by_text("Pharmacist only").first).to_be_visible()

    # A stale or tampered page still cannot do it: the server refuses.
    release.evaluate("button => button.removeAttribute('disabled')")
    release.click()

    expect(page.get_by_text("Only a pharmacist may move an order to")).to_be_visible()
    expect(status_badge(page)).to_have_text("In progress")
    assert PharmacyOrder.objects.get(uid="po-1001").status == S.IN_PROGRESS


STAFF_URLS = [
    "/",
    "/orders/",
    "/orders/?status=all",
    "/orders/po-1001/",
    "/orders/po-1001/prescription",
    "/orders/po-1001/prescription?download=1",
    "/orders/shipping-methods/",
    "/orders/shipping-methods/ssm-001/",
    "/orders/audit/",
    "/inventory/",
    "/admin/",
]


def test_an_anonymous_visitor_is_sent_to_login_on_every_staff_url(page):
    send_order("po-1001")

    for url in STAFF_URLS:
        page.goto(url)
        assert "/login/" in page.url, url
        expect(page.get_by_role("button", name="Log in")).to_be_visible()
        expect(page.get_by_text("Max Mustermann")).to_have_count(0)
