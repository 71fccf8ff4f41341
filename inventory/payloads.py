"""The documented shapes of SKU data in RxScale payloads (tolerant reader: common/validation.py).

Identifiers and unit counts are strict: a wrong stock or reserved figure misleads the pharmacy
about what it can dispense, so it fails the delivery. Prices, markup and priority are tolerant.
"""

from rest_framework import serializers

from common.payload_fields import (
    Cents,
    Identifier,
    Int,
    PayloadSerializer,
    RequiredId,
    Text,
    TolerantDecimalField,
    Uid,
    UnixTimestampField,
)

# As the column (inventory.Sku.standard_selling_unit): six decimals hold every value seen.
SELLING_UNIT_DIGITS, SELLING_UNIT_DECIMALS = 18, 6


class SkuPayload(PayloadSerializer):
    uid = RequiredId(max_length=64)
    display_name = Text()
    pzn = Identifier(max_length=16)  # identifies the medicine: never cut or cleaned
    product_uid = RequiredId(max_length=64)
    product_display_name = Text()
    standard_selling_unit = TolerantDecimalField(
        max_digits=SELLING_UNIT_DIGITS, decimal_places=SELLING_UNIT_DECIMALS
    )
    unit = Text(max_length=32)
    product_handle = Text()
    # Organisation-level deliveries only.
    shop_variation_id = Identifier(max_length=64)
    shop_product_external_id = Identifier(max_length=64)


class PharmacySkuStockPayload(PayloadSerializer):
    """`data` of pharmacy_sku_stock_updated."""

    uid = Uid()
    pharmacy_uid = Identifier(max_length=64)
    sku_uid = RequiredId(max_length=64)
    external_id = Identifier(max_length=128)
    price = Cents()
    # Unit counts fit 32 bits; bounding them keeps available (stock - reserved) in range.
    stock = Int()
    reserved_amount = Int(required=False, default=0)
    # A wrong markup or priority is left empty (null) with a warning; the stored one stays.
    markup = Cents(default=0)
    priority = Cents(default=0)
    type = Text(max_length=32)
    created_at = UnixTimestampField(required=False, allow_null=True)
    updated_at = UnixTimestampField()
    deleted_at = UnixTimestampField(required=False, allow_null=True)
    shop_identifier = Identifier(max_length=128)
    sku = SkuPayload()

    def validate(self, attrs):
        if attrs["sku"]["uid"] != attrs["sku_uid"]:
            raise serializers.ValidationError({"sku_uid": "Does not match sku.uid."})
        return attrs
