"""Products, SKUs, the pharmacy's SKUs with stock and reserved amount, and the stock ledger."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from common.sync_state import RxScaleSyncFields


class Product(models.Model):
    uid = models.CharField(max_length=64, unique=True)
    display_name = models.CharField(max_length=255, blank=True)
    handle = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.uid


class Sku(models.Model):
    """A catalogue SKU on RxScale, identified across pharmacies by its PZN."""

    uid = models.CharField(max_length=64, unique=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="skus")
    display_name = models.CharField(max_length=255, blank=True)
    pzn = models.CharField("PZN", max_length=16, blank=True, db_index=True)
    unit = models.CharField(max_length=32, blank=True)
    # Six decimals hold every value seen; more are rounded with a warning (tolerant reader).
    standard_selling_unit = models.DecimalField(
        max_digits=18, decimal_places=6, null=True, blank=True
    )
    shop_variation_id = models.CharField(max_length=64, blank=True)
    shop_product_external_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "SKU"

    def __str__(self) -> str:
        return f"{self.display_name} (PZN {self.pzn})" if self.pzn else self.display_name


class PharmacySku(RxScaleSyncFields):
    """This pharmacy's offer of a SKU: price, stock and what RxScale has reserved against it.

    `available` may be negative (RxScale oversells); nothing clamps or forbids it.
    """

    uid = models.CharField(max_length=64, unique=True)
    pharmacy_uid = models.CharField(max_length=64, blank=True, db_index=True)
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="pharmacy_skus")
    external_id = models.CharField(max_length=128, blank=True, db_index=True)
    price = models.BigIntegerField(null=True, blank=True, help_text="Cents")
    stock = models.BigIntegerField(default=0)
    reserved_amount = models.BigIntegerField(default=0)
    available = models.GeneratedField(
        expression=F("stock") - F("reserved_amount"),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )
    markup = models.BigIntegerField(default=0)
    priority = models.BigIntegerField(default=0)
    type = models.CharField(max_length=32, blank=True)
    shop_identifier = models.CharField(max_length=128, blank=True)
    low_stock_threshold = models.IntegerField(
        null=True, blank=True, help_text="Empty: use the global default."
    )
    rx_created_at = models.DateTimeField(null=True, blank=True)
    # The newest RxScale snapshot applied; older snapshots are stale.
    rx_updated_at = models.DateTimeField(null=True, blank=True)
    rx_deleted_at = models.DateTimeField(null=True, blank=True)
    # When the stock figure was last set (by RxScale or by a staff adjustment): newest wins.
    stock_set_at = models.DateTimeField(null=True, blank=True)
    # As on orders: tolerant-reader warnings, and ties on equal updated_at to confirm.
    payload_warnings = models.JSONField(default=list, blank=True)
    rx_snapshot_sha256 = models.CharField(max_length=64, blank=True)
    needs_confirmation = models.BooleanField(default=False)
    needs_confirmation_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "pharmacy SKU"
        permissions = [
            ("adjust_stock", "Can adjust stock with a reason"),
        ]
        constraints = [
            # A local setting; stock, reserved and available are RxScale's and unconstrained.
            models.CheckConstraint(
                condition=Q(low_stock_threshold__isnull=True) | Q(low_stock_threshold__gte=0),
                name="pharmacysku_threshold_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} [{self.uid}]"

    def get_absolute_url(self) -> str:
        return reverse("inventory:detail", args=[self.uid])

    @property
    def price_euros(self) -> Decimal | None:
        return None if self.price is None else Decimal(self.price) / 100


class OpenOrderAmount(models.Model):
    """A database view: per pharmacy SKU, the sum of item amounts over open orders (not
    completed, cancelled or deleted). On PostgreSQL it sums the trigger-maintained deltas
    (pharmacy_orders/counters.py), on SQLite it adds up the items. A SKU no open order
    reserves has no row."""

    pharmacy_sku = models.OneToOneField(
        PharmacySku,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="open_orders",
    )
    amount = models.BigIntegerField()

    class Meta:
        managed = False
        db_table = "inventory_openorderamount"


# Fields of a pharmacy SKU whose changes the ledger records, in display order.
LEDGER_FIELDS = (
    "stock",
    "reserved_amount",
    "price",
    "external_id",
    "markup",
    "priority",
    "type",
    "shop_identifier",
    "pharmacy_uid",
    "rx_deleted_at",
)


class StockLedgerEntry(models.Model):
    """One change of a pharmacy SKU, append-only. `changes` maps field -> {"old", "new"}.

    An entry may carry only `superseded` figures: a webhook and a staff adjustment racing on
    one SKU both stay on record even though only the newer stock figure is applied.
    """

    class Cause(models.TextChoices):
        STOCK_WEBHOOK = "stock_webhook", "Stock webhook"
        ORDER_WEBHOOK = "order_webhook", "Order webhook"
        STAFF_ADJUSTMENT = "staff_adjustment", "Staff adjustment"
        THRESHOLD_CHANGE = "threshold_change", "Threshold change"

    pharmacy_sku = models.ForeignKey(
        PharmacySku, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    cause = models.CharField(max_length=32, choices=Cause.choices)
    changes = models.JSONField()
    # Figures this event reported but that did not take effect because a newer figure holds
    # (newest wins by time): {field: {"value": reported, "held_since": ISO time of the newer}}.
    superseded = models.JSONField(default=dict, blank=True)
    delivery = models.ForeignKey(
        "rxscale.WebhookDelivery",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ledger_entries",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    reason = models.TextField(blank=True)
    effective_at = models.DateTimeField(help_text="Time of the change at its source")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name_plural = "stock ledger entries"
        indexes = [models.Index(fields=["pharmacy_sku", "-recorded_at"])]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Stock ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Stock ledger entries are append-only.")
