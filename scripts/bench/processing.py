"""Scenarios "queries" and "big payload": the worker path per delivery, and one huge delivery.

Both measure in a subprocess of their own (scripts/bench/probes.py) with the workers stopped,
so that the probe, not a worker, processes the rows it stores. The big payload's latency is
taken over HTTP against gunicorn with the workers running: the acknowledgement, then the time
until the delivery is final.
"""

import json
import time

from rxscale.inbox.models import FINAL_STATUSES, WebhookDelivery
from scripts.bench.client import send
from scripts.bench.report import CORRECTNESS, ScenarioResult
from scripts.bench.servers import SECRET, run_probe
from scripts.bench.traffic import EPOCH, Delivery, big_order_body

OURS = "/webhooks/rxscale"
QUERY_LIMIT = 15
MEMORY_LIMIT = 3.0


def _probe(ctx, *args) -> dict:
    output = run_probe(ctx.env, *(str(a) for a in args))
    return json.loads(output.strip().splitlines()[-1])


def run_queries(ctx) -> ScenarioResult:
    result = ScenarioResult("queries")
    ctx.processes.stop_workers()
    found = _probe(ctx, "queries", ctx.config.query_updates)
    first = found["first (creates order, SKUs)"]
    updates = [v for k, v in found.items() if k.startswith("update ") and k != "update median"]
    result.figure(
        "first order delivery: processing", [first["processing"]["queries"]], "queries", 0
    )
    result.figure(
        "update order delivery: processing",
        [u["processing"]["queries"] for u in updates],
        "queries",
        0,
    )
    result.figure(
        "update order delivery: round trips incl. BEGIN/COMMIT",
        [u["processing"]["round_trips"] for u in updates],
        "statements",
        0,
    )
    result.figure(
        "  of which SAVEPOINT/RELEASE",
        [u["processing"]["savepoint_statements"] for u in updates],
        "queries",
        0,
    )
    result.figure(
        "stock update: processing", [found["stock update"]["processing"]["queries"]], "queries", 0
    )
    result.figure("order delivery: our intake", [first["intake"]["queries"]], "queries", 0)
    result.figure("order delivery: floor intake", [found["floor intake"]["queries"]], "queries", 0)
    result.figure(
        "update order delivery: processing time, 1 process",
        [u["processing"]["ms"] for u in updates],
        "ms",
        1,
    )
    result.target(
        "queries, first order delivery", first["processing"]["queries"], QUERY_LIMIT, "<="
    )
    result.target(
        "queries, update order delivery",
        found["update median"]["processing_queries"],
        QUERY_LIMIT,
        "<=",
    )
    not_processed = [
        name
        for name, v in found.items()
        if isinstance(v, dict) and "status" in v and v["status"] != "processed"
    ]
    result.target(
        "probe deliveries not processed",
        len(not_processed),
        0,
        "<=",
        CORRECTNESS,
        ", ".join(not_processed),
    )
    result.details = found
    return result


def _wait_final(delivery_id: int, started: float, timeout: float) -> tuple[float | None, str]:
    deadline = time.perf_counter() + timeout
    status = ""
    while time.perf_counter() < deadline:
        status = WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True)
        status = status.first() or ""
        if status in FINAL_STATUSES:
            return time.perf_counter() - started, status
        time.sleep(0.05)
    return None, status


def run_big_payload(ctx) -> ScenarioResult:
    cfg = ctx.config
    result = ScenarioResult("big_payload")
    ctx.ensure_web()
    ctx.processes.start_workers(cfg.workers)
    acks, finals, statuses, body_sizes = [], [], [], []
    for n in range(cfg.big_runs):
        uid = f"po-bench-big-http-{n}"
        body, signature = big_order_body(
            uid=uid, pdf_size=cfg.big_pdf_size, updated_at=EPOCH + 5_000_000 + n, secret=SECRET
        )
        delivery = Delivery("order", uid, 0, body, signature)
        burst = send([delivery], port=ctx.port, path=OURS, clients=1, keep_answers=True)
        answer = json.loads(burst.bodies[0]) if burst.bodies else {}
        acks.append(burst.seconds * 1000)
        final_s, status = _wait_final(answer.get("id", 0), burst.started, cfg.drain_timeout)
        finals.append(final_s * 1000 if final_s is not None else None)
        statuses.append(f"{dict(burst.statuses)} {status}")
        body_sizes.append(len(body))
        del body, delivery
    ctx.processes.stop_workers()

    intake = _probe(ctx, "memory-intake", cfg.big_pdf_size)
    process = _probe(
        ctx,
        "memory-process",
        intake["delivery_id"],
        intake["warm_delivery_id"],
        intake["body_bytes"],
    )
    result.figure("body size", [size / 1e6 for size in body_sizes], "MB", 1)
    result.figure("acknowledged after", acks, "ms", 0)
    result.figure("final after (2 workers)", finals, "ms", 0)
    result.figure("intake peak (tracemalloc) / body", [intake["traced_peak_x_body"]], "x", 2)
    result.figure("intake peak RSS growth / body", [intake["rss_peak_growth_x_body"]], "x", 2)
    result.figure("processing peak (tracemalloc) / body", [process["traced_peak_x_body"]], "x", 2)
    result.figure("processing peak RSS growth / body", [process["rss_peak_growth_x_body"]], "x", 2)
    result.target("intake peak memory / body", intake["traced_peak_x_body"], MEMORY_LIMIT, "<=")
    result.target(
        "processing peak memory / body", process["traced_peak_x_body"], MEMORY_LIMIT, "<="
    )
    unfinished = [s for s in statuses if not s.endswith(" processed")]
    result.target(
        "big deliveries not final / not processed",
        len(unfinished) + (process["status"] != "processed") + (intake["status_code"] != 200),
        0,
        "<=",
        CORRECTNESS,
        f"http: {statuses}; probe: {intake['status_code']} {process['status']}",
    )
    result.details = {"http": statuses, "memory_intake": intake, "memory_processing": process}
    return result
