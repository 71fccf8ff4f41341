"""The outbox against the stand-in: an order both sides know, staff actions over HTTP, sends."""

import time
from collections.abc import Callable

import pytest
from django.test import TestCase

from pharmacy_orders.services.paper_originals import order_paper_original_record
from rxscale.inbox.samples import build_payload
from rxscale.outbox.models import OutboundCommand
from rxscale.outbox.sending import outbox_send_due
from rxscale.standin import RxScaleStandin
from rxscale.standin.faults import Fault
from tests.conftest import post_signed
from tests.orders.conftest import CHECKLIST_FORM
from tests.rxscale.conftest import API_KEY

UID = "po-standin-1"
HANG_GUARD_SECONDS = 30


def connect(settings, standin: RxScaleStandin) -> None:
    settings.RXSCALE_API_BASE_URL = standin.base_url
    settings.RXSCALE_API_KEY = API_KEY
    settings.WORK_QUEUE_RETRY_BASE_SECONDS = 0


def order_known_to_both(client, standin: RxScaleStandin, status="waiting for pharmacy") -> None:
    """RxScale holds the order; its created webhook reached us (signed, over HTTP)."""
    orders_known_to_both(client, standin, 1, status=status)


def orders_known_to_both(
    client, standin: RxScaleStandin, count: int, status="waiting for pharmacy"
) -> list[str]:
    """`po-standin-1…count`, held by RxScale and delivered to us; returns their uids."""
    standin.seed_from_samples(orders=count, status=status)
    uids = [f"po-standin-{number}" for number in range(1, count + 1)]
    for uid in uids:
        body = build_payload("pharmacy_order_created", uid=uid, status=status)
        body["data"]["updated_at"] = standin.store.order(uid)["updated_at"]
        post(client, body)
    return uids


def one_pharmacist_with_the_original(settings, user) -> None:
    """The gates out of the way for one pharmacist doing every step: the paper original is
    recorded, and single-person release is allowed (tests/orders covers the gates)."""
    settings.RELEASE_SINGLE_PERSON_ALLOWED = True
    order_paper_original_record(order_uid=UID, user=user)


def post(client, body: dict) -> None:
    """Signed, over HTTP, and applied as the immediate backend does after commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert post_signed(client, body).status_code == 200


def act(client, action: str, expected: str, reason: str = ""):
    data = {"action": action, "expected_status": expected, "reason": reason}
    if action == "cancel":
        data["confirm"] = "on"
    if action == "ready":
        data.update(CHECKLIST_FORM)
    return client.post(f"/orders/{UID}/transition", data)


def send_all() -> None:
    """What a worker does, in this process: send every due command (with the retry base at 0
    by `connect`, a retry is due at once)."""
    for _ in range(20):
        if not outbox_send_due(worker_id="test-worker", limit=50):
            return
    pytest.fail("the outbox never emptied")


def patches(standin: RxScaleStandin, uid: str = UID) -> list:
    return [r for r in standin.requests if r.method == "PATCH" and uid in r.path]


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll until true; a hang guard, not a timing assertion."""
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(name="standin")
def connected_standin(settings):
    """A stand-in this app is configured to tell (its API, no webhooks back)."""
    with RxScaleStandin(api_key=API_KEY) as running:
        connect(settings, running)
        yield running


def refused_review(client, standin: RxScaleStandin, status: int = 422) -> OutboundCommand:
    """Start the review; RxScale refuses it once with `status`; the worker records that."""
    standin.faults.inject(Fault(kind="error", status=status, path="/status"))
    act(client, "review", "waiting for pharmacy")
    send_all()
    command = OutboundCommand.objects.get()
    assert command.status == OutboundCommand.Status.FAILED
    return command
