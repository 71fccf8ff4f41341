"""A loopback stand-in for RxScale: a real HTTP server over an in-memory store.

RxScale cannot be reached from here, so tests and the demo talk to this instead, over real HTTP
with the real client:

    with RxScaleStandin(api_key="k", webhook_url=..., webhook_secret=...) as standin:
        standin.seed_from_samples()
        client = RxScaleClient(ClientConfig(base_url=standin.base_url, api_key="k"))

It enforces the documented rules (store.py), the rate limit and `X-API-Key`, injects faults
(`standin.faults.inject(Fault("error", count=2))`, or `POST /_standin/faults`), and sends
signed webhooks for every change when a webhook URL is set.
"""

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rxscale.client import DEFAULT_PREFIX
from rxscale.standin.faults import Fault, FaultPlan, RateLimiter
from rxscale.standin.server import StandinHTTPServer
from rxscale.standin.store import StandinStore
from rxscale.standin.webhooks import WebhookSender

__all__ = ["Fault", "RecordedRequest", "RxScaleStandin"]


@dataclass(frozen=True)
class RecordedRequest:
    """An API request the stand-in answered (faults without effect are not recorded).

    `received_at` is the stand-in's clock (the rate limiter's) when the request came in.
    """

    method: str
    path: str
    body: bytes
    status: int
    received_at: float


class RxScaleStandin:
    def __init__(
        self,
        *,
        api_key: str,
        prefix: str = DEFAULT_PREFIX,
        webhook_url: str = "",
        webhook_secret: str = "",
        require_pharmacy_uid: bool = False,
        stock_field: str = "stock",
        external_id_field: str = "external_id",
        per_second: int = 10,
        per_minute: int = 600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api_key = api_key
        self.prefix = "/" + prefix.strip("/")
        self.require_pharmacy_uid = require_pharmacy_uid
        # The SKU body field names are guesses on both sides; tests can make them disagree.
        self.stock_field = stock_field
        self.external_id_field = external_id_field
        self.faults = FaultPlan()
        self.clock = clock
        self.limiter = RateLimiter(per_second=per_second, per_minute=per_minute, clock=clock)
        self.webhooks: WebhookSender | None = None
        if webhook_url:
            if not webhook_secret:
                raise ValueError("A webhook URL needs a signing secret.")
            self.webhooks = WebhookSender(webhook_url, webhook_secret)
        self.store = StandinStore(notify=self._notify)
        self.stopping = threading.Event()
        self._requests: list[RecordedRequest] = []
        self._requests_lock = threading.Lock()
        self._server: StandinHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle -----------------------------------------------------------------------------

    def start(self, *, host: str = "127.0.0.1", port: int = 0) -> "RxScaleStandin":
        """Serve in a background thread; port 0 takes a free one (see `port`)."""
        self._server = StandinHTTPServer((host, port), self)
        # A short poll: stop() waits for the loop to notice, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="rxscale-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        on_ready: Callable[["RxScaleStandin"], None] | None = None,
    ) -> None:
        """Serve in this thread until interrupted (the management command).

        `on_ready` runs once the port is bound (so port 0 can be reported).
        """
        self._server = StandinHTTPServer((host, port), self)
        if on_ready is not None:
            on_ready(self)
        try:
            self._server.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
                self._thread.join(timeout=5)
            self._server.server_close()
            self._server = None
        if self.webhooks is not None:
            self.webhooks.stop()

    def __enter__(self) -> "RxScaleStandin":
        return self if self._server is not None else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("The stand-in is not running.")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """What RXSCALE_API_BASE_URL should be to reach this stand-in."""
        return f"http://127.0.0.1:{self.port}"

    # Seeding -------------------------------------------------------------------------------

    def seed_from_samples(self, *, orders: int = 3, status: str = "waiting for pharmacy") -> None:
        """Orders `po-standin-1…` and their pharmacy SKUs, built from the seed examples.

        No webhooks: the app is expected to learn about seeded data by sync or by the demo's
        own deliveries, not by a burst at start-up.
        """
        from rxscale.inbox.samples import build_payload

        for number in range(1, orders + 1):
            data = build_payload(
                "pharmacy_order_created", uid=f"po-standin-{number}", status=status
            )["data"]
            data["name"] = f"#{1000 + number}"
            self.store.put_order(data, notify=False)
            for item in data.get("order_items") or []:
                psku = item.get("pharmacy_sku") or {}
                if psku.get("uid"):
                    sku = build_payload(
                        "pharmacy_sku_stock_updated", uid=psku["uid"], stock=psku.get("stock", 0)
                    )["data"]
                    sku["sku"] = item.get("sku") or sku.get("sku")
                    self.store.put_sku(sku)

    def seed_from_events(self, payloads: Iterable[dict[str, Any]]) -> None:
        """Hold what these webhook payloads describe (orders, pharmacy SKUs), sending nothing:
        e.g. the demo's data, so that the app's demo orders exist on both sides."""
        for payload in payloads:
            data = payload["data"]
            if payload["event_type"] == "pharmacy_sku_stock_updated":
                self.store.put_sku(data)
            elif payload["event_type"].startswith("pharmacy_order_"):
                self.store.put_order(data, notify=False)

    # Observation ---------------------------------------------------------------------------

    def record(self, method: str, path: str, body: bytes, status: int, received_at: float) -> None:
        with self._requests_lock:
            self._requests.append(RecordedRequest(method, path, body, status, received_at))

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._requests_lock:
            return list(self._requests)

    def requests_log(self) -> list[dict[str, Any]]:
        return [
            {
                "method": r.method,
                "path": r.path,
                "status": r.status,
                "body": r.body.decode(),
                "received_at": r.received_at,
            }
            for r in self.requests
        ]

    def _notify(self, event_type: str, data: dict[str, Any]) -> None:
        if self.webhooks is not None:
            self.webhooks.send(event_type, data)
