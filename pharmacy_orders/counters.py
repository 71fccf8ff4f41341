"""Figures the list screens show that would otherwise need a scan of a whole table.

On PostgreSQL, triggers (migration 0006) append a delta row whenever an order is created,
deleted, changes status or is deleted at RxScale (`OrderCountDelta`: ±1 per status and
deleted flag), and whenever an item of an open order, or the openness of an order, changes
(`OpenAmountDelta`: ± amount per pharmacy SKU). Readers sum the deltas. Appending only, never
updating a shared counter row, means concurrent intake never waits on, or deadlocks over, a
counter. About once per 2,000 deltas a trigger folds the rows into one per key
(`pharmacy_counters_compact()`, one at a time under an advisory lock), so the sums stay small.

On SQLite (development, small data) nothing is maintained: the selectors count directly and
the `inventory_openorderamount` view computes open amounts from the items.
"""

from django.db import connection, models


class OrderCountDelta(models.Model):
    status = models.CharField(max_length=64)
    deleted = models.BooleanField()
    n = models.BigIntegerField()


class OpenAmountDelta(models.Model):
    # No foreign key: an insert must not lock the SKU row that stock updates lock.
    pharmacy_sku_id = models.BigIntegerField(db_index=True)
    amount = models.BigIntegerField()


def counters_maintained() -> bool:
    return connection.vendor == "postgresql"


def counters_compact() -> None:
    """Fold the deltas (PostgreSQL; the triggers also do it now and then)."""
    if counters_maintained():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pharmacy_counters_compact()")
