"""Scenario "outbox" (issue 9): 1,000 commands against the stand-in, sent within its rate limit,
each exactly once.

In this process the RxScale stand-in (rxscale.standin, a real HTTP server on loopback) runs with
its documented limits, 10 requests/s and 600/min (429 beyond), holding N pharmacy SKUs. The
same SKUs reach the bench database through the real intake: one signed stock webhook each to
gunicorn, applied by the ordinary workers. Those stop; then staff adjustments go through the
real service (`pharmacy_sku_adjust_stock`, as a Pharmacy admin), round-robin over the SKUs, with
the API configured in this process for the scenario only, so each writes its `OutboundCommand`
in the adjustment's transaction. Then two `run_worker` processes start with the API pointing at
the stand-in (the catch-up sync off: its reads are not what is measured) and the time until
every command is `sent` is taken.

Correctness: every command sent; the stand-in took exactly one stock PATCH per command, per SKU
in creation order with the adjusted figures (so none twice, none lost, none overtaking); no 429;
at most 10 requests in any 1 s and 600 in any 60 s of the stand-in's arrival times; each SKU's
stock there is its last adjustment. Figures: commands/s (the shared limiter keeps a margin,
RXSCALE_API_RATE_LIMIT_MARGIN_SECONDS, so about 8/s is expected), total time, the busiest
windows.
"""

import bisect
import json
import time
from collections import defaultdict

from django.contrib.auth.models import Group, User
from django.db.models import Count
from django.test import override_settings

from accounts.roles import PHARMACY_ADMIN
from inventory.models import PharmacySku
from inventory.services import pharmacy_sku_adjust_stock
from rxscale.inbox.models import WebhookDelivery
from rxscale.inbox.samples import build_payload
from rxscale.inbox.signature import sign
from rxscale.outbox.models import OutboundCommand
from rxscale.standin import RxScaleStandin
from scripts.bench.client import send
from scripts.bench.intake import OURS, burst_summary, wait_drained
from scripts.bench.report import CORRECTNESS, ScenarioResult
from scripts.bench.servers import SECRET
from scripts.bench.traffic import PHARMACY_UID, Delivery, encode

API_KEY = "bench-standin-key"
PER_SECOND, PER_MINUTE = 10, 600  # the stand-in's, as RxScale documents them
SEED_STOCK = 500  # never an adjusted figure: each adjustment changes the stock
POLL_SECONDS = 0.1
S = OutboundCommand.Status


def psku_uid(index: int) -> str:
    return f"psku-outbox-{index:05d}"


def sku_data(index: int, *, updated_at: int) -> dict:
    """A pharmacy SKU in the webhook's `data` shape (what the stand-in holds, too)."""
    data = build_payload(
        "pharmacy_sku_stock_updated",
        uid=psku_uid(index),
        updated_at=updated_at,
        stock=SEED_STOCK,
        reserved_amount=0,
    )["data"]
    sku = {
        **data["sku"],
        "uid": f"sku-outbox-{index:05d}",
        "display_name": f"Outbox medication {index} 50mg",
        "pzn": f"{20_000_000 + index}",
        "product_uid": f"prod-outbox-{index:05d}",
        "product_display_name": f"Outbox medication {index}",
        "product_handle": f"outbox-medication-{index}",
    }
    data.update(
        pharmacy_uid=PHARMACY_UID,
        sku_uid=sku["uid"],
        sku=sku,
        external_id=f"EXT-OUTBOX-{index}",
        created_at=updated_at - 86_400,
    )
    return data


def adjusted_stock(sku_index: int, step: int) -> int:
    """The figure of a SKU's `step`-th adjustment: distinct per step, never SEED_STOCK."""
    return 1_000 + 100 * sku_index + step


def plan(commands: int, skus: int) -> list[tuple[int, int]]:
    """(SKU index, step) per adjustment, round-robin over the SKUs: each SKU's in step order."""
    return [(n % skus, n // skus) for n in range(commands)]


def _seed_intake(ctx, data: list[dict]) -> dict:
    """One signed stock webhook per SKU to our webhook; the ordinary workers apply them."""
    ctx.ensure_web()
    ctx.processes.start_workers(ctx.config.workers)
    deliveries = []
    for item in data:
        body = encode(
            {
                "event_type": "pharmacy_sku_stock_updated",
                "timestamp": item["updated_at"],
                "payload_version": "1",
                "data": item,
            }
        )
        deliveries.append(
            Delivery("stock", item["uid"], item["updated_at"], body, sign(body, SECRET))
        )
    rows_before = WebhookDelivery.objects.count()
    burst = send(deliveries, port=ctx.port, path=OURS, clients=ctx.config.clients)
    drain = wait_drained(
        started=burst.started,
        rows_expected=rows_before + len(deliveries),
        timeout=ctx.config.drain_timeout,
    )
    ctx.processes.stop_workers()  # the next workers send; these have no API settings
    known = PharmacySku.objects.filter(uid__in=[d["uid"] for d in data], stock=SEED_STOCK)
    return {**burst_summary(burst), "drain": drain, "skus_known": known.count()}


def _bench_admin() -> User:
    admin, _ = User.objects.get_or_create(username="bench-outbox-admin")
    admin.groups.add(Group.objects.get(name=PHARMACY_ADMIN))
    return User.objects.get(pk=admin.pk)  # a fresh instance: no cached permissions


def _adjust(standin: RxScaleStandin, steps: list[tuple[int, int]]) -> float:
    """The staff adjustments through the service, with the API configured: seconds taken."""
    admin = _bench_admin()
    skus = {s.uid: s for s in PharmacySku.objects.filter(uid__startswith="psku-outbox-")}
    started = time.perf_counter()
    with override_settings(RXSCALE_API_BASE_URL=standin.base_url, RXSCALE_API_KEY=API_KEY):
        for sku_index, step in steps:
            pharmacy_sku_adjust_stock(
                pharmacy_sku=skus[psku_uid(sku_index)],
                new_stock=adjusted_stock(sku_index, step),
                reason=f"Bench stock count {step + 1}",
                user=admin,
            )
    return time.perf_counter() - started


def _wait_sent(total: int, timeout: float) -> tuple[float | None, dict]:
    """Poll until `total` commands are sent (bounded); (monotonic time it was seen, counts)."""
    deadline = time.monotonic() + timeout
    counts: dict = {}
    while time.monotonic() < deadline:
        counts = dict(OutboundCommand.objects.values_list("status").annotate(n=Count("id")))
        if counts.get(S.SENT, 0) >= total:
            return time.monotonic(), counts
        time.sleep(POLL_SECONDS)
    return None, counts


def busiest(times: list[float], seconds: float) -> int:
    """The most requests in any window [t, t + seconds) starting at a request."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + seconds) - i for i, t in enumerate(ordered)), default=0
    )


def _stock_patches(standin: RxScaleStandin) -> dict[str, list]:
    """The stock figures each SKU's PATCHes carried, in the order the stand-in got them."""
    found = defaultdict(list)
    for request in standin.requests:
        if request.method == "PATCH" and request.path.endswith("/stock"):
            uid = request.path.rstrip("/").split("/")[-2]
            found[uid].append(json.loads(request.body or b"{}").get("stock"))
    return found


def run(ctx) -> ScenarioResult:
    cfg = ctx.config
    result = ScenarioResult("outbox")
    total, sku_count = cfg.outbox_commands, min(cfg.outbox_skus, cfg.outbox_commands)
    steps = plan(total, sku_count)
    # Older than now, so the adjustments are newer than RxScale's snapshot and take effect.
    seeded_at = int(time.time()) - 3_600
    data = [sku_data(i, updated_at=seeded_at) for i in range(sku_count)]
    worker_env = {
        "RXSCALE_API_KEY": API_KEY,
        "RXSCALE_SYNC_INTERVAL_MINUTES": "0",
        "RXSCALE_API_MAX_REQUESTS_PER_SECOND": str(PER_SECOND),
        "RXSCALE_API_MAX_REQUESTS_PER_MINUTE": str(PER_MINUTE),
    }
    standin = RxScaleStandin(api_key=API_KEY, per_second=PER_SECOND, per_minute=PER_MINUTE)
    with standin:
        for item in data:
            standin.store.put_sku(item)
        seed = _seed_intake(ctx, data)
        written_in = _adjust(standin, steps)
        queued = OutboundCommand.objects.filter(
            subject_uid__startswith="psku-outbox-", status=S.PENDING
        ).count()
        started = time.monotonic()
        ctx.processes.start_workers(
            cfg.workers, env={**worker_env, "RXSCALE_API_BASE_URL": standin.base_url}
        )
        timeout = max(cfg.drain_timeout, total / 5 + 60)
        all_sent_at, counts = _wait_sent(total, timeout)
        dead = ctx.processes.check_alive()
        ctx.processes.stop_workers()  # later scenarios get workers without the API settings
        seen = standin.requests
        final = {uid: standin.store.sku(uid)["stock"] for uid in (d["uid"] for d in data)}

    expected = defaultdict(list)
    for sku_index, step in steps:
        expected[psku_uid(sku_index)].append(adjusted_stock(sku_index, step))
    patches = _stock_patches(standin)
    times = [r.received_at for r in seen]
    arrivals = sorted(r.received_at for r in seen if r.method == "PATCH")
    retried = OutboundCommand.objects.filter(
        subject_uid__startswith="psku-outbox-", attempts__gt=1
    ).count()
    _summarise(
        result,
        total=total,
        seconds=(all_sent_at - started) if all_sent_at is not None else None,
        arrivals=[t - started for t in arrivals],
        written_in=written_in,
        times=times,
    )
    wrong_order = sorted(uid for uid, want in expected.items() if patches.get(uid) != want)
    wrong_final = sorted(uid for uid, want in expected.items() if final.get(uid) != want[-1])
    too_many = sum(max(0, len(patches.get(uid, [])) - len(want)) for uid, want in expected.items())
    rate_limited = sum(1 for r in seen if r.status == 429)

    def check(name, value, limit, detail=""):
        result.target(name, value, limit, "<=", CORRECTNESS, detail)

    check("SKUs not known after the intake", sku_count - seed["skus_known"], 0)
    check("commands not written by the adjustments", abs(total - queued), 0)
    check("commands not sent", total - counts.get(S.SENT, 0), 0, f"by status: {counts}")
    check(
        "stock PATCHes at the stand-in != commands",
        abs(sum(map(len, patches.values())) - total),
        0,
        f"{too_many} more than once",
    )
    check(
        "SKUs whose PATCHes differ from their adjustments, in order",
        len(wrong_order),
        0,
        ", ".join(wrong_order[:5]),
    )
    check("429 answers from the stand-in", rate_limited, 0)
    check("most requests in any 1 s at the stand-in", busiest(times, 1.0), PER_SECOND)
    check("most requests in any 60 s at the stand-in", busiest(times, 60.0), PER_MINUTE)
    check(
        "SKUs whose stock at the stand-in is not the last adjustment",
        len(wrong_final),
        0,
        ", ".join(wrong_final[:5]),
    )
    check("worker died", len(dead), 0, "; ".join(dead))
    result.details = {
        "commands": total,
        "skus": sku_count,
        "seed_intake": seed,
        "commands_by_status": counts,
        "commands_retried": retried,
        "requests_at_standin": len(seen),
        "requests_by_status": dict(sorted(_count(r.status for r in seen).items())),
        "skus_wrong_order": wrong_order[:20],
        "skus_wrong_final": wrong_final[:20],
        "dead_processes": dead,
    }
    return result


def _count(values) -> dict:
    found: dict = defaultdict(int)
    for value in values:
        found[str(value)] += 1
    return found


def _summarise(result, *, total, seconds, arrivals, written_in, times) -> None:
    result.figure("commands", [total], "", 0)
    result.figure(
        "commands/s, workers started → all sent", [total / seconds if seconds else None], "1/s", 2
    )
    result.figure("total time, workers started → all sent", [seconds], "s", 1)
    if len(arrivals) > 1:
        span = arrivals[-1] - arrivals[0]
        result.figure(
            "PATCHes/s at the stand-in, first → last", [(len(arrivals) - 1) / span], "1/s", 2
        )
        result.figure("first PATCH after workers started", [arrivals[0]], "s", 2)
    result.figure("busiest 1 s at the stand-in", [busiest(times, 1.0)], "requests", 0)
    result.figure("busiest 60 s at the stand-in", [busiest(times, 60.0)], "requests", 0)
    result.figure("adjustments written (service, 1 process)", [total / written_in], "1/s", 0)
