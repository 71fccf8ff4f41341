from django_tasks import task

from pharmacy_orders.webhooks.processing import delivery_process


@task()
def process_webhook_delivery(delivery_id: int) -> str:
    return delivery_process(delivery_id=delivery_id)
