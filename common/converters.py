"""URL converters for RxScale identifiers in our paths."""

from django.core.validators import RegexValidator
from django.urls import register_converter

# A uid that names a page: one path segment, no control characters.
UID_PATTERN = r"[^/\x00-\x1f\x7f]+"
uid_validator = RegexValidator(
    rf"\A{UID_PATTERN}\Z",
    message="Must not contain '/' or control characters.",
    code="invalid_uid",
)


class RxScaleUidConverter:
    """A path segment without control characters: a NUL in a uid is a 404, not a 500
    (PostgreSQL text cannot hold NUL, so a lookup with one would fail in the database)."""

    regex = UID_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RxScaleUidConverter, "uid")
