"""Management commands: reprocess_webhooks, rxscale_send (dry run and live), load_demo_data."""

import base64
import json
import socket
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from inventory.models import PharmacySku, Sku, StockLedgerEntry
from pharmacy_orders.models import OrderStatusChange, PharmacyOrder, PrescriptionDocument
from rxscale.inbox.signature import secret_fingerprint, sign
from rxscale.models import WebhookDelivery
from tests.conftest import SECOND_SECRET, SECRET, WEBHOOK_URL
from tests.webhooks.helpers import Status, delivery_of


def _run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


# --- reprocess_webhooks ---------------------------------------------------------------------


@pytest.fixture
def three_kinds(deliver, payload) -> dict[str, WebhookDelivery]:
    failed_body = payload("pharmacy_order_created", uid="po-bad")
    del failed_body["data"]["updated_at"]  # a missing identifier still fails the delivery
    return {
        "order": delivery_of(deliver(payload("pharmacy_order_created"))),
        "stock": delivery_of(deliver(payload("pharmacy_sku_stock_updated"))),
        "failed": delivery_of(deliver(failed_body)),
    }


def _runs() -> dict[int, object]:
    """When each delivery was last run: a reprocess moves it (attempts restart at 1)."""
    return dict(WebhookDelivery.objects.values_list("pk", "processed_at"))


def _rerun(before: dict, after: dict) -> set[int]:
    return {pk for pk, at in after.items() if at != before[pk]}


def test_reprocess_by_id_runs_only_those(three_kinds):
    before = _runs()
    stock = three_kinds["stock"]

    output = _run("reprocess_webhooks", str(stock.pk))

    assert output.splitlines() == [f"#{stock.pk}: processed", "Reprocessed 1 deliveries."]
    assert _rerun(before, _runs()) == {stock.pk}


def test_reprocess_by_status_runs_only_that_status(three_kinds):
    before = _runs()
    failed = three_kinds["failed"]

    output = _run("reprocess_webhooks", "--status", "failed")

    assert f"#{failed.pk}: failed" in output
    assert _rerun(before, _runs()) == {failed.pk}


def test_reprocess_by_type_runs_only_that_type_oldest_first(three_kinds):
    before = _runs()
    order, failed = three_kinds["order"], three_kinds["failed"]

    output = _run("reprocess_webhooks", "--type", "pharmacy_order_created")

    assert output.splitlines()[:2] == [f"#{order.pk}: processed", f"#{failed.pk}: failed"]
    assert _rerun(before, _runs()) == {order.pk, failed.pk}
    assert OrderStatusChange.objects.count() == 1  # re-running did not add history


def test_reprocess_filters_combine(three_kinds):
    before = _runs()

    _run("reprocess_webhooks", "--type", "pharmacy_order_created", "--status", "processed")

    assert _rerun(before, _runs()) == {three_kinds["order"].pk}


def test_reprocess_without_a_selection_refuses(three_kinds):
    with pytest.raises(CommandError, match="ids, --status or --type"):
        _run("reprocess_webhooks")


def test_reprocess_rejects_an_unknown_status(three_kinds):
    with pytest.raises(CommandError):
        _run("reprocess_webhooks", "--status", "exploded")


# --- rxscale_send --dry-run -----------------------------------------------------------------


def _split_dry_run(output: str) -> tuple[dict, bytes]:
    headers, end = json.JSONDecoder().raw_decode(output)
    body = output[end:].strip("\n")
    return headers, body.encode("utf-8")


def test_dry_run_prints_a_body_signed_like_rxscale(client, db):
    # when staff build an order event without sending it
    output = _run(
        "rxscale_send",
        "pharmacy_order_created",
        "--dry-run",
        "--uid",
        "po-dry-1",
        "--status",
        "waiting for pharmacy",
        "--pdf-size",
        "4096",
        "--level",
        "organisation",
    )

    # then the printed signature is the HMAC of the printed body with the first secret
    headers, body = _split_dry_run(output)
    assert headers["X-Webhook-Signature"] == sign(body, SECRET)
    assert headers["X-Webhook-Event"] == "pharmacy_order_created"
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert (payload["data"]["uid"], payload["data"]["status"]) == (
        "po-dry-1",
        "waiting for pharmacy",
    )
    assert "fulfillment" in payload["data"]
    pdf = base64.b64decode(payload["data"]["prescription_file"]["content_base64"])
    assert pdf.startswith(b"%PDF-") and len(pdf) == 4096
    # and nothing was sent
    assert not WebhookDelivery.objects.exists()

    # and the endpoint accepts exactly those bytes with exactly that signature
    response = client.post(
        WEBHOOK_URL,
        data=body,
        content_type=headers["Content-Type"],
        headers={"X-Webhook-Signature": headers["X-Webhook-Signature"]},
    )
    assert response.status_code == 200
    assert delivery_of(response).secret_index == 0


@pytest.mark.parametrize(
    ("event", "extra", "check"),
    [
        (
            "pharmacy_sku_stock_updated",
            ["--stock", "7", "--reserved", "9", "--uid", "psku-x"],
            lambda data: (data["uid"], data["stock"], data["reserved_amount"]) == ("psku-x", 7, 9),
        ),
        (
            "patient_doctor_meeting_updated",
            ["--uid", "m-9", "--updated-at", "1893457000"],
            lambda data: data["meeting_uid"] == "m-9",
        ),
        (
            "prescription.doctor_changed",
            ["--uid", "rx-9"],
            lambda data: data["prescription"]["uid"] == "rx-9",
        ),
    ],
)
def test_dry_run_builds_every_event_type(event, extra, check):
    headers, body = _split_dry_run(_run("rxscale_send", event, "--dry-run", *extra))

    assert headers["X-Webhook-Signature"] == sign(body, SECRET)
    assert check(json.loads(body)["data"])


def test_dry_run_signs_with_the_given_secret():
    headers, body = _split_dry_run(
        _run("rxscale_send", "pharmacy_sku_stock_updated", "--dry-run", "--secret", SECOND_SECRET)
    )

    assert headers["X-Webhook-Signature"] == sign(body, SECOND_SECRET)


def test_an_unknown_event_is_refused_with_the_choices():
    with pytest.raises(CommandError, match="pharmacy_order_created"):
        _run("rxscale_send", "pharmacy_order_exploded", "--dry-run")


def test_without_any_secret_rxscale_send_refuses(settings):
    settings.RXSCALE_WEBHOOK_SECRETS = []

    with pytest.raises(CommandError, match="No secret"):
        _run("rxscale_send", "pharmacy_order_created", "--dry-run")


# --- rxscale_send against a running server ----------------------------------------------------


def test_rxscale_send_to_the_live_server_creates_the_order(live_server):
    # given the app running as a real HTTP server (transactional: on-commit processing runs)
    url = live_server.url + WEBHOOK_URL

    # when staff send a signed order event to it
    output = _run(
        "rxscale_send",
        "pharmacy_order_created",
        "--url",
        url,
        "--uid",
        "po-live-1",
        "--status",
        "waiting for pharmacy",
        "--pdf-size",
        "20000",
    )

    # then the server answered 200 and the order, with its PDF, exists
    assert output.startswith("200 ")
    order = PharmacyOrder.objects.get(uid="po-live-1")
    assert order.status == "waiting for pharmacy"
    assert order.current_prescription.size == 20000
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.secret_fingerprint) == (
        Status.PROCESSED,
        secret_fingerprint(SECRET),
    )


def test_rxscale_send_with_a_wrong_secret_reports_the_401(live_server):
    with pytest.raises(CommandError, match="answered 401"):
        _run(
            "rxscale_send",
            "pharmacy_sku_stock_updated",
            "--url",
            live_server.url + WEBHOOK_URL,
            "--secret",
            "whsec_not_configured",
        )

    assert not WebhookDelivery.objects.exists()


def test_rxscale_send_to_a_closed_port_says_so():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # the port is closed again now: the connection is refused at once

    with pytest.raises(CommandError, match="Could not reach"):
        _run("rxscale_send", "pharmacy_sku_stock_updated", "--url", f"http://127.0.0.1:{port}/")


def test_rxscale_send_refuses_non_http_urls():
    with pytest.raises(CommandError, match="http"):
        _run("rxscale_send", "pharmacy_sku_stock_updated", "--url", "file:///etc/passwd")


# --- load_demo_data -----------------------------------------------------------------------------


def _counts() -> dict[str, int]:
    return {
        "deliveries": WebhookDelivery.objects.count(),
        "orders": PharmacyOrder.objects.count(),
        "status_changes": OrderStatusChange.objects.count(),
        "skus": Sku.objects.count(),
        "pharmacy_skus": PharmacySku.objects.count(),
        "ledger": StockLedgerEntry.objects.count(),
        "documents": PrescriptionDocument.objects.count(),
        "users": get_user_model().objects.count(),
    }


def test_load_demo_data_is_idempotent(settings, db, django_capture_on_commit_callbacks):
    # given a development setup
    settings.DEBUG = True

    # when the demo data is loaded twice
    with django_capture_on_commit_callbacks(execute=True):
        first_output = _run("load_demo_data")
    first = _counts()
    with django_capture_on_commit_callbacks(execute=True):
        second_output = _run("load_demo_data")

    # then the second run changed nothing, and every demo delivery was applied
    assert _counts() == first
    assert first["orders"] == 7 and first["pharmacy_skus"] == 4
    assert "11 sent, 11 new." in first_output
    assert "11 sent, 0 new." in second_output
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.PROCESSED}
    users = get_user_model().objects.filter(username__in=["pta", "pharmacist", "pharmacyadmin"])
    assert [
        (u.username, list(u.groups.values_list("name", flat=True)), u.is_staff, u.is_superuser)
        for u in users.order_by("username")
    ] == [
        ("pharmacist", ["Pharmacist"], False, False),
        ("pharmacyadmin", ["Pharmacy admin"], False, False),
        ("pta", ["Pharmacy staff"], False, False),
    ]
    assert PharmacyOrder.objects.get(uid="po-demo-1006").patient_name.startswith("<script>")


def test_load_demo_data_refuses_without_debug(settings, db):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        _run("load_demo_data")

    assert _counts() == {key: 0 for key in _counts()}


def test_load_demo_data_refuses_without_a_secret(settings, db):
    settings.DEBUG = True
    settings.RXSCALE_WEBHOOK_SECRETS = []

    with pytest.raises(CommandError, match="RXSCALE_WEBHOOK_SECRETS"):
        _run("load_demo_data")

    assert not WebhookDelivery.objects.exists()


def test_reprocess_goes_on_past_a_delivery_that_fails_and_reports_each(deliver, payload):
    # given two deliveries left waiting by a worker that died, the older one a poison row
    from tests.faults import fault_on_insert

    order = delivery_of(deliver(payload("pharmacy_order_created")))
    stock = delivery_of(deliver(payload("pharmacy_sku_stock_updated")))
    WebhookDelivery.objects.filter(pk__in=[order.pk, stock.pk]).update(status=Status.RECEIVED)

    # when the operator reprocesses every waiting row while the order's write still fails
    with fault_on_insert(PharmacyOrder._meta.db_table, event="UPDATE"):
        output = _run("reprocess_webhooks", "--status", "received")

    # then the failure did not stop the run: both rows are reported with their outcome
    assert output.splitlines() == [
        f"#{order.pk}: failed",
        f"#{stock.pk}: processed",
        "Reprocessed 2 deliveries.",
    ]
    assert WebhookDelivery.objects.get(pk=order.pk).error
