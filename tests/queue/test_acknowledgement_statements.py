"""Statements per acknowledgement in durable mode (issue 7: the acknowledgement must keep up
with a floor endpoint that runs one INSERT). Counts statements, not time. Transactional tests:
the request runs in autocommit, as in production, not inside a test's transaction."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.tasks_backend import WORK_QUEUE_CHANNEL
from tests.conftest import post_signed
from tests.webhooks.helpers import Status, answer

pytestmark = pytest.mark.django_db(transaction=True)


def _acknowledge(client, body) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = post_signed(client, body)
    assert response.status_code == 200
    return answer(response), [query["sql"].split()[0].upper() for query in queries]


def _wake() -> list[str]:
    """Waking the workers is a NOTIFY on PostgreSQL; elsewhere they poll."""
    return ["SELECT"] if connection.vendor == "postgresql" else []


def test_a_delivery_without_a_pdf_is_one_insert_with_no_transaction_around_it(
    durable, client, payload
):
    # when a stock update is acknowledged
    body = payload("pharmacy_sku_stock_updated")
    reply, statements = _acknowledge(client, body)

    # then the INSERT commits by itself: no BEGIN and COMMIT round trips
    assert statements == ["INSERT", *_wake()]
    assert reply["status"] == Status.RECEIVED
    # and a repeat of the same bytes is still found by the unique key, adding nothing
    again, _ = _acknowledge(client, body)
    assert (again["id"], again["duplicate"]) == (reply["id"], True)


def test_a_delivery_with_a_pdf_commits_with_its_document_row(durable, client, payload):
    # given an order whose PDF is stored already (every update repeats it)
    _acknowledge(client, payload("pharmacy_order_created"))

    # when an update of it is acknowledged
    _, statements = _acknowledge(client, payload("pharmacy_order_updated", status="in-progress"))

    # then the document row is locked and the delivery inserted in one transaction, which
    # also carries the wake-up (no second transaction for the NOTIFY)
    assert statements == ["BEGIN", "SELECT", "INSERT", *_wake(), "COMMIT"]


@pytest.mark.parametrize("event", ["pharmacy_sku_stock_updated", "pharmacy_order_created"])
def test_a_listening_worker_is_woken_once_the_delivery_is_committed(
    durable, client, payload, event
):
    if connection.vendor != "postgresql":
        pytest.skip("workers wake on PostgreSQL NOTIFY; elsewhere they poll")
    from rxscale.management.commands.run_worker import _listen_connection

    listener = _listen_connection()
    try:
        # when a delivery is acknowledged (with a PDF: the NOTIFY rides in its transaction)
        _acknowledge(client, payload(event))

        # then the worker's wake-up connection hears about it
        heard = list(listener.notifies(timeout=5, stop_after=1))
    finally:
        listener.close()
    assert [n.channel for n in heard] == [WORK_QUEUE_CHANNEL]
