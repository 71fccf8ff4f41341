"""The deliveries admin: filters, search, redacted payload, links, reprocess, permissions."""

import pytest

from pharmacy_orders.models import OrderStatusChange, PharmacyOrder
from rxscale.inbox.payload import encode_body
from rxscale.inbox.samples import sample_pdf
from rxscale.models import WebhookDelivery
from tests.conftest import post_signed
from tests.faults import fault_on_insert
from tests.webhooks.helpers import Status, b64, delivery_of, stored_body

CHANGELIST = "/admin/rxscale/webhookdelivery/"


def _change_url(delivery: WebhookDelivery) -> str:
    return f"{CHANGELIST}{delivery.pk}/change/"


@pytest.fixture
def pharmacy_admin_client(client, pharmacy_admin):
    """A pharmacy admin: the role alone opens the admin site (no is_staff flag)."""
    client.force_login(pharmacy_admin)
    return client


@pytest.fixture
def deliveries(deliver, payload) -> dict[str, WebhookDelivery]:
    """One delivery of each interesting kind, delivered through HTTP."""
    failed_body = payload("pharmacy_order_created", uid="po-failed")
    del failed_body["data"]["updated_at"]  # a missing identifier still fails
    return {
        "order": delivery_of(deliver(payload("pharmacy_order_created", uid="po-admin-1"))),
        "stale": delivery_of(
            deliver(payload("pharmacy_order_created", uid="po-admin-1", updated_at=1711800000))
        ),
        "stock": delivery_of(deliver(payload("pharmacy_sku_stock_updated", uid="psku-admin-1"))),
        "meeting": delivery_of(deliver(payload("patient_doctor_meeting_updated"))),
        "failed": delivery_of(deliver(failed_body)),
        "ignored": delivery_of(deliver({"event_type": "test", "data": {}})),
        "invalid": delivery_of(deliver(b"\xff\xfe not json")),
    }


def _listed(response) -> set[int]:
    assert response.status_code == 200
    return {delivery.pk for delivery in response.context["cl"].result_list}


def test_the_changelist_lists_every_delivery(pharmacy_admin_client, deliveries):
    response = pharmacy_admin_client.get(CHANGELIST)

    assert _listed(response) == {d.pk for d in deliveries.values()}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Status.PROCESSED, {"order", "stock", "meeting"}),
        (Status.FAILED, {"failed"}),
        (Status.IGNORED, {"ignored"}),
        (Status.INVALID, {"invalid"}),
        (Status.STALE, {"stale"}),
    ],
)
def test_the_changelist_filters_by_status(pharmacy_admin_client, deliveries, status, expected):
    response = pharmacy_admin_client.get(CHANGELIST, {"status__exact": status})

    assert _listed(response) == {deliveries[name].pk for name in expected}


def test_the_changelist_filters_by_event_type(pharmacy_admin_client, deliveries):
    response = pharmacy_admin_client.get(
        CHANGELIST, {"event_type__exact": "pharmacy_sku_stock_updated"}
    )

    assert _listed(response) == {deliveries["stock"].pk}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("po-admin-1", {"order", "stale"}),
        ("psku-admin-1", {"stock"}),
        ("m-e2e-1", {"meeting"}),
        ("po-failed", {"failed"}),
    ],
)
def test_the_changelist_searches_by_subject_uid(pharmacy_admin_client, deliveries, query, expected):
    response = pharmacy_admin_client.get(CHANGELIST, {"q": query})

    assert _listed(response) == {deliveries[name].pk for name in expected}


def test_a_failed_delivery_is_found_by_the_uid_it_claims(pharmacy_admin_client, deliveries):
    # the uid is read before validation, so a delivery that failed is still findable
    response = pharmacy_admin_client.get(CHANGELIST, {"q": "po-failed"})

    assert _listed(response) == {deliveries["failed"].pk}
    html = response.content.decode()
    assert "po-failed" in html
    assert 'href="/orders/po-failed/"' not in html  # no link to a page that does not exist


def test_a_uid_that_cannot_be_a_url_fails_validation_and_the_admin_still_works(
    pharmacy_admin_client, deliver, payload
):
    # given an order whose uid contains "/" (it could never be linked as /orders/<uid>/)
    delivery = delivery_of(deliver(payload("pharmacy_order_created", uid="po/1")))

    # then it failed on that field, and the deliveries admin still renders and finds it
    assert delivery.status == Status.FAILED
    assert delivery.error_details == {
        "data": {"uid": ["Must not contain '/' or control characters."]}
    }
    assert _listed(pharmacy_admin_client.get(CHANGELIST, {"q": "po/1"})) == {delivery.pk}
    assert pharmacy_admin_client.get(_change_url(delivery)).status_code == 200


def test_the_changelist_links_deliveries_to_their_order_and_sku(pharmacy_admin_client, deliveries):
    response = pharmacy_admin_client.get(CHANGELIST)

    html = response.content.decode()
    assert 'href="/orders/po-admin-1/"' in html
    assert 'href="/inventory/psku-admin-1/"' in html


def test_the_change_page_shows_headers_payload_and_the_subject_link(
    pharmacy_admin_client, deliveries
):
    delivery = deliveries["order"]

    response = pharmacy_admin_client.get(_change_url(delivery))

    assert response.status_code == 200
    html = response.content.decode()
    assert "pharmacy_order_created" in html  # the X-Webhook-Event header and the payload
    assert "X-Webhook-Event" in html
    assert "application/json" in html
    assert "Max Mustermann" in html
    assert 'href="/orders/po-admin-1/"' in html
    assert delivery.secret_fingerprint in html


def test_the_change_page_of_a_legacy_delivery_redacts_the_pdf(
    pharmacy_admin_client, client, payload
):
    # given a row stored before intake took PDFs out, still holding the base64 in its body
    pdf = sample_pdf(5000)
    body = payload("pharmacy_order_created", pdf=pdf)
    delivery = delivery_of(post_signed(client, body))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(body=encode_body(body))
    assert b64(pdf).encode() in stored_body(delivery)

    # when an admin opens it
    response = pharmacy_admin_client.get(_change_url(delivery))

    # then the payload is shown with the base64 replaced by its size
    html = response.content.decode()
    assert response.status_code == 200
    assert f"[redacted: {len(b64(pdf))} base64 characters]" in html
    assert b64(pdf) not in html
    assert b64(pdf)[1000:1060] not in html
    assert "prescription_001.pdf" in html


def test_the_change_page_of_a_processed_delivery_shows_the_reference_not_the_pdf(
    pharmacy_admin_client, deliver, payload
):
    pdf = sample_pdf(5000)
    delivery = delivery_of(deliver(payload("pharmacy_order_created", pdf=pdf)))

    html = pharmacy_admin_client.get(_change_url(delivery)).content.decode()

    assert PharmacyOrder.objects.get().current_prescription.sha256 in html
    assert b64(pdf)[1000:1060] not in html


@pytest.mark.parametrize("name", ["failed", "ignored", "invalid", "meeting", "stock"])
def test_every_kind_of_delivery_has_a_working_change_page(pharmacy_admin_client, deliveries, name):
    response = pharmacy_admin_client.get(_change_url(deliveries[name]))

    assert response.status_code == 200


def test_the_change_page_of_an_invalid_body_describes_it_without_showing_bytes(
    pharmacy_admin_client, deliveries
):
    html = pharmacy_admin_client.get(_change_url(deliveries["invalid"])).content.decode()

    assert "Body is not UTF-8 encoded." in html
    assert "bytes not shown" in html


def test_the_change_page_of_a_failed_delivery_shows_the_field_errors(
    pharmacy_admin_client, deliveries
):
    html = pharmacy_admin_client.get(_change_url(deliveries["failed"])).content.decode()

    assert "Payload failed validation." in html
    assert "This field is required." in html


def test_a_processed_body_does_not_grow_with_the_pdf(deliver, payload):
    # given two orders, one with a tiny PDF and one with a 2 MB PDF
    small = delivery_of(
        deliver(payload("pharmacy_order_created", uid="po-small", pdf=sample_pdf(600)))
    )
    big_pdf = sample_pdf(2 * 1024 * 1024)
    big = delivery_of(deliver(payload("pharmacy_order_created", uid="po-large", pdf=big_pdf)))

    # when both have been processed
    assert (small.status, big.status) == (Status.PROCESSED, Status.PROCESSED)

    # then the stored bodies hold a reference, not the PDF, and are the same size
    small_body, big_body = stored_body(small), stored_body(big)
    assert b64(big_pdf)[:100].encode() not in big_body
    assert len(big_body) == len(small_body)
    assert len(big_body) < 5000
    assert big.body_redacted is True
    assert PharmacyOrder.objects.get(uid="po-large").current_prescription.size == len(big_pdf)


def test_the_reprocess_action_really_re_runs_the_handler(
    pharmacy_admin_client, deliver, payload, settings
):
    # given a delivery that failed because the database refused a write, the cause since gone
    with fault_on_insert(OrderStatusChange._meta.db_table):
        failed = delivery_of(deliver(payload("pharmacy_order_created")))
    assert failed.status == Status.FAILED

    # when an admin runs the reprocess action on it
    response = pharmacy_admin_client.post(
        CHANGELIST, {"action": "reprocess", "_selected_action": [failed.pk]}, follow=True
    )

    # then the handler ran again: processed, the order exists
    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == Status.PROCESSED
    assert PharmacyOrder.objects.get().uid == "po-abc123"
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Reprocessed 1: 1 processed."]


def test_the_reprocess_action_on_processed_deliveries_runs_them_again(
    pharmacy_admin_client, deliveries
):
    selected = [deliveries["order"].pk, deliveries["stock"].pk]
    before = dict(WebhookDelivery.objects.values_list("pk", "processed_at"))

    pharmacy_admin_client.post(CHANGELIST, {"action": "reprocess", "_selected_action": selected})

    for pk in selected:
        delivery = WebhookDelivery.objects.get(pk=pk)
        assert delivery.status == Status.PROCESSED
        assert delivery.processed_at > before[pk]


# --- Permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize("role_user", ["pta", "pharmacist", "no_role_user"])
def test_staff_without_the_admin_role_get_403_on_the_deliveries(
    client, deliveries, request, role_user
):
    # given a staff-flagged user without the pharmacy admin role
    user = request.getfixturevalue(role_user)
    user.is_staff = True
    user.save()
    client.force_login(user)

    # when they open the deliveries or try the reprocess action
    changelist = client.get(CHANGELIST)
    change = client.get(_change_url(deliveries["order"]))
    action = client.post(
        CHANGELIST, {"action": "reprocess", "_selected_action": [deliveries["failed"].pk]}
    )

    # then they are refused and nothing was reprocessed
    assert (changelist.status_code, change.status_code, action.status_code) == (403, 403, 403)
    assert WebhookDelivery.objects.get(pk=deliveries["failed"].pk).attempts == 1


def test_a_user_without_admin_access_gets_403(client, pta, deliveries):
    client.force_login(pta)

    response = client.get(CHANGELIST)

    assert response.status_code == 403
    assert b"po-admin-1" not in response.content


def test_anonymous_users_are_sent_to_login(client, deliveries):
    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_pharmacy_admin_cannot_edit_or_delete_deliveries(pharmacy_admin_client, deliveries):
    delivery = deliveries["order"]

    assert pharmacy_admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert (
        pharmacy_admin_client.post(
            f"{CHANGELIST}{delivery.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert WebhookDelivery.objects.filter(pk=delivery.pk).exists()
