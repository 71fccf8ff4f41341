"""Log formats: one line per event, whatever the event carries.

- `SingleLineFormatter` (LOG_FORMAT=plain): readable text. Identifiers in messages come from
  outside (a signed `event_type` may hold a newline), so a message could otherwise start a
  line that looks like our own. Escaping every control character in the formatted record,
  traceback included, makes that impossible.
- `JsonFormatter` (LOG_FORMAT=json, the default outside DEBUG): one JSON object per line, for
  a log collector. The ids a log call passes with `extra=` (`delivery_id`, `command_id`,
  `order_uid`, `sku_uid`, `sync_run_id`, `event_type`, …) become fields of their own, so
  "everything about order po-1" is one filter.

What goes into a log is ids, statuses and error classes, never a body, PDF content or patient
data: log calls pass ids only. As a last guard both formats cut PostgreSQL's "Failing row
contains (…)" detail, which would otherwise print a whole row (an order's names, addresses)
from a constraint error's message or traceback.
"""

import json
import logging
import re
from datetime import UTC, datetime

from common.storable import single_line

_FAILING_ROW = re.compile(r"(Failing row contains )\(.*", re.MULTILINE)
# Everything a LogRecord has by itself; any other attribute came through `extra=`.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


def without_row_values(text: str) -> str:
    return _FAILING_ROW.sub(r"\1(… not logged)", text)


def subject_fields(kind: str, uid: str) -> dict[str, str]:
    """`extra=` fields naming an order or a pharmacy SKU (common.events.SubjectKind values)."""
    if not uid:
        return {}
    if kind == "order":
        return {"order_uid": uid}
    if kind == "pharmacy_sku":
        return {"sku_uid": uid}
    return {}


class SingleLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return single_line(without_row_values(super().format(record)), limit=20000)


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", …extra fields, "exception"}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": without_row_values(record.getMessage())[:20000],
        }
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and not name.startswith("_"):
                entry[name] = _plain(value)
        if record.exc_info:
            entry["exception"] = without_row_values(self.formatException(record.exc_info))[:20000]
        elif record.stack_info:
            entry["stack"] = record.stack_info[:20000]
        # ensure_ascii: control characters and lone surrogates are escaped, never raw.
        return json.dumps(entry, ensure_ascii=True, default=str)


def _plain(value: object) -> object:
    """JSON-ready extra values: ids and numbers as they are, anything else as short text
    (Django's request logger passes the request object: its repr is method and path)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)[:500]
