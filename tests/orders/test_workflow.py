"""The transition map and the transition service, through the order page's form."""

import pytest

from pharmacy_orders.models import AuditEntry, OrderStatus, PharmacyOrder
from pharmacy_orders.services.workflow import (
    PHARMACIST_TARGETS,
    TRANSITIONS,
    StaleOrderStatus,
    TransitionForbidden,
    TransitionInvalid,
    TransitionNotAllowed,
    order_transition,
)
from tests.orders.conftest import CHECKLIST_FORM

S = OrderStatus


def post_transition(client, order, action, expected_status=None, **extra):
    data = {"action": action, "expected_status": expected_status or order.status, **extra}
    return client.post(f"/orders/{order.uid}/transition", data)


def status_of(order) -> str:
    return PharmacyOrder.objects.get(pk=order.pk).status


# --- The map -----------------------------------------------------------------------------


def _targets_from(status: str) -> set[str]:
    return {t.target for t in TRANSITIONS.values() if status in t.sources}


def test_the_forward_path_is_review_start_ready_complete():
    # `init` is not the pharmacy's yet: review starts from `waiting for pharmacy`.
    assert _targets_from(S.INIT) == set()
    assert _targets_from(S.WAITING_FOR_PHARMACY) == {S.PENDING_REVIEW, S.ON_HOLD, S.CANCELLED}
    assert _targets_from(S.PENDING_REVIEW) == {S.IN_PROGRESS, S.ON_HOLD, S.CANCELLED}
    assert _targets_from(S.IN_PROGRESS) == {S.READY_FOR_PICKUP, S.ON_HOLD, S.CANCELLED}
    assert _targets_from(S.READY_FOR_PICKUP) == {S.COMPLETED, S.ON_HOLD, S.CANCELLED}
    # Resume has no fixed target: it goes back to the status before the hold.
    assert _targets_from(S.ON_HOLD) == {None, S.CANCELLED}


@pytest.mark.parametrize("status", [S.COMPLETED, S.CANCELLED])
def test_final_statuses_offer_nothing(status):
    assert _targets_from(status) == set()


def test_pharmacist_only_targets_are_release_complete_and_cancel():
    assert {S.READY_FOR_PICKUP, S.COMPLETED, S.CANCELLED} == PHARMACIST_TARGETS


def test_on_hold_and_cancel_need_a_reason_and_cancel_a_confirmation():
    assert TRANSITIONS["hold"].reason_required
    assert TRANSITIONS["cancel"].reason_required
    assert TRANSITIONS["cancel"].confirmation_required
    assert not TRANSITIONS["hold"].confirmation_required


# --- Through the page ---------------------------------------------------------------------


def test_pharmacist_moves_an_order_through_every_status_to_completed(
    pharmacist_client, pharmacist, make_order, settings
):
    # A pharmacy with one pharmacist (four eyes waived), and an e-prescription (no original)
    settings.RELEASE_SINGLE_PERSON_ALLOWED = True
    order = make_order(prepaid=0)
    steps = [
        ("review", S.PENDING_REVIEW),
        ("start", S.IN_PROGRESS),
        ("ready", S.READY_FOR_PICKUP),
        ("complete", S.COMPLETED),
    ]
    for action, target in steps:
        extra = CHECKLIST_FORM if action == "ready" else {}
        response = post_transition(pharmacist_client, order, action, status_of(order), **extra)
        assert response.status_code == 302, response.content
        assert response["Location"] == f"/orders/{order.uid}/"
        assert status_of(order) == target

    changes = list(order.status_changes.filter(user=pharmacist).values_list("to_status", flat=True))
    assert changes == [target for _, target in steps]
    audited = AuditEntry.objects.filter(action="order_transition", order_uid=order.uid)
    assert [e.details["to"] for e in audited.order_by("id")] == [t for _, t in steps]
    assert all(e.user == pharmacist for e in audited)


def test_success_message_names_both_statuses(pharmacist_client, order):
    response = post_transition(pharmacist_client, order, "review")

    page = pharmacist_client.get(response["Location"]).content.decode()
    assert "Waiting for pharmacy → Pending review" in page


def test_page_offers_only_what_the_map_allows_from_the_current_status(pharmacist_client, order):
    page = pharmacist_client.get(f"/orders/{order.uid}/").content.decode()

    assert 'value="review"' in page
    assert 'value="hold"' in page
    assert 'value="cancel"' in page
    assert 'value="start"' not in page
    assert 'value="complete"' not in page
    assert 'value="resume"' not in page


def test_pta_sees_pharmacist_only_actions_disabled_and_labelled(pta_client, make_order):
    order = make_order(status=S.IN_PROGRESS)

    page = pta_client.get(f"/orders/{order.uid}/").content.decode()

    assert "Pharmacist only" in page
    assert 'aria-describedby="pharm-ready"' in page


def test_a_transition_the_map_does_not_allow_is_refused_and_changes_nothing(
    pharmacist_client, order
):
    response = post_transition(pharmacist_client, order, "complete")

    assert response.status_code == 409
    assert "not possible while the order is “Waiting for pharmacy”" in response.content.decode()
    assert status_of(order) == S.WAITING_FOR_PHARMACY
    assert not order.status_changes.filter(user__isnull=False).exists()
    refused = AuditEntry.objects.get(action="order_transition_refused")
    assert refused.details["code"] == "not_allowed"


def test_an_unknown_action_is_refused(pharmacist_client, order):
    response = post_transition(pharmacist_client, order, "ship-it")

    assert response.status_code == 400
    assert status_of(order) == S.WAITING_FOR_PHARMACY


def test_pta_may_review_start_and_hold(pta_client, order):
    assert post_transition(pta_client, order, "review").status_code == 302
    assert post_transition(pta_client, order, "start", S.PENDING_REVIEW).status_code == 302
    response = post_transition(pta_client, order, "hold", S.IN_PROGRESS, reason="Call doctor")
    assert response.status_code == 302
    assert status_of(order) == S.ON_HOLD


@pytest.mark.parametrize(
    "status, action, extra",
    [
        (S.IN_PROGRESS, "ready", {}),
        (S.READY_FOR_PICKUP, "complete", {}),
        (S.WAITING_FOR_PHARMACY, "cancel", {"reason": "Invalid", "confirm": "on"}),
    ],
)
def test_pta_is_refused_pharmacist_only_actions(pta_client, make_order, status, action, extra):
    order = make_order(status=status)

    response = post_transition(pta_client, order, action, **extra)

    assert response.status_code == 403
    assert "Only a pharmacist" in response.content.decode()
    assert status_of(order) == status
    assert AuditEntry.objects.get(action="order_transition_refused").details["code"] == "forbidden"


# --- On hold and resume -------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_on_hold_needs_a_non_blank_reason(pta_client, order, reason):
    response = post_transition(pta_client, order, "hold", reason=reason)

    assert response.status_code == 400
    assert "A reason is required" in response.content.decode()
    assert status_of(order) == S.WAITING_FOR_PHARMACY


def test_on_hold_keeps_the_reason_and_resume_returns_to_the_status_before(
    pta_client, pta, make_order
):
    order = make_order(status=S.IN_PROGRESS)

    post_transition(pta_client, order, "hold", reason="Waiting for the doctor's call")
    order.refresh_from_db()
    assert order.status == S.ON_HOLD
    assert order.status_before_hold == S.IN_PROGRESS
    assert order.hold_reason == "Waiting for the doctor's call"
    change = order.status_changes.get(user=pta)
    assert change.reason == "Waiting for the doctor's call"
    page = pta_client.get(f"/orders/{order.uid}/").content.decode()
    assert "Resume" in page and "(In progress)" in page

    response = post_transition(pta_client, order, "resume", S.ON_HOLD)

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.IN_PROGRESS
    assert order.status_before_hold == ""
    assert order.hold_reason == ""


def test_resuming_to_ready_for_pickup_is_a_pharmacist_decision(
    pta_client, pharmacist_client, make_order
):
    order = make_order(status=S.READY_FOR_PICKUP, prepaid=0)
    post_transition(pta_client, order, "hold", reason="Patient asked to wait")

    assert post_transition(pta_client, order, "resume", S.ON_HOLD).status_code == 403
    response = post_transition(pharmacist_client, order, "resume", S.ON_HOLD, **CHECKLIST_FORM)
    assert response.status_code == 302
    assert status_of(order) == S.READY_FOR_PICKUP


def test_an_order_that_arrived_on_hold_resumes_to_pending_review(pta_client, make_order):
    order = make_order(status=S.ON_HOLD)

    post_transition(pta_client, order, "resume")

    assert status_of(order) == S.PENDING_REVIEW


# --- Cancel ----------------------------------------------------------------------------------


def test_cancel_form_says_rxscale_is_not_told(pharmacist_client, order):
    page = pharmacist_client.get(f"/orders/{order.uid}/").content.decode()

    assert "RxScale is not told (local-only mode)" in page
    assert "I understand that this cancels the order here only" in page
    assert "sent to RxScale as the on-hold comment" not in page
    assert 'data-testid="local-only-banner"' in page


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"confirm": "on"}, "A reason is required for cancelling."),
        ({"reason": "Forged prescription"}, "Confirm the cancellation"),
    ],
)
def test_cancel_needs_a_reason_and_a_confirmation(pharmacist_client, order, extra, message):
    response = post_transition(pharmacist_client, order, "cancel", **extra)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert status_of(order) == S.WAITING_FOR_PHARMACY


def test_cancel_with_reason_and_confirmation(pharmacist_client, pharmacist, order):
    response = post_transition(
        pharmacist_client, order, "cancel", reason="Forged prescription", confirm="on"
    )

    assert response.status_code == 302
    assert status_of(order) == S.CANCELLED
    assert order.status_changes.get(user=pharmacist).reason == "Forged prescription"
    page = pharmacist_client.get(response["Location"]).content.decode()
    assert "It has left your worklist" in page


# --- Two clerks at once ----------------------------------------------------------------------


def test_of_two_clerks_acting_on_the_same_status_one_wins_and_the_other_is_told(
    pta_client, pharmacist_client, order
):
    seen = order.status  # both loaded the page while it was waiting for pharmacy

    first = post_transition(pta_client, order, "review", seen)
    second = post_transition(pharmacist_client, order, "hold", seen, reason="Question")

    assert first.status_code == 302
    assert second.status_code == 409
    text = second.content.decode()
    assert "changed while you were looking at it" in text
    assert "now “Pending review” (changed by pta)" in text
    assert status_of(order) == S.PENDING_REVIEW
    assert order.status_changes.filter(user__isnull=False).count() == 1


def test_a_stale_status_after_an_rxscale_update_is_refused(pta_client, order, update_order):
    update_order(uid=order.uid, status=S.CANCELLED)

    response = post_transition(pta_client, order, "review", S.WAITING_FOR_PHARMACY)

    assert response.status_code == 409
    assert "(changed by RxScale)" in response.content.decode()
    assert status_of(order) == S.CANCELLED


# --- The service -----------------------------------------------------------------------------


def test_service_refusals_are_typed(pta, pharmacist, make_order):
    order = make_order(status=S.IN_PROGRESS)
    call = {"order_uid": order.uid, "expected_status": S.IN_PROGRESS}

    with pytest.raises(TransitionForbidden):
        order_transition(action="ready", user=pta, **call)
    with pytest.raises(TransitionNotAllowed):
        order_transition(action="review", user=pharmacist, **call)
    with pytest.raises(StaleOrderStatus):
        order_transition(
            action="ready", user=pharmacist, order_uid=order.uid, expected_status=S.PENDING_REVIEW
        )
    with pytest.raises(TransitionInvalid):
        order_transition(action="hold", user=pharmacist, reason=" ", **call)
    with pytest.raises(PharmacyOrder.DoesNotExist):
        order_transition(
            action="ready", user=pharmacist, order_uid="nope", expected_status=S.IN_PROGRESS
        )
    assert status_of(order) == S.IN_PROGRESS
    assert AuditEntry.objects.filter(action="order_transition_refused").count() == 4


def test_a_refused_transition_sends_nothing(pta, order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(TransitionNotAllowed):
        order_transition(
            order_uid=order.uid,
            action="complete",
            user=pta,
            expected_status=order.status,
        )
    assert callbacks == []


def test_finishing_an_order_ends_the_claim(pharmacist_client, pharmacist, make_order):
    order = make_order(status=S.READY_FOR_PICKUP, prepaid=0)
    pharmacist_client.post(f"/orders/{order.uid}/claim")

    post_transition(pharmacist_client, order, "complete")

    order.refresh_from_db()
    assert order.status == S.COMPLETED
    assert order.claimed_by is None
    assert order.status_changes.get(user=pharmacist).to_status == S.COMPLETED


def test_an_overlong_reason_is_refused_with_the_limit(pta_client, order):
    response = post_transition(pta_client, order, "hold", reason="x" * 2001)

    assert response.status_code == 400
    assert "at most 2000 characters" in response.content.decode()
    assert status_of(order) == S.WAITING_FOR_PHARMACY


@pytest.mark.parametrize("reason", ["\u200b", " \ufeff\u200b\t", "\u2060"])
def test_an_invisible_hold_reason_counts_as_blank(pta_client, order, reason):
    response = pta_client.post(
        f"/orders/{order.uid}/transition",
        {"action": "hold", "expected_status": order.status, "reason": reason},
    )

    order.refresh_from_db()
    assert response.status_code == 400
    assert order.status == "waiting for pharmacy"
