"""A django-tasks backend that wakes the queue workers instead of storing a task.

With durable processing the work is already a row (see `common.workqueue`): enqueuing a task
only has to tell a sleeping worker that there is something to claim. On PostgreSQL that is a
NOTIFY on `WORK_QUEUE_CHANNEL` (workers LISTEN); elsewhere workers poll. A lost wake-up costs
at most one poll interval, never a row.
"""

import logging
from functools import partial

from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task_backends
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.signals import task_enqueued
from django_tasks.utils import get_random_id

WORK_QUEUE_CHANNEL = "work_queue"

logger = logging.getLogger(__name__)


def wake_workers() -> None:
    """Tell every listening worker that a row may be due. Harmless when nobody listens."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [WORK_QUEUE_CHANNEL])


class WakeWorkersBackend(BaseTaskBackend):
    """`enqueue` wakes the workers; the task's row (not this backend) holds the work."""

    supports_defer = False

    def enqueue(self, task: Task, args, kwargs) -> TaskResult:
        self.validate_task(task)
        wake_workers()
        result = TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        task_enqueued.send(type(self), task_result=result)
        return result


def processes_inline() -> bool:
    """Whether an enqueued task has already run when `enqueue` returns (the immediate mode)."""
    return isinstance(task_backends["default"], ImmediateBackend)


def enqueue_for_new_row(task: Task, *args) -> None:
    """Have `task` run for a queue row written in the current transaction.

    The wake-up backend's NOTIFY is sent inside that transaction when there is one: PostgreSQL
    delivers it at commit and drops it on rollback, so a worker never wakes for a row it
    cannot see yet. Sent after commit, the NOTIFY would be a transaction of its own (a NOTIFY
    always takes a transaction id: its own commit record and WAL flush, under the lock that
    serialises every notifying commit). Inside, a failing NOTIFY fails the row's transaction,
    as any database error would. Without a transaction (a row alone, in autocommit) the row
    is committed already. Any other backend runs the task after commit: the immediate one
    processes the row inline, and must see it committed.
    """
    if connection.in_atomic_block and isinstance(task_backends["default"], WakeWorkersBackend):
        task.enqueue(*args)
    else:
        transaction.on_commit(partial(enqueue_logged, task, *args))


def enqueue_logged(task: Task, *args) -> None:
    """Enqueue after commit; a failure is logged, not raised: the row is committed and due,
    so the next worker poll claims it all the same."""
    try:
        task.enqueue(*args)
    except Exception:
        logger.exception("could not enqueue %s%r", task.name, args)
