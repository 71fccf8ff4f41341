"""The production setup the bench runs against, and the processes it starts.

- its own database on the local PostgreSQL (dropped and recreated each run; no other database
  is ever touched), with its own media folder under var/bench/;
- gunicorn serving config.wsgi with DEBUG off, persistent connections and the durable
  `workers` task backend, with the floor endpoint mounted;
- `run_worker` processes.

Every process it starts is stopped on exit, Ctrl-C included (SIGTERM, then SIGKILL), by its
own process id and nothing else.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from scripts.bench.client import wait_until_serving

BASE_DIR = Path(__file__).resolve().parents[2]
BENCH_DIR = BASE_DIR / "var" / "bench"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET = "bench-signing-secret-not-for-production"
# The bench may only ever create and drop a database whose name says it is the bench's.
_BENCH_DB_NAME = re.compile(r"^(?=[a-z])[a-z0-9_]*bench[a-z0-9_]*$")


def bench_env(db_name: str, *, conn_max_age: int, log_level: str) -> dict[str, str]:
    """The environment of the app under test (every setting set: .env must not leak in)."""
    return {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}",
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "TASKS_BACKEND": "workers",
        "CONN_MAX_AGE": str(conn_max_age),
        "RXSCALE_WEBHOOK_SECRETS": SECRET,
        "BENCH_FLOOR_ENDPOINT": "true",
        "MEDIA_ROOT": str(BENCH_DIR / "media"),
        "LOG_LEVEL": log_level,
        # The bench talks plain HTTP to its own servers on loopback.
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }


def database_reset(db_name: str, *, media: bool = True) -> str:
    """Drop and recreate the bench database (and its media folder unless `media` is false: a
    second database, as the screens scenario's, shares it); return the server's version."""
    if not _BENCH_DB_NAME.match(db_name):
        raise SystemExit(f"refusing to drop {db_name!r}: the bench database's name needs 'bench'")
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name}"')
        version = conn.execute("SHOW server_version").fetchone()[0]
    if media and (BENCH_DIR / "media").is_dir():
        shutil.rmtree(BENCH_DIR / "media")
    return version


def database_drop(db_name: str, *, media: bool = True) -> None:
    """Drop the bench database and its media folder (never anything else)."""
    if _BENCH_DB_NAME.match(db_name):
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        if media and (BENCH_DIR / "media").is_dir():
            shutil.rmtree(BENCH_DIR / "media")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """The bench's child processes; `with Processes() as procs:` stops them all on the way out."""

    def __init__(self, env: dict[str, str], *, log_dir: Path):
        self.env = {**os.environ, **env}
        self.log_dir = log_dir
        self.web: subprocess.Popen | None = None
        self.port = 0
        self.workers: list[subprocess.Popen] = []
        self._previous_sigterm = None

    def __enter__(self) -> "Processes":
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for old_log in self.log_dir.glob("*.log"):
            old_log.unlink()
        # SIGTERM (e.g. CI cancelling) becomes an exception, so the `with` block cleans up.
        self._previous_sigterm = signal.signal(signal.SIGTERM, _raise_interrupt)
        return self

    def __exit__(self, *exc) -> None:
        self.stop_workers()
        if self.web is not None:
            _stop(self.web)
            self.web = None
        signal.signal(signal.SIGTERM, self._previous_sigterm or signal.SIG_DFL)

    def _start(
        self, argv: list[str], log_name: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen:
        log = (self.log_dir / log_name).open("ab")
        try:
            return subprocess.Popen(  # noqa: S603 - our own gunicorn and manage.py
                argv,
                cwd=BASE_DIR,
                env={**self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()

    def start_web(self, *, workers: int, threads: int) -> int:
        """gunicorn with `workers` processes of `threads` threads (gthread: keep-alive)."""
        if self.web is not None:
            return self.port
        self.port = free_port()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={workers}",
            "--worker-class=gthread",
            f"--threads={threads}",
            "--keep-alive=5",
            "--timeout=120",
        ]
        self.web = self._start(argv, "gunicorn.log")
        if not wait_until_serving(self.port, seconds=30):
            raise RuntimeError(f"gunicorn did not come up; see {self.log_dir / 'gunicorn.log'}")
        return self.port

    def start_workers(self, count: int, env: dict[str, str] | None = None) -> None:
        """Start workers up to `count`; `env`: settings of their own on top of the app's (e.g.
        the outbox scenario's RxScale API pointing at the stand-in)."""
        while len(self.workers) < count:
            argv = [sys.executable, "manage.py", "run_worker"]
            self.workers.append(self._start(argv, f"worker-{len(self.workers)}.log", env))

    def pause_workers(self, paused: bool) -> None:
        """SIGSTOP/SIGCONT the (idle) workers: a backlog builds up with no worker on the CPU."""
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGSTOP if paused else signal.SIGCONT)

    def stop_workers(self) -> None:
        for worker in self.workers:
            _stop(worker)
        self.workers = []

    def check_alive(self) -> list[str]:
        dead = [f"worker exited {w.returncode}" for w in self.workers if w.poll() is not None]
        if self.web is not None and self.web.poll() is not None:
            dead.append(f"gunicorn exited {self.web.returncode}")
        return dead


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _stop(process: subprocess.Popen, grace: float = 15.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGCONT)  # a paused worker handles SIGTERM only once resumed
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def run_probe(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    """Run `python -m scripts.bench.probes ARGS` in a fresh process; return its stdout."""
    argv = [sys.executable, "-m", "scripts.bench.probes", *args]
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 - our own probes module
        argv,
        cwd=BASE_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        seconds = time.monotonic() - started
        raise RuntimeError(f"probe {args[0]} failed after {seconds:.0f}s:\n{done.stderr[-3000:]}")
    return done.stdout
