"""Failed and retrying deliveries are counted where staff look: the worklist for admins, and
the admin's delivery list."""

import pytest
from django.test import Client

from pharmacy_orders.models import OrderStatusChange
from rxscale.models import WebhookDelivery
from tests.faults import fault_on_insert
from tests.webhooks.helpers import Status, delivery_of

pytestmark = pytest.mark.django_db


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def one_failed_one_retrying(deliver, payload):
    with fault_on_insert(OrderStatusChange._meta.db_table):
        failed = delivery_of(deliver(payload("pharmacy_order_created", uid="po-failed")))
    waiting = delivery_of(deliver(payload("pharmacy_sku_stock_updated")))
    WebhookDelivery.objects.filter(pk=waiting.pk).update(status=Status.RETRYING)
    assert failed.status == Status.FAILED
    return failed


def test_admins_see_failed_and_retrying_counts_on_the_worklist(
    one_failed_one_retrying, pharmacy_admin
):
    page = _logged_in(pharmacy_admin).get("/orders/").content.decode()

    assert "RxScale deliveries:" in page
    assert "1 failed</a> and needs a look" in page
    assert "1 waiting to retry</a>" in page
    assert "?status__exact=failed" in page


def test_staff_without_the_admin_role_see_no_banner(one_failed_one_retrying, pta):
    page = _logged_in(pta).get("/orders/").content.decode()

    assert "RxScale deliveries:" not in page


def test_no_banner_when_nothing_needs_attention(deliver, payload, pharmacy_admin):
    deliver(payload("pharmacy_sku_stock_updated"))

    page = _logged_in(pharmacy_admin).get("/orders/").content.decode()

    assert "RxScale deliveries:" not in page


def test_the_admin_delivery_list_shows_the_counts(one_failed_one_retrying, pharmacy_admin):
    page = _logged_in(pharmacy_admin).get("/admin/rxscale/webhookdelivery/")

    text = page.content.decode()
    assert page.status_code == 200
    assert "<strong>1</strong> failed" in text
    assert "<strong>1</strong> waiting to retry" in text
