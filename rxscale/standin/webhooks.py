"""The stand-in's webhooks: signed deliveries of its changes, sent as RxScale sends them.

webhooks-security.md: `X-Webhook-Signature` is the lowercase hex HMAC-SHA256 of the raw body,
keyed with the subscription's secret; `X-Webhook-Event` names the event. The HMAC is computed
here independently of the app's verifier, so that a test checking one against the other proves
something. One thread sends in order (RxScale's ordering is undocumented; in order is the kind
case), and retries a failed delivery a few times with backoff, as RxScale "retries with
exponential backoff" (its attempt count is undocumented).
"""

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

logger = logging.getLogger(__name__)


@dataclass
class Delivery:
    event_type: str
    body: bytes
    status: int | None = None  # the receiver's last answer; None: not reached
    attempts: int = 0


def envelope(event_type: str, data: dict[str, Any], timestamp: int) -> dict[str, Any]:
    """webhooks-overview.md: `{event_type, timestamp, payload_version, data}`."""
    return {"event_type": event_type, "timestamp": timestamp, "payload_version": "1", "data": data}


def signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    """Queues deliveries and sends them from one background thread, in order."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout_seconds: float = 10.0,
        attempts: int = 3,
        retry_base_seconds: float = 0.5,
    ) -> None:
        self.url = url
        self.secret = secret
        self.attempts = attempts
        self.retry_base_seconds = retry_base_seconds
        self.delivered: list[Delivery] = []  # every delivery, in sending order, for tests
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._stopping = threading.Event()
        self._http = httpx.Client(timeout=timeout_seconds)
        self._thread = threading.Thread(target=self._run, name="standin-webhooks", daemon=True)
        self._thread.start()

    def send(self, event_type: str, data: dict[str, Any]) -> None:
        """Queue one delivery; its timestamp is the snapshot's `updated_at` when it has one."""
        timestamp = data.get("updated_at")
        if not isinstance(timestamp, int):
            timestamp = int(time.time())
        payload = envelope(event_type, data, timestamp)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        self._queue.put(Delivery(event_type=event_type, body=body))

    def join(self) -> None:
        """Wait until every queued delivery has been tried."""
        self._queue.join()

    def stop(self) -> None:
        self._stopping.set()
        self._queue.put(None)
        self._thread.join(timeout=5)
        self._http.close()

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            try:
                if delivery is None:
                    return
                self._deliver(delivery)
            finally:
                self._queue.task_done()

    def _deliver(self, delivery: Delivery) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-Webhook-Event": delivery.event_type,
            "X-Webhook-Signature": signature(delivery.body, self.secret),
        }
        self.delivered.append(delivery)
        for attempt in range(self.attempts):
            delivery.attempts = attempt + 1
            try:
                response = self._http.post(self.url, content=delivery.body, headers=headers)
                delivery.status = response.status_code
                if 200 <= response.status_code < 300:
                    return
            except httpx.HTTPError as exc:
                logger.warning("stand-in webhook to %s failed: %s", self.url, exc)
            if self._stopping.wait(self.retry_base_seconds * 2**attempt):
                return
        logger.warning("stand-in webhook %s gave up after %s tries", delivery.event_type, attempt)
