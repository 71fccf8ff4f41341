"""Whether the pharmacy's own changes to a row have reached RxScale (the outbox's summary).

The outbox (`rxscale/outbox`) keeps these fields on the order or SKU it sends commands for,
so that lists can show and filter "not synced" from the row itself, without a join per row,
and so that a snapshot from RxScale does not revert a change that is still on its way.
"""

from django.db import models


class SyncState(models.TextChoices):
    IN_SYNC = "", "In sync"
    PENDING = "pending", "Waiting to reach RxScale"
    FAILED = "failed", "Not synced with RxScale"


class RxScaleSyncFields(models.Model):
    sync_state = models.CharField(
        max_length=8, choices=SyncState.choices, default=SyncState.IN_SYNC, blank=True
    )
    # Creation time of the oldest command not yet sent: "long pending" is measured from here.
    sync_pending_since = models.DateTimeField(null=True, blank=True)
    # RxScale's code and description for the failed command, as staff should read them.
    sync_problem = models.TextField(blank=True)

    class Meta:
        abstract = True

    @property
    def sync_unsettled(self) -> bool:
        """A change of ours has not (yet) reached RxScale: its snapshots must not revert it."""
        return self.sync_state != SyncState.IN_SYNC
