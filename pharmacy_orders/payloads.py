"""The documented shapes of order, meeting and prescription payloads (seed field tables)."""

from rest_framework import serializers

from common.payload_fields import (
    INT_MAX,
    BigInt,
    Int,
    NulFreeJSONField,
    StrictIntegerField,
    Text,
    Uid,
    UnixTimestampField,
)
from inventory.payloads import SkuPayload
from pharmacy_orders.models import OrderStatus


class AddressPayload(serializers.Serializer):
    first_name = Text()
    last_name = Text()
    street = Text()
    house_number = Text(max_length=32)
    zip_code = Text(max_length=32)
    city = Text()
    country = Text()
    additional_address = Text()


class ParentOrderPayload(serializers.Serializer):
    uid = Text(max_length=64)
    delivery_address = AddressPayload(required=False, allow_null=True)
    invoice_address = AddressPayload(required=False, allow_null=True)
    shipping_costs_amount = BigInt(required=False, allow_null=True)
    shipping_costs_currency = Text(max_length=3)
    priority = Int(required=False, allow_null=True)


class NamedRefPayload(serializers.Serializer):
    uid = Text(max_length=64)
    display_name = Text()
    identifier = Text(max_length=128)


class PharmacyMappingPayload(serializers.Serializer):
    pharmacy_uid = serializers.CharField(max_length=64)
    shipping_method_identifier_for_pharmacy = serializers.CharField(max_length=128)


class ShopShippingMethodPayload(serializers.Serializer):
    uid = Uid()  # names /orders/shipping-methods/<uid>/
    display_name = Text()
    external_id = Text(max_length=128)
    pharmacy_mapping = PharmacyMappingPayload(required=False, allow_null=True)


class OrderPharmacySkuPayload(serializers.Serializer):
    uid = Uid()
    external_id = Text(max_length=128)
    price = BigInt(required=False, allow_null=True)
    stock = Int(required=False, allow_null=True)


class OrderItemPayload(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    amount = StrictIntegerField(min_value=0, max_value=INT_MAX)  # a negative amount is no order
    sku = SkuPayload()
    pharmacy_sku = OrderPharmacySkuPayload(required=False, allow_null=True)
    total_paid_amount = BigInt(required=False, allow_null=True)


class PersonPayload(serializers.Serializer):
    uid = Text(max_length=64)
    display_name = Text()
    email = Text(max_length=254)
    date_of_birth = serializers.DateField(
        input_formats=["%d.%m.%Y", "iso-8601"], required=False, allow_null=True
    )
    phone_number = Text(max_length=64)


class PrescriptionFilePayload(serializers.Serializer):
    filename = Text()
    # Raw string: base64 and PDF checks record a problem on the order instead of failing it.
    content_base64 = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, trim_whitespace=False
    )
    content_sha256 = Text(max_length=64)
    content_discarded = serializers.BooleanField(required=False)


class ShopOrderPayload(serializers.Serializer):
    uid = Text(max_length=64)
    external_id = Text(max_length=128)
    shop_identifier = Text(max_length=128)


class FulfillmentOrderPayload(serializers.Serializer):
    uid = Text(max_length=64)
    shop_order = ShopOrderPayload(required=False, allow_null=True)


class FulfillmentPayload(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    external_id = Text(max_length=128)
    items = NulFreeJSONField(required=False)
    order = FulfillmentOrderPayload(required=False, allow_null=True)

    def validate_items(self, value):
        if not isinstance(value, list):
            raise serializers.ValidationError("Expected a list.")
        return value


class PharmacyOrderPayload(serializers.Serializer):
    """`data` of pharmacy_order_created / pharmacy_order_updated, both subscription levels."""

    uid = Uid()
    status = serializers.ChoiceField(choices=OrderStatus.values)
    name = Text(max_length=128)
    data = NulFreeJSONField(required=False, allow_null=True)
    external_status = Text(max_length=64)
    created_at = UnixTimestampField(required=False, allow_null=True)
    updated_at = UnixTimestampField()
    deleted_at = UnixTimestampField(required=False, allow_null=True)
    pharmacy = NamedRefPayload(required=False, allow_null=True)
    order = ParentOrderPayload(required=False, allow_null=True)
    delivery_type = NamedRefPayload(required=False, allow_null=True)
    shop_shipping_methods = ShopShippingMethodPayload(many=True, required=False)
    order_items = OrderItemPayload(many=True, required=False)
    patient_data = PersonPayload(required=False, allow_null=True)
    doctor_data = PersonPayload(required=False, allow_null=True)
    prescription_file = PrescriptionFilePayload(required=False, allow_null=True)
    prepaid = StrictIntegerField(min_value=0, max_value=1, required=False, default=0)
    fulfillment = FulfillmentPayload(required=False, allow_null=True)

    def validate_order_items(self, items):
        uids = [item["uid"] for item in items]
        if len(uids) != len(set(uids)):
            raise serializers.ValidationError("Order item uids must be unique.")
        return items


class MeetingPayload(serializers.Serializer):
    """`data` of patient_doctor_meeting_updated."""

    organisation_uid = Text(max_length=64)
    meeting_uid = serializers.CharField(max_length=64)
    change = serializers.CharField(max_length=32)
    status = Text(max_length=32)
    meeting_type = Text(max_length=64)
    meeting_format = Text(max_length=64)
    start_date = UnixTimestampField(required=False, allow_null=True)
    end_date = UnixTimestampField(required=False, allow_null=True)
    estimated_duration_minutes = Int(required=False, allow_null=True)
    confirmed_at = UnixTimestampField(required=False, allow_null=True)
    cancelled_at = UnixTimestampField(required=False, allow_null=True)
    cancellation_reason = Text(max_length=2000)
    expires_at = UnixTimestampField(required=False, allow_null=True)
    previous_meeting_uid = Text(max_length=64)
    appointment_type_uid = Text(max_length=64)
    doctor_uid = Text(max_length=64)
    patient_profile_uid = Text(max_length=64)


class DoctorPayload(serializers.Serializer):
    uid = Text(max_length=64)
    first_name = Text()
    last_name = Text()


class PrescriptionPayload(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    created_at = serializers.DateTimeField(required=False, allow_null=True)
    status = Text(max_length=64)
    doctor = DoctorPayload(required=False, allow_null=True)
    patient_data = NulFreeJSONField(required=False, allow_null=True)
    documents = NulFreeJSONField(required=False, allow_null=True)
    items = NulFreeJSONField(required=False, allow_null=True)


class PrescriptionNotificationData(serializers.Serializer):
    shop_identifier = Text(max_length=128)
    external_order_id = Text(max_length=128)
    external_fulfillment_id = Text(max_length=128)
    external_provider_identifier = Text(max_length=128)
    doctor_assignment_reason = Text(max_length=64)
    old_doctor_uid = Text(max_length=64)
    new_doctor_uid = Text(max_length=64)
    prescription = PrescriptionPayload()


class PrescriptionEnvelope(serializers.Serializer):
    category = serializers.CharField(max_length=64)
    event = serializers.CharField(max_length=64)
    data = PrescriptionNotificationData()
