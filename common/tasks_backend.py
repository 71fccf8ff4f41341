"""A django-tasks backend that wakes the queue workers instead of storing a task.

With durable processing the work is already a row (see `common.workqueue`): enqueuing a task
only has to tell a sleeping worker that there is something to claim. On PostgreSQL that is a
NOTIFY on `WORK_QUEUE_CHANNEL` (workers LISTEN); elsewhere workers poll. A lost wake-up costs
at most one poll interval, never a row.
"""

from django.db import connection
from django.utils import timezone
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.signals import task_enqueued
from django_tasks.utils import get_random_id

WORK_QUEUE_CHANNEL = "work_queue"


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
