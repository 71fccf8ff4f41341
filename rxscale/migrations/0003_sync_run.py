"""The record of catch-up sync runs (rxscale/sync), which is also their one-at-a-time lock."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rxscale", "0002_delivery_source"),
    ]

    operations = [
        migrations.CreateModel(
            name="SyncRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "trigger",
                    models.CharField(
                        choices=[
                            ("schedule", "Schedule (worker)"),
                            ("command", "manage.py rxscale_sync"),
                        ],
                        max_length=16,
                    ),
                ),
                ("worker", models.CharField(blank=True, max_length=100)),
                ("orders", models.BooleanField(default=True)),
                ("skus", models.BooleanField(default=True)),
                (
                    "since",
                    models.DateTimeField(
                        blank=True,
                        help_text="Only objects updated since then (empty: everything)",
                        null=True,
                    ),
                ),
                (
                    "started_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                ("heartbeat_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("active", models.BooleanField(default=True)),
                ("counts", models.JSONField(blank=True, default=dict)),
                ("failures", models.JSONField(blank=True, default=list)),
                ("error", models.TextField(blank=True)),
                ("next_since", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "RxScale sync run",
                "ordering": ["-started_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("active", True)),
                        fields=("active",),
                        name="sync_one_active_run",
                    )
                ],
            },
        ),
    ]
