"""RxScale's final decisions win over staff actions; every other disagreement is kept on record.

Times are real: a staff click happens now, so RxScale's snapshots are dated around now.
"""

import time

import pytest
from django.core.management import call_command

from pharmacy_orders.models import OrderConflict, PharmacyOrder
from rxscale.models import WebhookDelivery
from tests.webhooks.helpers import delivery_of, ts

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


@pytest.fixture
def now_ts() -> int:
    return int(time.time())


@pytest.fixture
def order_reviewed_by_clerk(deliver, payload, pta_client, now_ts):
    """An order RxScale sent an hour ago that a clerk moved to review just now."""
    deliver(
        payload(
            "pharmacy_order_created",
            uid="po-d",
            status="waiting for pharmacy",
            updated_at=now_ts - 3600,
        )
    )
    response = pta_client.post(
        "/orders/po-d/transition", {"action": "review", "expected_status": "waiting for pharmacy"}
    )
    assert response.status_code == 302
    return PharmacyOrder.objects.get(uid="po-d")


@pytest.mark.parametrize("final", ["cancelled", "completed"])
def test_a_final_decision_older_than_a_staff_click_still_wins(
    deliver, payload, pta_client, now_ts, final
):
    # given RxScale decides at T (before the clerk's click), the order still waiting here
    decided_at = now_ts - 2
    deliver(
        payload(
            "pharmacy_order_created",
            uid="po-d",
            status="waiting for pharmacy",
            updated_at=now_ts - 3600,
        )
    )
    # and a clerk starts the review after T (a real staff POST)
    response = pta_client.post(
        "/orders/po-d/transition", {"action": "review", "expected_status": "waiting for pharmacy"}
    )
    assert response.status_code == 302
    clicked_at = PharmacyOrder.objects.get(uid="po-d").status_set_at
    assert clicked_at > ts(decided_at)

    # when RxScale's decision (updated_at T) arrives afterwards
    response = deliver(
        payload("pharmacy_order_updated", uid="po-d", status=final, updated_at=decided_at)
    )

    # then the order ends in RxScale's final status and the delivery is processed
    delivery = delivery_of(response)
    assert delivery.status == Status.PROCESSED, delivery.error
    order = PharmacyOrder.objects.get(uid="po-d")
    assert order.status == final
    assert [c.to_status for c in order.status_changes.all()] == [
        "waiting for pharmacy",
        "pending review",
        final,
    ]
    # and the conflict is on record with both values, both times and what was kept
    conflict = OrderConflict.objects.get(order=order)
    assert (conflict.field, conflict.kept) == ("status", "rxscale")
    assert (conflict.local_value, conflict.local_set_at) == ("pending review", clicked_at)
    assert (conflict.rxscale_value, conflict.rxscale_at) == (final, ts(decided_at))
    assert conflict.delivery == delivery
    assert "final decisions" in conflict.explanation
    assert any("replaced a newer staff action" in w for w in delivery.warnings)


def test_the_cancellation_conflict_shows_on_the_order_timeline(
    order_reviewed_by_clerk, deliver, payload, pta_client, now_ts
):
    # given a clerk's review newer than RxScale's cancellation
    # when the cancellation arrives
    deliver(
        payload("pharmacy_order_updated", uid="po-d", status="cancelled", updated_at=now_ts - 5)
    )

    # then the timeline shows both sides of the conflict and what was kept
    page = pta_client.get("/orders/po-d/").content.decode()
    assert "RxScale&#x27;s final decision overrode a staff action" in page
    assert "RxScale kept" in page
    assert "<dt>RxScale</dt><dd>Cancelled" in page
    assert "<dt>Staff</dt><dd>Pending review" in page


def test_an_older_non_final_status_keeps_the_staff_action_and_records_the_conflict(
    order_reviewed_by_clerk, deliver, payload, pta_client, now_ts
):
    # given a clerk's review at now
    # when a snapshot from before the click reports another, non-final status
    response = deliver(
        payload("pharmacy_order_updated", uid="po-d", status="on-hold", updated_at=now_ts - 60)
    )

    # then the staff action's status stays, the rest of the snapshot applied, and the
    # disagreement is recorded as kept locally
    delivery = delivery_of(response)
    assert delivery.status == Status.PROCESSED
    order = PharmacyOrder.objects.get(uid="po-d")
    assert order.status == "pending review"
    assert order.rx_updated_at == ts(now_ts - 60)
    conflict = OrderConflict.objects.get(order=order)
    assert (conflict.kept, conflict.local_value, conflict.rxscale_value) == (
        "local",
        "pending review",
        "on-hold",
    )
    assert conflict.delivery == delivery
    page = pta_client.get("/orders/po-d/").content.decode()
    assert "An older RxScale status did not undo a staff action" in page


def test_reprocessing_records_a_conflict_once(order_reviewed_by_clerk, deliver, payload, now_ts):
    # given an older snapshot that lost to the clerk's action
    response = deliver(
        payload("pharmacy_order_updated", uid="po-d", status="on-hold", updated_at=now_ts - 60)
    )
    delivery = delivery_of(response)

    # when it is reprocessed
    call_command("reprocess_webhooks", str(delivery.pk), verbosity=0)

    # then there is still one conflict and the staff action still holds
    assert OrderConflict.objects.count() == 1
    assert PharmacyOrder.objects.get(uid="po-d").status == "pending review"


def test_a_snapshot_newer_than_the_staff_action_is_no_conflict(
    order_reviewed_by_clerk, deliver, payload
):
    # given a clerk's review, when RxScale sends a newer status
    later = int(order_reviewed_by_clerk.status_set_at.timestamp()) + 60
    deliver(payload("pharmacy_order_updated", uid="po-d", status="in-progress", updated_at=later))

    # then RxScale's status applies as the newest, and nothing disagreed
    assert PharmacyOrder.objects.get(uid="po-d").status == "in-progress"
    assert not OrderConflict.objects.exists()


def test_a_deletion_older_than_a_staff_click_still_wins(
    order_reviewed_by_clerk, deliver, payload, now_ts
):
    # given a clerk's review at now
    # when RxScale's deletion, dated before the click, arrives
    body = payload(
        "pharmacy_order_updated", uid="po-d", status="waiting for pharmacy", updated_at=now_ts - 5
    )
    body["data"]["deleted_at"] = now_ts - 5
    deliver(body)

    # then the order is deleted with RxScale's status, and the conflict says why
    order = PharmacyOrder.objects.get(uid="po-d")
    assert order.rx_deleted_at == ts(now_ts - 5)
    assert order.status == "waiting for pharmacy"
    conflict = OrderConflict.objects.get(order=order)
    assert conflict.kept == "rxscale"
    assert "deleted the order" in conflict.explanation


def test_a_staff_status_equal_to_rxscales_is_no_conflict(
    order_reviewed_by_clerk, deliver, payload, now_ts
):
    # given a clerk's review; when RxScale, older, reports the same status
    deliver(
        payload(
            "pharmacy_order_updated", uid="po-d", status="pending review", updated_at=now_ts - 9
        )
    )

    # then there is nothing to record
    assert not OrderConflict.objects.exists()
