"""Orders through the real client and the real stand-in: pages, details, status, completion."""

import json

import httpx
import pytest

from rxscale import statuses
from rxscale.errors import (
    RxScaleConflict,
    RxScaleInvalidRequest,
    RxScaleNotFound,
    RxScaleUnprocessable,
)
from tests.rxscale.conftest import API_KEY, make_client

UID = "po-standin-1"


def _patches(standin):
    return [r for r in standin.requests if r.method == "PATCH"]


def test_pages_are_zero_based_and_the_iterator_walks_every_page(standin, client):
    # given five orders at RxScale
    standin.seed_from_samples(orders=5)

    # when the client reads pages of two
    first = client.list_orders(page=0, limit=2)
    last = client.list_orders(page=2, limit=2)
    every = [order["uid"] for order in client.iter_orders(limit=2)]

    # then the envelope is RxScale's and the iterator stops after the last page
    assert (first.total_items, first.total_pages, len(first.items)) == (5, 3, 2)
    assert [order["uid"] for order in last.items] == ["po-standin-5"]
    assert every == [f"po-standin-{n}" for n in range(1, 6)]
    assert len([r for r in standin.requests if r.method == "GET"]) == 2 + 3


def test_an_empty_list_is_one_request_and_nothing(standin, client):
    assert list(client.iter_orders(status=statuses.CANCELLED)) == []
    assert len(standin.requests) == 1


def test_limits_outside_the_documented_range_are_refused_before_sending(standin, client):
    for limit in (0, 201):
        with pytest.raises(RxScaleInvalidRequest):
            client.list_orders(limit=limit)
    assert standin.requests == []


def test_details_carry_patient_doctor_and_prescription(client):
    order = client.get_order(UID)

    assert order["uid"] == UID
    assert order["patient_data"]["date_of_birth"] == "1990-06-15"  # the API's ISO form
    assert order["doctor_data"]["uid"]
    assert order["prescription_file"]["content_base64"]


def test_an_unknown_order_is_not_found_with_rxscales_message(client):
    with pytest.raises(RxScaleNotFound) as caught:
        client.get_order("po-nope")

    assert caught.value.status_code == 404
    assert caught.value.description == "Resource not found"
    assert isinstance(caught.value, RxScaleConflict) and caught.value.kind == "not_found"


def test_a_uid_stays_one_path_segment(standin, client):
    with pytest.raises(RxScaleNotFound):
        client.set_order_status(f"{UID}/../../pharmacy_skus/psku-456", statuses.IN_PROGRESS)
    assert standin.store.order(UID)["status"] == statuses.WAITING_FOR_PHARMACY


@pytest.mark.parametrize("target", [statuses.PENDING_REVIEW, statuses.CANCELLED])
def test_a_status_the_pharmacy_may_set_is_accepted(standin, client, target):
    answer = client.set_order_status(UID, target)

    assert answer["status"] == target
    assert standin.store.order(UID)["status"] == target


def test_on_hold_with_a_comment_is_accepted_and_the_comment_is_sent(standin, client):
    client.set_order_status(UID, statuses.ON_HOLD, comment="Prescription unreadable")

    assert standin.store.order(UID)["status"] == statuses.ON_HOLD
    assert json.loads(_patches(standin)[0].body) == {
        "status": "on-hold",
        "comment": "Prescription unreadable",
    }


@pytest.mark.parametrize("comment", ["", "   \n"])
def test_on_hold_without_a_comment_is_refused_locally(standin, client, comment):
    with pytest.raises(RxScaleInvalidRequest):
        client.set_order_status(UID, statuses.ON_HOLD, comment=comment)

    assert standin.requests == []


def test_the_stand_in_itself_refuses_on_hold_without_a_comment(standin):
    # given a caller that does not check, like a buggy integration
    url = f"{standin.base_url}{standin.prefix}/pharmacy_orders/{UID}/status"

    answer = httpx.patch(url, json={"status": "on-hold"}, headers={"X-API-Key": API_KEY})

    assert answer.status_code == 400
    assert answer.json()["code"] == "comment_required"


def test_completed_through_the_status_endpoint_is_a_conflict_with_rxscales_code(standin, client):
    with pytest.raises(RxScaleUnprocessable) as caught:
        client.set_order_status(UID, statuses.COMPLETED)

    error = caught.value
    assert (error.status_code, error.code) == (422, "use_complete_order")
    assert "complete_order" in error.description
    assert standin.store.order(UID)["status"] == statuses.WAITING_FOR_PHARMACY


@pytest.mark.parametrize("target", sorted(statuses.RXSCALE_ONLY_STATUSES))
def test_a_status_only_rxscale_sets_is_refused(standin, client, target):
    client.set_order_status(UID, statuses.PENDING_REVIEW)

    with pytest.raises(RxScaleUnprocessable) as caught:
        client.set_order_status(UID, target)

    assert caught.value.code == "status_not_allowed"
    assert standin.store.order(UID)["status"] == statuses.PENDING_REVIEW


def test_complete_order_completes_and_reduces_stock(standin, client):
    stock_before = standin.store.sku("psku-456")["stock"]

    answer = client.complete_order(UID)

    assert answer["status"] == statuses.COMPLETED
    assert standin.store.sku("psku-456")["stock"] == stock_before - 1
    # and a completed order takes no further status
    with pytest.raises(RxScaleConflict) as caught:
        client.set_order_status(UID, statuses.IN_PROGRESS)
    assert caught.value.code == "order_closed"


def test_the_other_documented_prefix_does_not_reach_the_stand_in(standin):
    other = make_client(standin, prefix="/v1/external-pharmacy-api-v1")
    with other as client, pytest.raises(RxScaleNotFound):
        client.get_order(UID)
