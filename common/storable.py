"""Text that every database we run on can store, and that logs cannot be forged with."""

import re

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
# PostgreSQL text refuses NUL, and no UTF-8 encoder takes a lone surrogate ("\udc00" is valid
# JSON, and json.loads turns it into one). Either one would make the row unsaveable.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def has_unstorable(value: str) -> bool:
    return _UNSTORABLE.search(value) is not None


def storable_text(value: str, limit: int | None = None) -> str:
    """`value` with NUL and lone surrogates replaced by U+FFFD, cut to `limit` characters."""
    cleaned = _UNSTORABLE.sub(REPLACEMENT, value)
    return cleaned if limit is None else cleaned[:limit]


def storable_json(value, limit: int = 2000):
    """Recursively make a JSON value storable (strings and keys as `storable_text`)."""
    if isinstance(value, str):
        return storable_text(value, limit)
    if isinstance(value, dict):
        return {storable_text(str(k), 200): storable_json(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(v, limit) for v in value]
    return value


def single_line(value: str, limit: int = 200) -> str:
    """For identifiers that came from outside and go into a log line or a one-line field:
    control characters (newline, carriage return, escape…) are shown escaped, never acted on."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)[:limit]
