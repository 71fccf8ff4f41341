"""The outbox with real worker processes on PostgreSQL: a worker SIGKILLed between sending and
recording does not cause a second effect; an outage ends with exactly one PATCH; a burst stays
under the rate limit across two workers."""

import pytest
from django.db import connection
from django.test import Client

from pharmacy_orders.services.workflow import order_transition
from rxscale.outbox.models import OutboundCommand
from rxscale.standin.faults import Fault
from tests.queue.workers import kill, start_worker, stop, wait_for
from tests.rxscale.conftest import API_KEY
from tests.rxscale.outbox_helpers import (
    UID,
    act,
    connected_standin,  # noqa: F401 (the `standin` fixture)
    order_known_to_both,
    orders_known_to_both,
    patches,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]
S = OutboundCommand.Status


@pytest.fixture
def staff(pharmacist, standin):
    web = Client()
    order_known_to_both(web, standin)
    web.force_login(pharmacist)
    return web


@pytest.fixture
def workers(standin):
    started = []

    def _start(**env):
        # A short lease: a killed worker's command is taken over quickly.
        settings = {"RXSCALE_OUTBOX_LEASE_SECONDS": "2", "RXSCALE_SYNC_INTERVAL_MINUTES": "0"}
        process = start_worker(
            RXSCALE_API_BASE_URL=standin.base_url,
            RXSCALE_API_KEY=API_KEY,
            **{**settings, **env},
        )
        started.append(process)
        return process

    yield _start
    for process in started:
        stop(process)


def command() -> OutboundCommand:
    return OutboundCommand.objects.get()


def test_a_worker_killed_between_send_and_record_causes_no_second_effect(staff, standin, workers):
    # given RxScale takes the PATCH but holds its answer (the worker waits for it)
    standin.faults.inject(Fault(kind="timeout", apply=True, delay=60, path="/status"))
    act(staff, "review", "waiting for pharmacy")
    first = workers(RXSCALE_API_TIMEOUT_SECONDS="60")
    wait_for(lambda: len(patches(standin)) == 1, "the PATCH to take effect at the stand-in")

    # when that worker dies before it can record the answer
    kill(first)
    assert command().status == S.SENDING

    # then another worker, once the lease has run out, finds it in effect and does not resend
    workers()
    wait_for(lambda: command().status == S.SENT, "the command to be recorded as sent")
    assert len(patches(standin)) == 1
    assert "Already in effect" in command().outcome_note
    assert standin.store.order(UID)["status"] == "pending review"


def test_an_outage_ends_with_exactly_one_patch(staff, standin, workers):
    # given RxScale is down for the first attempts (500, a timeout, a dropped connection)
    standin.faults.inject(Fault(kind="error", count=2, path="/status"))
    standin.faults.inject(Fault(kind="drop", path="/status"))
    act(staff, "review", "waiting for pharmacy")
    act(staff, "start", "pending review")

    workers(RXSCALE_API_TIMEOUT_SECONDS="5")
    wait_for(
        lambda: not OutboundCommand.objects.exclude(status=S.SENT).exists(),
        "both commands to be sent",
    )

    bodies = [request.body for request in patches(standin)]
    assert len(bodies) == 2  # one PATCH per command reached RxScale
    assert b"pending review" in bodies[0] and b"in-progress" in bodies[1]
    assert standin.store.order(UID)["status"] == "in-progress"


def test_a_burst_of_100_transitions_stays_under_the_rate_limit_across_two_workers(
    pharmacist, standin, workers
):
    # given 100 orders both sides know, and a review started on each (100 commands)
    web = Client()
    uids = orders_known_to_both(web, standin, 100)
    for uid in uids:
        order_transition(
            order_uid=uid, action="review", user=pharmacist, expected_status="waiting for pharmacy"
        )
    assert OutboundCommand.objects.filter(status=S.PENDING).count() == 100

    # when two worker processes send them (with a lease longer than a wait for the limit)
    workers(RXSCALE_OUTBOX_LEASE_SECONDS="240")
    workers(RXSCALE_OUTBOX_LEASE_SECONDS="240")
    wait_for(
        lambda: OutboundCommand.objects.filter(status=S.SENT).count() == 100,
        "all 100 commands to be sent",
    )

    # then RxScale never answered 429, and never saw more than 10 requests in one second
    seen = standin.requests
    assert [r for r in seen if r.status == 429] == []
    times = sorted(r.received_at for r in seen)
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 10
    # and each command landed exactly once
    assert len([r for r in seen if r.method == "PATCH"]) == 100
    assert {standin.store.order(uid)["status"] for uid in uids} == {"pending review"}
