"""Pharmacist release (four eyes): the checklist, the two-person rule and its setting, and a
release voided by a change from RxScale. Through the service, the order page and the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pharmacy_orders.models import AuditEntry, OrderStatus, PharmacistRelease, PharmacyOrder
from pharmacy_orders.services.gates import ReleaseChecklist
from pharmacy_orders.services.refusals import (
    ReleaseBySamePerson,
    ReleaseChecklistIncomplete,
    ReleaseVoided,
)
from pharmacy_orders.services.workflow import order_transition
from rxscale.inbox.samples import sample_pdf
from rxscale.outbox.models import OutboundCommand
from tests.orders.conftest import CHECKLIST_FORM, FULL_CHECKLIST

S = OrderStatus


def status_of(order) -> str:
    return PharmacyOrder.objects.get(pk=order.pk).status


def act(user, order, action, **extra):
    return order_transition(
        order_uid=order.uid,
        action=action,
        user=user,
        expected_status=status_of(order),
        **extra,
    )


@pytest.fixture
def prepared(pta, make_order):
    """An e-prescription order the PTA reviewed and prepared (moved to in-progress)."""
    order = make_order(prepaid=0)
    act(pta, order, "review")
    act(pta, order, "start")
    return order


@pytest.fixture
def connected(settings):
    settings.RXSCALE_API_BASE_URL = "http://127.0.0.1:9"
    settings.RXSCALE_API_KEY = "test-key"


# --- The checklist and the record ----------------------------------------------------------


def test_a_pharmacist_releases_what_a_pta_prepared_with_the_checklist(pta, pharmacist, prepared):
    outcome = act(pharmacist, prepared, "ready", checklist=FULL_CHECKLIST)

    assert status_of(prepared) == S.READY_FOR_PICKUP
    release = PharmacistRelease.objects.get()
    assert release.status_change == outcome.status_change
    assert (release.released_by, release.prepared_by) == (pharmacist, pta)
    assert release.released_at == outcome.status_change.created_at
    assert release.prescription_checked and release.doctor_and_signature_checked
    assert release.dose_and_interactions_plausible
    assert not release.single_person and release.voided_at is None
    entry = AuditEntry.objects.get(action="order_pharmacist_release")
    assert entry.user == pharmacist and entry.details["single_person"] is False


@pytest.mark.parametrize(
    "checklist",
    [
        None,
        ReleaseChecklist(),
        ReleaseChecklist(prescription_checked=True, doctor_and_signature_checked=True),
    ],
)
def test_a_release_needs_every_checklist_item(
    pharmacist, prepared, connected, django_capture_on_commit_callbacks, checklist
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ReleaseChecklistIncomplete) as refused,
    ):
        act(pharmacist, prepared, "ready", checklist=checklist)

    assert refused.value.code == "release_checklist_incomplete"
    assert refused.value.field == "checklist"
    assert "Dose and interactions plausible" in refused.value.message
    assert status_of(prepared) == S.IN_PROGRESS
    assert not PharmacistRelease.objects.exists()
    # The review and the start wrote theirs; the refused release wrote none.
    assert OutboundCommand.objects.count() == 0
    assert callbacks == []


def test_resuming_a_hold_to_ready_for_pickup_is_a_release_too(pharmacist, make_order, settings):
    settings.RXSCALE_RESUME_FALLBACK_STATUS = "ready_for_pickup"
    order = make_order(status=S.ON_HOLD, prepaid=0)

    with pytest.raises(ReleaseChecklistIncomplete):
        act(pharmacist, order, "resume")
    act(pharmacist, order, "resume", checklist=FULL_CHECKLIST)

    assert status_of(order) == S.READY_FOR_PICKUP
    assert PharmacistRelease.objects.get().released_by == pharmacist


# --- Four eyes --------------------------------------------------------------------------------


def test_who_prepared_the_order_cannot_release_it_alone(
    pharmacist, make_order, connected, django_capture_on_commit_callbacks
):
    order = make_order(prepaid=0)
    act(pharmacist, order, "review")
    act(pharmacist, order, "start")
    commands = OutboundCommand.objects.count()

    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ReleaseBySamePerson) as refused,
    ):
        act(pharmacist, order, "ready", checklist=FULL_CHECKLIST)

    assert refused.value.code == "release_same_person"
    assert refused.value.http_status == 403
    assert "another pharmacist must check and release it" in refused.value.message
    assert status_of(order) == S.IN_PROGRESS
    assert not PharmacistRelease.objects.exists()
    assert OutboundCommand.objects.count() == commands
    assert callbacks == []


def test_a_second_pharmacist_releases_what_the_first_prepared(
    pharmacist, second_pharmacist, make_order
):
    order = make_order(prepaid=0)
    act(pharmacist, order, "review")
    act(pharmacist, order, "start")

    act(second_pharmacist, order, "ready", checklist=FULL_CHECKLIST)

    release = PharmacistRelease.objects.get()
    assert (release.released_by, release.prepared_by) == (second_pharmacist, pharmacist)


def test_an_earlier_preparer_counts_too(pta, pharmacist, make_order):
    # the pharmacist started it, held it; a PTA resumed it to in-progress
    order = make_order(prepaid=0)
    act(pta, order, "review")
    act(pharmacist, order, "start")
    act(pharmacist, order, "hold", reason="Call the doctor")
    act(pta, order, "resume")
    assert status_of(order) == S.IN_PROGRESS

    with pytest.raises(ReleaseBySamePerson):
        act(pharmacist, order, "ready", checklist=FULL_CHECKLIST)


def test_the_setting_allows_a_single_person_release_and_flags_it(
    pharmacist, pharmacist_client, make_order, settings
):
    settings.RELEASE_SINGLE_PERSON_ALLOWED = True
    order = make_order(prepaid=0)
    act(pharmacist, order, "review")
    act(pharmacist, order, "start")

    act(pharmacist, order, "ready", checklist=FULL_CHECKLIST)

    release = PharmacistRelease.objects.get()
    assert release.single_person and release.prepared_by == pharmacist
    flagged = AuditEntry.objects.get(action="order_release_single_person")
    assert flagged.user == pharmacist and flagged.details["single_person"] is True
    assert not AuditEntry.objects.filter(action="order_pharmacist_release").exists()
    page = pharmacist_client.get(f"/orders/{order.uid}/").content.decode()
    assert "Single-person release" in page and "single-person release" in page  # card, timeline


# --- Over HTTP and the API --------------------------------------------------------------------


def test_the_order_page_offers_the_checklist_and_records_the_release(pharmacist_client, prepared):
    page = pharmacist_client.get(f"/orders/{prepared.uid}/").content.decode()
    assert "<fieldset" in page and "<legend>Release checklist" in page
    for name in CHECKLIST_FORM:
        assert f'name="{name}" required' in page

    response = pharmacist_client.post(
        f"/orders/{prepared.uid}/transition",
        {"action": "ready", "expected_status": S.IN_PROGRESS, **CHECKLIST_FORM},
    )

    assert response.status_code == 302
    page = pharmacist_client.get(f"/orders/{prepared.uid}/").content.decode()
    assert "Released by <strong>pharmacist</strong>" in page
    assert "Released by a pharmacist: checklist confirmed" in page  # the timeline
    assert "Prepared by pta" in page


def test_the_page_shows_a_refusal_and_keeps_the_ticks(pharmacist_client, prepared):
    response = pharmacist_client.post(
        f"/orders/{prepared.uid}/transition",
        {"action": "ready", "expected_status": S.IN_PROGRESS, "prescription_checked": "on"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "missing: Doctor and signature checked, Dose and interactions plausible" in page
    assert 'name="prescription_checked" required checked' in page
    assert 'name="doctor_and_signature_checked" required>' in page


def test_the_page_refuses_the_preparer_and_says_so_beforehand(
    pharmacist_client, pharmacist, make_order
):
    order = make_order(prepaid=0)
    act(pharmacist, order, "review")
    act(pharmacist, order, "start")
    page = pharmacist_client.get(f"/orders/{order.uid}/").content.decode()
    assert "another pharmacist must release it (four eyes)" in page

    response = pharmacist_client.post(
        f"/orders/{order.uid}/transition",
        {"action": "ready", "expected_status": S.IN_PROGRESS, **CHECKLIST_FORM},
    )

    assert response.status_code == 403
    assert "so you can&#x27;t release it" in response.content.decode()


def test_the_api_takes_the_checklist_and_answers_each_gate_with_its_code(
    pharmacist_client, prepared
):
    url = f"/orders/api/{prepared.uid}/transition"
    state = pharmacist_client.get(f"/orders/api/{prepared.uid}/").json()
    assert {t["action"]: t["checklist_required"] for t in state["transitions"]}["ready"] is True

    refused = pharmacist_client.post(
        url,
        {"action": "ready", "expected_status": S.IN_PROGRESS},
        content_type="application/json",
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "release_checklist_incomplete")

    checklist = {name: True for name in CHECKLIST_FORM}
    released = pharmacist_client.post(
        url,
        {"action": "ready", "expected_status": S.IN_PROGRESS, "checklist": checklist},
        content_type="application/json",
    )
    assert released.status_code == 200, released.content
    assert released.json()["status"] == S.READY_FOR_PICKUP


# --- A change from RxScale voids the release --------------------------------------------------


@pytest.fixture
def released(pharmacist, prepared):
    act(pharmacist, prepared, "ready", checklist=FULL_CHECKLIST)
    return prepared


def test_a_webhook_that_changes_the_items_voids_the_release(
    pharmacist, pharmacist_client, released, update_order
):
    update_order(uid=released.uid, status=S.READY_FOR_PICKUP, prepaid=0, amount=3)

    release = PharmacistRelease.objects.get()
    assert release.voided_at is not None and release.voided_by_delivery is not None
    assert "RxScale changed the items" in release.void_reason
    page = pharmacist_client.get(f"/orders/{released.uid}/").content.decode()
    assert "The pharmacist's release is void." in page
    assert "Release voided" in page  # the timeline

    # completing is refused until the order is checked and released again
    with pytest.raises(ReleaseVoided) as refused:
        act(pharmacist, released, "complete")
    assert refused.value.code == "release_voided"
    assert "Put the order on hold and resume it" in refused.value.message
    # the hold is from ready_for_pickup, so resuming goes back there: a new release
    act(pharmacist, released, "hold", reason="Items changed: check again")
    act(pharmacist, released, "resume", checklist=FULL_CHECKLIST)
    act(pharmacist, released, "complete")
    assert status_of(released) == S.COMPLETED
    assert [r.voided_at is None for r in PharmacistRelease.objects.all()] == [False, True]


def test_a_webhook_that_changes_the_prescription_voids_the_release(released, update_order):
    update_order(uid=released.uid, status=S.READY_FOR_PICKUP, prepaid=0, pdf=sample_pdf(777))

    assert "RxScale changed the prescription" in PharmacistRelease.objects.get().void_reason


def test_an_unchanged_webhook_leaves_the_release_and_costs_no_query(
    pta, released, make_order, update_order
):
    # given two orders, one released: the same unchanged update for each
    other = make_order(uid="po-2", prepaid=0)
    act(pta, other, "review")
    update_order(uid="po-2", status=S.PENDING_REVIEW, prepaid=0)
    update_order(uid=released.uid, status=S.READY_FOR_PICKUP, prepaid=0)

    with CaptureQueriesContext(connection) as plain:
        update_order(uid="po-2", status=S.PENDING_REVIEW, prepaid=0)
    with CaptureQueriesContext(connection) as with_release:
        update_order(uid=released.uid, status=S.READY_FOR_PICKUP, prepaid=0)

    assert PharmacistRelease.objects.get().voided_at is None
    assert len(with_release) == len(plain)


def test_a_changing_webhook_costs_one_query_for_the_void(pta, released, make_order, update_order):
    other = make_order(uid="po-2", prepaid=0)
    act(pta, other, "review")
    update_order(uid="po-2", status=S.PENDING_REVIEW, prepaid=0)
    update_order(uid=released.uid, status=S.READY_FOR_PICKUP, prepaid=0)

    with CaptureQueriesContext(connection) as plain:
        update_order(uid="po-2", status=S.PENDING_REVIEW, prepaid=0, amount=4)
    with CaptureQueriesContext(connection) as with_release:
        update_order(uid=released.uid, status=S.READY_FOR_PICKUP, prepaid=0, amount=4)

    assert PharmacistRelease.objects.get().voided_at is not None
    voids = [q for q in with_release if "pharmacistrelease" in q["sql"].lower()]
    assert len(voids) == 1 and voids[0]["sql"].startswith("UPDATE")
    assert len(with_release) == len(plain)  # the UPDATE runs (and finds nothing) for both
