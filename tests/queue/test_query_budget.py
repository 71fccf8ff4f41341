"""Query budget of one order delivery (issue 7): every update repeats the whole order, so an
update that changes little must stay cheap, and a new order of known products must be too.
Counts statements, not time."""

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pharmacy_orders.models import PharmacyOrder
from rxscale.inbox.processing import delivery_process_now
from tests.conftest import post_signed
from tests.webhooks.helpers import Status, delivery_of

pytestmark = pytest.mark.django_db

UPDATE_BUDGET = 15
# A first delivery as the bench counts it: every statement but BEGIN/COMMIT/ROLLBACK (so the
# tests run in real transactions, where the test transaction's savepoints would stand for
# them). With everything new (order, pharmacy, products, SKUs, pharmacy SKUs and their
# ledger) too: issue 7's "an order delivery takes at most 15 queries" holds for every kind.
FIRST_BUDGET = 15
FIRST_ALL_NEW_BUDGET = 15


def _with_items(body: dict, count: int) -> dict:
    """The sample order with `count` items, each its own item, SKU, product, pharmacy SKU."""
    body = copy.deepcopy(body)
    template = body["data"]["order_items"][0]
    items = []
    for n in range(count):
        item = copy.deepcopy(template)
        item["uid"] = f"{template['uid']}-{n}"
        item["sku"]["uid"] = f"{template['sku']['uid']}-{n}"
        item["sku"]["product_uid"] = f"{template['sku']['product_uid']}-{n}"
        item["pharmacy_sku"]["uid"] = f"{template['pharmacy_sku']['uid']}-{n}"
        items.append(item)
    body["data"]["order_items"] = items
    return body


def _store(client, body: dict) -> int:
    delivery = delivery_of(post_signed(client, body))
    assert delivery.status == Status.RECEIVED  # durable mode: stored, not applied yet
    return delivery.pk


def _process(delivery_id: int) -> tuple[str | None, int]:
    with CaptureQueriesContext(connection) as queries:
        status = delivery_process_now(delivery_id=delivery_id)
    return status, len(queries)


@pytest.mark.parametrize("items", [1, 3])
def test_an_order_update_stays_within_the_query_budget(
    durable, client, payload, django_assert_max_num_queries, items
):
    # given an order with items, a PDF and shipping methods, created by a first delivery
    created = _store(client, _with_items(payload("pharmacy_order_created"), items))
    status, create_count = _process(created)
    assert status == Status.PROCESSED
    print(f"create {items} items: {create_count} queries")
    update = _store(
        client, _with_items(payload("pharmacy_order_updated", status="in-progress"), items)
    )

    # when RxScale sends the whole order again with a new status
    with django_assert_max_num_queries(UPDATE_BUDGET) as queries:
        status = delivery_process_now(delivery_id=update)

    # then it is applied in at most the budget
    print(f"update {items} items: {len(queries)} queries")
    assert status == Status.PROCESSED
    order = PharmacyOrder.objects.get()
    assert (order.status, order.items.count()) == ("in-progress", items)
    assert order.current_prescription is not None


def _statements(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if not q["sql"].lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))
    ]


def _with_order_uid(body: dict, uid: str) -> dict:
    body = copy.deepcopy(body)
    body["data"]["uid"] = uid
    return body


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("items", [1, 3])
def test_a_first_delivery_stays_within_the_query_budget(durable, client, payload, items):
    # given the pharmacy, products, SKUs and pharmacy SKUs known from another order
    body = _with_items(payload("pharmacy_order_created"), items)
    first = _store(client, body)
    with CaptureQueriesContext(connection) as all_new:
        assert delivery_process_now(delivery_id=first) == Status.PROCESSED
    all_new = _statements(all_new)  # now: the next request resets the connection's log
    print(f"first {items} items, all new: {len(all_new)} queries")
    second = _store(client, _with_order_uid(body, "po-second"))

    # when RxScale sends a new order of the same products
    with CaptureQueriesContext(connection) as queries:
        status = delivery_process_now(delivery_id=second)

    # then it is created in at most the budget
    known = _statements(queries)
    print(f"first {items} items, known catalogue: {len(known)} queries")
    assert status == Status.PROCESSED
    assert len(known) <= FIRST_BUDGET, "\n".join(known)
    assert len(all_new) <= FIRST_ALL_NEW_BUDGET, "\n".join(all_new)
    order = PharmacyOrder.objects.get(uid="po-second")
    assert (order.status, order.items.count()) == ("init", items)
    assert order.current_prescription is not None
    assert order.status_changes.count() == 1
