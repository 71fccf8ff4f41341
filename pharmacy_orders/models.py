"""Pharmacy orders as RxScale sends them, plus the pharmacy's own work on them.

`OrderStatus` is defined in `pharmacy_orders/statuses.py` (no models there, so rxscale can share
it) and stays importable from here.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from common.converters import uid_validator
from common.sync_state import RxScaleSyncFields
from pharmacy_orders.counters import OpenAmountDelta, OrderCountDelta
from pharmacy_orders.models_gates import PaperOriginalReceipt, PharmacistRelease
from pharmacy_orders.statuses import OrderStatus
from pharmacy_orders.worklist_order import NEEDS_WORK, ORDER_LIST_ORDER

__all__ = [
    "AuditEntry",
    "OrderItem",
    "OrderConflict",
    "OrderNote",
    "OrderCountDelta",
    "OpenAmountDelta",
    "OrderPrescription",
    "OrderShopShippingMethod",
    "OrderStatusChange",
    "PaperOriginalReceipt",
    "PatientDoctorMeeting",
    "MeetingChange",
    "Pharmacy",
    "PharmacistRelease",
    "PharmacyOrder",
    "Prescription",
    "PrescriptionChange",
    "PrescriptionDocument",
    "ShippingMethodMapping",
]


class Pharmacy(models.Model):
    uid = models.CharField(max_length=64, unique=True)
    display_name = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name_plural = "pharmacies"

    def __str__(self) -> str:
        return self.display_name or self.uid


class PrescriptionDocument(models.Model):
    """A prescription PDF stored once per distinct content, in private storage."""

    sha256 = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to="prescriptions/")
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"PDF {self.sha256[:12]} ({self.size} bytes)"


class PharmacyOrder(RxScaleSyncFields):
    uid = models.CharField(max_length=64, unique=True)
    # Choices are the documented statuses; an unknown one is stored as it came (tolerant reader).
    status = models.CharField(max_length=64, choices=OrderStatus.choices, db_index=True)
    # When the status was last set, by an RxScale snapshot (its updated_at) or a staff action
    # (now): a snapshot older than a staff action does not undo it (newest wins by time),
    # except RxScale's final decisions (cancelled, completed, deleted), which always win.
    status_set_at = models.DateTimeField(null=True, blank=True)
    name = models.CharField(max_length=128, blank=True)
    custom_data = models.JSONField(default=dict, blank=True)
    external_status = models.CharField(max_length=64, blank=True)
    rx_created_at = models.DateTimeField(null=True, blank=True)
    # The newest RxScale snapshot applied; older snapshots are stale.
    rx_updated_at = models.DateTimeField(null=True, blank=True)
    rx_deleted_at = models.DateTimeField(null=True, blank=True)
    pharmacy = models.ForeignKey(Pharmacy, null=True, blank=True, on_delete=models.PROTECT)
    parent_order_uid = models.CharField(max_length=64, blank=True)
    delivery_address = models.JSONField(null=True, blank=True)
    invoice_address = models.JSONField(null=True, blank=True)
    shipping_costs_amount = models.BigIntegerField(null=True, blank=True, help_text="Cents")
    shipping_costs_currency = models.CharField(max_length=3, blank=True)
    priority = models.IntegerField(default=0, db_index=True)
    delivery_type_uid = models.CharField(max_length=64, blank=True)
    delivery_type_name = models.CharField(max_length=255, blank=True)
    delivery_type_identifier = models.CharField(max_length=128, blank=True)
    prepaid = models.BooleanField(default=False, help_text="Physical (paper) prescription")
    patient_uid = models.CharField(max_length=64, blank=True)
    patient_name = models.CharField(max_length=255, blank=True)
    patient_email = models.CharField(max_length=254, blank=True)
    patient_date_of_birth = models.DateField(null=True, blank=True)
    patient_phone = models.CharField(max_length=64, blank=True)
    doctor_uid = models.CharField(max_length=64, blank=True)
    doctor_name = models.CharField(max_length=255, blank=True)
    # Organisation-level deliveries only.
    fulfillment_uid = models.CharField(max_length=64, blank=True)
    fulfillment_external_id = models.CharField(max_length=128, blank=True)
    fulfillment_items = models.JSONField(default=list, blank=True)
    shop_order_uid = models.CharField(max_length=64, blank=True)
    shop_order_external_id = models.CharField(max_length=128, blank=True)
    shop_order_name = models.CharField(max_length=128, blank=True)
    shop_identifier = models.CharField(max_length=128, blank=True)
    # Resolved from the payload mapping, else the admin's ShippingMethodMapping.
    shipping_identifier = models.CharField(max_length=128, blank=True)
    shipping_unmapped = models.BooleanField(default=False, db_index=True)
    current_prescription = models.ForeignKey(
        PrescriptionDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    prescription_problem = models.TextField(blank=True)
    # Tolerant reader: what the newest applied snapshot carried that we did not expect
    # (warnings for people) and the fields we do not know, kept as they came.
    payload_warnings = models.JSONField(default=list, blank=True)
    rx_extra = models.JSONField(default=dict, blank=True)
    # sha256 of the newest applied snapshot's content: an equal updated_at with other content
    # is a tie to confirm from RxScale's API, not to apply blindly.
    rx_snapshot_sha256 = models.CharField(max_length=64, blank=True)
    needs_confirmation = models.BooleanField(default=False)
    needs_confirmation_reason = models.TextField(blank=True)
    # Set by the inbox when an RxScale update for this order failed to apply; cleared when a
    # newer snapshot applies (then the failure no longer hides anything).
    rx_update_failed_at = models.DateTimeField(null=True, blank=True)
    # The pharmacy's own work.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    status_before_hold = models.CharField(max_length=64, blank=True)
    hold_reason = models.TextField(blank=True)
    first_received_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # "All": every order in list order.
            models.Index(*ORDER_LIST_ORDER, name="order_list_idx"),
            # "Needs work" (the default view): a partial index, small as the open work.
            models.Index(*ORDER_LIST_ORDER, name="order_needs_work_idx", condition=NEEDS_WORK),
            # One status tab: its orders in list order.
            models.Index(
                F("status"),
                *ORDER_LIST_ORDER,
                name="order_status_tab_idx",
                condition=Q(rx_deleted_at__isnull=True),
            ),
        ]
        permissions = [
            ("work_order", "Can claim, annotate and move orders on"),
            ("view_prescription_pdf", "Can view prescription PDFs"),
            ("pharmacist_order", "Can take pharmacist-only order actions"),
        ]

    def __str__(self) -> str:
        return self.name or self.uid


class OrderItem(models.Model):
    order = models.ForeignKey(PharmacyOrder, on_delete=models.CASCADE, related_name="items")
    uid = models.CharField(max_length=64)
    amount = models.IntegerField()
    total_paid_amount = models.BigIntegerField(null=True, blank=True, help_text="Cents")
    sku = models.ForeignKey("inventory.Sku", on_delete=models.PROTECT, related_name="+")
    pharmacy_sku = models.ForeignKey(
        "inventory.PharmacySku",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="order_items",
    )
    # The pharmacy SKU figures as the order carried them.
    pharmacy_sku_price = models.BigIntegerField(null=True, blank=True)
    pharmacy_sku_stock = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "uid"], name="unique_item_per_order")
        ]
        ordering = ["id"]


class OrderShopShippingMethod(models.Model):
    order = models.ForeignKey(
        PharmacyOrder, on_delete=models.CASCADE, related_name="shop_shipping_methods"
    )
    uid = models.CharField(max_length=64)
    display_name = models.CharField(max_length=255, blank=True)
    external_id = models.CharField(max_length=128, blank=True)
    mapping_pharmacy_uid = models.CharField(max_length=64, blank=True)
    mapping_identifier = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["id"]
        # The worklist's dropdown reads the distinct uids off this index (a skip scan).
        indexes = [models.Index(fields=["uid", "display_name"], name="shop_method_uid_name_idx")]


class ShippingMethodMapping(models.Model):
    """Admin-maintained: a shop shipping method -> the identifier our carrier expects.

    Takes effect when the payload carries no mapping for the order's pharmacy.
    """

    shop_shipping_method_uid = models.CharField(
        max_length=64, unique=True, validators=[uid_validator]
    )
    display_name = models.CharField(max_length=255, blank=True)
    carrier_identifier = models.CharField(max_length=128)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name", "shop_shipping_method_uid"]

    def __str__(self) -> str:
        return f"{self.display_name or self.shop_shipping_method_uid} → {self.carrier_identifier}"


class OrderPrescription(models.Model):
    """A prescription PDF as an order carried it; the newest is the current one."""

    order = models.ForeignKey(PharmacyOrder, on_delete=models.CASCADE, related_name="prescriptions")
    document = models.ForeignKey(
        PrescriptionDocument, on_delete=models.PROTECT, related_name="order_links"
    )
    filename = models.CharField(max_length=255)
    delivery = models.ForeignKey("rxscale.WebhookDelivery", null=True, on_delete=models.SET_NULL)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "document"], name="unique_document_per_order")
        ]


class OrderStatusChange(models.Model):
    order = models.ForeignKey(
        PharmacyOrder, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=64, blank=True)
    to_status = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    delivery = models.ForeignKey(
        "rxscale.WebhookDelivery", null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class OrderConflict(models.Model):
    """A staff action and an RxScale snapshot disagreed: both values, and what was kept.

    Shown on the order's timeline. RxScale's final decisions (cancelled, completed, deleted)
    always win; other conflicts keep the newer value by time.
    """

    order = models.ForeignKey(PharmacyOrder, on_delete=models.CASCADE, related_name="conflicts")
    field = models.CharField(max_length=32)
    local_value = models.CharField(max_length=255, blank=True)
    local_set_at = models.DateTimeField(null=True, blank=True)
    rxscale_value = models.CharField(max_length=255, blank=True)
    rxscale_at = models.DateTimeField(null=True, blank=True)
    kept = models.CharField(max_length=16, help_text="local, rxscale or tie")
    explanation = models.TextField(blank=True)
    delivery = models.ForeignKey(
        "rxscale.WebhookDelivery", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class OrderNote(models.Model):
    order = models.ForeignKey(PharmacyOrder, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class AuditEntry(models.Model):
    """Append-only: who viewed a prescription or acted on an order, and when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    action = models.CharField(max_length=64, db_index=True)
    order_uid = models.CharField(max_length=64, blank=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        # The trail filtered by action or by user, newest first, without sorting.
        indexes = [
            models.Index(fields=["action", "-created_at", "-id"], name="audit_action_time_idx"),
            models.Index(fields=["user", "-created_at", "-id"], name="audit_user_time_idx"),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit entries are append-only.")


class PatientDoctorMeeting(models.Model):
    meeting_uid = models.CharField(max_length=64, unique=True)
    organisation_uid = models.CharField(max_length=64, blank=True)
    change = models.CharField(max_length=32)
    status = models.CharField(max_length=32, blank=True)
    meeting_type = models.CharField(max_length=64, blank=True)
    meeting_format = models.CharField(max_length=64, blank=True)
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)
    estimated_duration_minutes = models.IntegerField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    previous_meeting_uid = models.CharField(max_length=64, blank=True)
    appointment_type_uid = models.CharField(max_length=64, blank=True)
    doctor_uid = models.CharField(max_length=64, blank=True)
    patient_profile_uid = models.CharField(max_length=64, blank=True)
    # Meetings carry no updated_at: the envelope timestamp orders them.
    event_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.meeting_uid} ({self.change})"


class MeetingChange(models.Model):
    meeting = models.ForeignKey(
        PatientDoctorMeeting, on_delete=models.CASCADE, related_name="changes"
    )
    change = models.CharField(max_length=32)
    status = models.CharField(max_length=32, blank=True)
    event_at = models.DateTimeField()
    delivery = models.ForeignKey("rxscale.WebhookDelivery", null=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["event_at", "id"]
        # RxScale: meeting_uid + change identifies a delivery; retries carry the same values.
        constraints = [
            models.UniqueConstraint(fields=["meeting", "change"], name="unique_meeting_change")
        ]


class Prescription(models.Model):
    """A prescription as the `{category, event, data}` notifications describe it."""

    uid = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=64, blank=True)
    rx_created_at = models.DateTimeField(null=True, blank=True)
    doctor_uid = models.CharField(max_length=64, blank=True)
    doctor_first_name = models.CharField(max_length=255, blank=True)
    doctor_last_name = models.CharField(max_length=255, blank=True)
    patient_data = models.JSONField(default=dict, blank=True)
    documents = models.JSONField(default=list, blank=True)
    items = models.JSONField(default=list, blank=True)
    shop_identifier = models.CharField(max_length=128, blank=True)
    external_order_id = models.CharField(max_length=128, blank=True)
    external_fulfillment_id = models.CharField(max_length=128, blank=True)
    external_provider_identifier = models.CharField(max_length=128, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.uid


class PrescriptionChange(models.Model):
    prescription = models.ForeignKey(Prescription, on_delete=models.CASCADE, related_name="changes")
    category = models.CharField(max_length=64)
    event = models.CharField(max_length=64)
    status = models.CharField(max_length=64, blank=True)
    doctor_assignment_reason = models.CharField(max_length=64, blank=True)
    old_doctor_uid = models.CharField(max_length=64, blank=True)
    new_doctor_uid = models.CharField(max_length=64, blank=True)
    delivery = models.OneToOneField(
        "rxscale.WebhookDelivery", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
