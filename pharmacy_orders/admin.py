from django.contrib import admin

from common.admin import ReadOnlyAdmin
from pharmacy_orders.models import (
    AuditEntry,
    OrderItem,
    OrderShopShippingMethod,
    OrderStatusChange,
    PatientDoctorMeeting,
    PharmacyOrder,
    Prescription,
    ShippingMethodMapping,
)
from pharmacy_orders.selectors import shipping_methods_seen
from pharmacy_orders.services.shipping_mappings import (
    shipping_mapping_remove,
    shipping_mapping_store,
)


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
