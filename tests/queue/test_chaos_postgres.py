"""Chaos: a few hundred deliveries with repeats and reordering, two workers that get
SIGKILLed and restarted, and one terminated connection. At the end every order and SKU is at
its newest snapshot, no row is left unfinished, and no effect was applied twice.

Run with `make test-faults` (also part of .ci/run); excluded from `make test` for its length.
"""

import random

import pytest
from django.db import connection
from django.db.models import Count
from django.test import Client

from inventory.models import PharmacySku, StockLedgerEntry
from pharmacy_orders.models import OrderStatusChange, PharmacyOrder
from rxscale.models import WebhookDelivery
from tests.conftest import post_signed
from tests.queue.workers import (
    kill,
    nothing_pending,
    start_worker,
    stop,
    terminate_backend,
    wait_for,
    worker_backends,
)
from tests.webhooks.helpers import Status, ts

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

ORDERS, ORDER_VERSIONS = 40, 4
SKUS, SKU_VERSIONS = 20, 5
STATUSES = ["waiting for pharmacy", "pending review", "in-progress", "ready_for_pickup"]
BASE = 1_750_000_000


def _deliveries(payload) -> tuple[list[dict], dict, dict]:
    """Every version of every subject, 20% sent twice, all shuffled; and the newest of each."""
    bodies, newest_order, newest_stock = [], {}, {}
    for n in range(ORDERS):
        uid = f"po-chaos-{n}"
        for version in range(ORDER_VERSIONS):
            event = "pharmacy_order_created" if version == 0 else "pharmacy_order_updated"
            status = STATUSES[version]
            bodies.append(payload(event, uid=uid, status=status, updated_at=BASE + version))
        newest_order[uid] = (STATUSES[ORDER_VERSIONS - 1], ts(BASE + ORDER_VERSIONS - 1))
    for n in range(SKUS):
        uid = f"psku-chaos-{n}"
        for version in range(SKU_VERSIONS):
            bodies.append(
                payload(
                    "pharmacy_sku_stock_updated",
                    uid=uid,
                    stock=10 + version,
                    reserved_amount=version,
                    updated_at=BASE + version,
                )
            )
        newest_stock[uid] = (10 + SKU_VERSIONS - 1, SKU_VERSIONS - 1)
    rng = random.Random(7)  # reproducible chaos
    bodies += rng.sample(bodies, len(bodies) // 5)
    rng.shuffle(bodies)
    return bodies, newest_order, newest_stock


def _processed_share(total: int) -> float:
    return 1 - WebhookDelivery.objects.filter(status__in=["received", "retrying"]).count() / total


def test_chaos_ends_with_every_subject_newest_and_nothing_doubled(durable, payload):
    bodies, newest_order, newest_stock = _deliveries(payload)
    client = Client()
    for body in bodies:
        assert post_signed(client, body).status_code == 200
    total = WebhookDelivery.objects.count()

    workers = [start_worker(), start_worker()]
    try:
        # Kill a worker at three points of the drain and start a fresh one each time.
        for share in (0.2, 0.45, 0.7):
            wait_for(lambda s=share: _processed_share(total) >= s or nothing_pending(), "progress")
            kill(workers[0])
            workers[0] = start_worker()
        # Cut one worker connection mid-drain (this test database's backends only).
        wait_for(lambda: _processed_share(total) >= 0.8 or nothing_pending(), "more progress")
        backends = worker_backends()
        if backends:
            terminate_backend(backends[0])
        wait_for(nothing_pending, "every delivery to be final")
    finally:
        for process in workers:
            stop(process)

    # Nothing unfinished, nothing failed.
    statuses = dict(
        WebhookDelivery.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    assert set(statuses) <= {Status.PROCESSED, Status.STALE}, statuses
    # Every subject at its newest snapshot.
    orders = {o.uid: (o.status, o.rx_updated_at) for o in PharmacyOrder.objects.all()}
    assert orders == newest_order
    skus = {s.uid: (s.stock, s.reserved_amount) for s in PharmacySku.objects.all()}
    assert {uid: skus[uid] for uid in newest_stock} == newest_stock
    # No effect twice: at most one history row and one ledger entry per delivery.
    for model in (OrderStatusChange, StockLedgerEntry):
        doubled = (
            model.objects.exclude(delivery=None)
            .values("delivery")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert not doubled.exists(), model.__name__
    # And no status history entry repeats the transition before it.
    for uid in newest_order:
        steps = list(
            OrderStatusChange.objects.filter(order__uid=uid).values_list("from_status", "to_status")
        )
        assert all(a != b for a, b in zip(steps, steps[1:], strict=False)), (uid, steps)
