"""Measurements that need a process of their own: `python -m scripts.bench.probes NAME ARGS`.

Run by the harness with the bench environment (its database, TASKS_BACKEND=workers and no
worker running, so a stored delivery waits for the probe to process it). Each prints one JSON
object on its last line of stdout.

- `queries`: SQL statements per delivery, with django.test.utils.CaptureQueriesContext, for
  our intake, the floor's, and the worker path (`inbox_process_due`) on a first order delivery
  (creates), update deliveries (the common case) and a stock update.
- `memory-intake PDF_BYTES`: one delivery with a PDF that large, through Django's test client
  handler; the peak of Python allocations (tracemalloc) and of the resident set while it runs.
- `memory-process DELIVERY_ID WARM_ID BODY_BYTES`: the same for processing that delivery.
- `profile-intake COUNT [PATH]`: cProfile over COUNT order deliveries (100 KB PDF) through the
  request handler; prints the top functions. For investigating, not run by the harness:
  `make bench BENCH_ARGS="--keep-db --scenarios intake"`, then, with the bench environment,
  `python -m scripts.bench.probes profile-intake 300` (or `… 300 floor` for the floor).
"""

import base64
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import django

OURS, FLOOR = "/webhooks/rxscale", "/bench/floor"


def _vm(field: str) -> int:
    """A /proc/self/status figure in bytes (0 where there is no /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _reset_rss_peak() -> bool:
    """Linux: writing 5 to clear_refs resets VmHWM, the peak resident set."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _post(client, path: str, body: bytes, signature: str):
    return client.post(
        path, data=body, content_type="application/json", HTTP_X_WEBHOOK_SIGNATURE=signature
    )


def _counted(fn) -> tuple[object, list[str], float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        outcome = fn()
        seconds = time.perf_counter() - started
    return outcome, [q["sql"] for q in captured.captured_queries], seconds


def _starts(sql: str, *words: str) -> bool:
    return sql.lstrip().upper().startswith(words)


def _describe(sqls: list[str], seconds: float) -> dict:
    """`queries` leaves out BEGIN/COMMIT/ROLLBACK (so the floor is 1, as in issue 7);
    `round_trips` counts every statement sent, transaction control included."""
    return {
        "queries": sum(not _starts(s, "BEGIN", "COMMIT", "ROLLBACK") for s in sqls),
        "savepoint_statements": sum(
            _starts(s, "SAVEPOINT", "RELEASE", "ROLLBACK TO") for s in sqls
        ),
        "round_trips": len(sqls),
        "ms": round(seconds * 1000, 2),
        "sql": [s[:160] for s in sqls],
    }


def _process_one(delivery_id: int) -> tuple[str, list[str], float]:
    """The worker path: claim due rows (only this one is due) and apply it."""
    from rxscale.inbox.batches import inbox_process_due
    from rxscale.inbox.models import PENDING_STATUSES, WebhookDelivery
    from rxscale.inbox.processing import delivery_process_now

    others = (
        WebhookDelivery.objects.filter(status__in=PENDING_STATUSES).exclude(pk=delivery_id).exists()
    )
    if others:  # not expected (the bench drains first); never process someone else's row
        _, sqls, seconds = _counted(lambda: delivery_process_now(delivery_id=delivery_id))
    else:
        _, sqls, seconds = _counted(lambda: inbox_process_due(worker_id="bench-probe", limit=1))
    status = WebhookDelivery.objects.get(pk=delivery_id).status
    return status, sqls, seconds


def probe_queries(updates: int = 5) -> dict:
    from django.test import Client

    from scripts.bench.servers import SECRET
    from scripts.bench.traffic import EPOCH, order_body, order_pdf, sign, stock_body

    client = Client(SERVER_NAME="127.0.0.1")
    stamp = int(time.time())
    uid = f"po-bench-queries-{stamp}"
    pdf = base64.b64encode(order_pdf(uid, 100_000)).decode()
    skus = [90_000 + (stamp % 1000) * 3 + n for n in range(3)]  # new SKUs: a first sight
    found: dict = {"order": uid, "items": 3, "shipping_methods": 2, "pdf_bytes": 100_000}
    updated_at = EPOCH + 900_000_000
    cases = [("first (creates order, SKUs)", "pharmacy_order_created", "waiting for pharmacy")]
    statuses = ["pending review", "in-progress"]
    cases += [
        (f"update {n + 1}", "pharmacy_order_updated", statuses[n % 2]) for n in range(updates)
    ]
    for name, event, status in cases:
        updated_at += 60
        body = order_body(
            event=event,
            uid=uid,
            updated_at=updated_at,
            status=status,
            pdf_base64=pdf,
            sku_indexes=skus,
            shipping_methods=2,
        )
        signature = sign(body, SECRET)
        response, intake_sqls, intake_s = _counted(
            lambda b=body, s=signature: _post(client, OURS, b, s)
        )
        delivery_id = response.json()["id"]
        status_after, sqls, seconds = _process_one(delivery_id)
        found[name] = {
            "intake": _describe(intake_sqls, intake_s),
            "processing": _describe(sqls, seconds),
            "status": status_after,
        }
        if name.startswith("update 1"):
            _, floor_sqls, floor_s = _counted(
                lambda b=body, s=signature: _post(client, FLOOR, b, s)
            )
            found["floor intake"] = _describe(floor_sqls, floor_s)
    body = stock_body(index=skus[0], updated_at=updated_at + 60, stock=40, reserved=3)
    response, intake_sqls, intake_s = _counted(
        lambda: _post(client, OURS, body, sign(body, SECRET))
    )
    status_after, sqls, seconds = _process_one(response.json()["id"])
    found["stock update"] = {
        "intake": _describe(intake_sqls, intake_s),
        "processing": _describe(sqls, seconds),
        "status": status_after,
    }
    update_names = [name for name, _, _ in cases[1:]]
    found["update median"] = {
        "processing_round_trips": statistics.median(
            found[n]["processing"]["round_trips"] for n in update_names
        ),
        "processing_queries": statistics.median(
            found[n]["processing"]["queries"] for n in update_names
        ),
        "processing_ms": statistics.median(found[n]["processing"]["ms"] for n in update_names),
    }
    return found


def _measured(fn, body_bytes: int) -> dict:
    """Peak Python allocations and peak resident set of fn(), beyond what was there before."""
    import gc

    gc.collect()
    rss_before = _vm("VmRSS")
    rss_reset = _reset_rss_peak()
    tracemalloc.start()
    started = time.perf_counter()
    outcome = fn()
    seconds = time.perf_counter() - started
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = _vm("VmHWM")
    return {
        "outcome": outcome,
        "body_bytes": body_bytes,
        "seconds_under_tracemalloc": round(seconds, 3),
        "traced_peak_bytes": traced_peak,
        "traced_peak_x_body": round(traced_peak / body_bytes, 2),
        "rss_peak_growth_bytes": (rss_peak - rss_before) if rss_reset else None,
        "rss_peak_growth_x_body": round((rss_peak - rss_before) / body_bytes, 2)
        if rss_reset
        else None,
    }


def probe_memory_intake(pdf_bytes: int) -> dict:
    from django.test.client import ClientHandler, RequestFactory

    from scripts.bench.servers import SECRET
    from scripts.bench.traffic import EPOCH, big_order_body

    stamp = int(time.time())
    handler = ClientHandler(enforce_csrf_checks=False)
    handler.load_middleware()
    factory = RequestFactory(SERVER_NAME="127.0.0.1")

    def environ(body: bytes, signature: str) -> dict:
        request = factory.post(
            OURS, data=body, content_type="application/json", HTTP_X_WEBHOOK_SIGNATURE=signature
        )
        return request.environ

    # A small delivery first, so that imports and first-use caches are not counted.
    small, small_sig = big_order_body(
        uid=f"po-bench-warm-{stamp}", pdf_size=10_000, updated_at=EPOCH + stamp, secret=SECRET
    )
    warm = handler(environ(small, small_sig))
    body, signature = big_order_body(
        uid=f"po-bench-big-{stamp}", pdf_size=pdf_bytes, updated_at=EPOCH + stamp, secret=SECRET
    )
    prepared = environ(body, signature)  # the request body itself is not the app's memory
    found = _measured(lambda: handler(prepared), len(body))
    response = found.pop("outcome")
    found.update(
        status_code=response.status_code,
        delivery_id=json.loads(response.content).get("id"),
        warm_delivery_id=json.loads(warm.content).get("id"),
        pdf_bytes=pdf_bytes,
    )
    return found


def probe_memory_process(delivery_id: int, warm_id: int, body_bytes: int) -> dict:
    from rxscale.inbox.processing import delivery_process_now

    delivery_process_now(delivery_id=warm_id)  # imports and caches, not counted
    found = _measured(lambda: delivery_process_now(delivery_id=delivery_id), body_bytes)
    found["status"] = found.pop("outcome")
    return found


def profile_intake(count: int, target: str = "ours") -> str:
    import cProfile
    import io
    import pstats

    from django.test.client import ClientHandler, RequestFactory

    from scripts.bench.servers import SECRET
    from scripts.bench.traffic import EPOCH, order_body, order_pdf, sign

    handler = ClientHandler(enforce_csrf_checks=False)
    factory = RequestFactory(SERVER_NAME="127.0.0.1")
    stamp = int(time.time())
    pdf = base64.b64encode(order_pdf(f"po-bench-profile-{stamp}", 100_000)).decode()
    environs = []
    for n in range(count + 1):
        body = order_body(
            event="pharmacy_order_updated",
            uid=f"po-bench-profile-{stamp}-{n % 50}",
            updated_at=EPOCH + 800_000_000 + n,
            status="in-progress",
            pdf_base64=pdf,
            sku_indexes=[0, 1, 2],
        )
        request = factory.post(
            FLOOR if target == "floor" else OURS,
            data=body,
            content_type="application/json",
            HTTP_X_WEBHOOK_SIGNATURE=sign(body, SECRET),
        )
        environs.append(request.environ)
    handler(environs.pop())  # warm-up
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for environ in environs:
        handler(environ)
    profiler.disable()
    per_request_ms = (time.perf_counter() - started) * 1000 / count
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    return f"{target}: {per_request_ms:.2f} ms per request under cProfile\n{out.getvalue()}"


def main(argv: list[str]) -> None:
    django.setup()
    if argv[0] == "profile-intake":
        print(profile_intake(int(argv[1]), *argv[2:]))
        return
    name, args = argv[0], [int(a) for a in argv[1:]]
    if name == "queries":
        found = probe_queries(*args)
    elif name == "memory-intake":
        found = probe_memory_intake(*args)
    elif name == "memory-process":
        found = probe_memory_process(*args)
    else:
        raise SystemExit(f"unknown probe {name!r}")
    print(json.dumps(found, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
