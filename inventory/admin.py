from django.contrib import admin

from inventory.models import PharmacySku, StockLedgerEntry
from inventory.services import pharmacy_sku_set_threshold
from pharmacy_orders.admin import ReadOnlyAdmin


@admin.register(PharmacySku)
class PharmacySkuAdmin(admin.ModelAdmin):
    """Stock figures come from RxScale; admins edit only the local low-stock threshold here.

    Stock adjustments have their own form (with a required reason) on the inventory page.
    """

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
        "stock_set_at",
    ]
    readonly_fields = [f for f in fields if f != "low_stock_threshold"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service, so the change is ledgered like one made on the inventory page.
        pharmacy_sku_set_threshold(
            pharmacy_sku=obj, threshold=form.cleaned_data["low_stock_threshold"], user=request.user
        )


@admin.register(StockLedgerEntry)
class StockLedgerEntryAdmin(ReadOnlyAdmin):
    """Append-only: viewable, never added, changed or deleted (the model refuses it too)."""

    list_display = ["recorded_at", "pharmacy_sku", "cause", "changes", "user", "delivery"]
    list_filter = ["cause"]
    search_fields = ["pharmacy_sku__uid", "pharmacy_sku__sku__pzn"]
    list_select_related = ["pharmacy_sku__sku", "user", "delivery"]
