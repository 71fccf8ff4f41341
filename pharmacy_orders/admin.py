from django.contrib import admin, messages
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from pharmacy_orders.models import (
    AuditEntry,
    OrderItem,
    OrderShopShippingMethod,
    OrderStatusChange,
    PatientDoctorMeeting,
    PharmacyOrder,
    Prescription,
    ShippingMethodMapping,
    WebhookDelivery,
)
from pharmacy_orders.selectors import shipping_methods_seen
from pharmacy_orders.services.shipping_mappings import (
    shipping_mapping_remove,
    shipping_mapping_store,
)
from pharmacy_orders.webhooks.intake import payload_for_display
from pharmacy_orders.webhooks.processing import deliveries_reprocess
from pharmacy_orders.webhooks.selectors import inbox_health


class ReadOnlyAdmin(admin.ModelAdmin):
    """Data that only RxScale (or an append-only trail) writes: viewable, never editable."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


_SUBJECT_URL_NAMES = {
    WebhookDelivery.SubjectKind.ORDER: "orders:detail",
    WebhookDelivery.SubjectKind.PHARMACY_SKU: "inventory:detail",
}


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "event_type",
        "status",
        "subject_link",
        "attempts",
        "received_at",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type"]
    change_list_template = "admin/pharmacy_orders/webhookdelivery/change_list.html"
    search_fields = ["subject_uid", "dedupe_key"]
    actions = ["reprocess"]
    fields = [
        "event_type",
        "status",
        "subject_link",
        "error",
        "error_details",
        "warnings",
        "traceback",
        "attempts",
        "received_at",
        "next_attempt_at",
        "leased_by",
        "lease_expires_at",
        "processed_at",
        "document_sha256",
        "event_timestamp",
        "secret_index",
        "secret_fingerprint",
        "dedupe_key",
        "headers",
        "payload",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("body")

    def changelist_view(self, request, extra_context=None):
        # The same counts as the worklist banner, above the list.
        return super().changelist_view(
            request, extra_context={**(extra_context or {}), "health": inbox_health()}
        )

    @admin.display(description="Payload (PDF content redacted)")
    def payload(self, obj):
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", payload_for_display(obj))

    @admin.display(description="Subject")
    def subject_link(self, obj):
        # Only an applied delivery's subject is known to exist (and its uid to be valid).
        applied = obj.status in (WebhookDelivery.Status.PROCESSED, WebhookDelivery.Status.STALE)
        url_name = _SUBJECT_URL_NAMES.get(obj.subject_kind) if applied else None
        try:
            url = reverse(url_name, args=[obj.subject_uid]) if url_name else None
        except NoReverseMatch:  # a failed delivery's uid may not fit a URL
            url = None
        if url is None:
            return obj.subject_uid or "–"
        return format_html('<a href="{}">{}</a>', url, obj.subject_uid)

    def has_reprocess_permission(self, request):
        return request.user.has_perm("pharmacy_orders.reprocess_webhookdelivery")

    @admin.action(description="Reprocess selected deliveries", permissions=["reprocess"])
    def reprocess(self, request, queryset):
        outcomes = deliveries_reprocess(
            delivery_ids=queryset.values_list("pk", flat=True), user=request.user, via="admin"
        )
        statuses = [outcome for _, outcome in outcomes]
        summary = ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))
        self.message_user(request, f"Reprocessed {len(outcomes)}: {summary}.", messages.SUCCESS)


@admin.register(ShippingMethodMapping)
class ShippingMethodMappingAdmin(admin.ModelAdmin):
    list_display = ["shop_shipping_method_uid", "display_name", "carrier_identifier", "updated_at"]
    search_fields = ["shop_shipping_method_uid", "display_name", "carrier_identifier"]
    # Below the mappings: every shop shipping method seen in orders, unmapped first, with a
    # link to create the missing mapping (the same list as the staff page).
    change_list_template = "pharmacy_orders/admin/shippingmethodmapping_change_list.html"

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "seen_methods": shipping_methods_seen()}
        return super().changelist_view(request, extra_context=extra_context)

    def save_model(self, request, obj, form, change):
        shipping_mapping_store(mapping=obj, user=request.user)

    def delete_model(self, request, obj):
        shipping_mapping_remove(mapping=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for mapping in queryset.order_by("id"):
            shipping_mapping_remove(mapping=mapping, user=request.user)


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    fields = ["uid", "sku", "amount", "total_paid_amount", "pharmacy_sku"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class ShopShippingMethodInline(admin.TabularInline):
    model = OrderShopShippingMethod
    fields = ["uid", "display_name", "external_id", "mapping_pharmacy_uid", "mapping_identifier"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class StatusChangeInline(admin.TabularInline):
    model = OrderStatusChange
    fields = ["created_at", "from_status", "to_status", "user", "delivery", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(PharmacyOrder)
class PharmacyOrderAdmin(ReadOnlyAdmin):
    list_display = ["uid", "name", "status", "priority", "patient_name", "shipping_identifier"]
    list_filter = ["status", "prepaid", "shipping_unmapped", "pharmacy"]
    search_fields = ["uid", "name", "patient_name", "shop_order_name"]
    inlines = [OrderItemInline, ShopShippingMethodInline, StatusChangeInline]
    exclude = ["custom_data", "fulfillment_items"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "action", "order_uid", "details"]
    list_filter = ["action"]
    search_fields = ["order_uid", "user__username"]
    list_select_related = ["user"]
    # No bulk actions: "delete selected" must not even be offered on an append-only trail.
    actions = None


@admin.register(PatientDoctorMeeting)
class PatientDoctorMeetingAdmin(ReadOnlyAdmin):
    list_display = ["meeting_uid", "change", "status", "doctor_uid", "start_date", "event_at"]
    search_fields = ["meeting_uid", "patient_profile_uid", "doctor_uid"]


@admin.register(Prescription)
class PrescriptionAdmin(ReadOnlyAdmin):
    list_display = ["uid", "status", "doctor_uid", "external_order_id", "updated_at"]
    search_fields = ["uid", "external_order_id", "doctor_uid"]
