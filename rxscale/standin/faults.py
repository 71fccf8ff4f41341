"""Faults the stand-in injects on demand, and its rate limit."""

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

FaultKind = Literal["error", "rate_limit", "timeout", "drop"]
FAULT_KINDS: tuple[str, ...] = ("error", "rate_limit", "timeout", "drop")


@dataclass
class Fault:
    """What the next `count` matching API requests get instead of a normal answer.

    - error: HTTP `status` (500 unless given) with `{"error": ...}`;
    - rate_limit: 429 `{"error": "Rate limit exceeded"}`, as RxScale documents it;
    - timeout: no answer for `delay` seconds (set it past the client's timeout);
    - drop: the connection is closed without an answer.
    `apply`: the request takes effect first (RxScale acted, but the answer was lost), which is
    the case an exactly-once sender must survive. `path`: only requests whose path contains it.
    """

    kind: FaultKind
    count: int = 1
    status: int = 500
    delay: float = 5.0
    apply: bool = False
    path: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Fault":
        kind = data.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        fault = cls(kind=kind)
        for name, cast in (("count", int), ("status", int), ("delay", float), ("path", str)):
            if name in data:
                setattr(fault, name, cast(data[name]))
        fault.apply = bool(data.get("apply", False))
        if fault.count < 1:
            raise ValueError("count must be at least 1")
        return fault


class FaultPlan:
    """Queued faults, consumed in order by the requests they match. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, path: str) -> Fault | None:
        """The fault for this request, if any; each use counts down its `count`."""
        with self._lock:
            for fault in self._faults:
                if fault.path in path:
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [vars(fault).copy() for fault in self._faults]


class RateLimiter:
    """rate-limits.md: 10 requests per second and 600 per minute, else 429 (no Retry-After).

    Sliding windows over accepted requests; a refused request does not count (undocumented).
    `clock` is injectable so that a test can hold time still instead of racing it.
    """

    def __init__(
        self,
        *,
        per_second: int = 10,
        per_minute: int = 600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._accepted: deque[float] = deque()

    def allow(self) -> bool:
        with self._lock:
            now = self._clock()
            while self._accepted and self._accepted[0] <= now - 60:
                self._accepted.popleft()
            last_second = sum(1 for moment in self._accepted if moment > now - 1)
            if last_second >= self.per_second or len(self._accepted) >= self.per_minute:
                return False
            self._accepted.append(now)
            return True
