"""The record of each catch-up sync: when, what it found, and the one-at-a-time lock."""

from django.db import models
from django.utils import timezone


class SyncRun(models.Model):
    """One run of the catch-up sync (scheduled by the worker, or `manage.py rxscale_sync`).

    `active` is the lock: at most one row holds it (a partial unique index), so only one
    process syncs at a time across machines. A run whose process died stops holding it once
    its heartbeat is old (runs.py).
    """

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule (worker)"
        COMMAND = "command", "manage.py rxscale_sync"

    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    worker = models.CharField(max_length=100, blank=True)
    orders = models.BooleanField(default=True)
    skus = models.BooleanField(default=True)
    since = models.DateTimeField(
        null=True, blank=True, help_text="Only objects updated since then (empty: everything)"
    )
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    counts = models.JSONField(default=dict, blank=True)
    failures = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    # Where the next scheduled run may start reading (updated_at); empty: read everything.
    next_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "RxScale sync run"
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="sync_one_active_run"
            ),
        ]
        indexes = [
            # /healthz and the schedule: the last successful run, however many failed since.
            models.Index(
                fields=["started_at"],
                condition=models.Q(finished_at__isnull=False, error=""),
                name="sync_success_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Sync #{self.pk} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def succeeded(self) -> bool:
        return self.finished_at is not None and not self.error
