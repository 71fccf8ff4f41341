"""The workflow RxScale accepts: staff actions target only statuses the pharmacy may set, nothing
starts from `init`, and resume never goes back to a status only RxScale sets."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from pharmacy_orders.models import OrderStatus, PharmacyOrder
from pharmacy_orders.services.workflow import TRANSITIONS, order_offered_transitions
from pharmacy_orders.statuses import (
    COMPLETE_ORDER_TARGET,
    ORDER_STATUSES,
    RESUME_TARGETS,
    RXSCALE_ONLY_STATUSES,
    STATUS_ENDPOINT_TARGETS,
)
from tests.orders.conftest import CHECKLIST_FORM

S = OrderStatus


def post_transition(client, order, action, expected_status=None, **extra):
    data = {"action": action, "expected_status": expected_status or order.status, **extra}
    return client.post(f"/orders/{order.uid}/transition", data)


def status_of(order) -> str:
    return PharmacyOrder.objects.get(pk=order.pk).status


# --- The rule: every target is one the pharmacy may set, `completed` by "complete" only -------


@pytest.mark.parametrize("status", sorted(ORDER_STATUSES | {"shipped"}))
@pytest.mark.parametrize("before_hold", sorted(ORDER_STATUSES | {"", "shipped"}))
def test_no_offered_transition_targets_a_status_the_pharmacy_may_not_set(
    pharmacist, status, before_hold
):
    # every status an order can be in, with every status it may have been held from
    order = PharmacyOrder(uid="po-x", status=status, status_before_hold=before_hold)

    for offered in order_offered_transitions(order=order, user=pharmacist):
        assert offered.target not in RXSCALE_ONLY_STATUSES
        if offered.action == "complete":
            assert offered.target == COMPLETE_ORDER_TARGET
        else:
            assert offered.target in STATUS_ENDPOINT_TARGETS
        if offered.action == "resume":
            assert offered.target in RESUME_TARGETS


def test_the_map_never_targets_an_rxscale_only_status_and_completes_only_by_complete():
    for transition in TRANSITIONS.values():
        assert transition.target not in RXSCALE_ONLY_STATUSES
        assert (transition.target == S.COMPLETED) == (transition.action == "complete")


def test_nothing_starts_from_init():
    assert not [t.action for t in TRANSITIONS.values() if S.INIT in t.sources]


# --- Through the order page ---------------------------------------------------------------


def test_an_init_order_offers_no_review_and_says_why(pharmacist_client, make_order):
    order = make_order(status=S.INIT)

    page = pharmacist_client.get(f"/orders/{order.uid}/").content.decode()

    assert "Start review" not in page
    assert 'name="action"' not in page
    assert 'data-testid="init-note"' in page


@pytest.mark.parametrize(
    "action, extra",
    [
        ("review", {}),
        ("hold", {"reason": "Unreadable"}),
        ("cancel", {"reason": "x", "confirm": "on"}),
    ],
)
def test_no_action_is_taken_on_an_init_order(pharmacist_client, make_order, action, extra):
    order = make_order(status=S.INIT)

    response = post_transition(pharmacist_client, order, action, **extra)

    assert response.status_code == 409
    assert "not possible while the order is “Init”" in response.content.decode()
    assert status_of(order) == S.INIT


def test_review_starts_from_waiting_for_pharmacy(pta_client, make_order):
    order = make_order(status=S.WAITING_FOR_PHARMACY)
    page = pta_client.get(f"/orders/{order.uid}/").content.decode()
    assert "Start review" in page

    response = post_transition(pta_client, order, "review")

    assert response.status_code == 302
    assert status_of(order) == S.PENDING_REVIEW


def test_resume_after_a_hold_from_in_progress_goes_back_to_in_progress(pta_client, make_order):
    order = make_order(status=S.IN_PROGRESS)
    post_transition(pta_client, order, "hold", reason="Doctor must confirm")

    response = post_transition(pta_client, order, "resume", S.ON_HOLD)

    assert response.status_code == 302
    assert status_of(order) == S.IN_PROGRESS


def test_resume_after_a_hold_from_waiting_for_pharmacy_goes_to_the_fallback(pta_client, make_order):
    order = make_order(status=S.WAITING_FOR_PHARMACY)
    post_transition(pta_client, order, "hold", reason="Prescription unreadable")
    assert PharmacyOrder.objects.get(pk=order.pk).status_before_hold == S.WAITING_FOR_PHARMACY
    page = pta_client.get(f"/orders/{order.uid}/").content.decode()
    assert "Resume (Pending review)" in page

    response = post_transition(pta_client, order, "resume", S.ON_HOLD)

    assert response.status_code == 302
    assert status_of(order) == S.PENDING_REVIEW


def test_resume_after_a_hold_from_waiting_for_pharmacy_follows_the_setting(
    pta_client, make_order, settings
):
    settings.RXSCALE_RESUME_FALLBACK_STATUS = "in-progress"
    order = make_order(status=S.WAITING_FOR_PHARMACY)
    post_transition(pta_client, order, "hold", reason="Prescription unreadable")
    page = pta_client.get(f"/orders/{order.uid}/").content.decode()
    assert "Resume (In progress)" in page

    post_transition(pta_client, order, "resume", S.ON_HOLD)

    assert status_of(order) == S.IN_PROGRESS


def test_a_hold_rxscale_set_on_an_init_order_resumes_to_the_fallback(
    pta_client, make_order, update_order
):
    make_order(status=S.INIT)
    held = update_order(status=S.ON_HOLD)
    assert held.status_before_hold == S.INIT

    post_transition(pta_client, held, "resume", S.ON_HOLD)

    assert status_of(held) == S.PENDING_REVIEW


@pytest.mark.parametrize("fallback", [None, "in-progress"])
def test_an_order_arriving_on_hold_resumes_to_the_fallback(
    pta_client, make_order, settings, fallback
):
    if fallback:
        settings.RXSCALE_RESUME_FALLBACK_STATUS = fallback
    order = make_order(status=S.ON_HOLD)
    assert order.status_before_hold == ""

    response = post_transition(pta_client, order, "resume")

    assert response.status_code == 302
    assert status_of(order) == (fallback or S.PENDING_REVIEW)


def test_a_pta_cannot_resume_to_a_ready_for_pickup_fallback(
    pta_client, pharmacist_client, make_order, settings
):
    settings.RXSCALE_RESUME_FALLBACK_STATUS = "ready_for_pickup"
    order = make_order(status=S.ON_HOLD, prepaid=0)

    assert post_transition(pta_client, order, "resume").status_code == 403
    assert post_transition(pharmacist_client, order, "resume", **CHECKLIST_FORM).status_code == 302
    assert status_of(order) == S.READY_FOR_PICKUP


# --- The setting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["init", "waiting for pharmacy", "on-hold", "completed", "cancelled", "Pending review", ""],
)
def test_an_invalid_fallback_is_refused_at_startup(settings, value):
    settings.RXSCALE_RESUME_FALLBACK_STATUS = value

    with pytest.raises(ImproperlyConfigured, match="RXSCALE_RESUME_FALLBACK_STATUS"):
        apps.get_app_config("pharmacy_orders").ready()


@pytest.mark.parametrize("value", sorted(RESUME_TARGETS))
def test_every_resume_target_is_a_valid_fallback(settings, value):
    settings.RXSCALE_RESUME_FALLBACK_STATUS = value

    apps.get_app_config("pharmacy_orders").ready()


def test_an_invalid_fallback_set_at_runtime_refuses_the_resume(pta_client, make_order, settings):
    order = make_order(status=S.ON_HOLD)
    settings.RXSCALE_RESUME_FALLBACK_STATUS = "waiting for pharmacy"

    with pytest.raises(ImproperlyConfigured):
        post_transition(pta_client, order, "resume")

    assert status_of(order) == S.ON_HOLD
