"""Re-run the handler of stored webhook deliveries (after a fix, or for stuck ones)."""

from django.core.management.base import BaseCommand, CommandError

from pharmacy_orders.webhooks.models import WebhookDelivery
from pharmacy_orders.webhooks.processing import delivery_process


class Command(BaseCommand):
    help = "Reprocess webhook deliveries by id, status or event type (oldest first)."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Delivery ids")
        parser.add_argument("--status", choices=WebhookDelivery.Status.values, action="append")
        parser.add_argument("--type", dest="event_types", action="append", help="Event type")

    def handle(self, *args, ids, status, event_types, **options):
        if not (ids or status or event_types):
            raise CommandError("Say which deliveries: ids, --status or --type.")
        deliveries = WebhookDelivery.objects.order_by("received_at", "id")
        if ids:
            deliveries = deliveries.filter(pk__in=ids)
        if status:
            deliveries = deliveries.filter(status__in=status)
        if event_types:
            deliveries = deliveries.filter(event_type__in=event_types)
        count = 0
        for delivery_id in deliveries.values_list("pk", flat=True):
            outcome = delivery_process(delivery_id=delivery_id, force=True)
            self.stdout.write(f"#{delivery_id}: {outcome}")
            count += 1
        self.stdout.write(self.style.SUCCESS(f"Reprocessed {count} deliveries."))
