"""Re-run the handler of stored webhook deliveries (after a fix, or for stuck ones)."""

import argparse

from django.core.management.base import BaseCommand, CommandError

from rxscale.inbox.models import WebhookDelivery
from rxscale.inbox.processing import deliveries_reprocess

_MAX_ID = 2**63 - 1


def _delivery_id(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 0 < number <= _MAX_ID:
        raise argparse.ArgumentTypeError(f"{value!r} is not a delivery id")
    return number


class Command(BaseCommand):
    help = "Reprocess webhook deliveries by id, status or event type (oldest first)."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=_delivery_id, help="Delivery ids")
        parser.add_argument("--status", choices=WebhookDelivery.Status.values, action="append")
        parser.add_argument("--type", dest="event_types", action="append", help="Event type")

    def handle(self, *args, ids, status, event_types, **options):
        if not (ids or status or event_types):
            raise CommandError("Say which deliveries: ids, --status or --type.")
        deliveries = WebhookDelivery.objects.all()
        if ids:
            deliveries = deliveries.filter(pk__in=ids)
        if status:
            deliveries = deliveries.filter(status__in=status)
        if event_types:
            deliveries = deliveries.filter(event_type__in=event_types)
        delivery_ids = list(deliveries.order_by("received_at", "id").values_list("pk", flat=True))
        outcomes = deliveries_reprocess(delivery_ids=delivery_ids, user=None, via="manage.py")
        errors = 0
        for delivery_id, outcome in outcomes:
            self.stdout.write(f"#{delivery_id}: {outcome}")
            errors += outcome.startswith("error")
        message = f"Reprocessed {len(outcomes)} deliveries."
        if errors:
            # Every row was still tried; the exit status tells a script that some were not.
            raise CommandError(f"{message} {errors} could not be reprocessed (see above).")
        self.stdout.write(self.style.SUCCESS(message))
