from django.contrib import admin

from inventory.models import PharmacySku, StockLedgerEntry
from pharmacy_orders.admin import ReadOnlyAdmin


@admin.register(PharmacySku)
class PharmacySkuAdmin(admin.ModelAdmin):
    """Stock figures come from RxScale; admins edit only the local low-stock threshold here."""

    list_display = ["uid", "sku", "external_id", "stock", "reserved_amount", "available"]
    search_fields = ["uid", "external_id", "sku__pzn", "sku__display_name"]
    fields = [
        "uid",
        "sku",
        "external_id",
        "price",
        "stock",
        "reserved_amount",
        "available",
        "low_stock_threshold",
        "rx_updated_at",
    ]
    readonly_fields = [f for f in fields if f != "low_stock_threshold"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockLedgerEntry)
class StockLedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["recorded_at", "pharmacy_sku", "cause", "changes", "user", "delivery"]
    list_filter = ["cause"]
    search_fields = ["pharmacy_sku__uid", "pharmacy_sku__sku__pzn"]
