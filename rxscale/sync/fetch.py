"""Reading RxScale's API for the sync: pages, paced requests, a few retries.

The client waits for the shared rate limit and retries a 429 itself (rxscale/client.py,
rxscale/ratelimit.py), so a 429 that reaches the sync is final for that request. Reads are
safe to repeat, so the sync retries a transient answer a few times before it gives up on it.
Its own requests are paced further below RxScale's documented 10/s
(rate-limits.md), so that the outbox's commands still find free slots while a sync runs.
"""

import logging
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from django.conf import settings

from rxscale.client import MAX_PAGE_LIMIT, JsonObject, Page, RxScaleClient
from rxscale.errors import RxScaleTransient

logger = logging.getLogger(__name__)

T = TypeVar("T")
# Seconds before each retry of a transient error (RxScale down, a timeout).
RETRY_DELAYS = (1.0, 2.0, 4.0)


class SyncStopped(Exception):
    """The worker was asked to stop: the run ends early, as an error (not a success)."""


class SyncReader:
    """A client whose reads are paced and retried. `should_stop` is asked before each wait."""

    def __init__(
        self, client: RxScaleClient, *, should_stop: Callable[[], bool] | None = None
    ) -> None:
        self.client = client
        self._should_stop = should_stop or (lambda: False)
        rate = settings.RXSCALE_SYNC_REQUESTS_PER_SECOND
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._last = 0.0

    def check_stop(self) -> None:
        if self._should_stop():
            raise SyncStopped("Stopped before the end (the worker is shutting down).")

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.check_stop()
            time.sleep(min(left, 0.5))

    def call(self, request: Callable[..., T], *args, **kwargs) -> T:
        """One read, paced and retried (transient errors); raises the last error."""
        for attempt in range(len(RETRY_DELAYS) + 1):
            self._wait(self._last + self._interval - time.monotonic())
            self._last = time.monotonic()
            try:
                return request(*args, **kwargs)
            except RxScaleTransient as exc:
                if attempt == len(RETRY_DELAYS):
                    raise
                logger.info("rxscale sync: %s; retrying", exc)
                self._wait(RETRY_DELAYS[attempt])
        raise AssertionError("unreachable")

    def pages(self, list_page: Callable[..., Page]) -> Iterator[list[JsonObject]]:
        """Every page of a list endpoint (`client.list_orders` or `client.list_skus`)."""
        page = 0
        while True:
            self.check_stop()
            current = self.call(list_page, page=page, limit=MAX_PAGE_LIMIT)
            yield current.items
            # totalPages is 0 for an empty list; an empty page ends the walk too, so a total
            # that shrinks while we read cannot loop for ever.
            if not current.items or page >= current.total_pages - 1:
                return
            page += 1

    def order(self, uid: str) -> JsonObject:
        return self.call(self.client.get_order, uid)
