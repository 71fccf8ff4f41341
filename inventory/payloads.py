"""The documented shapes of SKU data in RxScale payloads."""

from rest_framework import serializers

from common.payload_fields import BigInt, Int, Text, Uid, UnixTimestampField


class SkuPayload(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    display_name = Text()
    pzn = Text(max_length=16)
    product_uid = serializers.CharField(max_length=64)
    product_display_name = Text()
    standard_selling_unit = serializers.DecimalField(
        max_digits=12, decimal_places=3, required=False, allow_null=True, coerce_to_string=False
    )
    unit = Text(max_length=32)
    product_handle = Text()
    # Organisation-level deliveries only.
    shop_variation_id = Text(max_length=64)
    shop_product_external_id = Text(max_length=64)


class PharmacySkuStockPayload(serializers.Serializer):
    """`data` of pharmacy_sku_stock_updated."""

    uid = Uid()
    pharmacy_uid = Text(max_length=64)
    sku_uid = serializers.CharField(max_length=64)
    external_id = Text(max_length=128)
    price = BigInt(required=False, allow_null=True)
    # Unit counts fit 32 bits; bounding them keeps available (stock - reserved) in range.
    stock = Int()
    reserved_amount = Int(required=False, default=0)
    markup = BigInt(required=False, default=0)
    priority = BigInt(required=False, default=0)
    type = Text(max_length=32)
    created_at = UnixTimestampField(required=False, allow_null=True)
    updated_at = UnixTimestampField()
    deleted_at = UnixTimestampField(required=False, allow_null=True)
    shop_identifier = Text(max_length=128)
    sku = SkuPayload()

    def validate(self, attrs):
        if attrs["sku"]["uid"] != attrs["sku_uid"]:
            raise serializers.ValidationError({"sku_uid": "Does not match sku.uid."})
        return attrs
