"""Retention: the inbox and the prescription files keep patient data only as long as needed.

What goes, once older than the cutoff:

- deliveries in a final state (processed, stale, ignored, invalid, failed), by `received_at`.
  Pending ones (received, retrying) are never removed, whatever their age: they still have
  work to do. Rows that point at a delivery (order history, the stock ledger…) keep their
  own data and lose only the link (SET_NULL);
- prescription documents, by `created_at`, that no order shows (no order link, not any
  order's current prescription) and no remaining delivery refers to (`document_sha256`),
  with their files;
- files under `prescriptions/` in storage that no document row names (a crash between
  saving the file and inserting its row), by modification time.

Work goes in batches of ids, so a large inbox never has to fit in memory.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from common.storage import STORAGE_ERRORS, is_missing_file
from pharmacy_orders.models import OrderPrescription, PharmacyOrder, PrescriptionDocument
from pharmacy_orders.services.prescriptions import STORAGE_DIR
from rxscale.inbox.models import FINAL_STATUSES, WebhookDelivery

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
# A file younger than this may belong to an intake still inserting its row, whatever the cutoff.
STRAY_FILE_MIN_AGE = timedelta(hours=1)


@dataclass
class PruneReport:
    deliveries: int = 0
    documents: int = 0
    files: int = 0  # the removed documents' files and stray files
    stray_files: int = 0


def _prunable_deliveries(cutoff: datetime) -> QuerySet:
    return WebhookDelivery.objects.filter(status__in=FINAL_STATUSES, received_at__lt=cutoff)


def _orphan_documents(cutoff: datetime, remaining_deliveries: QuerySet) -> QuerySet:
    return (
        PrescriptionDocument.objects.filter(created_at__lt=cutoff)
        .exclude(Exists(OrderPrescription.objects.filter(document=OuterRef("pk"))))
        .exclude(Exists(PharmacyOrder.objects.filter(current_prescription=OuterRef("pk"))))
        .exclude(Exists(remaining_deliveries.filter(document_sha256=OuterRef("sha256"))))
    )


def inbox_prune(
    *, older_than: timedelta, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> PruneReport:
    """Remove what retention allows (see the module docstring); with `dry_run`, only count.

    Deliveries first, so that documents only they referred to become orphans in the same run.
    Each batch is its own transaction: an interrupted run has removed whole batches only, and
    the next run goes on. Documents are locked (SKIP LOCKED) and re-checked before they go, so
    an intake that is storing a delivery referring to one keeps it.
    """
    now = timezone.now()
    cutoff = now - older_than
    stray_cutoff = min(cutoff, now - STRAY_FILE_MIN_AGE)
    prunable = _prunable_deliveries(cutoff)
    report = PruneReport()
    if dry_run:
        report.deliveries = prunable.count()
        remaining = WebhookDelivery.objects.exclude(pk__in=prunable.values("pk"))
        report.documents = _orphan_documents(cutoff, remaining).count()
        report.stray_files = sum(1 for _ in _stray_files(stray_cutoff))
        return report
    report.deliveries = _deliveries_delete(cutoff, batch_size)
    report.documents, report.files = _documents_delete(cutoff, batch_size)
    report.stray_files = sum(1 for name in _stray_files(stray_cutoff) if _file_delete(name))
    report.files += report.stray_files
    return report


def _batches(queryset: QuerySet, batch_size: int) -> Iterator[list[int]]:
    """Ids in ascending batches (keyset: deleting rows never makes a batch skip others)."""
    last = 0
    while True:
        ids = list(
            queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def _deliveries_delete(cutoff: datetime, batch_size: int) -> int:
    deleted = 0
    for ids in _batches(_prunable_deliveries(cutoff), batch_size):
        with transaction.atomic():
            # The conditions again: a delivery reprocessed since the batch was read is pending.
            # only("pk"): the collector needs no bodies, and SET_NULL relations are updated in
            # one statement per relation.
            batch = _prunable_deliveries(cutoff).filter(pk__in=ids).only("pk")
            deleted += batch.delete()[1].get(WebhookDelivery._meta.label, 0)
    return deleted


def _documents_delete(cutoff: datetime, batch_size: int) -> tuple[int, int]:
    deleted = files = 0
    for ids in _batches(_orphan_documents(cutoff, WebhookDelivery.objects.all()), batch_size):
        with transaction.atomic():
            locked = list(
                PrescriptionDocument.objects.filter(pk__in=ids)
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)
            )
            # Re-checked after the lock: an intake that committed a delivery referring to a
            # document before we locked it is seen now.
            doomed = dict(
                _orphan_documents(cutoff, WebhookDelivery.objects.all())
                .filter(pk__in=locked)
                .values_list("pk", "file")
            )
            PrescriptionDocument.objects.filter(pk__in=doomed).delete()
        deleted += len(doomed)
        # After the commit: a failed delete leaves a stray file, which the next run removes.
        files += sum(1 for name in doomed.values() if _file_delete(name))
    return deleted, files


def _stray_files(modified_before: datetime) -> Iterator[str]:
    """Files under prescriptions/ that no document names, last modified before the time."""
    for directory in _storage_directories():
        names = [f"{directory}/{name}" for name in _listdir(directory)[1]]
        for start in range(0, len(names), BATCH_SIZE):
            chunk = names[start : start + BATCH_SIZE]
            known = set(
                PrescriptionDocument.objects.filter(file__in=chunk).values_list("file", flat=True)
            )
            for name in chunk:
                if name not in known and _modified_before(name, modified_before):
                    yield name


def _storage_directories() -> Iterator[str]:
    yield STORAGE_DIR
    for subdirectory in _listdir(STORAGE_DIR)[0]:
        yield f"{STORAGE_DIR}/{subdirectory}"


def _listdir(path: str) -> tuple[list[str], list[str]]:
    try:
        return default_storage.listdir(path)
    except STORAGE_ERRORS as exc:
        if is_missing_file(exc):
            return [], []
        logger.warning("retention: cannot list %s (%s); stray files there are kept", path, exc)
        return [], []


def _modified_before(name: str, moment: datetime) -> bool:
    try:
        return default_storage.get_modified_time(name) < moment
    except STORAGE_ERRORS:
        return False  # gone meanwhile


def _file_delete(name: str) -> bool:
    try:
        default_storage.delete(name)
    except STORAGE_ERRORS:
        logger.warning("retention: could not delete %s; the next run tries again", name)
        return False
    return True
