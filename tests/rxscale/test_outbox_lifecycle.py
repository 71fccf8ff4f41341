"""An order's whole life, from the staff UI to the stand-in and back by its signed webhooks."""

import pytest
from django.db import connection
from django.test import Client

from common.sync_state import SyncState
from pharmacy_orders.models import OrderConflict, PharmacyOrder
from rxscale.models import OutboundCommand, WebhookDelivery
from rxscale.standin import RxScaleStandin
from tests.conftest import SECRET
from tests.rxscale.conftest import API_KEY
from tests.rxscale.outbox_helpers import (
    UID,
    act,
    connect,
    one_pharmacist_with_the_original,
    order_known_to_both,
    send_all,
    wait_for,
)

# The live server answers the stand-in's webhooks from another thread: SQLite's shared
# in-memory test database locks its tables against that, so this runs on PostgreSQL.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def standin(settings, live_server):
    """A stand-in that sends its webhooks to this app, served for real."""
    with RxScaleStandin(
        api_key=API_KEY,
        webhook_url=f"{live_server.url}/webhooks/rxscale",
        webhook_secret=SECRET,
    ) as running:
        connect(settings, running)
        yield running


def echoes() -> int:
    return WebhookDelivery.objects.filter(
        subject_uid=UID, event_type="pharmacy_order_updated", status="processed"
    ).count()


def test_an_order_from_arrival_to_completion_round_trips(standin, pharmacist, settings):
    web = Client()
    order_known_to_both(web, standin)
    one_pharmacist_with_the_original(settings, pharmacist)
    web.force_login(pharmacist)

    steps = [
        ("review", "waiting for pharmacy", "pending review"),
        ("start", "pending review", "in-progress"),
        ("ready", "in-progress", "ready_for_pickup"),
        ("complete", "ready_for_pickup", "completed"),
    ]
    for number, (action, before, after) in enumerate(steps, start=1):
        # a click on the order page
        assert act(web, action, before).status_code == 302
        # the worker tells RxScale
        send_all()
        assert standin.store.order(UID)["status"] == after
        # RxScale's webhook comes back and is applied: the order stays where staff put it
        wait_for(lambda n=number: echoes() >= n, f"RxScale's webhook after “{action}”")
        order = PharmacyOrder.objects.get(uid=UID)
        assert order.status == after
        assert order.sync_state == SyncState.IN_SYNC

    assert OutboundCommand.objects.filter(status="sent").count() == 4
    assert not OrderConflict.objects.exists()  # nothing flickered, nothing to explain
    page = web.get(f"/orders/{UID}/").content.decode()
    assert "To RxScale: complete the order" in page
    assert "RxScale: pharmacy_order_updated" in page
