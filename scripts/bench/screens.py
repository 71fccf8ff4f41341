"""The screens scenario: the staff pages at 100,000 orders, 300,000 items and 5,000 SKUs.

In a database of its own (`<bench db>_screens`, recreated and dropped like the main one), the
data is written in bulk (screens_data.py, seconds instead of an hour of webhooks). A gunicorn
of its own (the production setup of servers.py, same workers and threads) serves it with
`BENCH_SERVER_TIMING=true`, which adds per response the server time (`Server-Timing` app:
from the outermost middleware in to the response out, so the network and gunicorn's parsing
are not in it; db: the part spent waiting for SQL) and the number of SQL statements
(`X-Bench-Queries`: session and user included).
One client logged in as a Pharmacy admin requests every page in turn, round after round, so
that a noisy moment hits all pages alike; each round-trip is recorded too (loopback, for
comparison). Targets (issue 9): list pages p50 < 50 ms and p95 < 100 ms, order and SKU page
p50 < 30 ms; the statements per page the same at 25 and 100 rows per page (correctness).
"""

import http.client
import re
import statistics
import subprocess
import sys
import time
import urllib.parse

import psycopg

from scripts.bench import noise, servers
from scripts.bench.intake import NOISY_PERCENT
from scripts.bench.report import CORRECTNESS, ScenarioResult
from scripts.bench.screens_data import SEARCH_SURNAME

LIST, DETAIL = "list", "detail"
# (label, path, kind): each list page's default view, a status filter and a search.
PAGES = [
    ("orders", "/orders/", LIST),
    ("orders, status in-progress", "/orders/?status=in-progress", LIST),
    ("orders, status completed", "/orders/?status=completed", LIST),
    ("orders, search", f"/orders/?q={urllib.parse.quote(SEARCH_SURNAME)}", LIST),
    ("inventory", "/inventory/", LIST),
    ("inventory, status low", "/inventory/?status=low", LIST),
    ("inventory, status mismatch", "/inventory/?status=mismatch", LIST),
    ("inventory, search", "/inventory/?q=Tablets+12", LIST),
    ("audit trail", "/orders/audit/", LIST),
    ("audit trail, action", "/orders/audit/?action=note_added", LIST),
    ("audit trail, user", "/orders/audit/?user=bench-staff-3", LIST),
    ("order page", "/orders/po-{order:07d}/", DETAIL),
    ("SKU page", "/inventory/psku-{sku}/", DETAIL),
]
# Lists whose page size the user picks: statements at 25 and at 100 rows must be equal.
PAGE_SIZES = [("orders", "/orders/?per_page={n}"), ("inventory", "/inventory/?per_page={n}")]
TARGETS = {LIST: (50.0, 100.0), DETAIL: (30.0, None)}


class Session:
    """One keep-alive connection with a session cookie (logged in as the bench admin)."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        content = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, content, elapsed

    def login(self, username: str, password: str) -> None:
        _response, content, _ = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1)
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token.decode()}
        )
        response, _, _ = self.request(
            "POST",
            "/login/",
            body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Referer": f"http://127.0.0.1:{self.port}/login/"},
        )  # fmt: skip
        if response.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"bench login failed: {response.status}")

    def measure(self, path: str) -> tuple[int, float, float, int, float]:
        """(status, server ms, round-trip ms, statements, ms waiting for SQL)."""
        response, _, elapsed = self.request("GET", path)
        timing = dict(re.findall(r"(\w+);dur=([0-9.]+)", response.headers.get("Server-Timing", "")))
        server, sql = float(timing.get("app", "nan")), float(timing.get("db", "nan"))
        statements = int(response.headers.get("X-Bench-Queries", -1))
        return response.status, server, elapsed, statements, sql


class _CpuMeter(noise.CpuMeter):
    """noise.CpuMeter, with the screens database's PostgreSQL backends counted as ours."""

    def __init__(self, db_name: str):
        self.db_name = db_name
        super().__init__()

    def _ours_ticks(self) -> dict[int, int]:
        ticks = noise.CpuMeter._ours_ticks()
        with psycopg.connect(servers.PG_ADMIN) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.db_name]
            ).fetchall()
        ticks.update({pid: stat[1] for (pid,) in rows if (stat := noise._stat(pid))})
        return ticks


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _build(env: dict[str, str], orders: int, skus: int) -> None:
    for argv in (
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        # Pages need the static files' manifest with DEBUG off, as in production.
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        [sys.executable, "-m", "scripts.bench.screens_data", str(orders), str(skus)],
    ):
        subprocess.run(argv, cwd=servers.BASE_DIR, env=env, check=True, timeout=1800)  # noqa: S603


def run(ctx) -> ScenarioResult:
    config = ctx.config
    result = ScenarioResult("screens")
    db_name = f"{config.db_name}_screens"
    env = servers.bench_env(db_name, conn_max_age=config.conn_max_age, log_level="WARNING")
    env["BENCH_SERVER_TIMING"] = "true"
    servers.database_reset(db_name, media=False)
    try:
        started = time.monotonic()
        _build({**ctx.processes.env, **env}, config.screen_orders, config.screen_skus)
        result.notes.append(
            f"data: {config.screen_orders:,} orders, {config.screen_orders * 3:,} items, "
            f"{config.screen_skus:,} SKUs, built in {time.monotonic() - started:.0f} s"
        )
        with servers.Processes(env, log_dir=servers.BENCH_DIR / "logs" / "screens") as procs:
            port = procs.start_web(workers=config.web_workers, threads=config.web_threads)
            meter = _CpuMeter(db_name)
            _measure(result, Session(port), config)
            _noise(result, meter.stop())
    finally:
        if not ctx.keep_db:
            servers.database_drop(db_name, media=False)
    return result


def _noise(result: ScenarioResult, cpu: dict) -> None:
    if not cpu:
        return
    others = cpu["others_share"] * 100
    result.figure("CPU taken by other processes while timed", [others], "%", 0)
    if others > NOISY_PERCENT:
        result.notes.append(
            f"NOISY: other processes used {others:.0f}% of the machine's CPU while the pages "
            "were timed; every page is slower by about as much. Re-run on a quiet machine."
        )


def _measure(result: ScenarioResult, session: Session, config) -> None:
    session.login("bench-admin", "bench-password")
    pages = [
        (label, path.format(order=config.screen_orders - 10, sku=config.screen_skus // 2), kind)
        for label, path, kind in PAGES
    ]
    server = {label: [] for label, _, _ in pages}
    trip = {label: [] for label, _, _ in pages}
    sql = {label: [] for label, _, _ in pages}
    statements, statuses = {}, {}
    for round_ in range(config.screen_warmup + config.screen_requests):
        for label, path, _kind in pages:
            status, ms, elapsed, queries, waited = session.measure(path)
            statuses.setdefault(label, set()).add(status)
            statements.setdefault(label, set()).add(queries)
            if round_ >= config.screen_warmup:
                server[label].append(ms)
                trip[label].append(elapsed)
                sql[label].append(waited)
    for label, _path, kind in pages:
        p50, p95 = statistics.median(server[label]), _percentile(server[label], 0.95)
        result.figure(f"{label}: server p50", [p50], "ms")
        result.figure(f"{label}: server p95", [p95], "ms")
        result.figure(f"{label}: of which SQL p50", [statistics.median(sql[label])], "ms")
        result.figure(f"{label}: round trip p50", [statistics.median(trip[label])], "ms")
        result.figure(f"{label}: SQL statements", [max(statements[label])], "", digits=0)
        p50_limit, p95_limit = TARGETS[kind]
        result.target(f"{label}: server p50 ms", p50, p50_limit, "<=")
        if p95_limit is not None:
            result.target(f"{label}: server p95 ms", p95, p95_limit, "<=")
        result.target(f"{label}: answers 200", float(statuses[label] == {200}), 1, ">=",
                      CORRECTNESS, detail=f"statuses {sorted(statuses[label])}")  # fmt: skip
    for label, path in PAGE_SIZES:
        counts = [session.measure(path.format(n=n))[3] for n in (25, 100)]
        same = float(counts[0] == counts[1])
        detail = f"{counts[0]} vs {counts[1]}"
        name = f"{label}: statements at 25 = at 100 rows per page"
        result.target(name, same, 1, ">=", CORRECTNESS, detail=detail)
    result.details = {
        "server_ms": server,
        "round_trip_ms": trip,
        "sql_ms": sql,
        "statements": {k: sorted(v) for k, v in statements.items()},
    }
