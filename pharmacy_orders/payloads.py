"""The documented shapes of order, meeting and prescription payloads (seed field tables).

Tolerant reader (common/validation.py): identifiers, `updated_at`, the status's presence and
unit counts must be right or the delivery fails; any other unexpected value is read as well as
it can be, with a warning, so that the order is never lost over it.
"""

from rest_framework import serializers

from common.payload_fields import (
    INT_MAX,
    Cents,
    FreeJSONField,
    Identifier,
    Int,
    LenientFlagField,
    LenientInt,
    OpenPayloadSerializer,
    PayloadSerializer,
    RequiredId,
    StrictIntegerField,
    Text,
    TolerantChoiceField,
    TolerantDateField,
    Uid,
    UnixTimestampField,
)
from inventory.payloads import SkuPayload
from pharmacy_orders.models import OrderStatus


class AddressPayload(OpenPayloadSerializer):
    """Kept whole as it came: the newer API adds `province`, and any other key stays too."""

    first_name = Text()
    last_name = Text()
    street = Text()
    house_number = Text(max_length=32)
    zip_code = Text(max_length=32)
    city = Text()
    country = Text()
    additional_address = Text()
    province = Text()


class ParentOrderPayload(PayloadSerializer):
    uid = Identifier(max_length=64)
    delivery_address = AddressPayload(required=False, allow_null=True)
    invoice_address = AddressPayload(required=False, allow_null=True)
    shipping_costs_amount = Cents()
    # A cut currency code would be another currency: too long is left empty instead.
    shipping_costs_currency = Text(max_length=3, cut=False)
    priority = LenientInt()


class NamedRefPayload(PayloadSerializer):
    uid = Identifier(max_length=64)
    display_name = Text()
    identifier = Identifier(max_length=128)


class PharmacyMappingPayload(PayloadSerializer):
    pharmacy_uid = RequiredId(max_length=64)
    shipping_method_identifier_for_pharmacy = RequiredId(max_length=128)


class ShopShippingMethodPayload(PayloadSerializer):
    uid = Uid()  # names /orders/shipping-methods/<uid>/
    display_name = Text()
    external_id = Identifier(max_length=128)
    pharmacy_mapping = PharmacyMappingPayload(required=False, allow_null=True)


class OrderPharmacySkuPayload(PayloadSerializer):
    uid = Uid()
    external_id = Identifier(max_length=128)
    price = Cents()
    stock = Int(required=False, allow_null=True)  # a unit count: strict


class OrderItemPayload(PayloadSerializer):
    uid = RequiredId(max_length=64)
    amount = StrictIntegerField(min_value=0, max_value=INT_MAX)  # a negative amount is no order
    sku = SkuPayload()
    pharmacy_sku = OrderPharmacySkuPayload(required=False, allow_null=True)
    total_paid_amount = Cents()


class PersonPayload(PayloadSerializer):
    uid = Identifier(max_length=64)
    display_name = Text()
    email = Text(max_length=254)
    # A date of birth that is not a date is left empty with a warning: staff check the
    # patient against the prescription anyway, and the order stays visible.
    date_of_birth = TolerantDateField(input_formats=["%d.%m.%Y", "iso-8601"])
    phone_number = Text(max_length=64)


class PrescriptionFilePayload(PayloadSerializer):
    filename = Text()
    # Raw string: base64 and PDF checks record a problem on the order instead of failing it.
    content_base64 = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, trim_whitespace=False
    )
    # Written by us into the stored body in place of the base64 (webhooks/payload.py PDF_KEYS):
    # the document's hash, the problem found at intake, or that the content was dropped.
    content_sha256 = Identifier(max_length=64)
    content_problem = Text(max_length=2000)
    content_discarded = serializers.BooleanField(required=False)


class ShopOrderPayload(PayloadSerializer):
    uid = Identifier(max_length=64)
    external_id = Identifier(max_length=128)
    shop_identifier = Identifier(max_length=128)
    # Undocumented in webhooks; read if RxScale ever sends the shop order's name here.
    name = Text(max_length=128)


class FulfillmentOrderPayload(PayloadSerializer):
    uid = Identifier(max_length=64)
    shop_order = ShopOrderPayload(required=False, allow_null=True)


class FulfillmentPayload(PayloadSerializer):
    uid = RequiredId(max_length=64)
    external_id = Identifier(max_length=128)
    items = FreeJSONField(required=False)
    order = FulfillmentOrderPayload(required=False, allow_null=True)

    def validate_items(self, value):
        if not isinstance(value, list):
            raise serializers.ValidationError("Expected a list.")
        return value


class PharmacyOrderPayload(PayloadSerializer):
    """`data` of pharmacy_order_created / pharmacy_order_updated, both subscription levels."""

    uid = Uid()
    # Required: without a status there is nothing to show or act on. An unknown one is kept
    # as sent with a warning (no action is offered from it, see services/workflow.py).
    status = TolerantChoiceField(choices=OrderStatus.values, max_length=64, trim_whitespace=False)
    name = Text(max_length=128)
    data = FreeJSONField(required=False, allow_null=True)
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
    # Documented 0 or 1. Anything else is read as 1, a paper prescription: wrongly waiting
    # for a paper original costs a phone call, while wrongly dispensing without the original
    # a prescription-only medicine needs is what the pharmacy must never do.
    prepaid = LenientFlagField(required=False)
    fulfillment = FulfillmentPayload(required=False, allow_null=True)
    # Documented in the External Pharmacy API's order (not yet in webhooks): read if sent.
    shop_order_name = Text(max_length=128)
    shipping_costs_amount = Cents()
    shipping_costs_currency = Text(max_length=3, cut=False)

    def validate_order_items(self, items):
        uids = [item["uid"] for item in items]
        if len(uids) != len(set(uids)):
            raise serializers.ValidationError("Order item uids must be unique.")
        return items


class MeetingPayload(PayloadSerializer):
    """`data` of patient_doctor_meeting_updated."""

    organisation_uid = Identifier(max_length=64)
    meeting_uid = RequiredId(max_length=64)
    # RxScale's idempotency key (meeting_uid + change) and our history's: strict.
    change = RequiredId(max_length=32)
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
    previous_meeting_uid = Identifier(max_length=64)
    appointment_type_uid = Identifier(max_length=64)
    doctor_uid = Identifier(max_length=64)
    patient_profile_uid = Identifier(max_length=64)


class DoctorPayload(PayloadSerializer):
    uid = Identifier(max_length=64)
    first_name = Text()
    last_name = Text()


class PrescriptionPayload(PayloadSerializer):
    uid = RequiredId(max_length=64)
    created_at = serializers.DateTimeField(required=False, allow_null=True)
    status = Text(max_length=64)
    doctor = DoctorPayload(required=False, allow_null=True)
    patient_data = FreeJSONField(required=False, allow_null=True)
    documents = FreeJSONField(required=False, allow_null=True)
    items = FreeJSONField(required=False, allow_null=True)


class PrescriptionNotificationData(PayloadSerializer):
    shop_identifier = Identifier(max_length=128)
    external_order_id = Identifier(max_length=128)
    external_fulfillment_id = Identifier(max_length=128)
    external_provider_identifier = Identifier(max_length=128)
    doctor_assignment_reason = Text(max_length=64)
    old_doctor_uid = Identifier(max_length=64)
    new_doctor_uid = Identifier(max_length=64)
    prescription = PrescriptionPayload()


class PrescriptionEnvelope(PayloadSerializer):
    category = serializers.CharField(max_length=64)
    event = serializers.CharField(max_length=64)
    data = PrescriptionNotificationData()
