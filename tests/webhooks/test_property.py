"""Property: any interleaving, with repeats, of snapshots of several orders and SKUs ends in the
state of each one's newest snapshot, and every delivery is processed or stale exactly as the
arrival order dictates.

Every example uses fresh uids, so examples share the test's database without seeing each other.
"""

import itertools
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.models import PharmacySku
from pharmacy_orders.models import PharmacyOrder
from rxscale.inbox.samples import sample_pdf
from rxscale.models import WebhookDelivery
from tests.webhooks.helpers import Status, delivery_of, ts

STATUSES = [
    "init",
    "waiting for pharmacy",
    "pending review",
    "on-hold",
    "in-progress",
    "ready_for_pickup",
    "completed",
    "cancelled",
]
BASE_TIME = 1_750_000_000
_examples = itertools.count()


@dataclass(frozen=True)
class Snapshot:
    kind: str  # "order" or "sku"
    subject: int
    updated_at: int
    status: str = ""
    stock: int = 0
    reserved: int = 0
    pdf_size: int = 0


@dataclass(frozen=True)
class Sending:
    snapshot: Snapshot
    # 0: the original bytes (a repeat of it is a retry); >0: the same snapshot re-sent in a
    # new envelope (a different body, equal updated_at)
    envelope: int


def _versions(kind: str, subject: int):
    """One to three snapshots of one subject with distinct updated_at values."""
    times = st.lists(st.integers(0, 50), min_size=1, max_size=3, unique=True)

    def build(offsets, draw_values):
        return [
            Snapshot(
                kind=kind,
                subject=subject,
                updated_at=BASE_TIME + offset,
                status=status,
                stock=stock,
                reserved=reserved,
                pdf_size=600 + 7 * offset,
            )
            for offset, (status, stock, reserved) in zip(offsets, draw_values, strict=True)
        ]

    values = st.tuples(st.sampled_from(STATUSES), st.integers(0, 60), st.integers(0, 60))
    return times.flatmap(
        lambda offsets: st.lists(values, min_size=len(offsets), max_size=len(offsets)).map(
            lambda drawn: build(offsets, drawn)
        )
    )


@st.composite
def plans(draw) -> list[Sending]:
    snapshots: list[Snapshot] = []
    for subject in range(draw(st.integers(1, 2))):
        snapshots += draw(_versions("order", subject))
    for subject in range(draw(st.integers(1, 2))):
        snapshots += draw(_versions("sku", subject))
    sendings = [Sending(snapshot, 0) for snapshot in snapshots]
    repeats = draw(
        st.lists(
            st.tuples(st.sampled_from(snapshots), st.sampled_from([0, 0, 1, 2])),
            max_size=5,
        )
    )
    sendings += [Sending(snapshot, envelope) for snapshot, envelope in repeats]
    return draw(st.permutations(sendings))


def _body(payload, sending: Sending, prefix: str) -> dict:
    snapshot = sending.snapshot
    if snapshot.kind == "order":
        body = payload(
            "pharmacy_order_updated",
            uid=f"{prefix}-po-{snapshot.subject}",
            status=snapshot.status,
            updated_at=snapshot.updated_at,
            pdf=sample_pdf(snapshot.pdf_size),
        )
    else:
        body = payload(
            "pharmacy_sku_stock_updated",
            uid=f"{prefix}-psku-{snapshot.subject}",
            stock=snapshot.stock,
            reserved_amount=snapshot.reserved,
            updated_at=snapshot.updated_at,
        )
    body["timestamp"] = snapshot.updated_at + 1000 * sending.envelope
    return body


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=plans())
def test_any_interleaving_with_repeats_ends_in_each_subjects_newest_snapshot(
    deliver, payload, plan
):
    # given fresh uids for this example
    prefix = f"hyp{next(_examples)}"

    # when the deliveries arrive in the drawn order, repeats included
    newest_seen: dict[tuple[str, int], int] = {}
    expected_status: dict[int, str] = {}
    for sending in plan:
        response = deliver(_body(payload, sending, prefix))
        assert response.status_code == 200
        delivery = delivery_of(response)
        key = (sending.snapshot.kind, sending.snapshot.subject)
        if delivery.pk not in expected_status:
            # a new row: stale exactly when a newer snapshot of its subject came first
            stale = sending.snapshot.updated_at < newest_seen.get(key, 0)
            expected_status[delivery.pk] = Status.STALE if stale else Status.PROCESSED
            newest_seen[key] = max(newest_seen.get(key, 0), sending.snapshot.updated_at)

    # then every delivery is stored once and is processed or stale as the order dictates
    stored = dict(
        WebhookDelivery.objects.filter(pk__in=expected_status).values_list("pk", "status")
    )
    assert stored == expected_status
    assert WebhookDelivery.objects.filter(subject_uid__startswith=f"{prefix}-").count() == len(
        {(s.snapshot, s.envelope) for s in plan}
    )

    # and each order and pharmacy SKU holds its newest snapshot's state
    newest = {}
    for sending in plan:
        key = (sending.snapshot.kind, sending.snapshot.subject)
        if key not in newest or sending.snapshot.updated_at > newest[key].updated_at:
            newest[key] = sending.snapshot
    for (kind, subject), snapshot in newest.items():
        if kind == "order":
            order = PharmacyOrder.objects.get(uid=f"{prefix}-po-{subject}")
            assert order.status == snapshot.status
            assert order.rx_updated_at == ts(snapshot.updated_at)
            assert order.current_prescription.size == snapshot.pdf_size
            # the status history is a chain ending in the current status
            history = list(order.status_changes.values_list("from_status", "to_status"))
            assert history[0][0] == ""
            assert all(a[1] == b[0] for a, b in itertools.pairwise(history))
            assert history[-1][1] == snapshot.status
        else:
            pharmacy_sku = PharmacySku.objects.get(uid=f"{prefix}-psku-{subject}")
            assert (pharmacy_sku.stock, pharmacy_sku.reserved_amount) == (
                snapshot.stock,
                snapshot.reserved,
            )
            assert pharmacy_sku.available == snapshot.stock - snapshot.reserved
            assert pharmacy_sku.rx_updated_at == ts(snapshot.updated_at)
            # replaying the ledger from nothing gives the current figures
            replayed: dict[str, int] = {}
            for changes in pharmacy_sku.ledger_entries.order_by("id").values_list(
                "changes", flat=True
            ):
                for field in ("stock", "reserved_amount"):
                    if field in changes:
                        assert changes[field]["old"] == replayed.get(field)
                        replayed[field] = changes[field]["new"]
            assert replayed == {"stock": snapshot.stock, "reserved_amount": snapshot.reserved}
