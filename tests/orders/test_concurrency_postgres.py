"""Two clerks acting on the same order at the same moment: exactly one wins (PostgreSQL).

SQLite serialises whole transactions, so only PostgreSQL shows the row lock doing its job.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from pharmacy_orders.models import OrderStatus, OrderStatusChange, PharmacyOrder
from pharmacy_orders.services.claims import order_claim
from pharmacy_orders.services.workflow import StaleOrderStatus, order_transition

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        # pg_stat_activity is a per-transaction snapshot: refresh it on every poll.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(DISTINCT l.pid) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE NOT l.granted AND a.datname = current_database()"
        )
        return cursor.fetchone()[0]


def _run_together(order: PharmacyOrder, jobs: dict[str, object]) -> dict[str, object]:
    """Run each job (name -> callable) in its own thread, all blocked on the order's row lock
    until every one of them waits there: a real race, not requests one after the other.
    Returns name -> what the job returned or raised."""
    outcomes: dict[str, object] = {}

    def run(name, job):
        try:
            outcomes[name] = job()
        except Exception as exc:  # judged by the caller's assertions
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in jobs.items()]
    with transaction.atomic():
        PharmacyOrder.objects.select_for_update().get(pk=order.pk)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while _waiting_on_locks() < len(jobs) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waiting_on_locks() == len(jobs), outcomes
    for thread in threads:
        thread.join(timeout=10)
    return outcomes


def test_two_clerks_at_once_exactly_one_wins(make_order, pta, pharmacist):
    order = make_order(status=OrderStatus.PENDING_REVIEW)

    def transition(user, action, reason=""):
        return lambda: (
            order_transition(
                order_uid=order.uid,
                action=action,
                user=user,
                expected_status=OrderStatus.PENDING_REVIEW,
                reason=reason,
            ).to_status
        )

    outcomes = _run_together(
        order,
        {
            pta.username: transition(pta, "start"),
            pharmacist.username: transition(pharmacist, "hold", "Doctor to call back"),
        },
    )

    winners = [name for name, result in outcomes.items() if isinstance(result, str)]
    losers = [name for name, result in outcomes.items() if isinstance(result, StaleOrderStatus)]
    assert len(winners) == 1 and len(losers) == 1
    final = PharmacyOrder.objects.get(pk=order.pk).status
    assert final == outcomes[winners[0]]
    assert OrderStatusChange.objects.filter(order=order, user__isnull=False).count() == 1


def test_two_clerks_claiming_at_once_exactly_one_gets_it(make_order, pta, pharmacist):
    order = make_order()

    outcomes = _run_together(
        order,
        {
            user.username: (lambda user=user: order_claim(order_uid=order.uid, user=user).result)
            for user in (pta, pharmacist)
        },
    )

    assert sorted(type(result).__name__ for result in outcomes.values()) == [
        "ClaimRefused",
        "str",
    ]
    winner = next(name for name, result in outcomes.items() if result == "claimed")
    assert PharmacyOrder.objects.get(pk=order.pk).claimed_by.username == winner
