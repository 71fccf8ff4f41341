"""Issue 9: the query count of each list page does not depend on the data size (1 row vs
many), and on PostgreSQL the trigger-kept counts equal what counting the orders gives."""

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pharmacy_orders.counters import counters_compact
from pharmacy_orders.models import AuditEntry, OrderCountDelta, PharmacyOrder
from pharmacy_orders.selectors import TAB_ALL, WorklistFilters, worklist_tab_counts

WORKLIST = reverse("orders:worklist")
AUDIT = reverse("orders:audit")
PAGES = [
    (WORKLIST, {}),
    (WORKLIST, {"status": "in-progress"}),
    (WORKLIST, {"status": "all"}),
    (WORKLIST, {"q": "Patient"}),
    (AUDIT, {}),
    (AUDIT, {"action": "note_added"}),
    (AUDIT, {"user": "pta"}),
]


def _statements(client, path: str, params: dict) -> int:
    client.get(path, params)  # warm the session and permission caches alike for both runs
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(queries)


def _audit(user, n: int) -> None:
    for index in range(n):
        AuditEntry.objects.create(user=user, action="note_added", order_uid=f"po-{index}")


def test_list_pages_query_count_does_not_grow_with_the_data(admin_client_, pta, make_order):
    make_order(uid="po-first", status="in-progress", patient_name="Patient One")  # 1 row each
    _audit(pta, 1)
    few = {(path, str(params)): _statements(admin_client_, path, params) for path, params in PAGES}

    for n in range(12):
        status = ["waiting for pharmacy", "in-progress", "completed"][n % 3]
        make_order(uid=f"po-{n}", status=status, patient_name=f"Patient {n}", priority=n % 2)
    _audit(pta, 30)
    many = {(path, str(params)): _statements(admin_client_, path, params) for path, params in PAGES}

    assert many == few


def test_order_page_query_count_does_not_grow_with_other_orders(admin_client_, make_order):
    make_order(uid="po-a")
    few = _statements(admin_client_, reverse("orders:detail", args=["po-a"]), {})
    for n in range(8):
        make_order(uid=f"po-more-{n}")
    assert _statements(admin_client_, reverse("orders:detail", args=["po-a"]), {}) == few


def test_audit_trail_pages_without_a_total(admin_client_, pta):
    _audit(pta, 101)

    first = admin_client_.get(AUDIT).content.decode()
    second = admin_client_.get(AUDIT, {"page": 2}).content.decode()

    assert "Page 1" in first and "Page 1 of" not in first and "page=2" in first
    assert second.count('href="/orders/po-') == 1 and "page=1" in second


def _counted() -> dict[str, int]:
    """What the tab counts must be: counted from the orders themselves."""
    rows = PharmacyOrder.objects.values("status").annotate(
        live=Count("id", filter=Q(rx_deleted_at__isnull=True))
    )
    counts = {row["status"]: row["live"] for row in rows}
    counts[TAB_ALL] = PharmacyOrder.objects.count()
    return counts


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="counters are PostgreSQL's")
def test_trigger_kept_counts_follow_every_change(make_order, update_order):
    for n in range(5):
        make_order(uid=f"po-{n}", status="waiting for pharmacy")
    update_order(uid="po-1", status="in-progress")
    PharmacyOrder.objects.filter(uid="po-2").update(status="completed")
    PharmacyOrder.objects.filter(uid="po-3").update(rx_deleted_at="2026-01-01T00:00:00Z")
    PharmacyOrder.objects.filter(uid="po-4").update(status="some new status")
    order = PharmacyOrder.objects.get(uid="po-0")
    order.items.all().delete()
    order.delete()

    for _ in range(2):  # before and after folding the deltas
        counts = worklist_tab_counts(WorklistFilters())
        expected = _counted()
        assert counts[TAB_ALL] == expected[TAB_ALL] == 4
        for status in ("waiting for pharmacy", "in-progress", "completed"):
            assert counts[status] == expected.get(status, 0)
        # Needs work: in-progress, the undocumented status; not the deleted or completed.
        assert counts[""] == 2
        counters_compact()
    assert OrderCountDelta.objects.count() <= 8
