"""Inbox rows may come from the API (the catch-up sync): `source`, and no secret for those.

The table keeps its name and rows; every existing row is a webhook (the default).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rxscale", "0001_inbox_moved_from_pharmacy_orders"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookdelivery",
            name="source",
            field=models.CharField(
                choices=[("webhook", "Webhook"), ("api", "RxScale API (sync)")],
                default="webhook",
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="secret_fingerprint",
            field=models.CharField(
                blank=True, help_text="sha256 prefix of the secret", max_length=16
            ),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="secret_index",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Position of the matching secret in RXSCALE_WEBHOOK_SECRETS",
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("source", "api"), ("secret_index__isnull", False), _connector="OR"
                ),
                name="inbox_webhook_has_secret",
            ),
        ),
    ]
