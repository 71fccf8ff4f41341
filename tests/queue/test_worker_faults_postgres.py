"""Workers as real processes on PostgreSQL: SIGKILLed mid-delivery, their connection
terminated mid-delivery, or never woken. Every delivery still ends applied, exactly once."""

import pytest
from django.db import connection
from django.test import Client

from pharmacy_orders.models import OrderStatusChange, PharmacyOrder
from rxscale.models import WebhookDelivery
from tests.conftest import post_signed
from tests.queue.workers import (
    RowLock,
    kill,
    nothing_pending,
    start_worker,
    stop,
    terminate_backend,
    wait_for,
    worker_backends_waiting_on_a_lock,
)
from tests.webhooks.helpers import Status, delivery_of

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

ORDER_TABLE = PharmacyOrder._meta.db_table


@pytest.fixture
def workers():
    started = []

    def _start(*args, **env):
        process = start_worker(*args, **env)
        started.append(process)
        return process

    yield _start
    for process in started:
        stop(process)


@pytest.fixture
def existing_order(durable, payload, workers):
    """An order already applied, so that an update for it must lock its row."""
    post_signed(Client(), payload("pharmacy_order_created", updated_at=1_700_000_000))
    worker = workers("--until-idle")
    worker.wait()
    assert PharmacyOrder.objects.get().status == "init"
    return PharmacyOrder.objects.get()


def _update_held_by_a_worker(payload, workers, existing_order):
    """Send an update, let a worker claim it and block on the order row we hold."""
    lock = RowLock(f"SELECT 1 FROM {ORDER_TABLE} WHERE id = %s FOR UPDATE", [existing_order.pk])
    update = payload("pharmacy_order_updated", updated_at=1_700_000_100)
    delivery = delivery_of(post_signed(Client(), update))
    worker = workers()
    wait_for(lambda: worker_backends_waiting_on_a_lock(), "the worker blocked on the order row")
    return lock, delivery, worker


def test_a_worker_killed_holding_a_delivery_is_replaced_and_it_is_applied_once(
    durable, payload, workers, existing_order
):
    # given a worker in the middle of applying an update (blocked on the order's row lock)
    lock, delivery, worker = _update_held_by_a_worker(payload, workers, existing_order)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.RECEIVED, 1)
    assert delivery.leased_by

    # when it is SIGKILLed there, and the row lock goes away
    kill(worker)
    lock.release()

    # then another worker takes the row once the dead one's lease runs out, and applies it
    workers()
    wait_for(nothing_pending, "the delivery to be final")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.PROCESSED, 2)
    order = PharmacyOrder.objects.get()
    assert order.status == "in-progress"
    # exactly once: one history row for this delivery
    assert OrderStatusChange.objects.filter(delivery=delivery).count() == 1


def test_a_connection_terminated_mid_delivery_ends_processed(
    durable, payload, workers, existing_order
):
    # given a worker in the middle of applying an update
    lock, delivery, worker = _update_held_by_a_worker(payload, workers, existing_order)
    (backend,) = worker_backends_waiting_on_a_lock()

    # when its database connection is terminated there (this test database's backend only)
    terminate_backend(backend)
    lock.release()

    # then the same worker reconnects, retries, and the delivery ends processed, once
    wait_for(nothing_pending, "the delivery to be final")
    delivery.refresh_from_db()
    assert delivery.status == Status.PROCESSED
    assert delivery.attempts == 2
    assert worker.poll() is None  # the worker lived through it
    assert OrderStatusChange.objects.filter(delivery=delivery).count() == 1
    assert PharmacyOrder.objects.get().status == "in-progress"


def test_a_lost_wake_up_is_picked_up_by_the_worker_poll(durable, payload, workers):
    # given deliveries committed while no worker was running (their wake-ups went nowhere)
    ids = [
        delivery_of(post_signed(Client(), payload("pharmacy_order_created", uid=f"po-{i}"))).pk
        for i in range(3)
    ]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.RECEIVED}

    # when a worker starts later
    workers()

    # then it finds them by polling the rows
    wait_for(nothing_pending, "the deliveries to be final")
    assert set(WebhookDelivery.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.PROCESSED
    }
    assert PharmacyOrder.objects.count() == 3
