"""Scenario "intake" (with its drain and final-state check), against the floor endpoint.

Per run: one burst to the floor and the same burst to our webhook (alternating which goes
first), with the workers running as in production (they give way to a burst:
WORK_QUEUE_YIELD_TO_INTAKE_PER_SECOND). The acknowledgement target compares these two. For
ours, the time until no delivery of the burst is pending is polled in the database; the next
burst only starts once the last one has drained, so the floor never competes with a backlog.
A warm-up (every order's first `pharmacy_order_created`, every SKU's first stock event) goes
to both before any timing, so the measured bursts are updates: the common case.

The drain target ("two workers drain a burst in no more time than it took to arrive"): per
run, one more burst to ours with the workers stopped, then the time two workers take to drain
that backlog, against the time the burst took to arrive. Diagnostics: the acknowledgement
with the workers stopped, and the CPU other processes took meanwhile (noise.py), with the
ratios per CPU-second the bench used.
"""

import statistics
import time
from datetime import datetime

from django.db import connection
from django.db.models import Count, Q

from inventory.models import PharmacySku
from pharmacy_orders.models import PharmacyOrder
from rxscale.inbox.models import PENDING_STATUSES, WebhookDelivery
from scripts.bench.client import Burst, send
from scripts.bench.noise import CpuMeter
from scripts.bench.report import CORRECTNESS, ScenarioResult
from scripts.bench.servers import SECRET
from scripts.bench.traffic import Expected, Generator

OURS, FLOOR = "/webhooks/rxscale", "/bench/floor"
POLL_SECONDS = 0.05
NOISY_PERCENT = 10


def floor_table_create() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, body bytea, "
            "received_at timestamptz DEFAULT now())"
        )


def _floor_truncate() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE bench_floor")


def _inbox_counts() -> tuple[int, int]:
    """(rows, pending rows) in the inbox."""
    found = WebhookDelivery.objects.aggregate(
        rows=Count("id"),
        pending=Count("id", filter=Q(status__in=PENDING_STATUSES)),
    )
    return found["rows"], found["pending"]


def wait_drained(*, started: float, rows_expected: int, timeout: float) -> dict:
    """Poll until the inbox holds `rows_expected` rows and none is pending (bounded)."""
    deadline = time.perf_counter() + timeout
    rows = pending = -1
    while time.perf_counter() < deadline:
        rows, pending = _inbox_counts()
        if rows >= rows_expected and pending == 0:
            return {"drained": True, "seconds": time.perf_counter() - started, "rows": rows}
        time.sleep(POLL_SECONDS)
    return {"drained": False, "seconds": None, "rows": rows, "pending": pending}


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def burst_summary(burst: Burst) -> dict:
    return {
        "sent": burst.sent,
        "seconds": burst.seconds,
        "acks_per_second": burst.acks_per_second,
        "statuses": {str(k): v for k, v in burst.statuses.items()},
        "errors": burst.errors[:10],
        "retries": burst.retries,
        **{f"p{p}_ms": (_percentile(burst.latencies, p / 100) or 0) * 1000 for p in (50, 95, 99)},
    }


def final_state(expected: Expected) -> dict:
    """Every order and SKU at its newest snapshot sent; no row pending, failed or invalid."""
    by_status = dict(
        WebhookDelivery.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    orders = {
        uid: (int(at.timestamp()) if at else None, status)
        for uid, at, status in PharmacyOrder.objects.filter(uid__in=expected.orders).values_list(
            "uid", "rx_updated_at", "status"
        )
    }
    skus = {
        uid: (int(at.timestamp()) if at else None, stock, reserved)
        for uid, at, stock, reserved in PharmacySku.objects.filter(
            uid__in=expected.stock
        ).values_list("uid", "rx_updated_at", "stock", "reserved_amount")
    }
    wrong_orders = sorted(uid for uid, want in expected.orders.items() if orders.get(uid) != want)
    wrong_skus = sorted(uid for uid, want in expected.stock.items() if skus.get(uid) != want)
    return {
        "deliveries_by_status": by_status,
        "pending": sum(by_status.get(s, 0) for s in PENDING_STATUSES),
        "failed": by_status.get("failed", 0) + by_status.get("invalid", 0),
        "orders_checked": len(expected.orders),
        "orders_wrong": wrong_orders[:20],
        "orders_wrong_count": len(wrong_orders),
        "skus_checked": len(expected.stock),
        "skus_wrong": wrong_skus[:20],
        "skus_wrong_count": len(wrong_skus),
        "checked_at": datetime.now().isoformat(timespec="seconds"),
    }


def _send_ours(deliveries, ctx, *, runs: list[dict], paused: bool = False) -> dict:
    """A burst to our webhook, then wait for the drain. `paused`: the workers are stopped
    (SIGSTOP) during the burst and resumed after it, so that the acknowledgement has the CPU to
    itself and the drain measures the workers' throughput on a backlog."""
    rows_before, _ = _inbox_counts()
    unique = sum(not d.repeat for d in deliveries)
    ctx.processes.pause_workers(paused)
    try:
        meter = CpuMeter()
        burst = send(deliveries, port=ctx.port, path=OURS, clients=ctx.config.clients)
        cpu = meter.stop()
    finally:
        ctx.processes.pause_workers(False)
    drain_from = time.perf_counter() if paused else burst.started
    timeout = max(60.0, min(ctx.config.drain_timeout, 60 * burst.seconds))
    drain = wait_drained(started=drain_from, rows_expected=rows_before + unique, timeout=timeout)
    if paused and drain["seconds"]:
        drain["deliveries_per_second"] = unique / drain["seconds"]
    rows_after, _ = _inbox_counts()
    found = {
        **burst_summary(burst),
        "cpu": cpu,
        "drain": drain,
        "rows_new": rows_after - rows_before,
        "rows_expected": unique,
        "dead_processes": ctx.processes.check_alive(),
    }
    runs.append(found)
    return found


def _send_floor(deliveries, ctx) -> dict:
    meter = CpuMeter()
    burst = send(deliveries, port=ctx.port, path=FLOOR, clients=ctx.config.clients)
    cpu = meter.stop()
    _floor_truncate()
    return {**burst_summary(burst), "cpu": cpu}


def run(ctx) -> ScenarioResult:
    cfg = ctx.config
    result = ScenarioResult("intake")
    ctx.ensure_web()
    ctx.processes.start_workers(cfg.workers)
    generator = Generator(orders=cfg.orders, skus=cfg.skus, pdf_size=cfg.pdf_size, secret=SECRET)

    warm = generator.first_contact()
    warm_ours = _send_ours(warm, ctx, runs=[])
    warm_floor = _send_floor(warm, ctx)
    ours_runs: list[dict] = []
    floor_runs: list[dict] = []
    paused_runs: list[dict] = []
    for number in range(cfg.runs):
        deliveries = generator.burst(cfg.deliveries)
        if number % 2:
            _send_ours(deliveries, ctx, runs=ours_runs)
            floor_runs.append(_send_floor(deliveries, ctx))
        else:
            floor_runs.append(_send_floor(deliveries, ctx))
            _send_ours(deliveries, ctx, runs=ours_runs)
        del deliveries
        if cfg.paused_runs:
            _send_ours(generator.burst(cfg.deliveries), ctx, runs=paused_runs, paused=True)
    state = final_state(generator.expected)
    _summarise(result, ours_runs, floor_runs, state, [warm_ours, *ours_runs, *paused_runs])
    if paused_runs:
        _summarise_paused(result, paused_runs, floor_runs)
    _noise(result, [*ours_runs, *floor_runs, *paused_runs], ours_runs, floor_runs, paused_runs)
    result.details = {
        "deliveries_per_run": cfg.deliveries,
        "orders": cfg.orders,
        "skus": cfg.skus,
        "pdf_bytes": cfg.pdf_size,
        "clients": cfg.clients,
        "warm_up": {"ours": warm_ours, "floor": warm_floor},
        "ours": ours_runs,
        "floor": floor_runs,
        "ours_workers_paused": paused_runs,
        "final_state": state,
    }
    return result


def _summarise(
    result: ScenarioResult, ours: list[dict], floor: list[dict], state: dict, checked: list[dict]
) -> None:
    """Figures and targets; `checked`: every burst to our webhook, for the correctness ones."""

    def values(runs, key):
        return [run[key] for run in runs]

    ratios = [
        o["acks_per_second"] / f["acks_per_second"]
        for o, f in zip(ours, floor, strict=True)
        if f["acks_per_second"]
    ]
    drains = [o["drain"]["seconds"] for o in ours]
    drain_ratio = [
        d / o["seconds"]
        for d, o in zip(drains, ours, strict=True)
        if d is not None and o["seconds"]
    ]
    result.figure("ours acks/s", values(ours, "acks_per_second"), "1/s", 0)
    result.figure("floor acks/s", values(floor, "acks_per_second"), "1/s", 0)
    result.figure("ratio ours/floor (per run)", ratios, "", 2)
    for p in (50, 95, 99):
        result.figure(f"ours p{p}", values(ours, f"p{p}_ms"), "ms", 1)
    for p in (50, 95, 99):
        result.figure(f"floor p{p}", values(floor, f"p{p}_ms"), "ms", 1)
    result.figure("burst arrival", values(ours, "seconds"), "s", 2)
    result.figure("drain (first request to all final)", drains, "s", 2)
    result.figure("drain / burst", drain_ratio, "", 2)
    lags = [d - o["seconds"] for d, o in zip(drains, ours, strict=True) if d is not None]
    result.figure("all final after the last acknowledgement", lags, "s", 2)

    median = statistics.median
    result.target("acks/s ratio to floor", median(ratios) if ratios else None, 0.8, ">=")
    if not all(d is not None for d in drains):
        result.target("bursts drained within the timeout", 0, 1, ">=", CORRECTNESS)
    answered = [*checked, *floor]
    bad_answers = sum(
        n for run in answered for code, n in run["statuses"].items() if code != "200"
    ) + sum(len(run["errors"]) for run in answered)
    result.target("deliveries not answered 200 (ours, floor)", bad_answers, 0, "<=", CORRECTNESS)
    lost = sum(abs(run["rows_new"] - run["rows_expected"]) for run in checked)
    result.target(
        "inbox rows != distinct bodies sent", lost, 0, "<=", CORRECTNESS, "lost or doubled rows"
    )
    result.target("rows left received/retrying", state["pending"], 0, "<=", CORRECTNESS)
    result.target("rows failed or invalid", state["failed"], 0, "<=", CORRECTNESS)
    result.target(
        "orders/SKUs not at newest snapshot",
        state["orders_wrong_count"] + state["skus_wrong_count"],
        0,
        "<=",
        CORRECTNESS,
        f"orders {state['orders_wrong'][:5]} skus {state['skus_wrong'][:5]}",
    )
    dead = [d for run in checked for d in run["dead_processes"]]
    result.target("server or worker died", len(dead), 0, "<=", CORRECTNESS, "; ".join(dead))


def _summarise_paused(result: ScenarioResult, paused: list[dict], floor: list[dict]) -> None:
    """The acknowledgement without workers on the CPU (diagnostic), and the drain target: two
    workers drain the burst's backlog in no more time than the burst took to arrive."""
    result.figure("ours acks/s, workers paused", [r["acks_per_second"] for r in paused], "1/s", 0)
    result.figure(
        "ratio ours/floor, workers paused",
        [
            o["acks_per_second"] / f["acks_per_second"]
            for o, f in zip(paused, floor, strict=True)
            if f["acks_per_second"]
        ],
        "",
        2,
    )
    result.figure("ours p50, workers paused", [r["p50_ms"] for r in paused], "ms", 1)
    result.figure(
        "backlog drained by 2 workers",
        [r["drain"].get("deliveries_per_second") for r in paused],
        "deliveries/s",
        0,
    )
    ratios = [
        r["drain"]["seconds"] / r["seconds"]
        for r in paused
        if r["drain"].get("seconds") and r["seconds"]
    ]
    result.figure("backlog drain / burst arrival", ratios, "", 2)
    drained = len(ratios) == len(paused)
    result.target(
        "drain time / burst time (2 workers)",
        statistics.median(ratios) if ratios and drained else None,
        1.0,
        "<=",
        detail="" if drained else "a backlog did not drain within the timeout",
    )


def acks_per_cpu_second(run: dict) -> float | None:
    """Acknowledgements per CPU-second the bench's processes used (the server, the workers,
    the clients, PostgreSQL): throughput with the noise of other processes taken out."""
    cpu = run.get("cpu") or {}
    used = cpu.get("bench_share", 0) * cpu.get("cpu_seconds", 0)
    return run["statuses"].get("200", 0) / used if used else None


def _noise(result: ScenarioResult, bursts: list[dict], ours, floor, paused) -> None:
    """How much CPU other processes took while the bursts were timed (see noise.py), and the
    ratios per CPU-second, which such noise does not move much."""

    def ratios(mine):
        pairs = zip(mine, floor, strict=True)
        found = [(acks_per_cpu_second(o), acks_per_cpu_second(f)) for o, f in pairs]
        return [o / f for o, f in found if o and f]

    result.figure("ratio per CPU-second used, workers running", ratios(ours), "", 2)
    if paused:
        result.figure("ratio per CPU-second used, workers paused", ratios(paused), "", 2)
    shares = [b["cpu"]["others_share"] * 100 for b in bursts if b.get("cpu")]
    figure = result.figure("CPU taken by other processes in bursts", shares, "%", 0)
    if figure.median is not None and figure.median > NOISY_PERCENT:
        result.notes.append(
            f"NOISY: other processes used {figure.median:.0f}% of the machine's CPU (median; "
            f"up to {max(shares):.0f}%) while the bursts were timed; the timings are low and "
            "spread. Re-run on a quiet machine for figures to compare."
        )
