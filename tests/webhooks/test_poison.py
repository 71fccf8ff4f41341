"""Poison input: characters no database or encoder takes, anywhere in a signed delivery.

Whatever the body holds, the answer is never a 500, the row is never left unfinishable
(received for ever), and log lines cannot be forged. JSON may carry a lone surrogate as an
escape ("\\ud800"); json.loads turns it into a str no UTF-8 encoder accepts, and PostgreSQL
refuses NUL in text: both used to break the final save or the intake itself.
"""

import json
import logging

import pytest

from common.log_format import SingleLineFormatter
from pharmacy_orders.models import PharmacyOrder
from rxscale.inbox.models import PENDING_STATUSES
from tests.webhooks.helpers import Status, answer, delivery_of

LONE = "\ud800"
LONE_LOW = "\udc00"


def _escaped_body(payload: dict) -> bytes:
    """ASCII JSON: lone surrogates and control characters travel as \\u escapes."""
    return json.dumps(payload, ensure_ascii=True).encode("ascii")


def _set(payload: dict, path: tuple, value) -> dict:
    node = payload
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return payload


CASES = {
    "lone surrogate in event_type": (("event_type",), f"pharmacy_order_updated{LONE}"),
    "NUL in event_type": (("event_type",), "pharmacy_order_updated\x00"),
    "newline in event_type": (("event_type",), "pharmacy_order_updated\nINFO forged"),
    "lone surrogate in the order uid": (("data", "uid"), f"po-{LONE}"),
    "lone low surrogate in status": (("data", "status"), LONE_LOW),
    "NUL in status": (("data", "status"), "in-progress\x00"),
    "lone surrogate in a patient name": (("data", "patient_data", "display_name"), f"A{LONE}"),
    "lone surrogate in a custom data key": (("data", "data"), {f"k{LONE}": f"v{LONE_LOW}"}),
    "control characters in the name": (("data", "name"), "#1\x1b[31m\r\n\x7f"),
    "lone surrogate in the PDF filename": (("data", "prescription_file", "filename"), LONE),
}


@pytest.mark.parametrize("case", CASES)
def test_poison_ends_final_and_visible_never_500(case, deliver, payload):
    path, value = CASES[case]
    body = _set(payload("pharmacy_order_updated"), path, value)

    response = deliver(_escaped_body(body))

    assert response.status_code == 200, response.content
    delivery = delivery_of(response)
    assert delivery.status not in PENDING_STATUSES
    assert delivery.status in {Status.PROCESSED, Status.FAILED, Status.IGNORED}
    if delivery.status == Status.FAILED:
        assert delivery.error  # visible to staff, with the reason


def test_a_lone_surrogate_in_a_header_is_stored_harmlessly(deliver, payload):
    response = deliver(payload("pharmacy_sku_stock_updated"), headers={"X-Trace": f"t{LONE}"})

    assert response.status_code == 200
    delivery = delivery_of(response)
    assert delivery.status == Status.PROCESSED
    assert "\N{REPLACEMENT CHARACTER}" in delivery.headers["X-Trace"]


def test_a_poison_status_is_processed_again_not_stuck(deliver, payload):
    # given the exact poison row of the issue: it used to stay received for ever
    body = _set(payload("pharmacy_order_created"), ("data", "status"), LONE_LOW)
    delivery = delivery_of(deliver(_escaped_body(body)))

    # then it is final, and the same body from RxScale again changes nothing
    assert delivery.status not in PENDING_STATUSES
    repeat = answer(deliver(_escaped_body(body)))
    assert repeat["duplicate"] is True
    assert PharmacyOrder.objects.count() <= 1


def test_log_lines_cannot_be_forged_with_a_newline(deliver, payload, caplog):
    body = _set(payload("pharmacy_order_updated"), ("event_type",), "x\nCRITICAL forged line")
    with caplog.at_level(logging.INFO):
        deliver(_escaped_body(body))

    formatter = SingleLineFormatter("%(levelname)s %(name)s %(message)s")
    lines = [formatter.format(record) for record in caplog.records]
    assert lines
    assert all("\n" not in line and "\r" not in line for line in lines)
    assert any("x\\nCRITICAL forged line" in line for line in lines)


def test_a_traceback_is_logged_on_one_line():
    try:
        raise ValueError("first\nsecond")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "boom", None, None)
        import sys

        record.exc_info = sys.exc_info()
    line = SingleLineFormatter("%(message)s").format(record)
    assert "\n" not in line
    assert "Traceback" in line and "first\\nsecond" in line
