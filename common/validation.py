from rest_framework import serializers

from common.payload_fields import Text, UnixTimestampField
from pharmacy_orders.webhooks.registry import PayloadInvalid


class EventEnvelope(serializers.Serializer):
    event_type = serializers.CharField(max_length=100)
    timestamp = UnixTimestampField()
    payload_version = Text(max_length=16)
    data = serializers.DictField()


def validated(serializer_class: type[serializers.Serializer], data, *, prefix: str = "") -> dict:
    """Validate `data`; raise PayloadInvalid with field-level errors (under `prefix`)."""
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise PayloadInvalid({prefix: serializer.errors} if prefix else serializer.errors)
    return serializer.validated_data


def validated_event(payload: dict, data_class: type[serializers.Serializer]) -> tuple[dict, dict]:
    """Validate the `{event_type, timestamp, payload_version, data}` envelope and its data."""
    envelope = validated(EventEnvelope, payload)
    return envelope, validated(data_class, payload["data"], prefix="data")
