"""Hostile input on every staff path: NUL bytes, garbage and huge numbers get a 4xx or a
clear form error, never a 500 (PostgreSQL refuses NUL in text, so run this there too)."""

import pytest

from pharmacy_orders.models import OrderNote, PharmacyOrder

pytestmark = pytest.mark.django_db

GET_URLS = [
    "/orders/?q=%00x",
    "/orders/?status=%00",
    "/orders/?pharmacy=%00",
    "/orders/?shipping=%00",
    "/orders/?page=abc",
    "/orders/?page=99999999999999999999",
    "/orders/?per_page=100000000000000000000",
    "/orders/?prepaid=%00&unmapped=%00",
    "/orders/?q=<script>alert(1)</script>",
    "/inventory/?q=%00",
    "/inventory/?sort=%00",
    "/inventory/?page=-1",
    "/inventory/?status=%00",
    "/inventory/export.csv?q=%00",
    "/orders/audit/?order_uid=%00&user=%00",
    "/orders/audit/?page=x",
    "/orders/%00/",
    "/orders/po-x%00/prescription",
    "/orders/po-abc123/prescription?version=%00",
    "/orders/po-abc123/prescription?version=99999999999999999999",
    "/inventory/%00/",
    "/orders/shipping-methods/%00/",
    "/orders/api/%00/",
    "/orders/..%2F..%2Fetc%2Fpasswd/",
]


@pytest.fixture
def order(deliver, payload):
    deliver(payload("pharmacy_order_created", status="waiting for pharmacy"))
    return PharmacyOrder.objects.get(uid="po-abc123")


@pytest.mark.parametrize("url", GET_URLS)
def test_hostile_get_is_answered_without_a_server_error(client, pharmacy_admin, order, url):
    client.force_login(pharmacy_admin)

    response = client.get(url)

    assert response.status_code < 500


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/orders/po-abc123/notes", {"text": "bad\x00note"}),
        (
            "/orders/po-abc123/transition",
            {"action": "hold", "expected_status": "waiting for pharmacy", "reason": "x\x00y"},
        ),
        ("/orders/po-abc123/transition", {"action": "\x00", "expected_status": "\x00"}),
        ("/orders/po-abc123/claim", {"takeover": "1", "expected_claimant": "9" * 40}),
        ("/inventory/psku-456/adjust/", {"new_stock": "9" * 40, "reason": "count"}),
        ("/inventory/psku-456/adjust/", {"new_stock": "5", "reason": "a\x00b"}),
        ("/inventory/psku-456/adjust/", {"new_stock": "1e3", "reason": "x", "expected_stock": "x"}),
        ("/inventory/psku-456/threshold/", {"low_stock_threshold": "-99999999999999999999"}),
        ("/orders/shipping-methods/ssm-001/", {"carrier_identifier": "A\x00", "display_name": ""}),
    ],
)
def test_hostile_post_is_refused_and_stores_nothing(client, pharmacy_admin, order, path, data):
    client.force_login(pharmacy_admin)

    response = client.post(path, data)

    assert 400 <= response.status_code < 500 or response.status_code in (200, 302)
    assert not OrderNote.objects.exists()
    order.refresh_from_db()
    assert order.status == "waiting for pharmacy"
    assert "\x00" not in order.hold_reason


def test_hostile_json_on_the_api_is_a_400(client, pharmacy_admin, order):
    client.force_login(pharmacy_admin)

    response = client.post(
        "/orders/api/po-abc123/transition",
        data='{"action": "hold", "expected_status": "waiting for pharmacy", "reason": "a\\u0000"}',
        content_type="application/json",
    )
    garbage = client.post(
        "/orders/api/po-abc123/transition", data="{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert garbage.status_code == 400


def test_a_nul_username_on_the_login_form_is_refused(client, pta):
    response = client.post("/login/", {"username": "pta\x00", "password": "x"})

    assert response.status_code == 200
    assert b"didn" in response.content
