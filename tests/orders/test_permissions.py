"""Each role against each staff URL, with the expected status code (and never the data)."""

import pytest
from django.test import Client

from pharmacy_orders.models import ShippingMethodMapping

UID = "po-1"
PATIENT = "Max Mustermann"

# (name, method, url, post data)
URLS = {
    "worklist": ("get", "/orders/", None),
    "detail": ("get", f"/orders/{UID}/", None),
    "prescription": ("get", f"/orders/{UID}/prescription", None),
    "prescription_download": ("get", f"/orders/{UID}/prescription?download=1", None),
    "claim": ("post", f"/orders/{UID}/claim", {}),
    "release": ("post", f"/orders/{UID}/release", {}),
    "note": ("post", f"/orders/{UID}/notes", {"text": "Called the patient."}),
    "transition_staff": (
        "post",
        f"/orders/{UID}/transition",
        {"action": "review", "expected_status": "waiting for pharmacy"},
    ),
    "transition_pharmacist": (
        "post",
        f"/orders/{UID}/transition",
        {
            "action": "cancel",
            "expected_status": "waiting for pharmacy",
            "reason": "Prescription not valid",
            "confirm": "on",
        },
    ),
    "shipping_methods": ("get", "/orders/shipping-methods/", None),
    "mapping_edit": ("get", "/orders/shipping-methods/ssm-001/", None),
    "mapping_save": (
        "post",
        "/orders/shipping-methods/ssm-001/",
        {"display_name": "DHL", "carrier_identifier": "DHL_X"},
    ),
    "mapping_delete": ("post", "/orders/shipping-methods/ssm-001/delete", {}),
    "audit": ("get", "/orders/audit/", None),
    "api_state": ("get", f"/orders/api/{UID}/", None),
    "api_transition": (
        "post_json",
        f"/orders/api/{UID}/transition",
        {"action": "review", "expected_status": "waiting for pharmacy"},
    ),
}

OK, REDIRECT, FORBIDDEN = 200, 302, 403
# Expected status per role. Actions redirect after success (302); release by someone who
# holds no claim is a 409 conflict, not a permission matter.
EXPECTED = {
    #                         no role    PTA        pharmacist  admin
    "worklist": (FORBIDDEN, OK, OK, OK),
    "detail": (FORBIDDEN, OK, OK, OK),
    "prescription": (FORBIDDEN, OK, OK, OK),
    "prescription_download": (FORBIDDEN, OK, OK, OK),
    "claim": (FORBIDDEN, REDIRECT, REDIRECT, REDIRECT),
    "release": (FORBIDDEN, 409, 409, 409),
    "note": (FORBIDDEN, REDIRECT, REDIRECT, REDIRECT),
    "transition_staff": (FORBIDDEN, REDIRECT, REDIRECT, REDIRECT),
    "transition_pharmacist": (FORBIDDEN, FORBIDDEN, REDIRECT, REDIRECT),
    "shipping_methods": (FORBIDDEN, OK, OK, OK),
    "mapping_edit": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "mapping_save": (FORBIDDEN, FORBIDDEN, FORBIDDEN, REDIRECT),
    "mapping_delete": (FORBIDDEN, FORBIDDEN, FORBIDDEN, REDIRECT),
    "audit": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "api_state": (FORBIDDEN, OK, OK, OK),
    "api_transition": (FORBIDDEN, OK, OK, OK),
}
ROLES = ["no_role_user", "pta", "pharmacist", "pharmacy_admin"]


def _request(client: Client, method: str, url: str, data):
    if method == "get":
        return client.get(url)
    if method == "post_json":
        return client.post(url, data=data, content_type="application/json")
    return client.post(url, data=data)


@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
@pytest.mark.parametrize("name", list(URLS))
def test_permission_matrix(request, make_order, name, role_index, role):
    make_order(uid=UID)
    ShippingMethodMapping.objects.create(
        shop_shipping_method_uid="ssm-001", display_name="DHL", carrier_identifier="DHL_OLD"
    )
    user = request.getfixturevalue(role)
    client = Client()
    client.force_login(user)
    method, url, data = URLS[name]

    response = _request(client, method, url, data)

    assert response.status_code == EXPECTED[name][role_index]
    if response.status_code == FORBIDDEN and name != "transition_pharmacist":
        # (A PTA refused a pharmacist-only step gets the order page back with the reason:
        # reading the order is theirs to do.)
        assert PATIENT.encode() not in response.content


@pytest.mark.parametrize("name", list(URLS))
def test_anonymous_is_sent_to_login_and_sees_no_data(make_order, name):
    make_order(uid=UID)
    ShippingMethodMapping.objects.create(
        shop_shipping_method_uid="ssm-001", display_name="DHL", carrier_identifier="DHL_OLD"
    )
    method, url, data = URLS[name]

    response = _request(Client(), method, url, data)

    if name.startswith("api_"):
        # A script cannot follow a login page: the API answers 403 JSON, as DRF does.
        assert response.status_code == 403
        assert response.json()["detail"]
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    assert PATIENT.encode() not in response.content


def test_pta_refused_pharmacist_action_changes_nothing_and_says_why(pta_client, order):
    response = pta_client.post(
        f"/orders/{order.uid}/transition",
        {
            "action": "cancel",
            "expected_status": order.status,
            "reason": "x",
            "confirm": "on",
        },
    )

    assert response.status_code == 403
    assert "Only a pharmacist" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "waiting for pharmacy"
