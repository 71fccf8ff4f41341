from django_tasks import task

from rxscale.inbox.processing import delivery_process_now


@task()
def process_webhook_delivery(delivery_id: int) -> str:
    """Apply one delivery now. With the `workers` backend enqueuing this only wakes the
    workers, which claim due rows themselves; the row, not the task, is the work."""
    return delivery_process_now(delivery_id=delivery_id) or ""
