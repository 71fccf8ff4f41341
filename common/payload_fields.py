"""DRF fields for RxScale payloads, strict or tolerant (see common/validation.py for the policy).

Strict: identifiers (uids, external ids, PZN; never altered, since a changed identifier names
another thing), Unix timestamps and unit counts. Tolerant: everything else; a tolerant field
reads what it can, reports what it changed through the reading in the serializer's context
(`context["reading"].warn(...)`) and never fails the delivery.
"""

import json
import math
import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty

from common.converters import uid_validator
from common.storable import REPLACEMENT, has_unstorable, storable_text

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# 9999-12-31: the largest instant a datetime (and both databases) can hold.
UNIX_MAX = 253402300799
_SURROGATE = re.compile("[\ud800-\udfff]")
_REPLACED = (
    f"held characters no database stores (NUL or a lone surrogate): replaced with {REPLACEMENT}."
)


# --- Saying what came and where -------------------------------------------------------------


def field_path(field: serializers.Field) -> str:
    """`order_items[1].sku.pzn`: the field's place in `data`, list positions included."""
    parts: list[str] = []
    node = field
    while node.parent is not None:
        parent = node.parent
        if isinstance(parent, serializers.ListSerializer):
            index = getattr(parent, "current_index", None)
            parts.append(f"[{'' if index is None else index}]")
        elif node.field_name:
            parts.append(f".{node.field_name}")
        node = parent
    return "".join(reversed(parts)).lstrip(".")


def shown(value: Any, limit: int = 60) -> str:
    """A raw value as a person should read it in a warning: JSON, unstorable characters
    escaped (never acted on), cut to `limit`."""
    if isinstance(value, Decimal):
        text = str(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text.replace("\x00", "\\u0000"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _warn(field: serializers.Field, message: str) -> None:
    reading = field.context.get("reading")
    if reading is not None:
        reading.warn(f"{field_path(field)} {message}")


def storable_json_value(value: Any) -> Any:
    """A JSON value every database can store: NUL and lone surrogates in strings and keys
    become U+FFFD; infinities (1e400 parses to one) become null."""
    return _clean_json(value)[0]


def _clean_json(value: Any) -> tuple[Any, bool]:
    """(storable copy, whether anything had to change)."""
    if isinstance(value, str):
        return (storable_text(value), True) if has_unstorable(value) else (value, False)
    if isinstance(value, float) and not math.isfinite(value):
        return None, True
    if isinstance(value, dict):
        cleaned, changed = {}, False
        for key, item in value.items():
            clean_key, key_changed = _clean_json(str(key))
            cleaned[clean_key], item_changed = _clean_json(item)
            changed = changed or key_changed or item_changed
        return cleaned, changed
    if isinstance(value, list):
        pairs = [_clean_json(item) for item in value]
        return [item for item, _ in pairs], any(changed for _, changed in pairs)
    return value, False


# --- Base serializers ----------------------------------------------------------------------


class _IndexedList(serializers.ListSerializer):
    """Knows which element it is reading, so that a warning can name `order_items[2]`."""

    current_index: int | None = None

    def to_internal_value(self, data):
        self.current_index = -1
        try:
            return super().to_internal_value(data)
        finally:
            self.current_index = None

    def run_child_validation(self, data):
        self.current_index = (-1 if self.current_index is None else self.current_index) + 1
        return super().run_child_validation(data)


class PayloadSerializer(serializers.Serializer):
    """A documented object of a payload; its undeclared keys are reported as undocumented."""

    class Meta:
        list_serializer_class = _IndexedList


class OpenPayloadSerializer(PayloadSerializer):
    """An object kept whole as it came (addresses): declared keys are read as declared,
    any other key is kept too (storable), e.g. the newer API's `province`."""

    keeps_unknown_keys = True

    def to_internal_value(self, data):
        known = super().to_internal_value(data)
        kept = {}
        for key, value in data.items():
            if key in known:
                kept[key] = known[key]
            elif key not in self.fields:
                clean_key, key_changed = _clean_json(str(key))
                kept[clean_key], value_changed = _clean_json(value)
                if key_changed or value_changed:
                    _warn(self, f"field {shown(key)}: {_REPLACED}")
        return kept


# --- Identifiers and other strict fields -------------------------------------------------------


class IdentifierField(serializers.CharField):
    """An identifier (uid, external id, PZN, shop or carrier identifier): used to match
    things, so never cut, cleaned or converted. Not a JSON string (7.5 could be 7.50), too
    long, NUL or a lone surrogate (DRF's CharField refuses both): field error."""

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def Uid(**kwargs) -> IdentifierField:  # noqa: N802
    """A required RxScale uid that names a staff page (/orders/<uid>/, /inventory/<uid>/).

    A "/" or a control character cannot be reversed into those URLs, so one such uid would
    break every list that links the row (500s for all staff); refuse it as a field error.
    """
    return IdentifierField(max_length=64, validators=[uid_validator], **kwargs)


def RequiredId(max_length: int = 64, **kwargs) -> IdentifierField:  # noqa: N802
    """A required identifier that names no page (item, SKU, product, meeting uids)."""
    return IdentifierField(max_length=max_length, **kwargs)


def Identifier(max_length: int = 64, **kwargs) -> IdentifierField:  # noqa: N802
    """An optional identifier: absent, null or blank is fine, anything else must be right."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_null", True)
    kwargs.setdefault("allow_blank", True)
    return IdentifierField(max_length=max_length, trim_whitespace=False, **kwargs)


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


# --- Tolerant fields -----------------------------------------------------------------------


class TolerantCharField(serializers.CharField):
    """Text for people. Unstorable characters are replaced, text too long is cut (or, with
    cut=False, for codes a cut would turn into another code, left empty); an object, list or
    boolean is left empty. Each with a warning."""

    def __init__(self, *, cut: bool = True, **kwargs):
        self.cut = cut
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str | None:
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            _warn(self, f"{shown(data)} is not text: left empty.")
            return None
        value = str(data)
        if has_unstorable(value):
            _warn(self, _REPLACED)
            value = storable_text(value)
        if self.max_length is not None and len(value) > self.max_length:
            if not self.cut:
                _warn(self, f"{shown(value)} is longer than {self.max_length}: left empty.")
                return None
            _warn(self, f"was {len(value)} characters long: cut to {self.max_length}.")
            value = value[: self.max_length]
        return value

    def run_validators(self, value) -> None:
        if value is not None:  # left empty on purpose (warned), nothing left to check
            super().run_validators(value)


def Text(max_length: int = 255, **kwargs) -> TolerantCharField:  # noqa: N802
    """Optional text for people (names, addresses, labels): tolerant."""
    kwargs.setdefault("required", False)
    return TolerantCharField(
        max_length=max_length, allow_blank=True, allow_null=True, trim_whitespace=False, **kwargs
    )


class TolerantChoiceField(TolerantCharField):
    """A required value from a documented set (an order's status). An unknown one is kept
    exactly as sent (cleaned and cut only as any text), with a warning."""

    def __init__(self, *, choices: list[str], **kwargs):
        self.known = frozenset(choices)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")  # no text to keep at all: as bad as a missing value
        value = super().to_internal_value(data)
        if value not in self.known:
            _warn(self, f"{shown(data)} is not a documented value: stored as sent.")
        return value


class LenientFlagField(serializers.Field):
    """A documented 0/1 integer. Any value other than 0 (2, true, "1", null) is read as 1
    with a warning: callers use it where 1 is the safer reading. Absent: 0."""

    def run_validation(self, data=empty) -> bool:
        if data is empty:
            return False
        if isinstance(data, int) and not isinstance(data, bool) and data in (0, 1):
            return data == 1
        _warn(self, f"{shown(data)} is not 0 or 1: read as 1.")
        return True

    def to_representation(self, value):
        return int(value)


class LenientIntegerField(StrictIntegerField):
    """An integer whose wrong value cannot harm (money, priorities): not a whole JSON number,
    or out of range, is left empty (null) with a warning."""

    def to_internal_value(self, data) -> int | None:
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError:
            value = None
        # The range is checked here, not by the validators that would fail the delivery.
        if value is None or not self.min_value <= value <= self.max_value:
            _warn(self, f"{shown(data)} is not a whole number in range: left empty.")
            return None
        return value

    def run_validators(self, value) -> None:
        if value is not None:
            super().run_validators(value)


def Cents(**kwargs) -> LenientIntegerField:  # noqa: N802
    """Money in integer cents (documented so): optional, tolerant."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_null", True)
    return LenientIntegerField(min_value=BIGINT_MIN, max_value=BIGINT_MAX, **kwargs)


def LenientInt(**kwargs) -> LenientIntegerField:  # noqa: N802
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_null", True)
    return LenientIntegerField(min_value=INT_MIN, max_value=INT_MAX, **kwargs)


class TolerantDecimalField(serializers.Field):
    """A JSON number stored in a DecimalField(max_digits, decimal_places). More decimals are
    rounded (half up) with a warning holding the raw value; a number given as text is read
    with a warning; anything else, or a number too large for the column, is null + warning."""

    def __init__(self, *, max_digits: int, decimal_places: int, **kwargs):
        self.max_digits, self.decimal_places = max_digits, decimal_places
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Decimal | None:
        number = self._number(data)
        if number is None:
            return None
        step = Decimal(1).scaleb(-self.decimal_places)
        if number.as_tuple().exponent < -self.decimal_places:  # type: ignore[operator]
            rounded = number.quantize(step, rounding=ROUND_HALF_UP)
            _warn(
                self,
                f"{shown(data)} has more than {self.decimal_places} decimals: "
                f"rounded to {rounded}.",
            )
            number = rounded
        if abs(number) >= Decimal(10) ** (self.max_digits - self.decimal_places):
            _warn(self, f"{shown(data)} is too large to store: left empty.")
            return None
        return number

    def _number(self, data) -> Decimal | None:
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            _warn(self, f"{shown(data)} is not a number: left empty.")
            return None
        try:
            # str() of a float is its shortest exact repr: 0.1234567 stays 0.1234567.
            number = Decimal(str(data).strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            _warn(self, f"{shown(data)} is not a number: left empty.")
            return None
        if isinstance(data, str):
            _warn(self, f"{shown(data)} is a number sent as text: read as {number}.")
        return number

    def to_representation(self, value):
        return value


class TolerantDateField(serializers.DateField):
    """A date for people (a date of birth): one that is not a date is null + warning."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> date | None:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            _warn(self, f"{shown(data)} is not a date: left empty.")
            return None


class FreeJSONField(serializers.JSONField):
    """Free-form JSON kept as it came, made storable: NUL and lone surrogates (in strings and
    keys) become U+FFFD and infinities null, with a warning."""

    def to_internal_value(self, data):
        cleaned, changed = _clean_json(data)
        if changed:
            _warn(
                self,
                "held values no database stores (NUL, a lone surrogate or an infinite number): "
                f"replaced with {REPLACEMENT} or null.",
            )
        return super().to_internal_value(cleaned)
