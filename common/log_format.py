"""One log line per event, whatever the event carries.

Identifiers in messages come from outside (a signed `event_type` may hold a newline), so a
message could otherwise start a line that looks like our own. Escaping every control character
in the formatted record, traceback included, makes that impossible.
"""

import logging

from common.storable import single_line


class SingleLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return single_line(super().format(record), limit=20000)
