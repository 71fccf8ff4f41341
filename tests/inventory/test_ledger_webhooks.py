"""The stock ledger, fed through real signed webhooks over HTTP."""

import time

import pytest

from inventory.models import PharmacySku, StockLedgerEntry
from inventory.services import pharmacy_sku_adjust_stock
from rxscale.models import WebhookDelivery
from tests.inventory.conftest import T0

pytestmark = pytest.mark.django_db


def entries(uid: str = "psku-a"):
    return list(StockLedgerEntry.objects.filter(pharmacy_sku__uid=uid).order_by("id"))


def test_first_stock_event_creates_the_sku_with_one_entry(deliver, stock_event):
    deliver(stock_event(stock=45, reserved=7))

    sku = PharmacySku.objects.get(uid="psku-a")
    assert (sku.stock, sku.reserved_amount, sku.available) == (45, 7, 38)
    [entry] = entries()
    assert entry.cause == StockLedgerEntry.Cause.STOCK_WEBHOOK
    assert entry.changes["stock"] == {"old": None, "new": 45}
    assert entry.delivery == WebhookDelivery.objects.get()


def test_changed_delivery_adds_an_entry_with_old_and_new(deliver, stock_event):
    deliver(stock_event(stock=45, reserved=7))

    deliver(stock_event(updated_at=T0 + 60, stock=44, reserved=9))

    last = entries()[-1]
    assert last.changes == {
        "stock": {"old": 45, "new": 44},
        "reserved_amount": {"old": 7, "new": 9},
    }
    assert last.effective_at.timestamp() == T0 + 60
    assert last.delivery.status == WebhookDelivery.Status.PROCESSED


def test_repeated_delivery_adds_no_entry(deliver, stock_event):
    event = stock_event(stock=45)
    deliver(event)

    response = deliver(event)

    assert response.status_code == 200
    assert response.json().get("duplicate") is True
    assert len(entries()) == 1
    assert WebhookDelivery.objects.count() == 1


def test_unchanged_delivery_adds_no_entry_and_leaves_the_row_alone(deliver, stock_event):
    deliver(stock_event(stock=45, reserved=7))
    before = PharmacySku.objects.get(uid="psku-a").updated_at

    # Same snapshot, different bytes (a later envelope timestamp): a new delivery, no change.
    same = stock_event(stock=45, reserved=7)
    same["timestamp"] = T0 + 5
    deliver(same)
    assert PharmacySku.objects.get(uid="psku-a").updated_at == before
    # A newer snapshot with the same figures only moves the snapshot time.
    deliver(stock_event(updated_at=T0 + 60, stock=45, reserved=7))

    assert WebhookDelivery.objects.count() == 3
    assert len(entries()) == 1
    assert PharmacySku.objects.get(uid="psku-a").rx_updated_at.timestamp() == T0 + 60


def test_stale_delivery_out_of_order_changes_nothing(deliver, stock_event):
    deliver(stock_event(updated_at=T0, stock=45))
    deliver(stock_event(updated_at=T0 + 120, stock=40, reserved=2))

    deliver(stock_event(updated_at=T0 + 60, stock=43, reserved=1))  # arrives late

    sku = PharmacySku.objects.get(uid="psku-a")
    assert (sku.stock, sku.reserved_amount) == (40, 2)
    assert len(entries()) == 2
    assert WebhookDelivery.objects.order_by("-id").first().status == WebhookDelivery.Status.STALE


def test_negative_available_is_stored_as_is(deliver, stock_event):
    deliver(stock_event(stock=2, reserved=6))

    sku = PharmacySku.objects.get(uid="psku-a")
    assert sku.available == -4
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PROCESSED


def test_webhook_older_than_an_adjustment_keeps_the_adjusted_stock_on_record(
    deliver, stock_event, pharmacy_admin
):
    deliver(stock_event(updated_at=T0, stock=45, reserved=7))
    pharmacy_sku_adjust_stock(
        pharmacy_sku=PharmacySku.objects.get(uid="psku-a"),
        new_stock=30,
        reason="Counted",
        user=pharmacy_admin,
    )

    # RxScale's snapshot is newer than the last one but older than the adjustment.
    deliver(stock_event(updated_at=T0 + 60, stock=44, reserved=8))

    sku = PharmacySku.objects.get(uid="psku-a")
    assert (sku.stock, sku.reserved_amount) == (30, 8)
    last = entries()[-1]
    assert last.changes == {"reserved_amount": {"old": 7, "new": 8}}
    assert last.superseded["stock"]["value"] == 44


def test_superseded_stock_alone_is_recorded_once(deliver, stock_event, pharmacy_admin):
    deliver(stock_event(updated_at=T0, stock=45))
    pharmacy_sku_adjust_stock(
        pharmacy_sku=PharmacySku.objects.get(uid="psku-a"),
        new_stock=30,
        reason="Counted",
        user=pharmacy_admin,
    )
    newer = stock_event(updated_at=T0 + 60, stock=44)
    deliver(newer)
    again = stock_event(updated_at=T0 + 60, stock=44)
    again["timestamp"] = T0 + 61  # same snapshot, new bytes
    deliver(again)

    causes = [(e.cause, e.changes, bool(e.superseded)) for e in entries()]
    assert causes[1:] == [
        ("staff_adjustment", {"stock": {"old": 45, "new": 30}}, False),
        ("stock_webhook", {}, True),
    ]


def test_webhook_newer_than_an_adjustment_wins(deliver, stock_event, pharmacy_admin):
    deliver(stock_event(updated_at=T0, stock=45))
    pharmacy_sku_adjust_stock(
        pharmacy_sku=PharmacySku.objects.get(uid="psku-a"),
        new_stock=30,
        reason="Counted",
        user=pharmacy_admin,
    )

    deliver(stock_event(updated_at=int(time.time()) + 3600, stock=31))

    assert PharmacySku.objects.get(uid="psku-a").stock == 31
    assert entries()[-1].changes == {"stock": {"old": 30, "new": 31}}


def test_order_webhook_creating_a_sku_is_ledgered_once(deliver, order_event):
    event = order_event("po-1", [("a", 2)])
    deliver(event)
    updated = order_event("po-1", [("a", 2)], updated_at=T0 + 60, status="in-progress")
    deliver(updated)

    [entry] = entries()
    assert entry.cause == StockLedgerEntry.Cause.ORDER_WEBHOOK
    assert entry.changes["stock"] == {"old": None, "new": 50}  # as the order carried it
