"""CSRF is enforced on every POST a logged-in member of staff can make: the same URL walk, a
session, no token. The webhook (signed by RxScale, no session) is the only exemption."""

import pytest
from django.test import Client

from tests.conftest import post_signed
from tests.security.url_walk import all_urls

pytestmark = pytest.mark.django_db

WEBHOOK = "/webhooks/rxscale"
URLS = sorted(u for u in all_urls() if u[0] != WEBHOOK)


@pytest.fixture
def staff_client(pharmacy_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(pharmacy_admin)
    return client


def is_csrf_refusal(response) -> bool:
    # Django's CSRF failure page, or DRF's (its API views check CSRF on session logins).
    return response.status_code == 403 and (
        b"CSRF verification failed" in response.content or b"CSRF Failed" in response.content
    )


@pytest.mark.parametrize(("url", "name"), URLS)
def test_a_staff_post_without_token_is_refused(staff_client, url, name):
    response = staff_client.post(url, {"note": "x", "status": "in-progress"})

    assert is_csrf_refusal(response), f"{url} ({name}): {response.status_code}"


def test_the_same_post_with_the_token_gets_through(staff_client):
    """The refusal above is CSRF's, not the view's: with a token the view answers itself."""
    staff_client.get("/orders/")
    token = staff_client.cookies["csrftoken"].value

    response = staff_client.post("/orders/po-unknown/notes", {"csrfmiddlewaretoken": token})

    assert not is_csrf_refusal(response)
    assert response.status_code == 404


def test_the_webhook_is_exempt_and_signed_instead(payload):
    client = Client(enforce_csrf_checks=True)

    signed = post_signed(client, payload("pharmacy_order_created", uid="po-csrf-1"))
    unsigned = client.post(WEBHOOK, data=b"{}", content_type="application/json")

    assert signed.status_code == 200
    assert unsigned.status_code == 401
