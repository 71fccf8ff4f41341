"""Concurrent deliveries on PostgreSQL: row locks serialise them, no update is lost, no row is
doubled.

Each thread has its own test Client (and so its own database connection) and starts at a
barrier. The tests are transactional, so every request commits for real and the immediate
task backend processes the delivery in the request, after commit, as in production.
"""

import itertools
import threading
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test import Client

from inventory.models import PharmacySku, Product, Sku, StockLedgerEntry
from pharmacy_orders.models import (
    OrderPrescription,
    OrderStatusChange,
    Pharmacy,
    PharmacyOrder,
    Prescription,
    PrescriptionChange,
    PrescriptionDocument,
)
from rxscale.inbox.samples import sample_pdf
from rxscale.models import WebhookDelivery
from tests.conftest import post_signed
from tests.webhooks.helpers import Status, files_under, ts

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8
# A guard against a hung test run, not a timing assertion: PostgreSQL reports deadlocks itself.
HANG_GUARD_SECONDS = 120


def _send_concurrently(bodies: list) -> list:
    """POST every body signed from its own thread, all released together; return responses."""
    barrier = threading.Barrier(len(bodies))
    responses: list = [None] * len(bodies)
    errors: list[BaseException] = []

    def send(index: int, body) -> None:
        try:
            client = Client()
            barrier.wait(timeout=HANG_GUARD_SECONDS)
            responses[index] = post_signed(client, body)
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    assert errors == []
    assert [r.status_code for r in responses] == [200] * len(bodies), [r.content for r in responses]
    return responses


def _statuses() -> list[str]:
    return sorted(WebhookDelivery.objects.values_list("status", flat=True))


def test_concurrent_snapshots_of_one_order_end_in_the_newest(payload, settings):
    # given eight different snapshots of one order, the newest not sent first
    statuses = itertools.cycle(["waiting for pharmacy", "pending review", "in-progress", "on-hold"])
    bodies = [
        payload("pharmacy_order_updated", updated_at=1711900000 + i, status=next(statuses))
        for i in range(THREADS)
    ]
    newest = bodies[-1]["data"]
    bodies.reverse()

    # when they all arrive at once
    _send_concurrently(bodies)

    # then there is one order, in the newest snapshot's state
    order = PharmacyOrder.objects.get()
    assert order.status == newest["status"]
    assert order.rx_updated_at == ts(newest["updated_at"])
    # every delivery was processed or found stale; none failed on a lock or a race
    assert set(_statuses()) <= {Status.PROCESSED, Status.STALE}
    assert WebhookDelivery.objects.count() == THREADS
    # the history is one unbroken chain ending in the current status
    history = list(order.status_changes.values_list("from_status", "to_status"))
    assert history[0][0] == ""
    assert all(a[1] == b[0] for a, b in itertools.pairwise(history))
    assert history[-1][1] == newest["status"]
    # the PDF every snapshot repeats is stored once
    assert PrescriptionDocument.objects.count() == 1
    assert OrderPrescription.objects.count() == 1
    assert len(files_under(settings.MEDIA_ROOT)) == 1


def test_concurrent_new_orders_sharing_sku_pharmacy_and_pdf_create_each_row_once(payload, settings):
    # given eight new orders that share their pharmacy, SKU, pharmacy SKU and PDF
    pdf = sample_pdf(5000)
    bodies = [
        payload("pharmacy_order_created", uid=f"po-race-{i}", level="organisation", pdf=pdf)
        for i in range(THREADS)
    ]

    # when they all arrive at once
    _send_concurrently(bodies)

    # then each order exists once and every shared row exists once
    assert _statuses() == [Status.PROCESSED] * THREADS
    assert PharmacyOrder.objects.count() == THREADS
    assert OrderStatusChange.objects.count() == THREADS
    assert (Pharmacy.objects.count(), Product.objects.count(), Sku.objects.count()) == (1, 1, 1)
    assert PharmacySku.objects.get().uid == "psku-456"
    assert StockLedgerEntry.objects.count() == 1  # "first seen" once, not once per order
    document = PrescriptionDocument.objects.get()
    assert OrderPrescription.objects.filter(document=document).count() == THREADS
    [stored] = files_under(settings.MEDIA_ROOT)
    assert stored.resolve() == Path(document.file.path).resolve()
    assert stored.read_bytes() == pdf


def test_identical_deliveries_at_once_are_stored_once(payload):
    # given one delivery that RxScale (or a proxy) sends eight times at once
    body = payload("pharmacy_order_created")

    # when all copies arrive together
    responses = _send_concurrently([body] * THREADS)

    # then one row, one set of effects, and every answer names that row
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.PROCESSED
    assert {r.json()["id"] for r in responses} == {delivery.pk}
    assert sum(1 for r in responses if r.json().get("duplicate")) == THREADS - 1
    assert PharmacyOrder.objects.count() == 1
    assert OrderStatusChange.objects.count() == 1
    assert StockLedgerEntry.objects.count() == 1


def test_concurrent_stock_events_for_one_sku_end_in_the_newest_with_a_consistent_ledger(
    payload,
):
    # given eight stock snapshots of one pharmacy SKU
    bodies = [
        payload(
            "pharmacy_sku_stock_updated",
            updated_at=1711900000 + i,
            stock=100 - 7 * i,
            reserved_amount=i,
        )
        for i in range(THREADS)
    ]
    newest = bodies[-1]["data"]
    bodies = bodies[1::2] + bodies[::2]

    # when they all arrive at once
    _send_concurrently(bodies)

    # then the SKU holds the newest figures
    pharmacy_sku = PharmacySku.objects.get()
    assert (pharmacy_sku.stock, pharmacy_sku.reserved_amount) == (
        newest["stock"],
        newest["reserved_amount"],
    )
    assert pharmacy_sku.rx_updated_at == ts(newest["updated_at"])
    assert set(_statuses()) <= {Status.PROCESSED, Status.STALE}
    # and the ledger, replayed in order, leads exactly there (no lost or phantom change)
    replayed: dict = {}
    for changes in pharmacy_sku.ledger_entries.order_by("id").values_list("changes", flat=True):
        for field in ("stock", "reserved_amount"):
            if field in changes:
                assert changes[field]["old"] == replayed.get(field)
                replayed[field] = changes[field]["new"]
    assert replayed == {"stock": newest["stock"], "reserved_amount": newest["reserved_amount"]}
    # one ledger entry per applied (processed) delivery
    assert pharmacy_sku.ledger_entries.count() == _statuses().count(Status.PROCESSED)


def test_orders_and_stock_events_touching_the_same_sku_at_once_all_apply(payload):
    # given new orders carrying pharmacy SKU psku-456 and stock events for that same SKU
    orders = [payload("pharmacy_order_created", uid=f"po-mixed-{i}") for i in range(4)]
    stock = []
    for i in range(4):
        body = payload("pharmacy_sku_stock_updated", uid="psku-456", updated_at=1711900000 + i)
        body["data"]["stock"] = 30 + i
        stock.append(body)

    # when they all arrive at once
    _send_concurrently([b for pair in zip(orders, stock, strict=True) for b in pair])

    # then nothing failed or deadlocked, and the stock is the newest stock event's
    assert set(_statuses()) <= {Status.PROCESSED, Status.STALE}
    assert PharmacyOrder.objects.count() == 4
    assert PharmacySku.objects.get(uid="psku-456").stock == 33


def test_concurrent_prescription_notifications_keep_one_prescription_and_every_change(payload):
    # given eight doctor changes of one prescription
    bodies = []
    for i in range(THREADS):
        body = payload("prescription.doctor_changed", level="organisation")
        body["data"]["new_doctor_uid"] = f"doctor_{i}"
        body["data"]["prescription"]["doctor"]["uid"] = f"doctor_{i}"
        bodies.append(body)

    # when they all arrive at once
    _send_concurrently(bodies)

    # then one prescription row, one history row per delivery, none failed
    assert _statuses() == [Status.PROCESSED] * THREADS
    prescription = Prescription.objects.get()
    assert PrescriptionChange.objects.filter(prescription=prescription).count() == THREADS
    assert prescription.doctor_uid in {f"doctor_{i}" for i in range(THREADS)}


def test_concurrent_orders_with_the_same_new_pdf_store_it_once(payload, settings):
    # given the pharmacy is known, and eight new orders with their own SKUs but one new PDF
    # (nothing else is shared, so the requests really run side by side)
    post_signed(Client(), payload("pharmacy_order_created", uid="po-warmup", pdf=sample_pdf(700)))
    pdf = sample_pdf(6000)
    bodies = []
    for i in range(THREADS):
        body = payload("pharmacy_order_created", uid=f"po-pdf-{i}", pdf=pdf)
        item = body["data"]["order_items"][0]
        item["sku"].update(uid=f"sku-pdf-{i}", product_uid=f"prod-pdf-{i}")
        item["pharmacy_sku"]["uid"] = f"psku-pdf-{i}"
        bodies.append(body)

    # when they all arrive at once
    _send_concurrently(bodies)

    # then the PDF is one document and one file, linked to every order
    assert _statuses() == [Status.PROCESSED] * (THREADS + 1)
    document = PrescriptionDocument.objects.get(size=6000)
    assert OrderPrescription.objects.filter(document=document).count() == THREADS
    stored = [path for path in files_under(settings.MEDIA_ROOT) if path.read_bytes() == pdf]
    assert [path.resolve() for path in stored] == [Path(document.file.path).resolve()]


def _with_catalogue(body: dict, keys: list[str]) -> dict:
    """The order with one item per key: SKU, product and pharmacy SKU named after the key."""
    template = body["data"]["order_items"][0]
    body["data"]["order_items"] = [
        {
            **template,
            "uid": f"oi-{key}",
            "sku": {**template["sku"], "uid": f"sku-{key}", "product_uid": f"prod-{key}"},
            "pharmacy_sku": {**template["pharmacy_sku"], "uid": f"psku-{key}"},
        }
        for key in keys
    ]
    return body


def test_concurrent_new_orders_sharing_a_new_catalogue_create_each_row_once(payload):
    # given eight new orders of a new pharmacy, each with three new catalogue rows in its own
    # order and one of its own
    shared = ["a", "b", "c"]
    bodies = []
    for i in range(THREADS):
        body = payload("pharmacy_order_created", uid=f"po-cat-{i}")
        body["data"]["pharmacy"] = {"uid": "ph-new", "display_name": "New Pharmacy"}
        keys = shared[i % 3 :] + shared[: i % 3] + [f"own-{i}"]
        bodies.append(_with_catalogue(body, keys if i % 2 else keys[::-1]))

    # when they all arrive at once
    _send_concurrently(bodies)

    # then every delivery applied, and every shared row exists once, ledgered once
    assert _statuses() == [Status.PROCESSED] * THREADS
    assert Pharmacy.objects.get().uid == "ph-new"
    assert PharmacyOrder.objects.filter(pharmacy__uid="ph-new").count() == THREADS
    for model in (Product, Sku, PharmacySku):
        assert model.objects.count() == 3 + THREADS
    ledgered = list(StockLedgerEntry.objects.values_list("pharmacy_sku__uid", flat=True))
    assert sorted(ledgered) == sorted(PharmacySku.objects.values_list("uid", flat=True))
    for order in PharmacyOrder.objects.all():
        assert order.items.count() == 4
        assert order.status_changes.count() == 1


def test_a_new_order_created_and_updated_at_once_ends_in_the_newest(payload):
    # given the created event and newer updates of an order not stored yet
    bodies = [payload("pharmacy_order_created", updated_at=1711900000, status="init")]
    bodies += [
        payload("pharmacy_order_updated", updated_at=1711900000 + i, status="in-progress")
        for i in range(1, THREADS // 2)
    ]
    newest = bodies[-1]["data"]

    # when they all arrive at once
    _send_concurrently(bodies[::-1])

    # then one order, in the newest state, with an unbroken history
    order = PharmacyOrder.objects.get()
    assert (order.status, order.rx_updated_at) == ("in-progress", ts(newest["updated_at"]))
    assert set(_statuses()) <= {Status.PROCESSED, Status.STALE}
    history = list(order.status_changes.values_list("from_status", "to_status"))
    assert history[0][0] == ""
    assert all(a[1] == b[0] for a, b in itertools.pairwise(history))
    assert StockLedgerEntry.objects.count() == 1
