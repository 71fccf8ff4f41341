"""A staff adjustment racing a stock webhook on the same SKU (PostgreSQL row locks).

Whatever order the two take the row lock in, both are in the ledger and the stock figure is
the newer one by time: RxScale's `updated_at` against the moment of the adjustment.
"""

import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client

from inventory.models import PharmacySku, StockLedgerEntry
from inventory.services import pharmacy_sku_adjust_stock
from tests.conftest import post_signed
from tests.inventory.conftest import T0

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def _in_thread(target, errors: list):
    def run():
        try:
            target()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    return threading.Thread(target=run)


def _race(*, adjuster, webhook_event, gate_seconds: float = 0.3) -> dict:
    """Hold the SKU row, let the adjustment and the webhook queue up on it, then release.

    Returns the finish order. Each thread has its own database connection.
    """
    barrier = threading.Barrier(3)
    errors: list = []
    finished: list[str] = []

    def gate():
        with transaction.atomic():
            PharmacySku.objects.select_for_update().get(uid="psku-a")
            barrier.wait(timeout=10)
            time.sleep(gate_seconds)  # both contenders are now blocked on the row lock

    def adjust():
        barrier.wait(timeout=10)
        pharmacy_sku_adjust_stock(
            pharmacy_sku=PharmacySku.objects.get(uid="psku-a"),
            new_stock=30,
            reason="Counted during the race",
            user=adjuster,
        )
        finished.append("adjustment")

    def webhook():
        barrier.wait(timeout=10)
        response = post_signed(Client(), webhook_event)
        assert response.status_code == 200
        finished.append("webhook")

    threads = [_in_thread(target, errors) for target in (gate, adjust, webhook)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]
    return {"order": finished}


@pytest.fixture
def sku_a(stock_event):
    response = post_signed(Client(), stock_event(updated_at=T0, stock=45, reserved=7))
    assert response.status_code == 200
    return PharmacySku.objects.get(uid="psku-a")


def _ledger() -> dict[str, StockLedgerEntry]:
    entries = StockLedgerEntry.objects.filter(pharmacy_sku__uid="psku-a").exclude(
        reason="First seen"
    )
    by_cause = {entry.cause: entry for entry in entries}
    assert len(by_cause) == entries.count() == 2
    return by_cause


@pytest.mark.parametrize("attempt", range(3))
def test_adjustment_newer_than_the_webhook_wins(sku_a, stock_event, pharmacy_admin, attempt):
    # RxScale's snapshot (a completed order: stock 44, reserved 6) dates from before the count.
    event = stock_event(updated_at=int(time.time()) - 30, stock=44, reserved=6)

    _race(adjuster=pharmacy_admin, webhook_event=event)

    sku = PharmacySku.objects.get(uid="psku-a")
    assert (sku.stock, sku.reserved_amount, sku.available) == (30, 6, 24)
    ledger = _ledger()
    adjustment, webhook = ledger["staff_adjustment"], ledger["stock_webhook"]
    assert adjustment.changes["stock"]["new"] == 30
    assert adjustment.user == pharmacy_admin
    assert webhook.changes["reserved_amount"] == {"old": 7, "new": 6}
    # The webhook's stock is on record either way: applied before the adjustment, or kept
    # as superseded after it.
    webhook_stock = (
        webhook.changes.get("stock", {}).get("new") or webhook.superseded["stock"]["value"]
    )
    assert webhook_stock == 44


@pytest.mark.parametrize("attempt", range(3))
def test_webhook_newer_than_the_adjustment_wins(sku_a, stock_event, pharmacy_admin, attempt):
    # RxScale's snapshot is dated after the adjustment happens.
    event = stock_event(updated_at=int(time.time()) + 600, stock=31, reserved=6)

    _race(adjuster=pharmacy_admin, webhook_event=event)

    sku = PharmacySku.objects.get(uid="psku-a")
    assert (sku.stock, sku.reserved_amount) == (31, 6)
    ledger = _ledger()
    adjustment, webhook = ledger["staff_adjustment"], ledger["stock_webhook"]
    assert webhook.delivery is not None
    adjusted = (
        adjustment.changes.get("stock", {}).get("new") or adjustment.superseded["stock"]["value"]
    )
    assert adjusted == 30
    assert adjustment.reason == "Counted during the race"


def test_the_webhook_waits_for_an_adjustment_holding_the_row(sku_a, stock_event, pharmacy_admin):
    barrier = threading.Barrier(2)
    errors: list = []
    moments: dict[str, float] = {}
    event = stock_event(updated_at=int(time.time()) - 30, stock=44, reserved=6)

    def adjust():
        with transaction.atomic():
            PharmacySku.objects.select_for_update().get(uid="psku-a")
            barrier.wait(timeout=10)
            time.sleep(0.3)
            pharmacy_sku_adjust_stock(
                pharmacy_sku=PharmacySku.objects.get(uid="psku-a"),
                new_stock=30,
                reason="Count",
                user=pharmacy_admin,
            )
            moments["adjusted"] = time.monotonic()

    def webhook():
        barrier.wait(timeout=10)
        post_signed(Client(), event)
        moments["webhook"] = time.monotonic()

    threads = [_in_thread(adjust, errors), _in_thread(webhook, errors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors

    assert moments["webhook"] > moments["adjusted"]
    sku = PharmacySku.objects.get(uid="psku-a")
    assert (sku.stock, sku.reserved_amount) == (30, 6)
    webhook_entry = _ledger()["stock_webhook"]
    assert webhook_entry.superseded["stock"]["value"] == 44
    assert webhook_entry.changes == {"reserved_amount": {"old": 7, "new": 6}}
