"""The outbox: what the pharmacy did, as commands to RxScale, written with the change itself."""

from django.conf import settings
from django.db import models

from common.events import SubjectKind
from common.workqueue import QueueRow


class OutboundCommand(QueueRow):
    """One request to RxScale's External Pharmacy API, from a staff action or adjustment.

    Written in the transaction of the local change, so a change never exists without its
    command, nor a command without its change. Pending and sending rows are the work queue;
    commands for one order or SKU are sent in creation order (a later one waits while an
    earlier one is pending, sending or failed).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        # Leased by a worker that may have sent the request: before sending again, a worker
        # reads RxScale's current state and skips a request that has already taken effect.
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        DISCARDED = "discarded", "Discarded"

    class Kind(models.TextChoices):
        ORDER_STATUS = "order_status", "Set the order status"
        ORDER_COMPLETE = "order_complete", "Complete the order"
        SKU_STOCK = "sku_stock", "Set the SKU's stock"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    subject_kind = models.CharField(max_length=16, choices=SubjectKind.choices)
    subject_uid = models.CharField(max_length=64)
    # What to send, e.g. {"status": "on-hold", "comment": "…"} or {"stock": 40}.
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # RxScale's answer to the last attempt, as RxScale worded it ({code, description}).
    last_error = models.TextField(blank=True)
    error_code = models.CharField(max_length=100, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # How the command ended when it was not sent: who discarded it and why.
    outcome_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outbound command"
        indexes = [
            models.Index(fields=["subject_kind", "subject_uid", "id"], name="outbox_subject_idx"),
            # The workers' claim: due unfinished commands; sent and discarded ones are not in it.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="outbox_due_idx",
            ),
            # /healthz: the oldest unsent command, one index read whatever the outbox holds.
            models.Index(
                fields=["created_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="outbox_unsent_age_idx",
            ),
        ]
        permissions = [
            ("retry_outboundcommand", "Can retry or discard commands to RxScale"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.subject_uid}"


UNSENT_STATUSES = (OutboundCommand.Status.PENDING, OutboundCommand.Status.SENDING)
# An earlier command in one of these holds back the later ones of its subject.
BLOCKING_STATUSES = (*UNSENT_STATUSES, OutboundCommand.Status.FAILED)
