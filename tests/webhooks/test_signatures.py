"""The signature battery and the endpoint's HTTP contract (405, 413, 503, trailing slash)."""

import pytest

from pharmacy_orders.models import PharmacyOrder
from rxscale.inbox.signature import secret_fingerprint, sign
from rxscale.models import WebhookDelivery
from tests.conftest import SECOND_SECRET, SECRET, WEBHOOK_URL, post_signed
from tests.webhooks.helpers import Status, answer, body_of, delivery_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def body(payload) -> bytes:
    return body_of(payload("pharmacy_sku_stock_updated"))


def _post(client, body: bytes, headers: dict, url: str = WEBHOOK_URL):
    return client.post(url, data=body, content_type="application/json", headers=headers)


def _assert_refused(response, status: int = 401) -> None:
    assert response.status_code == status
    assert "error" in answer(response)
    assert not WebhookDelivery.objects.exists()
    assert not PharmacyOrder.objects.exists()


def test_a_valid_signature_is_accepted_and_records_the_first_secret(client, body):
    # given a body signed with the first configured secret
    # when it is posted
    response = _post(client, body, {"X-Webhook-Signature": sign(body, SECRET)})

    # then it is stored with the index and fingerprint of that secret
    assert response.status_code == 200
    delivery = delivery_of(response)
    assert (delivery.secret_index, delivery.secret_fingerprint) == (0, secret_fingerprint(SECRET))
    assert bytes(delivery.body) == body


def test_the_second_of_two_secrets_is_accepted_and_recorded(client, body):
    # given a body signed with the second secret (a second subscription, or key rotation)
    # when it is posted
    response = _post(client, body, {"X-Webhook-Signature": sign(body, SECOND_SECRET)})

    # then it is stored and says which secret matched, without storing the secret
    assert response.status_code == 200
    delivery = delivery_of(response)
    assert delivery.secret_index == 1
    assert delivery.secret_fingerprint == secret_fingerprint(SECOND_SECRET)
    assert delivery.secret_fingerprint != secret_fingerprint(SECRET)
    assert SECOND_SECRET not in str(delivery.headers)


def test_the_signature_header_itself_is_not_stored(client, body):
    signature = sign(body, SECRET)
    delivery = delivery_of(_post(client, body, {"X-Webhook-Signature": signature}))
    assert signature not in str(delivery.headers)
    assert delivery.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "make_signature",
    [
        pytest.param(lambda body: sign(body + b" ", SECRET), id="tampered-body"),
        pytest.param(lambda body: sign(body, "whsec_wrong"), id="wrong-secret"),
        pytest.param(lambda body: "", id="empty-header"),
        pytest.param(lambda body: sign(body, SECRET).upper(), id="uppercase-hex"),
        pytest.param(lambda body: "z" * 64, id="garbage-hex"),
        pytest.param(lambda body: sign(body, SECRET)[:-1], id="truncated"),
        pytest.param(lambda body: "sha256=" + sign(body, SECRET), id="sha256-prefix"),
        pytest.param(lambda body: " " + sign(body, SECRET), id="leading-space"),
        pytest.param(lambda body: sign(body, SECRET) * 200, id="header-over-10kb"),
        pytest.param(lambda body: "a" * 20_000, id="garbage-over-10kb"),
        pytest.param(lambda body: sign(body, SECRET) + "," + sign(body, SECRET), id="list"),
        pytest.param(lambda body: "ä" * 64, id="non-ascii"),
    ],
)
def test_bad_signatures_are_refused_with_401_and_nothing_is_stored(client, body, make_signature):
    # given a valid body with a bad signature
    signature = make_signature(body)

    # when it is posted
    response = _post(client, body, {"X-Webhook-Signature": signature})

    # then it is refused and nothing is stored
    _assert_refused(response)


def test_a_tampered_body_with_the_original_signature_is_refused(client, payload):
    # given a signature over the real body
    original = payload("pharmacy_sku_stock_updated", stock=45)
    signature = sign(body_of(original), SECRET)

    # when an attacker changes the stock and keeps the signature
    tampered = body_of(payload("pharmacy_sku_stock_updated", stock=9999))
    response = _post(client, tampered, {"X-Webhook-Signature": signature})

    # then it is refused
    _assert_refused(response)


def test_a_signature_header_longer_than_10_kb_is_refused_even_if_it_starts_valid(client, body):
    # given a header of more than 10 KB that begins with the correct signature
    signature = sign(body, SECRET) + "0" * (10 * 1024)
    assert len(signature) > 10 * 1024

    # when it is posted, then it is refused like any other bad signature
    _assert_refused(_post(client, body, {"X-Webhook-Signature": signature}))


def test_a_missing_signature_header_is_refused(client, body):
    _assert_refused(_post(client, body, {}))


def test_a_signature_sent_in_another_header_is_refused(client, body):
    _assert_refused(_post(client, body, {"X-Signature": sign(body, SECRET)}))


def test_without_configured_secrets_the_intake_answers_503(client, body, settings):
    # given no secret configured
    settings.RXSCALE_WEBHOOK_SECRETS = []

    # when a delivery arrives, even one that would have been valid
    response = _post(client, body, {"X-Webhook-Signature": sign(body, SECRET)})

    # then nothing is accepted
    _assert_refused(response, status=503)


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_methods_are_405(client, body, method):
    response = getattr(client, method)(WEBHOOK_URL)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "error" in answer(response)
    assert not WebhookDelivery.objects.exists()


def test_the_endpoint_answers_with_a_trailing_slash_too(client, body):
    response = _post(client, body, {"X-Webhook-Signature": sign(body, SECRET)}, WEBHOOK_URL + "/")

    assert response.status_code == 200
    assert delivery_of(response).status == Status.RECEIVED


def test_the_endpoint_needs_no_login_and_no_csrf_token(body):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)

    response = _post(strict, body, {"X-Webhook-Signature": sign(body, SECRET)})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/octet-stream"]
)
def test_the_raw_body_is_verified_whatever_the_content_type(client, body, content_type):
    # the signature covers the raw bytes; nothing may parse them as a form first
    response = client.post(
        WEBHOOK_URL,
        data=body,
        content_type=content_type,
        headers={"X-Webhook-Signature": sign(body, SECRET)},
    )

    assert response.status_code == 200
    assert bytes(delivery_of(response).body) == body


def test_a_body_over_the_limit_is_413_and_not_stored(client, body, settings):
    # given a small limit
    settings.RXSCALE_WEBHOOK_MAX_BYTES = len(body) - 1

    # when a correctly signed body one byte over it arrives
    response = _post(client, body, {"X-Webhook-Signature": sign(body, SECRET)})

    # then it is refused before anything is stored
    _assert_refused(response, status=413)


def test_a_body_exactly_at_the_limit_is_accepted(client, body, settings):
    settings.RXSCALE_WEBHOOK_MAX_BYTES = len(body)

    response = _post(client, body, {"X-Webhook-Signature": sign(body, SECRET)})

    assert response.status_code == 200


def test_an_unsigned_oversized_body_is_413_before_any_hmac(client, body, settings):
    settings.RXSCALE_WEBHOOK_MAX_BYTES = 10

    response = _post(client, body, {})

    _assert_refused(response, status=413)


def test_post_signed_helper_signs_like_rxscale(client, payload):
    # The shared helper every other test uses must produce signatures the endpoint accepts.
    response = post_signed(client, payload("pharmacy_sku_stock_updated"), secret=SECOND_SECRET)

    assert response.status_code == 200
    assert delivery_of(response).secret_index == 1
