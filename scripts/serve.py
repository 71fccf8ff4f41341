"""`make serve`: the production setup on one machine, in the foreground.

gunicorn (config.wsgi, gthread: WEB_CONCURRENCY processes × GUNICORN_THREADS threads) and
WORKERS queue workers (`manage.py run_worker`: they apply deliveries, send the outbox and run
the catch-up sync), after `migrate` and `collectstatic`. Ctrl-C or SIGTERM stops them all
(SIGTERM, then SIGKILL after a grace period), each by its own process id. A queue worker that
exits is started again after a pause; gunicorn restarts its own processes, and if gunicorn
itself exits everything stops.

It refuses to start (exit status 2, with the reason) with DEBUG on, or without DATABASE_URL
naming PostgreSQL: see `production_problems`. Several machines: run the same on each (or
`gunicorn` and `run_worker` under systemd), all with one DATABASE_URL and one S3 store.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:  # also when run as a file, not with -m
    sys.path.insert(0, str(BASE_DIR))
PYTHON = sys.executable
STOP_GRACE_SECONDS = 30
WORKER_RESTART_PAUSE_SECONDS = 5


def production_problems() -> list[str]:
    """Why these settings must not serve production; empty when they may."""
    import django
    from django.conf import settings

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    problems = []
    if settings.DEBUG:
        problems.append(
            "DEBUG is on. With DEBUG an error page shows settings, SQL and request data "
            "(patient data included) to whoever triggers it, and Django keeps every query in "
            "memory. Set DEBUG=false (the .env that `make run` writes sets DEBUG=true)."
        )
    engine = settings.DATABASES["default"]["ENGINE"]
    if not os.environ.get("DATABASE_URL") or "postgresql" not in engine:
        problems.append(
            "DATABASE_URL does not name PostgreSQL (e.g. postgres://user@host:5432/pharmacy). "
            "SQLite lets one process write at a time: gunicorn's processes and the queue "
            "workers would queue behind its lock; the workers' claims (SELECT … FOR UPDATE "
            "SKIP LOCKED) and their LISTEN/NOTIFY wake-ups need PostgreSQL; and one file "
            "cannot be shared by several machines."
        )
    return problems


def _manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, check=True)  # noqa: S603


def _start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=BASE_DIR)  # noqa: S603


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    problems = production_problems()
    if problems:
        print("make serve refuses to start:", file=sys.stderr)
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        return 2
    if "--check" in sys.argv[1:]:
        print("make serve: settings fit production serving")
        return 0
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    web = os.environ.get("WEB_CONCURRENCY", str(min(4, (os.cpu_count() or 1) + 1)))
    threads = os.environ.get("GUNICORN_THREADS", "4")
    workers = int(os.environ.get("WORKERS", "2"))
    _manage("migrate", "--noinput")
    _manage("collectstatic", "--noinput", "--verbosity", "0")

    gunicorn = _start(
        [
            *(PYTHON, "-m", "gunicorn", "config.wsgi"),
            *("--bind", f"{host}:{port}", "--workers", web, "--threads", threads),
            *("--worker-class", "gthread", "--access-logfile", "-", "--graceful-timeout", "30"),
        ]
    )
    queue = [_start([PYTHON, "manage.py", "run_worker"]) for _ in range(workers)]
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"make serve: http://{host}:{port}/ ({web} × {threads} threads, {workers} workers)")
    try:
        while not stopping and gunicorn.poll() is None:
            for index, worker in enumerate(queue):
                if worker.poll() is not None:
                    print(f"make serve: worker exited ({worker.returncode}); starting another")
                    time.sleep(WORKER_RESTART_PAUSE_SECONDS)
                    queue[index] = _start([PYTHON, "manage.py", "run_worker"])
            time.sleep(0.5)
    finally:
        _stop([gunicorn, *queue])
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
