"""The real client against the real stand-in, over loopback HTTP (one stand-in per test)."""

import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rxscale.client import ClientConfig, RxScaleClient
from rxscale.standin import RxScaleStandin

API_KEY = "test-api-key"
WEBHOOK_SECRET = "whsec_standin_test"


@dataclass(frozen=True)
class ReceivedWebhook:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


class WebhookReceiver:
    """A tiny loopback HTTP server that keeps every POST it gets and answers 200."""

    def __init__(self) -> None:
        self.received: queue.Queue[ReceivedWebhook] = queue.Queue()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.put(ReceivedWebhook(dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/webhooks/rxscale"

    def next(self) -> ReceivedWebhook:
        # A bound on waiting, not a timing assertion: a lost webhook fails instead of hanging.
        return self.received.get(timeout=15)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def standin() -> Iterator[RxScaleStandin]:
    with RxScaleStandin(api_key=API_KEY) as running:
        running.seed_from_samples(orders=3)
        yield running


def make_client(standin: RxScaleStandin, **overrides) -> RxScaleClient:
    config = {"base_url": standin.base_url, "api_key": API_KEY, **overrides}
    return RxScaleClient(ClientConfig(**config))


@pytest.fixture
def client(standin: RxScaleStandin) -> Iterator[RxScaleClient]:
    with make_client(standin) as api:
        yield api


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver()
    yield running
    running.stop()
