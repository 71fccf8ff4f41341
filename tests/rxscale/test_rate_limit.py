"""The shared rate limit and the client's 429 retries: real OS processes, the real stand-in
over HTTP, the real database (an SQLite file or the PostgreSQL test database)."""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from rxscale.client import RxScaleClient, backoff_seconds
from rxscale.errors import RxScaleRateLimited, RxScaleRateLimitTimeout, RxScaleTransient
from rxscale.ratelimit import RateLimitLock, RateLimitSlot, SharedRateLimiter
from rxscale.standin import Fault, RxScaleStandin
from tests.rxscale.conftest import API_KEY, make_client

ROOT = Path(__file__).resolve().parents[2]
PER_SECOND = 10  # rate-limits.md, on both sides
UIDS = ("po-standin-1", "po-standin-2")
CALLS_EACH = 50


def _database_url_for_other_processes(tmp_path: Path) -> str:
    """The database this test's own connection uses, as a DATABASE_URL other processes reach.

    pytest-django's SQLite test database lives in memory, out of their reach: they get a file
    with the limiter's tables instead. On PostgreSQL it is the test database (`test_<name>`).
    """
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(settings["USER"]) + (
            f":{quote(settings['PASSWORD'])}" if settings["PASSWORD"] else ""
        )
        return f"postgres://{auth}@{settings['HOST']}:{settings['PORT']}/{quote(settings['NAME'])}"
    path = tmp_path / "rate_limit.sqlite3"
    wrapper_class = type(connections[connection.alias])  # `connection` is only a proxy
    other = wrapper_class({**settings, "NAME": str(path)}, alias="rate_limit_file")
    try:
        with other.schema_editor(atomic=False) as editor:  # `other` is not a registered alias
            editor.create_model(RateLimitLock)
            editor.create_model(RateLimitSlot)
    finally:
        other.close()
    return f"sqlite:///{path}"


def _burst(standin: RxScaleStandin, database_url: str, **settings: str) -> list[dict]:
    """CALLS_EACH calls from each of two processes started at the same moment."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "RXSCALE_API_BASE_URL": standin.base_url,
        "RXSCALE_API_KEY": API_KEY,
        "RXSCALE_API_MAX_REQUESTS_PER_SECOND": str(PER_SECOND),
        # No client retries: a 429 must show in the process as well as at the stand-in.
        "RXSCALE_API_RATE_LIMIT_RETRIES": "0",
        "RXSCALE_API_RATE_LIMIT_MAX_WAIT_SECONDS": "30",
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    command = [sys.executable, "-m", "tests.rxscale.rate_limit_burst", str(CALLS_EACH)]
    processes = [
        subprocess.Popen(
            [*command, uid],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for uid in UIDS
    ]
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready", process.stderr.read()
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = []
        for process in processes:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def burst_standin():
    with RxScaleStandin(api_key=API_KEY, per_second=PER_SECOND) as running:
        running.seed_from_samples(orders=len(UIDS))
        yield running


def test_two_processes_together_stay_under_the_limit(transactional_db, burst_standin, tmp_path):
    results = _burst(burst_standin, _database_url_for_other_processes(tmp_path))

    assert results == [{"ok": CALLS_EACH, "rate_limited": 0}] * len(UIDS)
    answered = burst_standin.requests
    assert len(answered) == CALLS_EACH * len(UIDS)
    assert [r.status for r in answered if r.status != 200] == []  # no 429 at all
    # The rule itself, on the stand-in's receive times: any PER_SECOND + 1 requests in a row
    # span at least a second.
    times = sorted(r.received_at for r in answered)
    crowded = [(a, b) for a, b in zip(times, times[PER_SECOND:], strict=False) if b - a < 1.0]
    assert crowded == []
    # The processes really ran at the same time: their requests interleave.
    spans = [[r.received_at for r in answered if r.path.endswith(uid)] for uid in UIDS]
    assert min(spans[0]) < max(spans[1]) and min(spans[1]) < max(spans[0])


def test_the_same_burst_with_limits_far_above_rxscales_is_refused(
    transactional_db, burst_standin, tmp_path
):
    # The control: shows that the test above can fail, i.e. that a burst is refused when the
    # limiter does not hold it back.
    url = _database_url_for_other_processes(tmp_path)
    results = _burst(burst_standin, url, RXSCALE_API_MAX_REQUESTS_PER_SECOND="100000")

    assert sum(result["rate_limited"] for result in results) > 0
    assert any(r.status == 429 for r in burst_standin.requests)


# The client's 429 retries, with the client the app uses (built from settings) -----------------


@pytest.fixture
def app_client(standin, settings, db):
    settings.RXSCALE_API_BASE_URL = standin.base_url
    settings.RXSCALE_API_KEY = API_KEY
    settings.RXSCALE_API_RATE_LIMIT_BACKOFF_SECONDS = 0.01  # keep the retries quick
    # No margin, so no stale slots either: on a busy machine one would add a slot to the counts.
    settings.RXSCALE_API_RATE_LIMIT_MARGIN_SECONDS = 0
    with RxScaleClient() as client:
        yield client


def test_a_client_built_from_settings_counts_every_request_in_the_database(standin, app_client):
    app_client.get_order(UIDS[0])
    app_client.list_orders()
    with make_client(standin) as bare:  # a client built by hand has no limiter
        bare.get_order(UIDS[0])

    assert RateLimitSlot.objects.count() == 2


def test_an_injected_429_is_retried_and_succeeds(standin, app_client):
    standin.faults.inject(Fault("rate_limit"))

    assert app_client.get_order(UIDS[0])["uid"] == UIDS[0]
    assert standin.faults.pending() == []
    assert RateLimitSlot.objects.count() == 2  # the retry waited for a slot of its own


def test_a_persistent_429_ends_in_rate_limited_after_the_retries(standin, app_client, settings):
    standin.faults.inject(Fault("rate_limit", count=10))

    with pytest.raises(RxScaleRateLimited) as caught:
        app_client.get_order(UIDS[0])

    assert caught.value.status_code == 429
    tries = 1 + settings.RXSCALE_API_RATE_LIMIT_RETRIES
    assert [fault["count"] for fault in standin.faults.pending()] == [10 - tries]
    assert RateLimitSlot.objects.count() == tries


def test_other_errors_are_left_to_the_caller(standin, app_client):
    standin.faults.inject(Fault("error", status=503, count=2))

    with pytest.raises(RxScaleTransient):
        app_client.get_order(UIDS[0])
    assert [fault["count"] for fault in standin.faults.pending()] == [1]


def test_the_backoff_is_full_jitter_under_a_cap():
    for retry in range(6):
        ceiling = min(10.0, 1.0 * 2**retry)
        waits = [backoff_seconds(retry, base=1.0, cap=10.0) for _ in range(200)]
        assert all(0 <= wait <= ceiling for wait in waits)
        assert max(waits) - min(waits) > ceiling / 2  # spread over the range, not fixed


# The limiter itself, on this test's database ---------------------------------------------


def test_a_full_second_window_waits_for_the_next_free_slot(db):
    limiter = SharedRateLimiter(per_second=2, per_minute=100, margin_seconds=0)

    for _ in range(4):
        limiter.acquire(time.monotonic() + 10)

    sent = list(RateLimitSlot.objects.order_by("sent_at").values_list("sent_at", flat=True))
    assert len(sent) == 4
    assert all(
        later - earlier >= timedelta(seconds=1)
        for earlier, later in zip(sent, sent[2:], strict=False)
    )


def test_a_full_minute_window_past_the_deadline_is_a_typed_error_and_sends_nothing(db):
    limiter = SharedRateLimiter(per_second=100, per_minute=3, margin_seconds=0)
    for _ in range(3):
        limiter.acquire(time.monotonic() + 1)

    with pytest.raises(RxScaleRateLimitTimeout):
        limiter.acquire(time.monotonic() + 1)
    assert RateLimitSlot.objects.count() == 3


def test_a_slot_that_took_longer_than_half_the_margin_to_record_is_not_used(db):
    # Recording always takes longer than half a nanosecond: every slot is stale, stays counted,
    # and is replaced by another, until the deadline ends the wait (no slot is ever returned).
    limiter = SharedRateLimiter(per_second=5, per_minute=100, margin_seconds=1e-9)

    with pytest.raises(RxScaleRateLimitTimeout):
        limiter.acquire(time.monotonic() + 0.5)
    assert 1 <= RateLimitSlot.objects.count() <= 5  # counted, and never past the window


def test_slots_older_than_the_minute_window_are_deleted(db):
    limiter = SharedRateLimiter(per_second=10, per_minute=600, margin_seconds=0)
    old = RateLimitSlot.objects.create(
        bucket=limiter.bucket, sent_at=timezone.now() - timedelta(minutes=2)
    )

    limiter.acquire(time.monotonic() + 1)

    assert not RateLimitSlot.objects.filter(pk=old.pk).exists()
    assert RateLimitSlot.objects.count() == 1


def test_the_limiter_refuses_to_run_inside_a_transaction(db):
    # A slot recorded in an open transaction is invisible to the other processes.
    limiter = SharedRateLimiter(per_second=10, per_minute=600)

    with transaction.atomic(), pytest.raises(RuntimeError):
        limiter()
