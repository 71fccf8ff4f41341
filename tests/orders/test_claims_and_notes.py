"""Claim, explicit takeover, release; notes. All recorded on the timeline and in the audit."""

import pytest

from pharmacy_orders.models import AuditEntry, OrderNote, OrderStatus, PharmacyOrder


def claimant(order):
    return PharmacyOrder.objects.get(pk=order.pk).claimed_by


def test_a_clerk_claims_an_order_and_others_see_it(pta_client, pharmacist_client, pta, order):
    response = pta_client.post(f"/orders/{order.uid}/claim")

    assert response.status_code == 302
    assert claimant(order) == pta
    assert AuditEntry.objects.get(action="order_claim").user == pta
    worklist = pharmacist_client.get("/orders/").content.decode()
    assert '<span class="claimant">pta</span>' in worklist
    page = pharmacist_client.get(f"/orders/{order.uid}/").content.decode()
    assert "<strong>pta</strong> is working on this order" in page
    assert "Take over from pta" in page


def test_a_second_clerk_cannot_claim_without_taking_over(pta_client, pharmacist_client, pta, order):
    pta_client.post(f"/orders/{order.uid}/claim")

    response = pharmacist_client.post(f"/orders/{order.uid}/claim")

    assert response.status_code == 409
    assert "pta is already working on this order" in response.content.decode()
    assert claimant(order) == pta


def test_takeover_is_explicit_and_recorded(pta_client, pharmacist_client, pta, pharmacist, order):
    pta_client.post(f"/orders/{order.uid}/claim")

    response = pharmacist_client.post(
        f"/orders/{order.uid}/claim", {"takeover": "on", "expected_claimant": pta.pk}
    )

    assert response.status_code == 302
    assert claimant(order) == pharmacist
    takeover = AuditEntry.objects.get(action="order_takeover")
    assert takeover.user == pharmacist
    assert takeover.details["from_user"] == "pta"
    page = pharmacist_client.get(f"/orders/{order.uid}/").content.decode()
    assert "You took the order over from pta." in page
    assert "Taken over from pta" in page  # on the timeline


def test_a_takeover_of_a_claim_that_changed_meanwhile_is_refused(
    pta_client, pharmacist_client, admin_client_, pharmacy_admin, pta, order
):
    pta_client.post(f"/orders/{order.uid}/claim")
    admin_client_.post(
        f"/orders/{order.uid}/claim", {"takeover": "on", "expected_claimant": pta.pk}
    )

    # The pharmacist's page still said "claimed by pta".
    response = pharmacist_client.post(
        f"/orders/{order.uid}/claim", {"takeover": "on", "expected_claimant": pta.pk}
    )

    assert response.status_code == 409
    assert "now claimed by pharmacyadmin" in response.content.decode()
    assert claimant(order) == pharmacy_admin


def test_claiming_your_own_order_again_changes_nothing(pta_client, order):
    pta_client.post(f"/orders/{order.uid}/claim")
    pta_client.post(f"/orders/{order.uid}/claim")

    assert AuditEntry.objects.filter(action="order_claim").count() == 1


def test_release_by_the_claimant(pta_client, pta, order):
    pta_client.post(f"/orders/{order.uid}/claim")

    response = pta_client.post(f"/orders/{order.uid}/release")

    assert response.status_code == 302
    assert claimant(order) is None
    assert AuditEntry.objects.get(action="order_release").user == pta
    page = pta_client.get(f"/orders/{order.uid}/").content.decode()
    assert "Claim released" in page


def test_only_the_claimant_can_release(pta_client, pharmacist_client, pta, order):
    pta_client.post(f"/orders/{order.uid}/claim")

    response = pharmacist_client.post(f"/orders/{order.uid}/release")

    assert response.status_code == 409
    assert claimant(order) == pta


@pytest.mark.parametrize("status", [OrderStatus.COMPLETED, OrderStatus.CANCELLED])
def test_finished_orders_cannot_be_claimed(pta_client, make_order, status):
    order = make_order(status=status)

    response = pta_client.post(f"/orders/{order.uid}/claim")

    assert response.status_code == 409
    assert claimant(order) is None


def test_unknown_order_is_404(pta_client, db):
    assert pta_client.post("/orders/nope/claim").status_code == 404
    assert pta_client.post("/orders/nope/notes", {"text": "x"}).status_code == 404
    assert (
        pta_client.post(
            "/orders/nope/transition", {"action": "review", "expected_status": "init"}
        ).status_code
        == 404
    )


# --- Notes -----------------------------------------------------------------------------------


def test_notes_are_added_shown_on_the_timeline_and_audited(pta_client, pta, order):
    response = pta_client.post(
        f"/orders/{order.uid}/notes", {"text": "Patient called: <b>allergic</b> to penicillin"}
    )

    assert response.status_code == 302
    note = OrderNote.objects.get()
    assert note.author == pta
    entry = AuditEntry.objects.get(action="order_note_add")
    assert entry.details == {"note_id": note.pk, "length": len(note.text)}
    page = pta_client.get(f"/orders/{order.uid}/").content.decode()
    assert "Patient called: &lt;b&gt;allergic&lt;/b&gt; to penicillin" in page
    assert "<b>allergic</b>" not in page


@pytest.mark.parametrize("text", ["", "   "])
def test_a_blank_note_is_refused(pta_client, order, text):
    response = pta_client.post(f"/orders/{order.uid}/notes", {"text": text})

    assert response.status_code == 400
    assert not OrderNote.objects.exists()


def test_timeline_is_oldest_first_and_merges_everything(
    pta_client, pharmacist_client, order, update_order
):
    pta_client.post(f"/orders/{order.uid}/claim")
    pta_client.post(
        f"/orders/{order.uid}/transition",
        {"action": "review", "expected_status": "waiting for pharmacy"},
    )
    pta_client.post(f"/orders/{order.uid}/notes", {"text": "Checked the dosage."})
    update_order(uid=order.uid, status="in-progress")

    page = pharmacist_client.get(f"/orders/{order.uid}/").content.decode()

    timeline = page[page.index('id="timeline-h"') :]
    markers = [
        "RxScale: pharmacy_order_created",
        "Arrived as “Waiting for pharmacy”",
        "Claimed",
        "Waiting for pharmacy → Pending review",
        "Checked the dosage.",
        "RxScale: pharmacy_order_updated",
        "Pending review → In progress",
    ]
    positions = [timeline.index(marker) for marker in markers]
    assert positions == sorted(positions)
    assert "by pta" in timeline
