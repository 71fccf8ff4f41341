"""Free text typed by staff."""

import unicodedata


def _is_blank(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cf"


def clean_typed_text(value: str | None) -> str:
    """Trim whitespace, counting invisible format characters (zero-width space, BOM) as
    whitespace too, so a "reason" that shows as blank is blank."""
    text = value or ""
    start, end = 0, len(text)
    while start < end and _is_blank(text[start]):
        start += 1
    while end > start and _is_blank(text[end - 1]):
        end -= 1
    return text[start:end]
