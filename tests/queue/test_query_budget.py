"""Query budget of one order delivery (issue 7): every update repeats the whole order, so an
update that changes little must stay cheap. Counts statements, not time."""

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pharmacy_orders.models import PharmacyOrder
from pharmacy_orders.webhooks.processing import delivery_process_now
from tests.conftest import post_signed
from tests.webhooks.helpers import Status, delivery_of

pytestmark = pytest.mark.django_db

UPDATE_BUDGET = 15


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
