"""The inbox (WebhookDelivery) moves from `pharmacy_orders` to `rxscale`, table and data kept.

Only Django's state moves: the table keeps its name (`pharmacy_orders_webhookdelivery`, set in
the model's Meta), its rows, indexes and the foreign keys that point at it. The content type
moves with it, so the permissions and the groups that hold them stay as they were.
"""

from django.db import migrations, models


def content_type_to(app_label: str, from_label: str):
    def move(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        content_type.objects.filter(app_label=from_label, model="webhookdelivery").update(
            app_label=app_label
        )

    return move


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("pharmacy_orders", "0004_rxscale_decisions_and_tolerant_reader"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="WebhookDelivery",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        (
                            "next_attempt_at",
                            models.DateTimeField(
                                blank=True,
                                help_text="When a worker should next try this row (pending only)",
                                null=True,
                            ),
                        ),
                        (
                            "lease_expires_at",
                            models.DateTimeField(
                                blank=True, help_text="A worker holds the row until then", null=True
                            ),
                        ),
                        ("leased_by", models.CharField(blank=True, max_length=100)),
                        ("dedupe_key", models.CharField(max_length=64, unique=True)),
                        ("event_type", models.CharField(blank=True, db_index=True, max_length=100)),
                        ("body", models.BinaryField()),
                        ("body_redacted", models.BooleanField(default=False)),
                        ("headers", models.JSONField(default=dict)),
                        (
                            "secret_index",
                            models.PositiveSmallIntegerField(
                                help_text="Position of the matching secret in RXSCALE_WEBHOOK_SECRETS"
                            ),
                        ),
                        (
                            "secret_fingerprint",
                            models.CharField(
                                help_text="sha256 prefix of the secret", max_length=16
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("received", "Received"),
                                    ("retrying", "Waiting to retry"),
                                    ("processed", "Processed"),
                                    ("failed", "Failed"),
                                    ("ignored", "Ignored"),
                                    ("stale", "Stale"),
                                    ("invalid", "Invalid"),
                                ],
                                db_index=True,
                                default="received",
                                max_length=16,
                            ),
                        ),
                        ("error", models.TextField(blank=True)),
                        ("error_details", models.JSONField(blank=True, default=dict)),
                        ("traceback", models.TextField(blank=True)),
                        ("warnings", models.JSONField(blank=True, default=list)),
                        (
                            "subject_kind",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("order", "Pharmacy order"),
                                    ("pharmacy_sku", "Pharmacy SKU"),
                                    ("meeting", "Patient–doctor meeting"),
                                    ("prescription", "Prescription"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("subject_uid", models.CharField(blank=True, max_length=64)),
                        (
                            "document_sha256",
                            models.CharField(blank=True, db_index=True, max_length=64),
                        ),
                        ("event_timestamp", models.DateTimeField(blank=True, null=True)),
                        ("received_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("processed_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "verbose_name": "webhook delivery",
                        "verbose_name_plural": "webhook deliveries",
                        "db_table": "pharmacy_orders_webhookdelivery",
                        "ordering": ["-received_at", "-id"],
                        "permissions": [
                            ("reprocess_webhookdelivery", "Can reprocess webhook deliveries")
                        ],
                        "indexes": [
                            models.Index(
                                fields=["subject_kind", "subject_uid", "received_at"],
                                name="pharmacy_or_subject_9d3052_idx",
                            ),
                            models.Index(
                                condition=models.Q(("status__in", ["received", "retrying"])),
                                fields=["next_attempt_at", "id"],
                                name="inbox_due_idx",
                            ),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(
            content_type_to("rxscale", "pharmacy_orders"),
            content_type_to("pharmacy_orders", "rxscale"),
        ),
    ]
