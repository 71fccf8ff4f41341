"""Two clerks transitioning the same order at the same moment: exactly one wins (PostgreSQL).

SQLite serialises whole transactions, so only PostgreSQL shows the row lock doing its job.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from pharmacy_orders.models import OrderStatus, OrderStatusChange, PharmacyOrder
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


def test_two_clerks_at_once_exactly_one_wins(make_order, pta, pharmacist):
    order = make_order(status=OrderStatus.PENDING_REVIEW)
    outcomes: dict[str, object] = {}

    def clerk(user, action, reason=""):
        try:
            outcome = order_transition(
                order_uid=order.uid,
                action=action,
                user=user,
                expected_status=OrderStatus.PENDING_REVIEW,
                reason=reason,
            )
            outcomes[user.username] = outcome.to_status
        except StaleOrderStatus as refusal:
            outcomes[user.username] = refusal
        except Exception as exc:  # reported by the assertions below
            outcomes[user.username] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=clerk, args=(pta, "start")),
        threading.Thread(target=clerk, args=(pharmacist, "hold", "Doctor to call back")),
    ]
    # Hold the row so that both clerks are inside their transition, waiting on the same lock,
    # before either can go on: a real race, not two requests one after the other.
    with transaction.atomic():
        PharmacyOrder.objects.select_for_update().get(pk=order.pk)
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while _waiting_on_locks() < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waiting_on_locks() == 2, outcomes
    for thread in threads:
        thread.join(timeout=10)

    winners = [name for name, result in outcomes.items() if isinstance(result, str)]
    losers = [name for name, result in outcomes.items() if isinstance(result, StaleOrderStatus)]
    assert len(winners) == 1 and len(losers) == 1
    final = PharmacyOrder.objects.get(pk=order.pk).status
    assert final == outcomes[winners[0]]
    assert OrderStatusChange.objects.filter(order=order, user__isnull=False).count() == 1
