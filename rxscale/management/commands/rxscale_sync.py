"""Catch up with RxScale: read orders and pharmacy SKUs from its API and apply them."""

import argparse
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from rxscale.client import api_configured
from rxscale.sync.models import SyncRun
from rxscale.sync.run import count_lines
from rxscale.sync.runs import SyncBusy, sync_run_execute, sync_run_start


def _since(value: str) -> datetime:
    """An ISO date or date-time; without a zone it is in TIME_ZONE."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)"
        ) from None
    if len(value) == 10:
        moment = datetime.combine(moment.date(), time.min)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = (
        "Read orders and pharmacy SKUs from RxScale's API and apply them like webhooks "
        "(recovers missed webhooks; gives a new installation its data), then settle ties."
    )

    def add_arguments(self, parser):
        parser.add_argument("--orders", action="store_true", help="Orders (default: both)")
        parser.add_argument("--skus", action="store_true", help="Pharmacy SKUs (default: both)")
        parser.add_argument(
            "--since",
            type=_since,
            help="Only objects RxScale updated since then (YYYY-MM-DD[THH:MM]); every page "
            "is still read, since the lists cannot filter by time.",
        )
        parser.add_argument("--no-ties", action="store_true", help="Do not settle ties afterwards.")

    def handle(self, *args, orders: bool, skus: bool, since, no_ties: bool, **options):
        if not api_configured():
            raise CommandError("RXSCALE_API_BASE_URL and RXSCALE_API_KEY are not set.")
        if not (orders or skus):
            orders = skus = True
        try:
            run = sync_run_start(
                trigger=SyncRun.Trigger.COMMAND, orders=orders, skus=skus, since=since
            )
        except SyncBusy as exc:
            raise CommandError(str(exc)) from None
        run = sync_run_execute(run, settle_ties=not no_ties)
        for line in count_lines(run.counts):
            self.stdout.write(line)
        for failure in run.failures:
            self.stdout.write(f"failed: {failure['kind']} {failure['uid']}: {failure['error']}")
        if run.error:
            raise CommandError(f"Sync run #{run.pk} stopped: {run.error}")
        failed = sum(counts.get("failed", 0) for counts in run.counts.values())
        message = f"Sync run #{run.pk} done."
        if failed:
            # Everything else was applied; the exit status tells a script that some were not.
            raise CommandError(f"{message} {failed} failed (see above and the inbox).")
        self.stdout.write(self.style.SUCCESS(message))
