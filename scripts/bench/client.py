"""Concurrent webhook senders: threads, each with one keep-alive HTTP connection to 127.0.0.1.

Each thread takes the next delivery in the list (so the sending order holds, roughly, across
threads) and records the latency from sending to the last byte of the answer. A connection
error is retried on a fresh connection, as RxScale retries, a bounded number of times.
"""

import http.client
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from scripts.bench.traffic import Delivery

HOST = "127.0.0.1"  # the bench never sends anywhere else
ATTEMPTS = 3


@dataclass
class Burst:
    sent: int = 0
    started: float = 0.0
    finished: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    retries: int = 0
    bodies: list[bytes] = field(default_factory=list)  # answers, for the ids (small bursts only)

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    @property
    def acks_per_second(self) -> float:
        return self.statuses[200] / self.seconds if self.seconds > 0 else 0.0


class _Sender(threading.Thread):
    def __init__(self, port: int, path: str, work, burst: Burst, lock: threading.Lock, keep):
        super().__init__(daemon=True)
        self.port, self.path, self.work = port, path, work
        self.burst, self.lock, self.keep = burst, lock, keep
        self.conn: http.client.HTTPConnection | None = None

    def run(self) -> None:
        while True:
            with self.lock:
                item = next(self.work, None)
            if item is None:
                break
            self._send(item)
        if self.conn is not None:
            self.conn.close()

    def _send(self, delivery: Delivery) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-Webhook-Signature": delivery.signature,
        }
        for attempt in range(ATTEMPTS):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
            begin = time.perf_counter()
            try:
                self.conn.request("POST", self.path, body=delivery.body, headers=headers)
                response = self.conn.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                self.conn = None
                with self.lock:
                    if attempt + 1 < ATTEMPTS:
                        self.burst.retries += 1
                    else:
                        self.burst.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            end = time.perf_counter()
            with self.lock:
                self.burst.latencies.append(end - begin)
                self.burst.statuses[response.status] += 1
                self.burst.finished = max(self.burst.finished, end)
                if self.keep:
                    self.burst.bodies.append(answer)
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return


def send(
    deliveries: Sequence[Delivery], *, port: int, path: str, clients: int, keep_answers=False
) -> Burst:
    """POST every delivery to `path` from `clients` threads; return when all are answered."""
    burst = Burst(sent=len(deliveries))
    lock = threading.Lock()
    work = iter(deliveries)
    threads = [_Sender(port, path, work, burst, lock, keep_answers) for _ in range(clients)]
    burst.started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return burst


def wait_until_serving(port: int, *, seconds: float) -> bool:
    """Poll until the server answers anything at all on `port` (bounded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/webhooks/rxscale")
            conn.getresponse().read()
            conn.close()
            return True
        except OSError:
            time.sleep(0.2)
    return False
