"""An order RxScale deleted: off the worklist, a banner on its page, every action refused."""

import re

import pytest
from django.utils import dateformat, timezone

from pharmacy_orders.models import AuditEntry, OrderNote, PharmacyOrder
from tests.webhooks.helpers import ts

pytestmark = pytest.mark.django_db

DELETED_AT = 1_900_000_000  # 2030-03-17, after every snapshot the fixtures send


def local_date(seconds: int) -> str:
    return dateformat.format(timezone.localtime(ts(seconds)), "j M Y, H:i")


@pytest.fixture
def delete_order(deliver, payload):
    """Deliver an update of `uid` that carries RxScale's deleted_at."""

    def _delete(uid="po-1", status="pending review", name="#DEL"):
        body = payload("pharmacy_order_updated", uid=uid, status=status, updated_at=DELETED_AT)
        body["data"].update(deleted_at=DELETED_AT, name=name)
        assert deliver(body).status_code == 200
        return PharmacyOrder.objects.get(uid=uid)

    return _delete


@pytest.fixture
def deleted_order(make_order, delete_order):
    make_order(uid="po-1", name="#DEL")
    return delete_order()


def names_in(page: str) -> list[str]:
    return re.findall(r'class="order-link" href="[^"]+">([^<]+)</a>', page)


def test_a_deleted_order_leaves_needs_work_and_the_status_tabs(
    pta_client, make_order, deleted_order
):
    # given a deleted order in review and a live one waiting
    make_order(uid="po-2", name="#LIVE")

    # then only the live one needs work; the status tab of the deleted one is empty
    needs_work = pta_client.get("/orders/").content.decode()
    assert names_in(needs_work) == ["#LIVE"]
    assert re.search(r'Needs work <span class="tab-count">1</span>', needs_work)
    assert re.search(r'Pending review <span class="tab-count">0</span>', needs_work)
    assert names_in(pta_client.get("/orders/", {"status": "pending review"}).content.decode()) == []
    # and "All" still lists it, with a badge, and counts it
    everything = pta_client.get("/orders/", {"status": "all"}).content.decode()
    assert set(names_in(everything)) == {"#DEL", "#LIVE"}
    assert "Deleted by RxScale</span>" in everything
    assert re.search(r'All <span class="tab-count">2</span>', everything)


def test_the_order_page_shows_the_deletion_and_offers_no_action(pta_client, deleted_order):
    page = pta_client.get("/orders/po-1/").content.decode()

    # a prominent banner with the date, and the date in the order's facts
    assert 'data-testid="deleted-banner"' in page
    assert "RxScale deleted this order on <time datetime=" in page
    assert f">{local_date(DELETED_AT)}</time>" in page
    assert "Deleted at RxScale" in page
    # no transition, claim or takeover form; notes are still possible
    assert "/orders/po-1/transition" not in page
    assert "/orders/po-1/claim" not in page
    assert "/orders/po-1/notes" in page
    assert "You can still add notes" in page


def test_a_transition_on_a_deleted_order_is_refused_with_the_reason(pta_client, deleted_order):
    # when a clerk posts an action (a page loaded before the deletion)
    response = pta_client.post(
        "/orders/po-1/transition", {"action": "start", "expected_status": "pending review"}
    )

    # then it is refused as a conflict, with the reason, and nothing changed
    assert response.status_code == 409
    assert "RxScale deleted this order on" in response.content.decode()
    assert PharmacyOrder.objects.get(uid="po-1").status == "pending review"
    refusal = AuditEntry.objects.get(action="order_transition_refused")
    assert refusal.details["code"] == "deleted"


def test_the_api_refuses_a_transition_on_a_deleted_order(pharmacist_client, deleted_order):
    response = pharmacist_client.post(
        "/orders/api/po-1/transition",
        data={
            "action": "cancel",
            "expected_status": "pending review",
            "reason": "x",
            "confirm": True,
        },
        content_type="application/json",
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "deleted"
    assert body["error"].startswith(f"RxScale deleted this order on {local_date(DELETED_AT)}")
    assert PharmacyOrder.objects.get(uid="po-1").status == "pending review"
    # and the state offers nothing
    assert pharmacist_client.get("/orders/api/po-1/").json()["transitions"] == []


def test_claim_and_takeover_of_a_deleted_order_are_refused(
    pta_client, pharmacist_client, pharmacist, make_order, delete_order
):
    # given an order a pharmacist had claimed, then deleted by RxScale
    make_order(uid="po-1")
    assert pharmacist_client.post("/orders/po-1/claim").status_code == 302
    order = delete_order()

    # then the deletion released the claim (nobody works on a deleted order)
    assert order.claimed_by is None

    # and neither a claim nor a takeover is possible
    claim = pta_client.post("/orders/po-1/claim")
    takeover = pta_client.post(
        "/orders/po-1/claim", {"takeover": "on", "expected_claimant": pharmacist.pk}
    )
    for response in (claim, takeover):
        assert response.status_code == 409
        assert "RxScale deleted this order on" in response.content.decode()
    assert PharmacyOrder.objects.get(uid="po-1").claimed_by is None


def test_notes_can_still_be_added_to_a_deleted_order(pta_client, deleted_order):
    response = pta_client.post("/orders/po-1/notes", {"text": "Patient called about it."})

    assert response.status_code == 302
    assert OrderNote.objects.get().text == "Patient called about it."


def test_the_deletion_shows_on_the_timeline(pta_client, deleted_order):
    assert deleted_order.rx_deleted_at == ts(DELETED_AT)

    page = pta_client.get("/orders/po-1/").content.decode()

    assert 'class="tl-deleted"' in page
