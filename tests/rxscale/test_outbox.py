"""Staff actions reach RxScale exactly once: the outbox against the real stand-in, over HTTP."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from common.sync_state import SyncState
from pharmacy_orders.models import AuditEntry, OrderConflict, PharmacyOrder
from rxscale.outbox.models import OutboundCommand
from rxscale.standin.faults import Fault
from tests.rxscale.outbox_helpers import (
    UID,
    act,
    connected_standin,  # noqa: F401 (the `standin` fixture)
    one_pharmacist_with_the_original,
    order_known_to_both,
    patches,
    post,
    refused_review,
    send_all,
)

pytestmark = pytest.mark.django_db
S = OutboundCommand.Status


@pytest.fixture
def web():
    """Django's test client (this folder's `client` is the API client)."""
    return Client()


@pytest.fixture
def staff(web, pharmacist, standin, settings):
    order_known_to_both(web, standin)
    one_pharmacist_with_the_original(settings, pharmacist)
    web.force_login(pharmacist)
    return web


def order() -> PharmacyOrder:
    return PharmacyOrder.objects.get(uid=UID)


def test_each_action_becomes_one_command_sent_once_in_order(staff, standin):
    # given an order both sides know, and four staff actions in a row
    for action, expected in [
        ("review", "waiting for pharmacy"),
        ("start", "pending review"),
        ("ready", "in-progress"),
        ("complete", "ready_for_pickup"),
    ]:
        assert act(staff, action, expected).status_code == 302
    # then each wrote a command with the change, and nothing was sent yet
    assert OutboundCommand.objects.filter(status=S.PENDING).count() == 4
    assert order().sync_state == SyncState.PENDING

    # when the worker sends
    send_all()

    # then RxScale got exactly one request per action, in order, completion via complete_order
    sent = [(r.path.rsplit("/", 1)[-1], r.body) for r in patches(standin)]
    assert [path for path, _ in sent] == ["status", "status", "status", "complete_order"]
    assert [b'"pending review"' in sent[0][1], b'"in-progress"' in sent[1][1]] == [True, True]
    assert standin.store.order(UID)["status"] == "completed"
    assert set(OutboundCommand.objects.values_list("status", flat=True)) == {S.SENT}
    assert order().sync_state == SyncState.IN_SYNC


def test_the_hold_reason_is_the_comment(staff, standin):
    act(staff, "hold", "waiting for pharmacy", reason="Dose unclear, calling the doctor")
    send_all()
    (request,) = patches(standin)
    assert b"Dose unclear, calling the doctor" in request.body
    assert standin.store.order(UID)["status"] == "on-hold"


def test_an_outage_then_recovery_lands_exactly_one_patch(staff, standin):
    # given RxScale answers 500 twice, then drops a connection it had acted on
    standin.faults.inject(Fault(kind="error", count=2, path="/status"))
    standin.faults.inject(Fault(kind="drop", apply=True, path="/status"))
    act(staff, "review", "waiting for pharmacy")

    send_all()

    # then the command is sent, found in effect after the lost answer, and applied once
    command = OutboundCommand.objects.get()
    assert command.status == S.SENT
    assert "Already in effect" in command.outcome_note
    # (the stand-in records the requests that reached its store: the 500s did not)
    (applied,) = patches(standin)
    assert b"pending review" in applied.body
    assert standin.store.order(UID)["status"] == "pending review"
    assert order().sync_state == SyncState.IN_SYNC


def test_a_permanent_error_shows_on_the_order_and_retry_is_audited(staff, standin):
    # given RxScale refuses the change once with a validation error
    command = refused_review(staff, standin)

    # then the command failed, the order says so with RxScale's message, the worklist flags it
    assert command.http_status == 422
    assert order().sync_state == SyncState.FAILED
    page = staff.get(f"/orders/{UID}/").content.decode()
    assert "Not synced with RxScale" in page
    assert "Not synced" in staff.get("/orders/").content.decode()

    # when a pharmacist sends it again
    response = staff.post(f"/rxscale/commands/{command.pk}/retry")
    assert response.status_code == 302
    send_all()

    # then it landed once, and the retry is in the audit trail
    command.refresh_from_db()
    assert command.status == S.SENT
    assert standin.store.order(UID)["status"] == "pending review"
    assert AuditEntry.objects.filter(action="outbox_retry", order_uid=UID).exists()
    assert order().sync_state == SyncState.IN_SYNC


def test_discard_needs_a_reason_and_is_audited(staff, standin):
    command = refused_review(staff, standin, status=409)

    staff.post(f"/rxscale/commands/{command.pk}/discard", {"reason": " "})
    command.refresh_from_db()
    assert command.status == S.FAILED  # refused: no reason

    staff.post(f"/rxscale/commands/{command.pk}/discard", {"reason": "Done in RxScale's tool"})
    command.refresh_from_db()
    assert command.status == S.DISCARDED
    assert "Done in RxScale's tool" in command.outcome_note
    entry = AuditEntry.objects.get(action="outbox_discard")
    assert entry.details["reason"] == "Done in RxScale's tool"
    assert order().sync_state == SyncState.IN_SYNC


def test_a_pta_may_not_retry_or_discard(web, pta, standin):
    order_known_to_both(web, standin)
    web.force_login(pta)
    command = refused_review(web, standin)
    assert web.post(f"/rxscale/commands/{command.pk}/retry").status_code == 403
    assert web.post(f"/rxscale/commands/{command.pk}/discard", {"reason": "x"}).status_code == 403
    command.refresh_from_db()
    assert command.status == S.FAILED


def test_a_later_command_waits_for_an_earlier_failed_one(staff, standin):
    standin.faults.inject(Fault(kind="error", status=422, path="/status"))
    act(staff, "review", "waiting for pharmacy")
    send_all()
    act(staff, "start", "pending review")
    send_all()

    statuses = list(OutboundCommand.objects.order_by("id").values_list("status", flat=True))
    assert statuses == [S.FAILED, S.PENDING]
    assert patches(standin) == []  # the refused one did not land, the later one was held back
    assert standin.store.order(UID)["status"] == "waiting for pharmacy"


def test_rxscale_cancelling_during_a_pending_command_wins(staff, standin, web):
    # given a staff action whose command cannot reach RxScale (down)
    standin.faults.inject(Fault(kind="error", count=3, path="/status"))
    act(staff, "review", "waiting for pharmacy")
    outbox_attempt_once()

    # when RxScale cancels the order and its webhook arrives
    cancelled = standin.store.rxscale_set_status(UID, "cancelled")
    deliver_snapshot(web, cancelled)

    # then RxScale's decision holds, the command is discarded with the reason, staff see why
    assert order().status == "cancelled"
    command = OutboundCommand.objects.get()
    assert command.status == S.DISCARDED
    assert "RxScale set the order to “cancelled”" in command.outcome_note
    assert order().sync_state == SyncState.IN_SYNC
    page = staff.get(f"/orders/{UID}/").content.decode()
    assert "RxScale set the order to “cancelled”" in page
    send_all()
    assert patches(standin) == [r for r in patches(standin) if r.status == 500]


def test_a_snapshot_does_not_revert_a_change_still_on_its_way(staff, standin, web):
    # given a staff action not yet at RxScale
    act(staff, "review", "waiting for pharmacy")
    # when RxScale sends a newer snapshot that does not know it yet (another field changed)
    snapshot = dict(standin.store.order(UID))
    snapshot["updated_at"] += 3600
    snapshot["name"] = "#renamed"
    deliver_snapshot(web, snapshot)

    # then the order keeps the staff status, takes the rest, and the timeline says why
    assert order().status == "pending review"
    assert order().name == "#renamed"
    assert OrderConflict.objects.filter(kept="local").exists()

    # and once sent, RxScale's echo leaves it where it is
    send_all()
    deliver_snapshot(web, standin.store.order(UID))
    assert order().status == "pending review"
    assert order().sync_state == SyncState.IN_SYNC


def test_stock_adjustment_is_sent_as_the_counted_figure(staff, standin, pharmacy_admin):
    staff.force_login(pharmacy_admin)
    psku_uid = standin.store.order(UID)["order_items"][0]["pharmacy_sku"]["uid"]
    from inventory.models import PharmacySku

    current = PharmacySku.objects.get(uid=psku_uid).stock
    response = staff.post(
        f"/inventory/{psku_uid}/adjust/",
        {"new_stock": current + 5, "reason": "Stock count", "expected_stock": current},
    )
    assert response.status_code == 302
    assert "It will be sent to RxScale." in staff.get(response.url).content.decode()
    send_all()
    (request,) = patches(standin, psku_uid)
    assert request.path.endswith("/stock")
    assert standin.store.sku(psku_uid)["stock"] == current + 5
    assert PharmacySku.objects.get(uid=psku_uid).sync_state == SyncState.IN_SYNC


def test_local_only_mode_writes_no_command_and_says_so(web, pharmacist, standin, settings):
    order_known_to_both(web, standin)
    settings.RXSCALE_API_BASE_URL = ""
    web.force_login(pharmacist)

    act(web, "review", "waiting for pharmacy")

    assert not OutboundCommand.objects.exists()
    assert order().status == "pending review"
    page = web.get(f"/orders/{UID}/").content.decode()
    assert 'data-testid="local-only-banner"' in page
    assert "RxScale is not told" in page


def test_connected_mode_has_no_local_only_banner_and_says_what_is_sent(staff):
    page = staff.get(f"/orders/{UID}/").content.decode()
    assert 'data-testid="local-only-banner"' not in page
    assert "sent to RxScale as the on-hold comment" in page
    assert "sends the cancellation and your reason to RxScale" in page


def outbox_attempt_once() -> None:
    from rxscale.outbox.sending import outbox_send_due

    outbox_send_due(worker_id="test-worker", limit=50)


def deliver_snapshot(web, data: dict) -> None:
    """RxScale's webhook for its current order, signed and posted to our endpoint."""
    body = {"event_type": "pharmacy_order_updated", "timestamp": data["updated_at"], "data": data}
    post(web, body)


def test_the_catch_up_sync_reverts_nothing_still_pending(staff, standin):
    # given a staff action whose command cannot reach RxScale yet (down)
    standin.faults.inject(Fault(kind="error", count=3, path="/status"))
    act(staff, "review", "waiting for pharmacy")
    outbox_attempt_once()
    # and RxScale changed something else on the order (its webhook was lost)
    standin.store.rxscale_set_status(UID, "waiting for pharmacy")

    call_command("rxscale_sync", "--orders", stdout=StringIO())

    # then the sync brought RxScale's newer version, but the staff status holds
    assert order().status == "pending review"
    assert order().rx_updated_at.timestamp() == standin.store.order(UID)["updated_at"]
    assert order().sync_state == SyncState.PENDING
    # and once RxScale is back, the change lands
    send_all()
    assert standin.store.order(UID)["status"] == "pending review"
