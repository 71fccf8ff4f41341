"""URL converters for RxScale identifiers in our paths."""

from django.urls import register_converter


class RxScaleUidConverter:
    """A path segment without control characters: a NUL in a uid is a 404, not a 500
    (PostgreSQL text cannot hold NUL, so a lookup with one would fail in the database)."""

    regex = r"[^/\x00-\x1f\x7f]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RxScaleUidConverter, "uid")
