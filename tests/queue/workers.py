"""Real worker processes on the test database, and ways to wait for them without sleeping
blindly: every wait polls a condition and has a hang guard, never a timing assertion."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

from rxscale.inbox.models import PENDING_STATUSES, WebhookDelivery

PROJECT = Path(__file__).resolve().parents[2]
# A guard against a hung run, not a timing assertion.
HANG_GUARD_SECONDS = 120
LEASE_SECONDS = 2


def _database_url() -> str:
    """The test database this process uses (PostgreSQL), for the workers to share."""
    db = connection.settings_dict
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}?application_name=test-worker"


def start_worker(*args: str, **env: str) -> subprocess.Popen:
    """`manage.py run_worker` as its own process, with short leases and no retry delay."""
    environment = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DEBUG": "true",
        "SECRET_KEY": "test-only",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "RXSCALE_WEBHOOK_SECRETS": ",".join(settings.RXSCALE_WEBHOOK_SECRETS),
        "TASKS_BACKEND": "workers",
        "WORK_QUEUE_LEASE_SECONDS": str(LEASE_SECONDS),
        "WORK_QUEUE_POLL_SECONDS": "0.1",
        "WORK_QUEUE_RETRY_BASE_SECONDS": "0",
        # Tests post bursts and wait for them: no giving way to intake here (test_yield.py).
        "WORK_QUEUE_YIELD_TO_INTAKE_PER_SECOND": "0",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    return subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "run_worker", *args],
        cwd=PROJECT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=HANG_GUARD_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def kill(process: subprocess.Popen) -> None:
    """SIGKILL: no clean-up runs, the lease and the open transaction are left behind."""
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=HANG_GUARD_SECONDS)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for: {what}")
        time.sleep(0.05)


def nothing_pending() -> bool:
    return not WebhookDelivery.objects.filter(status__in=PENDING_STATUSES).exists()


def worker_backends_waiting_on_a_lock() -> list[int]:
    """Backend pids of worker connections blocked on a row lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'test-worker' AND wait_event_type = 'Lock'"
        )
        return [row[0] for row in cursor.fetchall()]


def worker_backends() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'test-worker'"
        )
        return [row[0] for row in cursor.fetchall()]


def terminate_backend(pid: int) -> None:
    """Drop one worker connection, on the test database only (the pid came from it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


class RowLock:
    """Hold `SELECT … FOR UPDATE` on rows from a connection of our own, so that a worker
    that needs them blocks mid-transaction: the moment to kill it or cut its connection."""

    def __init__(self, sql: str, params: list):
        import psycopg

        params_ = connection.get_connection_params()
        params_.pop("cursor_factory", None)
        params_.pop("context", None)
        self._conn = psycopg.connect(**params_)
        self._conn.execute(sql, params)  # opens a transaction that holds the lock

    def release(self) -> None:
        if not self._conn.closed:
            self._conn.rollback()
            self._conn.close()
