"""The inventory workspace in a real browser: list, oversold filter, detail, an adjustment."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from rxscale.inbox.samples import build_payload
from tests.conftest import post_signed

pytestmark = pytest.mark.django_db(transaction=True)

T0 = 1_790_000_000
SKUS = [
    # key, product, sku name, pzn, stock, reserved
    ("ibu", "Ibuprofen", "Ibuprofen 400mg 20 St.", "04324188", 120, 8),
    ("amox", "Amoxicillin", "Amoxicillin 1000mg 20 St.", "01126111", 2, 6),
    ("salbu", "Salbutamol", "Salbutamol Dosieraerosol", "07578630", 0, 0),
    ("panto", "Pantoprazol", "Pantoprazol 20mg 30 St.", "02345678", 6, 3),
]


def _stock_event(key, product, name, pzn, stock, reserved, updated_at=T0):
    event = build_payload(
        "pharmacy_sku_stock_updated",
        uid=f"psku-{key}",
        updated_at=updated_at,
        stock=stock,
        reserved_amount=reserved,
    )
    data = event["data"]
    data["sku"].update(
        uid=f"sku-{key}",
        display_name=name,
        pzn=pzn,
        product_uid=f"prod-{key}",
        product_display_name=product,
    )
    data["sku_uid"] = f"sku-{key}"
    data["external_id"] = f"WAWI-{pzn}"
    return event


def _order_event(uid, key, product, name, pzn, amount):
    event = build_payload(
        "pharmacy_order_created", uid=uid, status="waiting for pharmacy", updated_at=T0
    )
    data = event["data"]
    data["name"] = f"#{uid[-4:]}"
    item = data["order_items"][0]
    item["amount"] = amount
    item["sku"].update(
        uid=f"sku-{key}",
        display_name=name,
        pzn=pzn,
        product_uid=f"prod-{key}",
        product_display_name=product,
    )
    item["pharmacy_sku"]["uid"] = f"psku-{key}"
    return event


@pytest.fixture
def inventory():
    client = Client()
    for sku in SKUS:
        assert post_signed(client, _stock_event(*sku)).status_code == 200
    ibu, amox = SKUS[0], SKUS[1]
    # A later snapshot, so the ledger shows a change.
    post_signed(client, _stock_event(*amox[:4], 2, 6, updated_at=T0 + 600))
    post_signed(client, _stock_event(*amox[:4], 3, 6, updated_at=T0 + 1200))
    # Amoxicillin: our open orders hold 5 of RxScale's 6 reserved (a mismatch).
    post_signed(client, _order_event("po-b-1001", *amox[:4], 3))
    post_signed(client, _order_event("po-b-1002", *amox[:4], 2))
    post_signed(client, _order_event("po-b-1003", *ibu[:4], 8))


def test_list_oversold_filter_and_detail(page, login, pharmacy_admin, screenshot, inventory):
    pharmacy_admin.is_staff = True
    pharmacy_admin.save()
    login(pharmacy_admin)

    page.goto("/inventory/")
    table = page.get_by_role("table")
    expect(table).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(1 + len(SKUS))
    expect(page.get_by_role("link", name=re.compile(r"^Oversold"))).to_contain_text("1")
    screenshot("inventory_list")

    page.get_by_role("link", name=re.compile(r"^Oversold")).click()
    expect(page).to_have_url(re.compile(r"status=oversold"))
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("Amoxicillin")
    expect(rows.nth(1)).to_contain_text("-3")
    expect(rows.nth(1).locator(".badge-danger")).to_have_text("Oversold")

    page.get_by_role("link", name="Amoxicillin").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Amoxicillin")
    expect(page.get_by_role("heading", name="Reconciliation")).to_be_visible()
    expect(page.locator(".inv-recon")).to_contain_text("Mismatch")
    orders = page.get_by_role("region", name=re.compile("Open orders"))
    expect(orders.get_by_role("link")).to_have_count(2)

    page.get_by_label("New stock").fill("10")
    page.get_by_label("Reason").fill("Delivery from wholesaler counted in")
    page.get_by_role("button", name="Set stock").click()
    expect(page.get_by_role("status")).to_contain_text("Stock set to 10")
    ledger = page.get_by_role("region", name=re.compile("Ledger"))
    first_entry = ledger.get_by_role("row").nth(1)
    expect(first_entry).to_contain_text("Staff adjustment")
    expect(first_entry).to_contain_text("Delivery from wholesaler counted in")
    expect(page.locator(".inv-figure").nth(2)).to_contain_text("4")
    screenshot("inventory_detail")

    page.set_viewport_size({"width": 800, "height": 1000})
    page.goto("/inventory/")
    expect(page.get_by_role("table")).to_be_visible()
    screenshot("inventory_list_tablet")
