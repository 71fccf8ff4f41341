"""Status changes that come from RxScale follow the same rules as the pharmacy's own."""

import pytest

from pharmacy_orders.models import PharmacyOrder

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
