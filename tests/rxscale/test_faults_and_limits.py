"""Faults and the rate limit: each becomes the typed error a sender can act on."""

import httpx
import pytest

from rxscale import statuses
from rxscale.errors import RxScaleRateLimited, RxScaleTransient
from rxscale.standin import Fault, RxScaleStandin
from rxscale.standin.faults import RateLimiter
from tests.rxscale.conftest import API_KEY, make_client

UID = "po-standin-1"


class StillClock:
    """Time that moves only when the test says, so the rate limit is not a race."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_eleventh_request_in_a_second_is_rate_limited_without_retry_after():
    clock = StillClock()
    with RxScaleStandin(api_key=API_KEY, clock=clock) as standin:
        standin.seed_from_samples(orders=1)
        # No 429 retries: this is about the stand-in's limit (retries: test_rate_limit.py).
        with make_client(standin, rate_limit_retries=0) as client:
            for _ in range(10):
                client.get_order(UID)

            with pytest.raises(RxScaleRateLimited) as caught:
                client.get_order(UID)
            assert caught.value.status_code == 429
            assert caught.value.description == "Rate limit exceeded"

            clock.now += 1.0
            assert client.get_order(UID)["uid"] == UID


def test_the_minute_window_holds_600():
    # At a steady 10/s a sliding minute never holds more than 600, so the minute window is
    # shown with a looser per-second limit.
    clock = StillClock()
    limiter = RateLimiter(per_second=1000, clock=clock)
    accepted = 0
    for _ in range(700):
        clock.now += 0.01
        accepted += limiter.allow()
    assert accepted == 600
    clock.now += 60
    assert limiter.allow()


def test_an_injected_429_is_rate_limited(standin):
    standin.faults.inject(Fault("rate_limit"))

    with make_client(standin, rate_limit_retries=0) as client:
        with pytest.raises(RxScaleRateLimited):
            client.get_order(UID)
        assert client.get_order(UID)["uid"] == UID


def test_a_500_is_transient_and_the_next_request_succeeds(standin, client):
    standin.faults.inject(Fault("error", count=1))

    with pytest.raises(RxScaleTransient) as caught:
        client.set_order_status(UID, statuses.PENDING_REVIEW)

    assert caught.value.status_code == 500 and caught.value.request_sent
    assert standin.store.order(UID)["status"] == statuses.WAITING_FOR_PHARMACY
    client.set_order_status(UID, statuses.PENDING_REVIEW)
    assert standin.store.order(UID)["status"] == statuses.PENDING_REVIEW


def test_a_timeout_is_transient(standin):
    standin.faults.inject(Fault("timeout", delay=30))

    with make_client(standin, timeout_seconds=0.2) as client:
        with pytest.raises(RxScaleTransient) as caught:
            client.get_order(UID)
        assert caught.value.status_code is None and caught.value.request_sent
        assert client.get_order(UID)["uid"] == UID  # the next call gets through


def test_a_dropped_connection_is_transient(standin, client):
    standin.faults.inject(Fault("drop"))

    with pytest.raises(RxScaleTransient):
        client.get_order(UID)


def test_a_lost_answer_after_the_effect_is_transient_yet_the_change_happened(standin, client):
    # The case an exactly-once sender must survive: RxScale acted, the answer never came.
    standin.faults.inject(Fault("drop", apply=True))

    with pytest.raises(RxScaleTransient) as caught:
        client.set_order_status(UID, statuses.PENDING_REVIEW)

    assert caught.value.request_sent
    assert standin.store.order(UID)["status"] == statuses.PENDING_REVIEW


def test_nothing_listening_is_transient_and_certainly_not_sent():
    standin = RxScaleStandin(api_key=API_KEY).start()
    client = make_client(standin)
    standin.stop()

    with client, pytest.raises(RxScaleTransient) as caught:
        client.get_order(UID)
    assert not caught.value.request_sent


def test_faults_can_be_set_over_http_from_loopback(standin, client):
    control = f"{standin.base_url}/_standin/faults"

    created = httpx.post(control, json={"kind": "error", "status": 503, "path": "/status"})
    assert created.status_code == 201

    client.get_order(UID)  # another path: not affected
    with pytest.raises(RxScaleTransient) as caught:
        client.set_order_status(UID, statuses.PENDING_REVIEW)
    assert caught.value.status_code == 503
    assert httpx.get(control).json() == {"faults": []}


def test_a_bad_fault_request_is_refused(standin):
    answer = httpx.post(f"{standin.base_url}/_standin/faults", json={"kind": "meteor"})
    assert answer.status_code == 400
