"""DRF fields for RxScale payloads: bounded integers, Unix timestamps, NUL-free JSON."""

from datetime import UTC, datetime

from rest_framework import serializers

from common.converters import uid_validator

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# 9999-12-31: the largest instant a datetime (and both databases) can hold.
UNIX_MAX = 253402300799


def Text(max_length: int = 255, **kwargs) -> serializers.CharField:  # noqa: N802
    """Optional text; DRF's CharField already refuses NUL characters."""
    kwargs.setdefault("required", False)
    return serializers.CharField(
        max_length=max_length, allow_blank=True, allow_null=True, trim_whitespace=False, **kwargs
    )


def Uid(**kwargs) -> serializers.CharField:  # noqa: N802
    """An RxScale uid that names a staff page (/orders/<uid>/, /inventory/<uid>/).

    A "/" or a control character cannot be reversed into those URLs, so one such uid would
    break every list that links the row (500s for all staff); refuse it as a field error.
    """
    return serializers.CharField(max_length=64, validators=[uid_validator], **kwargs)


class StrictIntegerField(serializers.IntegerField):
    """An integer that must arrive as a JSON number: "5" and 5.5 are refused, true too."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


def BigInt(**kwargs) -> StrictIntegerField:  # noqa: N802 - reads like a field class
    return StrictIntegerField(min_value=BIGINT_MIN, max_value=BIGINT_MAX, **kwargs)


def Int(**kwargs) -> StrictIntegerField:  # noqa: N802
    return StrictIntegerField(min_value=INT_MIN, max_value=INT_MAX, **kwargs)


class UnixTimestampField(StrictIntegerField):
    """Unix seconds -> aware datetime. The range is checked here, before conversion."""

    def to_internal_value(self, data) -> datetime:
        seconds = super().to_internal_value(data)
        if not 0 <= seconds <= UNIX_MAX:
            raise serializers.ValidationError(f"Must be a Unix time between 0 and {UNIX_MAX}.")
        return datetime.fromtimestamp(seconds, tz=UTC)


def _contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False


class NulFreeJSONField(serializers.JSONField):
    """Arbitrary JSON, refused if any string holds NUL (PostgreSQL jsonb cannot store it)."""

    def to_internal_value(self, data):
        if _contains_nul(data):
            raise serializers.ValidationError("Null characters are not allowed.")
        return super().to_internal_value(data)
