"""Processing failures keep error and traceback and write nothing; reprocessing re-runs.

The crash used here is a real one: a database trigger refuses the order's status-history
insert, the handler's last write, after the order, its SKUs and ledger entries have been
written in the same savepoint (tests/faults.py). Dropping the trigger is "the cause removed";
reprocessing the very same stored body then succeeds.
"""

import hashlib
import json
from io import StringIO

import pytest
from django.core.management import call_command

from inventory.models import PharmacySku, Product, Sku, StockLedgerEntry
from pharmacy_orders.models import OrderPrescription, OrderStatusChange, Pharmacy, PharmacyOrder
from rxscale.inbox.samples import sample_pdf
from rxscale.models import WebhookDelivery
from rxscale.tasks import process_webhook_delivery
from tests.conftest import post_signed
from tests.faults import fault_on_insert_start, fault_on_insert_stop
from tests.webhooks.helpers import Status, b64, delivery_of, files_under, stored_body

# What a handler writes; the PDF itself is stored at intake, before any handler runs.
DOMAIN_MODELS = [
    PharmacyOrder,
    Pharmacy,
    Sku,
    Product,
    PharmacySku,
    StockLedgerEntry,
    OrderStatusChange,
    OrderPrescription,
]
HISTORY_TABLE = OrderStatusChange._meta.db_table


@pytest.fixture
def broken_history():
    """Every insert into the order history fails until the test removes the cause."""
    fault_on_insert_start(HISTORY_TABLE)

    class Cause:
        @staticmethod
        def remove():
            fault_on_insert_stop(HISTORY_TABLE)

    yield Cause
    fault_on_insert_stop(HISTORY_TABLE)


def _reprocess(*args: str) -> str:
    out = StringIO()
    call_command("reprocess_webhooks", *args, stdout=out)
    return out.getvalue()


def test_a_handler_crash_leaves_the_delivery_failed_with_traceback_and_no_partial_writes(
    deliver, payload, broken_history
):
    # given a database that refuses the order's history row
    pdf = sample_pdf(1500)
    body = payload("pharmacy_order_created", level="organisation", pdf=pdf)

    # when an order with a PDF arrives
    response = deliver(body)

    # then RxScale still got its 200, and the delivery is failed with the exception kept
    assert response.status_code == 200
    delivery = delivery_of(response)
    assert delivery.status == Status.FAILED
    assert delivery.attempts == 1
    assert "injected fault" in delivery.error
    assert "Traceback (most recent call last)" in delivery.traceback
    assert "order_apply_snapshot" in delivery.traceback
    assert delivery.error_details == {}
    assert delivery.processed_at is not None
    assert (delivery.lease_expires_at, delivery.leased_by) == (None, "")
    # and none of the writes the handler made before the crash survived
    for model in DOMAIN_MODELS:
        assert not model.objects.exists(), model.__name__
    # and the PDF is kept by reference for the reprocess, never as content in the inbox
    assert b64(pdf).encode() not in stored_body(delivery)
    assert delivery.document_sha256 == hashlib.sha256(pdf).hexdigest()


def test_reprocessing_after_the_cause_is_removed_applies_the_same_delivery(
    deliver, payload, broken_history, settings
):
    # given a delivery that failed because the database refused a write
    pdf = sample_pdf(1500)
    failed = delivery_of(deliver(payload("pharmacy_order_created", pdf=pdf)))
    assert failed.status == Status.FAILED

    # when the cause is removed and the delivery is reprocessed by id
    broken_history.remove()
    output = _reprocess(str(failed.pk))

    # then the handler really ran again (attempts restart with a reprocess) and all landed
    assert f"#{failed.pk}: processed" in output
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.PROCESSED, 1)
    assert (failed.error, failed.traceback, failed.error_details) == ("", "", {})
    order = PharmacyOrder.objects.get()
    assert order.status == "init"
    assert order.current_prescription.sha256 == hashlib.sha256(pdf).hexdigest()
    assert [p.read_bytes() for p in files_under(settings.MEDIA_ROOT)] == [pdf]
    assert StockLedgerEntry.objects.count() == 1
    assert list(order.status_changes.values_list("to_status", "delivery")) == [("init", failed.pk)]
    assert b64(pdf).encode() not in stored_body(failed)


def test_reprocessing_while_the_cause_remains_fails_again(deliver, payload, broken_history):
    failed = delivery_of(deliver(payload("pharmacy_order_created")))
    first_run = failed.processed_at

    output = _reprocess(str(failed.pk))

    assert f"#{failed.pk}: failed" in output
    failed.refresh_from_db()
    assert failed.status == Status.FAILED
    assert failed.processed_at > first_run
    assert failed.traceback
    assert not PharmacyOrder.objects.exists()


def test_a_failed_delivery_does_not_block_other_subjects(deliver, payload, broken_history):
    # given an order that failed
    deliver(payload("pharmacy_order_created", uid="po-broken"))

    # when a stock event (no order history) arrives
    stock = delivery_of(deliver(payload("pharmacy_sku_stock_updated")))

    # then it is applied normally
    assert stock.status == Status.PROCESSED
    assert PharmacySku.objects.get().stock == 45


def test_a_validation_failure_keeps_field_errors_and_no_traceback(deliver, payload):
    # given an order whose item amount is text (unit counts stay strict) and no updated_at
    body = payload("pharmacy_order_created")
    del body["data"]["updated_at"]
    body["data"]["order_items"][0]["amount"] = "one"

    # when it is delivered
    delivery = delivery_of(deliver(body))

    # then the delivery is failed with an error per field, and nothing was applied
    assert delivery.status == Status.FAILED
    assert delivery.error == "Payload failed validation."
    assert delivery.traceback == ""
    assert delivery.error_details == {
        "data": {
            "updated_at": ["This field is required."],
            "order_items": {"0": {"amount": ["A valid integer is required."]}},
        }
    }
    assert not PharmacyOrder.objects.exists()


def test_a_validation_failure_is_not_fixed_by_reprocessing_but_by_a_corrected_snapshot(
    deliver, payload
):
    """The stored body is what RxScale sent: reprocessing re-runs the same validation and
    fails again (so the row stays honest). What removes this cause is RxScale sending a
    corrected snapshot, a new delivery, which is applied."""
    broken = payload("pharmacy_order_created")
    broken["data"]["order_items"][0]["amount"] = "one"
    failed = delivery_of(deliver(broken))

    _reprocess(str(failed.pk))
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.FAILED, 1)
    assert "order_items" in failed.error_details["data"]

    fixed = delivery_of(deliver(payload("pharmacy_order_created")))
    assert fixed.status == Status.PROCESSED
    assert PharmacyOrder.objects.get().items.get().amount == 1


@pytest.mark.django_db
def test_a_delivery_left_received_by_a_lost_task_is_applied_by_reprocess_status(client, payload):
    # given a delivery stored but never processed (no on-commit run: a worker that died)
    response = post_signed(client, payload("pharmacy_sku_stock_updated"))
    delivery = delivery_of(response)
    assert delivery.status == Status.RECEIVED
    assert not PharmacySku.objects.exists()

    # when the operator reprocesses everything still received
    output = _reprocess("--status", "received")

    # then it is applied
    assert "Reprocessed 1 deliveries." in output
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.PROCESSED, 1)
    assert PharmacySku.objects.get().stock == 45


def test_running_the_task_twice_is_a_no_op_the_second_time(deliver, payload):
    # given a processed delivery
    delivery = delivery_of(deliver(payload("pharmacy_order_created")))

    # when the worker runs its task again (at-least-once delivery of tasks)
    result = process_webhook_delivery.enqueue(delivery.pk)

    # then nothing runs again (the row is no longer pending, so there is nothing to claim)
    assert result.return_value == ""
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert OrderStatusChange.objects.count() == 1


def test_reprocessing_a_processed_order_finds_its_pdf_by_reference_and_adds_nothing(
    deliver, payload, settings
):
    # given a processed order whose stored body now references the PDF by hash
    pdf = sample_pdf(1000)
    delivery = delivery_of(deliver(payload("pharmacy_order_created", pdf=pdf)))
    reference = json.loads(stored_body(delivery))["data"]["prescription_file"]
    assert reference == {
        "filename": "prescription_001.pdf",
        "content_sha256": hashlib.sha256(pdf).hexdigest(),
    }

    # when it is reprocessed
    _reprocess(str(delivery.pk))

    # then it is processed again with the same document and no doubled effects
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.PROCESSED, 1)
    assert delivery.warnings == []
    order = PharmacyOrder.objects.get()
    assert order.current_prescription.sha256 == reference["content_sha256"]
    assert order.prescription_problem == ""
    assert OrderPrescription.objects.count() == 1
    assert OrderStatusChange.objects.count() == 1
    assert StockLedgerEntry.objects.count() == 1
    assert len(files_under(settings.MEDIA_ROOT)) == 1


def test_reprocessing_a_stale_delivery_keeps_it_stale(deliver, payload):
    deliver(payload("pharmacy_order_updated", updated_at=1711910000))
    stale = delivery_of(deliver(payload("pharmacy_order_created", updated_at=1711899000)))
    assert stale.status == Status.STALE

    _reprocess(str(stale.pk))

    stale.refresh_from_db()
    assert (stale.status, stale.attempts) == (Status.STALE, 1)
    assert PharmacyOrder.objects.get().status == "in-progress"


def test_reprocessing_an_ignored_or_invalid_delivery_keeps_its_status(deliver):
    ignored = delivery_of(deliver({"event_type": "test", "data": {}}))
    invalid = delivery_of(deliver(b"[]"))

    _reprocess(str(ignored.pk), str(invalid.pk))

    ignored.refresh_from_db()
    invalid.refresh_from_db()
    assert (ignored.status, ignored.attempts) == (Status.IGNORED, 1)
    assert (invalid.status, invalid.attempts) == (Status.INVALID, 1)
    assert "must be a JSON object" in invalid.error
    assert WebhookDelivery.objects.count() == 2
