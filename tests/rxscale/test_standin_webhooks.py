"""The stand-in tells us of its changes as RxScale does: signed webhooks to our endpoint."""

import pytest

from rxscale import statuses
from rxscale.errors import RxScaleUnprocessable
from rxscale.inbox.payload import parse_json_object
from rxscale.inbox.signature import matching_secret_index
from rxscale.standin import RxScaleStandin
from tests.rxscale.conftest import API_KEY, WEBHOOK_SECRET, make_client

UID = "po-standin-1"


@pytest.fixture
def signing_standin(receiver):
    with RxScaleStandin(
        api_key=API_KEY, webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET
    ) as standin:
        standin.seed_from_samples(orders=1)
        yield standin


def test_a_status_change_comes_back_as_a_correctly_signed_webhook(signing_standin, receiver):
    before = signing_standin.store.order(UID)["updated_at"]
    with make_client(signing_standin) as client:
        client.set_order_status(UID, statuses.PENDING_REVIEW)

    delivery = receiver.next()

    signature = delivery.headers["X-Webhook-Signature"]
    assert matching_secret_index(delivery.body, signature, [WEBHOOK_SECRET]) == 0
    assert matching_secret_index(delivery.body, signature, ["whsec_other"]) is None
    assert delivery.headers["X-Webhook-Event"] == "pharmacy_order_updated"
    payload, problem = parse_json_object(delivery.body)
    assert problem == ""
    assert payload["event_type"] == "pharmacy_order_updated"
    assert payload["data"]["uid"] == UID
    assert payload["data"]["status"] == statuses.PENDING_REVIEW
    assert payload["data"]["updated_at"] > before  # newer, so a receiver applies it
    assert payload["timestamp"] == payload["data"]["updated_at"]


def test_completion_sends_the_order_and_the_reduced_stock(signing_standin, receiver):
    with make_client(signing_standin) as client:
        client.complete_order(UID)

    events = {}
    for _ in range(2):
        delivery = receiver.next()
        assert (
            matching_secret_index(
                delivery.body, delivery.headers["X-Webhook-Signature"], [WEBHOOK_SECRET]
            )
            == 0
        )
        events[delivery.payload["event_type"]] = delivery.payload["data"]

    assert events["pharmacy_order_updated"]["status"] == statuses.COMPLETED
    assert events["pharmacy_sku_stock_updated"]["stock"] == 49


def test_a_refused_request_sends_nothing(signing_standin, receiver):
    with make_client(signing_standin) as client:
        with pytest.raises(RxScaleUnprocessable):
            client.set_order_status(UID, statuses.COMPLETED)
        client.set_order_status(UID, statuses.IN_PROGRESS)

    # the first webhook to arrive is the accepted change
    assert receiver.next().payload["data"]["status"] == statuses.IN_PROGRESS


def test_rxscale_side_changes_are_sent_too(signing_standin, receiver):
    signing_standin.store.rxscale_set_status(UID, statuses.CANCELLED)

    delivery = receiver.next()
    assert delivery.payload["data"]["status"] == statuses.CANCELLED
