"""Paper prescriptions (`prepaid`): the "awaiting original" queue, recording the receipt of the
original, and the gate that keeps the order from ready_for_pickup and completed until then."""

import pytest

from pharmacy_orders.models import AuditEntry, OrderStatus, PaperOriginalReceipt, PharmacyOrder
from pharmacy_orders.services.paper_originals import (
    PaperOriginalRefused,
    order_paper_original_record,
)
from pharmacy_orders.services.refusals import PaperOriginalMissing
from pharmacy_orders.services.workflow import order_transition
from rxscale.outbox.models import OutboundCommand
from tests.orders.conftest import CHECKLIST_FORM, FULL_CHECKLIST

S = OrderStatus


def status_of(order) -> str:
    return PharmacyOrder.objects.get(pk=order.pk).status


@pytest.fixture
def connected(settings):
    """RxScale's API configured: every transition writes an outbound command."""
    settings.RXSCALE_API_BASE_URL = "http://127.0.0.1:9"
    settings.RXSCALE_API_KEY = "test-key"


# --- The gate, through the service -------------------------------------------------------


@pytest.mark.parametrize(
    "status, action",
    [(S.IN_PROGRESS, "ready"), (S.READY_FOR_PICKUP, "complete")],
)
def test_without_the_original_a_paper_order_is_neither_released_nor_completed(
    pharmacist, make_order, connected, django_capture_on_commit_callbacks, status, action
):
    # given a paper-prescription order whose original has not arrived
    order = make_order(status=status, prepaid=1)

    # when a pharmacist releases or completes it
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(PaperOriginalMissing) as refused,
    ):
        order_transition(
            order_uid=order.uid,
            action=action,
            user=pharmacist,
            expected_status=status,
            checklist=FULL_CHECKLIST,
        )

    # then it is refused, saying the original is missing, and nothing is written
    assert refused.value.code == "paper_original_missing"
    assert "paper original" in refused.value.message and "missing" in refused.value.message
    assert status_of(order) == status
    assert not order.status_changes.filter(user=pharmacist).exists()
    assert not order.pharmacist_releases.exists()
    assert OutboundCommand.objects.count() == 0
    assert callbacks == []
    refusal = AuditEntry.objects.get(action="order_transition_refused")
    assert refusal.details["code"] == "paper_original_missing"


def test_without_the_original_the_order_is_reviewed_prepared_held_and_cancelled(
    pta, pharmacist, make_order
):
    order = make_order(prepaid=1)
    for action, expected, user, extra in [
        ("review", S.WAITING_FOR_PHARMACY, pta, {}),
        ("start", S.PENDING_REVIEW, pta, {}),
        ("hold", S.IN_PROGRESS, pta, {"reason": "Waiting for the original"}),
        ("resume", S.ON_HOLD, pta, {}),
        ("cancel", S.IN_PROGRESS, pharmacist, {"reason": "Never came", "confirm": True}),
    ]:
        order_transition(
            order_uid=order.uid, action=action, user=user, expected_status=expected, **extra
        )
    assert status_of(order) == S.CANCELLED


def test_once_the_original_is_recorded_the_order_is_released_and_completed(
    pharmacist, make_order, record_original
):
    order = make_order(status=S.IN_PROGRESS, prepaid=1)
    record_original(order)

    for action, expected in [("ready", S.IN_PROGRESS), ("complete", S.READY_FOR_PICKUP)]:
        order_transition(
            order_uid=order.uid,
            action=action,
            user=pharmacist,
            expected_status=expected,
            checklist=FULL_CHECKLIST,
        )
    assert status_of(order) == S.COMPLETED


def test_an_order_without_a_paper_prescription_needs_no_original(pharmacist, make_order):
    order = make_order(status=S.READY_FOR_PICKUP, prepaid=0)

    order_transition(
        order_uid=order.uid, action="complete", user=pharmacist, expected_status=order.status
    )
    assert status_of(order) == S.COMPLETED


# --- Recording the original --------------------------------------------------------------


def test_a_clerk_records_who_received_the_original_when_with_a_note(pta, make_order):
    order = make_order(prepaid=1)
    receipt = order_paper_original_record(
        order_uid=order.uid, user=pta, note="  Arrived by post  ", scan_reference="DMS-4711"
    )

    assert receipt.received_by == pta
    assert receipt.received_at is not None
    assert (receipt.note, receipt.scan_reference) == ("Arrived by post", "DMS-4711")
    entry = AuditEntry.objects.get(action="order_paper_original_received")
    assert entry.user == pta and entry.order_uid == order.uid
    assert entry.details == {"note": "Arrived by post", "scan_reference": "DMS-4711"}


def test_the_original_is_recorded_once(pta, pharmacist, make_order, record_original):
    order = make_order(prepaid=1)
    record_original(order)

    with pytest.raises(PaperOriginalRefused) as refused:
        record_original(order, user=pharmacist)

    assert refused.value.code == "already_recorded"
    assert "pta recorded the paper original" in refused.value.message
    assert PaperOriginalReceipt.objects.get().received_by == pta


def test_an_order_without_a_paper_prescription_has_no_original_to_record(
    make_order, record_original
):
    order = make_order(prepaid=0)
    with pytest.raises(PaperOriginalRefused) as refused:
        record_original(order)
    assert refused.value.code == "not_paper"
    assert not PaperOriginalReceipt.objects.exists()


def test_a_user_without_a_role_cannot_record_the_original(no_role_user, make_order):
    order = make_order(prepaid=1)
    with pytest.raises(PaperOriginalRefused) as refused:
        order_paper_original_record(order_uid=order.uid, user=no_role_user)
    assert refused.value.http_status == 403


# --- Over HTTP: the order page and the worklist -------------------------------------------


def test_the_order_page_records_the_original_and_shows_it(pta_client, make_order):
    order = make_order(prepaid=1)
    page = pta_client.get(f"/orders/{order.uid}/").content.decode()
    assert "The paper original has not been recorded as received" in page
    assert 'for="id_scan_reference"' in page and 'for="id_note"' in page

    response = pta_client.post(
        f"/orders/{order.uid}/paper-original",
        {"note": "Envelope 12", "scan_reference": "DMS-1"},
    )

    assert response.status_code == 302
    page = pta_client.get(f"/orders/{order.uid}/").content.decode()
    assert "Received</span> by <strong>pta</strong>" in page
    assert "DMS-1" in page and "Envelope 12" in page
    assert "Paper original received" in page  # the timeline


def test_recording_twice_over_http_is_refused_on_the_page(pta_client, make_order, record_original):
    order = make_order(prepaid=1)
    record_original(order)

    response = pta_client.post(f"/orders/{order.uid}/paper-original", {"note": ""})

    assert response.status_code == 409
    assert "recorded the paper original on" in response.content.decode()


def test_the_release_refusal_is_shown_on_the_order_page(pharmacist_client, make_order):
    order = make_order(status=S.IN_PROGRESS, prepaid=1)

    response = pharmacist_client.post(
        f"/orders/{order.uid}/transition",
        {"action": "ready", "expected_status": S.IN_PROGRESS, **CHECKLIST_FORM},
    )

    assert response.status_code == 409
    assert "The paper original of this prescription is missing" in response.content.decode()
    assert status_of(order) == S.IN_PROGRESS


def test_the_api_refuses_with_the_code(pharmacist_client, make_order):
    order = make_order(status=S.READY_FOR_PICKUP, prepaid=1)

    response = pharmacist_client.post(
        f"/orders/api/{order.uid}/transition",
        {"action": "complete", "expected_status": S.READY_FOR_PICKUP},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "paper_original_missing"


def test_the_awaiting_original_queue(pta_client, make_order, record_original):
    waiting = make_order(uid="po-w", name="#WAIT", prepaid=1, status=S.IN_PROGRESS)
    arrived = make_order(uid="po-a", name="#ARRIVED", prepaid=1)
    make_order(uid="po-e", name="#ERX", prepaid=0)
    make_order(uid="po-c", name="#DONE", prepaid=1, status=S.COMPLETED)
    record_original(arrived)

    page = pta_client.get("/orders/?status=awaiting-original").content.decode()

    assert "#WAIT" in page
    assert "#ARRIVED" not in page and "#ERX" not in page and "#DONE" not in page
    assert 'Awaiting original <span class="tab-count">1</span>' in page
    assert "Original awaited" in page

    record_original(waiting)
    page = pta_client.get("/orders/?status=awaiting-original").content.decode()
    assert "#WAIT" not in page
    assert 'Awaiting original <span class="tab-count">0</span>' in page
