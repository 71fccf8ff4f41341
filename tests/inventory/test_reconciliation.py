"""Reconciliation: RxScale's reserved_amount against the amounts on our open orders.

All data arrives as signed webhooks, with known mismatches built in.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.selectors import (
    pharmacy_sku_list,
    pharmacy_skus_with_figures,
)
from pharmacy_orders.models import PharmacyOrder
from tests.inventory.conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def known_mismatches(deliver, stock_event, order_event, payload):
    # a: two open orders (2 + 3) and RxScale reserves 5: in step.
    deliver(order_event("po-1", [("a", 2), ("b", 1)]))
    deliver(order_event("po-2", [("a", 3)], status="in-progress"))
    deliver(stock_event("a", stock=20, reserved=5))
    # b: RxScale reserves 4, we hold 1 open: an order webhook we never got.
    deliver(stock_event("b", stock=20, reserved=4))
    # c: our order was completed, closed orders do not count; RxScale still reserves 2
    #    (its stock event after completion is missing).
    deliver(order_event("po-3", [("c", 2)]))
    deliver(
        order_event(
            "po-3",
            [("c", 2)],
            status="completed",
            updated_at=T0 + 60,
            event_type="pharmacy_order_updated",
        )
    )
    deliver(stock_event("c", stock=9, reserved=2))
    # d: cancelled and soft-deleted orders do not reserve; RxScale agrees (0).
    deliver(order_event("po-4", [("d", 7)], status="cancelled"))
    deleted = order_event("po-5", [("d", 1)])
    deleted["data"]["deleted_at"] = T0
    deliver(deleted)
    deliver(stock_event("d", stock=3, reserved=0))
    # e: an open order on hold for 2, RxScale reserves 0: its reservation event is missing.
    deliver(order_event("po-6", [("e", 2)], status="on-hold"))
    deliver(stock_event("e", stock=1, reserved=0))


def figures():
    return {
        sku.uid: (sku.reserved_amount, sku.open_order_amount, sku.reserved_difference)
        for sku in pharmacy_skus_with_figures()
    }


def test_figures_per_sku(known_mismatches):
    assert PharmacyOrder.objects.get(uid="po-5").rx_deleted_at is not None
    assert figures() == {
        "psku-a": (5, 5, 0),
        "psku-b": (4, 1, 3),
        "psku-c": (2, 0, 2),
        "psku-d": (0, 0, 0),
        "psku-e": (0, 2, -2),
    }


def test_mismatch_filter_shows_exactly_the_differing_skus(known_mismatches):
    assert [sku.uid for sku in pharmacy_sku_list(status="mismatch", sort="pzn")] == sorted(
        ["psku-b", "psku-c", "psku-e"],
        key=lambda uid: pharmacy_skus_with_figures().get(uid=uid).sku.pzn,
    )


def test_figures_come_in_one_query(known_mismatches):
    with CaptureQueriesContext(connection) as queries:
        rows = list(pharmacy_sku_list(sort="-difference"))

    assert len(queries) == 1
    assert [row.uid for row in rows][:2] == ["psku-b", "psku-c"]
    assert rows[-1].uid == "psku-e"


def test_closing_an_order_resolves_the_mismatch_when_rxscale_agrees(
    known_mismatches, deliver, stock_event, order_event
):
    deliver(
        order_event(
            "po-6",
            [("e", 2)],
            status="cancelled",
            updated_at=T0 + 60,
            event_type="pharmacy_order_updated",
        )
    )

    assert figures()["psku-e"] == (0, 0, 0)
