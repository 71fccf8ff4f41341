"""The inbox: every signed RxScale delivery, stored before it is trusted."""

from django.db import models

from common.events import SubjectKind
from common.workqueue import QueueRow


class WebhookDelivery(QueueRow):
    """One row per distinct delivery. Pending rows (received, retrying) are the work queue."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        RETRYING = "retrying", "Waiting to retry"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"
        IGNORED = "ignored", "Ignored"
        STALE = "stale", "Stale"
        INVALID = "invalid", "Invalid"

    class Source(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        API = "api", "RxScale API (sync)"

    SubjectKind = SubjectKind

    # sha256 of the raw body: a true retry is byte-identical (see design: why not uid+timestamp).
    dedupe_key = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=100, blank=True, db_index=True)
    # Raw bytes until processed; afterwards the same JSON with PDF base64 replaced by a reference.
    body = models.BinaryField()
    body_redacted = models.BooleanField(default=False)
    headers = models.JSONField(default=dict)
    # A webhook, or a snapshot the catch-up sync read from the API (rxscale/sync): the same
    # pipeline applies both; only an API answer can settle a tie (`authoritative`).
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WEBHOOK)
    # Empty for API snapshots: they were fetched by us, not signed by RxScale.
    secret_index = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Position of the matching secret in RXSCALE_WEBHOOK_SECRETS",
    )
    secret_fingerprint = models.CharField(
        max_length=16, blank=True, help_text="sha256 prefix of the secret"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    error = models.TextField(blank=True)
    error_details = models.JSONField(default=dict, blank=True)
    traceback = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    subject_kind = models.CharField(max_length=16, choices=SubjectKind.choices, blank=True)
    subject_uid = models.CharField(max_length=64, blank=True)
    # The prescription PDF this delivery carried, stored at intake (its content never stays in
    # the inbox): retention keeps the file while a delivery or an order refers to it.
    document_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    event_timestamp = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table keeps the name it had in `pharmacy_orders` (moved without copying data).
        db_table = "pharmacy_orders_webhookdelivery"
        ordering = ["-received_at", "-id"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["subject_kind", "subject_uid", "received_at"]),
            # The workers' claim: due pending rows, oldest first; final rows are not in it.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status__in=["received", "retrying"]),
                name="inbox_due_idx",
            ),
            # /healthz: the oldest unfinished delivery, one index read whatever the inbox holds.
            models.Index(
                fields=["received_at"],
                condition=models.Q(status__in=["received", "retrying"]),
                name="inbox_unfinished_age_idx",
            ),
        ]
        constraints = [
            # Only what we fetched ourselves may lack a signature.
            models.CheckConstraint(
                condition=models.Q(source="api") | models.Q(secret_index__isnull=False),
                name="inbox_webhook_has_secret",
            ),
        ]
        permissions = [("reprocess_webhookdelivery", "Can reprocess webhook deliveries")]

    @property
    def authoritative(self) -> bool:
        """RxScale's API answer is what RxScale holds now: it settles a tie (common.events)."""
        return self.source == self.Source.API

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type or '(no type)'} {self.subject_uid}".strip()


PENDING_STATUSES = (WebhookDelivery.Status.RECEIVED, WebhookDelivery.Status.RETRYING)
FINAL_STATUSES = tuple(s for s in WebhookDelivery.Status if s not in PENDING_STATUSES)


def pending_deliveries() -> models.QuerySet:
    """The work queue: deliveries still to be applied."""
    return WebhookDelivery.objects.filter(status__in=PENDING_STATUSES)
