"""The worker in durable mode, on SQLite and PostgreSQL: rows wait for it, it applies them,
retries transient failures with backoff, gives up on a row that never finishes."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from inventory.models import PharmacySku
from pharmacy_orders.models import OrderStatusChange, PharmacyOrder
from rxscale.models import WebhookDelivery
from tests.conftest import post_signed
from tests.faults import fault_on_insert
from tests.webhooks.helpers import Status, delivery_of

pytestmark = pytest.mark.django_db
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="transient faults are PostgreSQL error codes"
)


def _work(*args: str) -> None:
    call_command("run_worker", "--until-idle", *args, stdout=StringIO())


def test_a_stored_delivery_waits_for_a_worker_then_is_applied(durable, client, payload):
    # given a delivery stored in durable mode: nothing but the row exists (no task anywhere)
    response = post_signed(client, payload("pharmacy_order_created"))
    delivery = delivery_of(response)
    assert (response.status_code, delivery.status) == (200, Status.RECEIVED)
    assert delivery.next_attempt_at is not None
    assert not PharmacyOrder.objects.exists()

    # when a worker runs
    _work()

    # then it claimed the row and applied it, and let go of the lease
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.PROCESSED, 1)
    assert (delivery.lease_expires_at, delivery.leased_by) == (None, "")
    assert PharmacyOrder.objects.get().uid == "po-abc123"


def test_a_repeat_of_a_waiting_delivery_adds_no_row_and_it_is_applied_once(
    durable, client, payload
):
    body = payload("pharmacy_sku_stock_updated")
    first = post_signed(client, body)
    repeat = post_signed(client, body)

    _work()

    assert repeat.json() == {"id": first.json()["id"], "status": "received", "duplicate": True}
    assert WebhookDelivery.objects.get().status == Status.PROCESSED
    assert PharmacySku.objects.get().stock == 45


def test_a_row_held_by_a_live_lease_is_left_alone(durable, client, payload):
    # given a row another worker holds right now
    delivery = delivery_of(post_signed(client, payload("pharmacy_sku_stock_updated")))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        leased_by="other:1:abc", lease_expires_at=timezone.now() + timedelta(minutes=5)
    )

    _work()

    # then this worker does not touch it
    delivery.refresh_from_db()
    assert (delivery.status, delivery.leased_by) == (Status.RECEIVED, "other:1:abc")


def test_a_row_whose_worker_died_is_taken_once_its_lease_ran_out(durable, client, payload):
    # given a row claimed by a worker that died (its lease ran out, its attempt never ended)
    delivery = delivery_of(post_signed(client, payload("pharmacy_order_created")))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        leased_by="dead:1:abc", lease_expires_at=timezone.now() - timedelta(seconds=1), attempts=1
    )

    _work()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.PROCESSED, 2)
    assert OrderStatusChange.objects.count() == 1


def test_a_row_that_never_finishes_is_failed_after_the_attempt_limit(
    durable, client, payload, settings
):
    # given a row every worker died on (the crash loop of a poison payload)
    settings.WORK_QUEUE_MAX_ATTEMPTS = 3
    delivery = delivery_of(post_signed(client, payload("pharmacy_order_created")))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=3)

    _work()

    # then it is failed and says why, instead of being claimed for ever
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.error.startswith("Gave up after 3 attempts")
    assert not PharmacyOrder.objects.exists()


@needs_postgres
def test_a_transient_failure_is_retried_and_then_applied(durable, client, payload, settings):
    # given a deadlock on the first attempt
    settings.WORK_QUEUE_RETRY_BASE_SECONDS = 60
    with fault_on_insert(OrderStatusChange._meta.db_table, transient=True):
        delivery = delivery_of(post_signed(client, payload("pharmacy_order_created")))
        _work()
        delivery.refresh_from_db()
        # then the row waits to retry, with the error kept and nothing applied
        assert (delivery.status, delivery.attempts) == (Status.RETRYING, 1)
        assert "injected fault" in delivery.error
        assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=30)
        assert not PharmacyOrder.objects.exists()

    # when the backoff has passed and the cause is gone
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    _work()

    # then it is applied, once
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == (Status.PROCESSED, 2, "")
    assert OrderStatusChange.objects.count() == 1


@needs_postgres
def test_transient_failures_stop_at_the_attempt_limit_and_show(durable, client, payload, settings):
    settings.WORK_QUEUE_MAX_ATTEMPTS = 3
    with fault_on_insert(OrderStatusChange._meta.db_table, transient=True):
        delivery = delivery_of(post_signed(client, payload("pharmacy_order_created")))
        _work()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.FAILED, 3)
    assert "injected fault" in delivery.error
    assert "Traceback" in delivery.traceback


def test_snapshots_of_one_order_in_one_batch_apply_newest_first(durable, client, payload):
    # given an order, then three newer snapshots of it waiting, oldest first
    created = payload("pharmacy_order_created")
    post_signed(client, created)
    _work()
    base = created["data"]["updated_at"]
    waiting = [
        delivery_of(
            post_signed(
                client, payload("pharmacy_order_updated", status=status, updated_at=base + n)
            )
        ).pk
        for n, status in enumerate(["pending review", "in-progress", "on-hold"], start=1)
    ]

    # when one worker claims them in one batch
    _work("--batch", "10")

    # then the newest is applied first and the older two are stale: the order went straight
    # to the newest status, as if RxScale had sent that one alone
    statuses = dict(WebhookDelivery.objects.filter(pk__in=waiting).values_list("pk", "status"))
    assert [statuses[pk] for pk in waiting] == [Status.STALE, Status.STALE, Status.PROCESSED]
    order = PharmacyOrder.objects.get()
    assert order.status == "on-hold"
    changes = order.status_changes.order_by("id").values_list("to_status", flat=True)
    assert list(changes) == [created["data"]["status"], "on-hold"]


def test_a_worker_takes_the_whole_backlog_of_an_order_it_claims(durable, client, payload):
    # given an order, then three newer snapshots of it waiting behind another order's delivery
    created = payload("pharmacy_order_created")
    post_signed(client, created)
    _work()
    base = created["data"]["updated_at"]
    first = delivery_of(
        post_signed(
            client, payload("pharmacy_order_updated", status="pending review", updated_at=base + 1)
        )
    ).pk
    post_signed(client, payload("pharmacy_order_created", uid="po-other"))
    later = [
        delivery_of(
            post_signed(
                client, payload("pharmacy_order_updated", status=status, updated_at=base + n)
            )
        ).pk
        for n, status in enumerate(["in-progress", "on-hold"], start=2)
    ]

    # when a worker claims batches of one: the first batch holds only the oldest snapshot
    _work("--batch", "1")

    # then it took the order's later snapshots along, applied the newest, and the rest were
    # stale; the other order was applied too
    statuses = dict(
        WebhookDelivery.objects.filter(pk__in=[first, *later]).values_list("pk", "status")
    )
    assert [statuses[pk] for pk in [first, *later]] == [
        Status.STALE,
        Status.STALE,
        Status.PROCESSED,
    ]
    assert PharmacyOrder.objects.get(uid="po-abc123").status == "on-hold"
    assert PharmacyOrder.objects.filter(uid="po-other").exists()


def test_when_the_newest_snapshot_fails_the_next_newest_is_applied(durable, client, payload):
    # given an order, then two newer snapshots waiting, the newest of them broken
    created = payload("pharmacy_order_created")
    post_signed(client, created)
    _work()
    base = created["data"]["updated_at"]
    good = post_signed(
        client, payload("pharmacy_order_updated", status="in-progress", updated_at=base + 1)
    )
    broken = payload("pharmacy_order_updated", status="on-hold", updated_at=base + 2)
    broken["data"]["order_items"][0]["amount"] = "one"
    bad = post_signed(client, broken)

    # when one worker takes both in one batch
    _work("--batch", "10")

    # then the broken one failed and the older, valid one was applied, not skipped
    assert delivery_of(bad).status == Status.FAILED
    assert delivery_of(good).status == Status.PROCESSED
    assert PharmacyOrder.objects.get().status == "in-progress"
