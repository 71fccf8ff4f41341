"""`make bench`: the performance harness. `python -m scripts.bench [--smoke] [--scenarios …]`.

It builds the production setup on the local PostgreSQL in a database of its own (dropped and
recreated: `pharmacy_bench`), runs the scenarios, prints a table with PASS/FAIL per target and
writes JSON to var/bench/<timestamp>.json and var/bench/latest.json (`--smoke`:
latest-smoke.json). Exit status: 1 if a target fails (in `--smoke` mode only correctness
targets can fail), 2 if the harness itself broke.

Scenarios (run in this order; each starts or stops the processes it needs):
  intake       acknowledgements/s of our webhook vs a floor endpoint, latency, drain time with
               N workers, final-state check
  big_payload  one delivery with a 20 MB PDF: latency, peak memory of intake and processing
  queries      SQL queries per order delivery on the worker path, and per acknowledgement
  outbox       1,000 stock adjustments as commands to the RxScale stand-in (10/s, 600/min), sent
               by 2 workers: commands/s, and each sent exactly once, in order, within the limit
  screens      the staff pages at 100,000 orders, 300,000 items and 5,000 SKUs (a database and
               a gunicorn of their own): server time p50/p95 and SQL statements per page
To add one: a function `run(ctx) -> ScenarioResult` in a module of this package,
named in SCENARIOS.
"""

import argparse
import importlib
import os
import sys
import time
import traceback
from dataclasses import asdict, dataclass, replace

from scripts.bench import servers


@dataclass(frozen=True)
class Config:
    deliveries: int = 3000  # per burst
    runs: int = 3
    orders: int = 300
    skus: int = 100
    pdf_size: int = 100_000
    clients: int = 8
    workers: int = 2  # run_worker processes
    web_workers: int = 2  # gunicorn processes (one per core)
    web_threads: int = 4  # gthread threads per gunicorn process
    conn_max_age: int = 60
    big_pdf_size: int = 20_000_000
    big_runs: int = 3
    query_updates: int = 5
    paused_runs: bool = True  # also a burst per run with the workers paused (diagnostic)
    drain_timeout: float = 600.0
    db_name: str = "pharmacy_bench"
    log_level: str = "INFO"
    screen_orders: int = 100_000  # items: 3 per order
    screen_skus: int = 5_000
    screen_warmup: int = 5  # rounds over every page, not timed
    screen_requests: int = 60  # timed rounds: requests per page
    outbox_commands: int = 1_000  # stock adjustments, one command each
    outbox_skus: int = 100  # spread round-robin: 10 adjustments per SKU


SMOKE = Config(
    deliveries=200, runs=1, orders=30, skus=10, big_pdf_size=2_000_000, big_runs=1,
    query_updates=2, drain_timeout=60.0, screen_orders=300, screen_skus=30, screen_warmup=1,
    screen_requests=5, outbox_commands=20, outbox_skus=5,
)  # fmt: skip


class Context:
    """What a scenario gets: the config, the app's environment, the processes."""

    def __init__(
        self,
        config: Config,
        env: dict[str, str],
        processes: servers.Processes,
        *,
        keep_db: bool = False,
    ):
        self.config, self.env, self.processes = config, env, processes
        self.keep_db = keep_db

    @property
    def port(self) -> int:
        return self.processes.port

    def ensure_web(self) -> int:
        return self.processes.start_web(
            workers=self.config.web_workers, threads=self.config.web_threads
        )


# name -> "module:function" (imported once Django is set up), in the default run order.
SCENARIOS = {
    "intake": "scripts.bench.intake:run",
    "big_payload": "scripts.bench.processing:run_big_payload",
    "queries": "scripts.bench.processing:run_queries",
    "outbox": "scripts.bench.outbox:run",
    "screens": "scripts.bench.screens:run",
}


def _scenario(name: str):
    module, function = SCENARIOS[name].split(":")
    return getattr(importlib.import_module(module), function)


def _arguments(argv: list[str] | None) -> tuple[argparse.Namespace, Config]:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run (CI)")
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help="comma-separated, in run order"
    )
    parser.add_argument("--keep-db", action="store_true", help="leave the bench database behind")
    parser.add_argument(
        "--db-name",
        help="the bench database (recreated and dropped; its name must contain 'bench'), so "
        "that two benches can run at once on one PostgreSQL",
    )
    parser.add_argument(
        "--no-paused", action="store_true", help="skip the bursts with the workers paused"
    )
    for name in ("deliveries", "runs", "orders", "skus", "pdf_size", "clients", "workers",
                 "web_workers", "web_threads", "big_pdf_size", "screen_orders", "screen_skus",
                 "screen_requests", "outbox_commands", "outbox_skus"):  # fmt: skip
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, dest=name)
    args = parser.parse_args(argv)
    config = SMOKE if args.smoke else Config()
    overrides = {k: v for k, v in vars(args).items() if k in Config.__annotations__ and v}
    if args.no_paused:
        overrides["paused_runs"] = False
    return args, replace(config, **overrides)


def main(argv: list[str] | None = None) -> int:
    args, config = _arguments(argv)
    chosen = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    env = servers.bench_env(
        config.db_name, conn_max_age=config.conn_max_age, log_level=config.log_level
    )
    os.environ.update(env)  # this process reads the bench database too (drain, final state)
    started = time.monotonic()
    print(f"bench: preparing database {config.db_name} …", flush=True)
    pg_version = servers.database_reset(config.db_name)

    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    from scripts.bench import report
    from scripts.bench.intake import floor_table_create

    call_command("migrate", verbosity=0, interactive=False)
    floor_table_create()
    machine = report.machine_info(pg_version)
    results: list[report.ScenarioResult] = []
    broken = False
    try:
        with servers.Processes(env, log_dir=servers.BENCH_DIR / "logs") as processes:
            context = Context(config, env, processes, keep_db=args.keep_db)
            for name in chosen:
                print(f"bench: {name} …", flush=True)
                try:
                    results.append(_scenario(name)(context))
                except Exception:
                    broken = True
                    traceback.print_exc()
                    failed = report.ScenarioResult(name, details={"error": traceback.format_exc()})
                    failed.target("scenario ran", None, 1, ">=", report.CORRECTNESS)
                    results.append(failed)
    finally:
        connections.close_all()
        if not args.keep_db:
            servers.database_drop(config.db_name)

    print()
    print(report.render(results, machine, args.smoke))
    path = report.write_json(
        servers.BENCH_DIR,
        results=results,
        machine=machine,
        config={**asdict(config), "scenarios": chosen, "seconds": time.monotonic() - started},
        smoke=args.smoke,
    )
    failures = report.failed(results, args.smoke)
    print(f"\nwrote {path.relative_to(servers.BASE_DIR)}; {time.monotonic() - started:.0f} s")
    print("RESULT: " + ("FAIL: " + "; ".join(failures) if failures else "PASS"))
    if broken:
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
