"""The product and SKU columns a payload's `sku` object sets (one definition for the single
and the bulk upsert)."""


def product_values(sku_data: dict) -> dict:
    return {
        "display_name": sku_data.get("product_display_name") or "",
        "handle": sku_data.get("product_handle") or "",
    }


def sku_values(sku_data: dict) -> dict:
    """The SKU's own columns (without its product). Shopify ids arrive only on
    organisation-level deliveries, so their absence never clears a stored value."""
    values = {
        "display_name": sku_data.get("display_name") or "",
        "pzn": sku_data.get("pzn") or "",
        "unit": sku_data.get("unit") or "",
        "standard_selling_unit": sku_data.get("standard_selling_unit"),
    }
    for shopify_field in ("shop_variation_id", "shop_product_external_id"):
        if sku_data.get(shopify_field):
            values[shopify_field] = sku_data[shopify_field]
    return values
