"""The durable worker: applies due inbox rows and sends due outbox commands, until told to stop.

Run one or more (`make worker`); they share the work through row leases. Each loop claims a
batch of due rows; when there is none it sleeps until woken (PostgreSQL NOTIFY from the intake)
or `WORK_QUEUE_POLL_SECONDS` pass, whichever is first. The poll alone finds everything: rows
whose wake-up was lost, whose worker died, or whose retry has come due.

Every `RXSCALE_SYNC_INTERVAL_MINUTES` one worker (across all processes) also runs the
catch-up sync with RxScale's API and settles ties (rxscale/sync/runs.py `SyncSchedule`);
while it does, that worker claims no deliveries, which is one more reason to run two.
"""

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from common.tasks_backend import WORK_QUEUE_CHANNEL
from common.workqueue import worker_identity
from rxscale.inbox.batches import inbox_process_due
from rxscale.inbox.selectors import intake_is_busy
from rxscale.outbox.sending import outbox_send_due
from rxscale.sync.runs import SyncSchedule

logger = logging.getLogger(__name__)
# How long a worker waits before it looks again while intake is busy.
YIELD_SECONDS = 0.2


class Command(BaseCommand):
    help = (
        "Process the webhook inbox and send the outbox to RxScale: claim due rows with leases, "
        "apply or send them, retry."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--until-idle",
            action="store_true",
            help="Stop when no row is due (tests, scripts) instead of waiting for more.",
        )
        parser.add_argument("--batch", type=int, default=settings.WORK_QUEUE_BATCH)

    def handle(self, *args, until_idle: bool, batch: int, **options):
        self._stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        worker_id = worker_identity()
        logger.info("worker %s started", worker_id)
        listener = _Wakeups()
        schedule = SyncSchedule(worker_id=worker_id)
        while not self._stopping:
            self._sync_if_due(schedule)
            try:
                if intake_is_busy():
                    # A burst is arriving: leave the CPU to the acknowledgements for a moment.
                    outbox_send_due(worker_id=worker_id, limit=batch)
                    time.sleep(YIELD_SECONDS)
                    continue
                claimed = inbox_process_due(worker_id=worker_id, limit=batch)
                claimed += outbox_send_due(worker_id=worker_id, limit=batch)
            except Exception:
                # The database is away: nothing is lost (rows stay due), so wait and try again.
                logger.exception("worker %s: could not claim work", worker_id)
                connection.close()
                listener.close()
                claimed = 0
                time.sleep(settings.WORK_QUEUE_POLL_SECONDS)
            if claimed:
                continue
            if until_idle:
                break
            listener.wait(settings.WORK_QUEUE_POLL_SECONDS)
        listener.close()
        logger.info("worker %s stopped", worker_id)

    def _sync_if_due(self, schedule: SyncSchedule) -> None:
        try:
            schedule.run_if_due(should_stop=lambda: self._stopping)
        except Exception:
            # A failed run is recorded on its SyncRun; this is the database being away.
            logger.exception("worker: could not run the RxScale sync")

    def _stop(self, signum, frame):
        # Finish the row in hand, then leave; its lease would otherwise hold it for a while.
        self._stopping = True


class _Wakeups:
    """LISTEN on its own connection (PostgreSQL); elsewhere, a plain sleep."""

    def __init__(self):
        self._conn = None

    def wait(self, timeout: float) -> None:
        if connection.vendor != "postgresql":
            time.sleep(timeout)
            return
        try:
            if self._conn is None:
                self._conn = _listen_connection()
            for _ in self._conn.notifies(timeout=timeout, stop_after=1):
                pass
        except Exception:
            logger.warning("worker: lost the wake-up connection; polling instead")
            self.close()
            time.sleep(timeout)

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def _listen_connection():
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    conn = psycopg.connect(**params, autocommit=True)
    conn.execute(f"LISTEN {WORK_QUEUE_CHANNEL}")
    return conn
