"""The Content-Security-Policy in a real browser: no page breaks it (no inline script or style,
nothing from another origin), the order page still frames its prescription PDF, and a page of
ours framed by another of ours is refused."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_orders import send_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def csp_reports(page):
    """Every CSP violation the browser reports on the console, as it happens."""
    reports = []
    page.on(
        "console",
        lambda msg: reports.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return reports


def test_staff_pages_run_without_a_single_violation(login, pharmacy_admin, page, csp_reports):
    send_order("po-2001")
    login(pharmacy_admin)

    for url in ["/orders/", "/orders/po-2001/", "/inventory/", "/orders/audit/", "/admin/"]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
    page.goto("/admin/pharmacy_orders/shippingmethodmapping/")
    page.goto("/admin/rxscale/webhookdelivery/")
    page.get_by_role("link", name="po-2001").first.click()
    page.wait_for_load_state("networkidle")

    assert csp_reports == []


def test_the_order_page_frames_the_prescription(login, pharmacist, page, csp_reports):
    send_order("po-2002")
    login(pharmacist)

    page.goto("/orders/po-2002/")
    expect(page.get_by_test_id("pdf-viewer")).to_be_visible()
    page.wait_for_timeout(500)

    frame = next(f for f in page.frames if f.url.endswith("/orders/po-2002/prescription"))
    assert not frame.url.startswith("chrome-error:")
    assert csp_reports == []


def test_another_page_of_ours_cannot_be_framed(login, pharmacist, page, csp_reports):
    send_order("po-2003")
    login(pharmacist)
    page.goto("/orders/po-2003/")
    # The same origin frames the worklist instead of the PDF: the browser must refuse it.
    page.eval_on_selector("[data-testid=pdf-viewer]", "el => { el.src = '/orders/'; }")
    page.wait_for_timeout(1000)

    assert any("frame-ancestors" in report for report in csp_reports), csp_reports
