"""Apply the retention policy: old final deliveries, unreferenced PDFs, stray files."""

import argparse
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from rxscale.inbox.retention import inbox_prune


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = -1
    if not 0 <= days <= 36500:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days")
    return days


class Command(BaseCommand):
    help = (
        "Delete final webhook deliveries (processed, stale, ignored, invalid, failed) received "
        "more than DAYS ago, prescription PDFs no order or remaining delivery refers to, and "
        "stray files under prescriptions/. Pending deliveries are never deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=_days,
            metavar="DAYS",
            help="Age in days (default: RXSCALE_INBOX_RETENTION_DAYS)",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count only; delete nothing")

    def handle(self, *args, older_than, dry_run, **options):
        days = settings.RXSCALE_INBOX_RETENTION_DAYS if older_than is None else older_than
        report = inbox_prune(older_than=timedelta(days=days), dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {report.deliveries} deliveries, {report.documents} prescription documents "
            f"and {report.stray_files} stray files older than {days} days."
        )
