from pharmacy_orders.models import PharmacyOrder, WebhookDelivery


def test_signed_order_created_is_stored_and_applied(deliver, payload):
    response = deliver(payload("pharmacy_order_created"))

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PROCESSED
    assert PharmacyOrder.objects.get().uid == "po-abc123"
