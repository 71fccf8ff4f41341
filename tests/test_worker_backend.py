"""The durable production path: TASKS_BACKEND=database stores a task, `db_worker` applies it."""

import pytest
from django.core.management import call_command

from pharmacy_orders.models import PharmacyOrder, WebhookDelivery
from tests.conftest import post_signed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_task_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_delivery_waits_for_the_worker_then_is_applied(database_task_backend, client, payload):
    response = post_signed(client, payload("pharmacy_order_created"))

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.RECEIVED
    assert not PharmacyOrder.objects.exists()

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PROCESSED
    assert PharmacyOrder.objects.get().uid == "po-abc123"


def test_received_deliveries_left_by_a_dead_worker_are_applied_by_reprocess(
    database_task_backend, client, payload
):
    post_signed(client, payload("pharmacy_sku_stock_updated"))

    call_command("reprocess_webhooks", "--status", "received", verbosity=0)

    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PROCESSED
