"""The transition API: same map, same service, same permissions as the page."""

import pytest
from django.test import Client

from pharmacy_orders.models import AuditEntry, OrderStatus, PharmacyOrder

S = OrderStatus


def post(client, uid, **data):
    return client.post(f"/orders/api/{uid}/transition", data=data, content_type="application/json")


def test_state_lists_the_offered_transitions(pta_client, make_order):
    order = make_order(status=S.IN_PROGRESS)

    response = pta_client.get(f"/orders/api/{order.uid}/")

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == S.IN_PROGRESS
    offered = {t["action"]: t for t in data["transitions"]}
    assert set(offered) == {"ready", "hold", "cancel"}
    assert offered["ready"]["pharmacist_only"] is True
    assert offered["ready"]["permitted"] is False
    assert offered["hold"]["permitted"] is True
    assert offered["hold"]["reason_required"] is True


def test_transition(pharmacist_client, pharmacist, order):
    response = post(pharmacist_client, order.uid, action="review", expected_status=order.status)

    assert response.status_code == 200
    assert response.json()["status"] == S.PENDING_REVIEW
    assert response.json()["from_status"] == S.WAITING_FOR_PHARMACY
    assert PharmacyOrder.objects.get(pk=order.pk).status == S.PENDING_REVIEW
    assert AuditEntry.objects.get(action="order_transition").user == pharmacist


def test_hold_and_resume(pta_client, order):
    response = post(pta_client, order.uid, action="hold", expected_status=order.status, reason="?")
    assert response.json()["hold_reason"] == "?"

    assert response.json()["status_before_hold"] == S.WAITING_FOR_PHARMACY

    response = post(pta_client, order.uid, action="resume", expected_status=S.ON_HOLD)

    # Not back to `waiting for pharmacy` (RxScale's to set): to RXSCALE_RESUME_FALLBACK_STATUS.
    assert response.json()["status"] == S.PENDING_REVIEW


@pytest.mark.parametrize(
    "data, status, code, field",
    [
        ({"action": "complete"}, 409, "not_allowed", None),
        ({"action": "review", "expected_status": S.IN_PROGRESS}, 409, "stale", None),
        ({"action": "hold", "reason": "  "}, 400, "invalid", "reason"),
        ({"action": "cancel", "reason": "x"}, 400, "invalid", "confirm"),
        ({"action": "cancel", "reason": "x", "confirm": True}, 403, "forbidden", None),
    ],
)
def test_refusals(pta_client, order, data, status, code, field):
    response = post(pta_client, order.uid, **{"expected_status": order.status, **data})

    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["field"] == field
    assert body["error"]
    assert body["status"] == S.WAITING_FOR_PHARMACY
    assert PharmacyOrder.objects.get(pk=order.pk).status == S.WAITING_FOR_PHARMACY


def test_input_is_validated(pta_client, order):
    response = post(pta_client, order.uid, action="launch", expected_status="shipped")

    assert response.status_code == 400
    assert set(response.json()) == {"action", "expected_status"}


def test_unknown_order(pta_client, db):
    assert pta_client.get("/orders/api/nope/").status_code == 404
    assert post(pta_client, "nope", action="review", expected_status="init").status_code == 404


def test_session_auth_needs_the_csrf_token(pta):
    client = Client(enforce_csrf_checks=True)
    client.force_login(pta)

    response = post(client, "po-1", action="review", expected_status="init")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
