"""Status changes that come from RxScale follow the same rules as the pharmacy's own."""

import pytest
from django.core.management import call_command

from pharmacy_orders.models import PharmacyOrder
from rxscale.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def test_rxscale_putting_an_order_on_hold_remembers_where_to_resume(
    make_order, update_order, pta_client
):
    make_order(status="in-progress")

    held = update_order(status="on-hold")

    assert held.status_before_hold == "in-progress"
    response = pta_client.post(
        "/orders/po-1/transition", {"action": "resume", "expected_status": "on-hold"}
    )
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == "in-progress"


def test_rxscale_taking_an_order_off_hold_forgets_the_hold(make_order, update_order, pta_client):
    make_order(status="pending review")
    pta_client.post(
        "/orders/po-1/transition",
        {"action": "hold", "expected_status": "pending review", "reason": "Call the doctor"},
    )

    resumed = update_order(status="in-progress")

    assert (resumed.status, resumed.status_before_hold, resumed.hold_reason) == (
        "in-progress",
        "",
        "",
    )


def test_rxscale_cancelling_an_order_releases_its_claim(make_order, update_order, pta_client):
    make_order()
    pta_client.post("/orders/po-1/claim")
    assert PharmacyOrder.objects.get(uid="po-1").claimed_by is not None

    cancelled = update_order(status="cancelled")

    assert cancelled.status == "cancelled"
    assert cancelled.claimed_by is None


def test_a_replayed_older_snapshot_does_not_undo_a_staff_action(deliver, payload, pta_client):
    # given an order RxScale last described in 2023, which a PTA then moved on
    original = payload(
        "pharmacy_order_created",
        uid="po-r",
        status="waiting for pharmacy",
        updated_at=1_700_000_000,
    )
    deliver(original)
    pta_client.post(
        "/orders/po-r/transition", {"action": "review", "expected_status": "waiting for pharmacy"}
    )

    # when the same snapshot is reprocessed (or re-sent) later
    delivery = WebhookDelivery.objects.get(subject_uid="po-r")
    call_command("reprocess_webhooks", str(delivery.pk), verbosity=0)

    # then the staff action, being newer, holds the status; the delivery itself was applied
    order = PharmacyOrder.objects.get(uid="po-r")
    delivery.refresh_from_db()
    assert order.status == "pending review"
    assert delivery.status == WebhookDelivery.Status.PROCESSED
    assert order.status_changes.count() == 2


def test_a_snapshot_newer_than_the_staff_action_sets_the_status(deliver, payload, pta_client):
    deliver(
        payload(
            "pharmacy_order_created",
            uid="po-n",
            status="waiting for pharmacy",
            updated_at=1_700_000_000,
        )
    )
    pta_client.post(
        "/orders/po-n/transition", {"action": "review", "expected_status": "waiting for pharmacy"}
    )
    later = int(PharmacyOrder.objects.get(uid="po-n").status_set_at.timestamp()) + 60

    deliver(payload("pharmacy_order_updated", uid="po-n", status="cancelled", updated_at=later))

    order = PharmacyOrder.objects.get(uid="po-n")
    assert order.status == "cancelled"
    assert [c.to_status for c in order.status_changes.all()] == [
        "waiting for pharmacy",
        "pending review",
        "cancelled",
    ]
