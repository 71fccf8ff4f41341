"""The stand-in's HTTP side: the documented External Pharmacy API endpoints over loopback.

Order of checks for an API request: an injected fault, then `X-API-Key` (401), then the rate
limit (429), then the endpoint. `/_standin/…` is the control surface (faults, state), answered
only to loopback clients and never counted against the rate limit.
"""

import contextlib
import json
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from rxscale.standin.faults import Fault
from rxscale.standin.store import DEFAULT_LIMIT, Refusal, not_found, refusal

if TYPE_CHECKING:
    from rxscale.standin import RxScaleStandin

_LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
_MAX_BODY = 1024 * 1024


class StandinHTTPServer(ThreadingHTTPServer):
    # A handler asleep in a timeout fault must not hold up stop().
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], standin: "RxScaleStandin") -> None:
        self.standin = standin
        super().__init__(address, StandinHandler)


class StandinHandler(BaseHTTPRequestHandler):
    # Keep-alive, as RxScale's API and httpx use it: a dropped connection then means something.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, each answer waits ~40 ms for an ACK.
    disable_nagle_algorithm = True
    server: StandinHTTPServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._handle("GET")

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle("PATCH")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # tests and the demo would drown in access lines; requests are kept on the stand-in

    def _handle(self, method: str) -> None:
        standin = self.server.standin
        received_at = standin.clock()
        url = urlsplit(self.path)
        body = self._read_body()
        if body is None:
            return
        if url.path.startswith("/_standin/"):
            self._control(method, url.path, body)
            return
        fault = standin.faults.take(url.path)
        if fault is not None and not fault.apply:
            self._fault(fault)
            return
        try:
            status, answer = self._api(method, url.path, parse_qs(url.query), body)
        except Refusal as exc:
            status, answer = exc.status, exc.body
        standin.record(method, url.path, body, status, received_at)
        if fault is not None:
            self._fault(fault)  # it took effect, and the caller never hears so
            return
        self._send_json(status, answer)

    def _api(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes
    ) -> tuple[int, Any]:
        standin = self.server.standin
        key = self.headers.get("X-API-Key")
        if not key:
            raise refusal(401, "api_key_missing", "X-API-Key header is expected")
        if key != standin.api_key:
            raise refusal(401, "invalid_api_key", "API key not found or inactive")
        if not standin.limiter.allow():
            raise Refusal(429, {"error": "Rate limit exceeded"})
        if standin.require_pharmacy_uid and not query.get("pharmacy_uid"):
            # The docs say only that a group-wide key without it "will return an error".
            raise Refusal(400, {"error": "Missing required parameters: pharmacy_uid"})
        prefix = standin.prefix
        if not path.startswith(prefix + "/"):
            raise not_found()
        parts = [unquote(part) for part in path[len(prefix) + 1 :].split("/")]
        if parts and parts[-1] == "":
            parts.pop()  # list paths are documented with a trailing slash; accept both
        store = standin.store
        match method, parts:
            case "GET", ["health"]:
                return 200, {"status": "ok"}
            case "GET", ["pharmacy_orders"]:
                page, limit = _paging(query)
                found = store.api_list_orders(
                    page=page,
                    limit=limit,
                    status=_one(query, "status"),
                    search=_one(query, "search"),
                )
                return 200, found
            case "GET", ["pharmacy_orders", uid]:
                return 200, store.api_order(uid)
            case "PATCH", ["pharmacy_orders", uid, "status"]:
                return 200, store.api_set_status(uid, _json_object(raw))
            case "PATCH", ["pharmacy_orders", uid, "complete_order"]:
                return 200, store.api_complete(uid)
            case "GET", ["pharmacy_skus"]:
                page, limit = _paging(query)
                return 200, store.api_list_skus(page=page, limit=limit)
            case "PATCH", ["pharmacy_skus", uid, "stock"]:
                return 200, store.api_set_stock(uid, _json_object(raw), standin.stock_field)
            case "PATCH", ["pharmacy_skus", uid, "external_id"]:
                body = _json_object(raw)
                return 200, store.api_set_external_id(uid, body, standin.external_id_field)
        raise not_found()

    def _control(self, method: str, path: str, raw: bytes) -> None:
        if self.client_address[0] not in _LOOPBACK:
            self._send_json(403, {"error": "The stand-in is controlled from loopback only."})
            return
        standin = self.server.standin
        try:
            if (method, path) == ("POST", "/_standin/faults"):
                fault = Fault.from_json(_json_object(raw))
                standin.faults.inject(fault)
                self._send_json(201, vars(fault))
            elif (method, path) == ("DELETE", "/_standin/faults"):
                standin.faults.clear()
                self._send_json(200, {"faults": []})
            elif (method, path) == ("GET", "/_standin/faults"):
                self._send_json(200, {"faults": standin.faults.pending()})
            elif (method, path) == ("GET", "/_standin/requests"):
                self._send_json(200, {"requests": standin.requests_log()})
            else:
                self._send_json(404, {"error": "Resource not found"})
        except (Refusal, ValueError, TypeError) as exc:
            self._send_json(400, {"error": str(exc)})

    def _fault(self, fault: Fault) -> None:
        if fault.kind == "rate_limit":
            self._send_json(429, {"error": "Rate limit exceeded"})
        elif fault.kind == "error":
            self._send_json(fault.status, {"error": "Injected fault"})
        elif fault.kind == "timeout":
            # Sleep past the client's timeout (stop() cuts it short), then hang up.
            self.server.standin.stopping.wait(fault.delay)
            self._hang_up()
        else:
            self._hang_up()

    def _hang_up(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may have gone already
            self.connection.shutdown(socket.SHUT_RDWR)

    def _read_body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            self.close_connection = True
            self._send_json(400, {"error": "Bad request"})
            return None
        return self.rfile.read(length) if length else b""

    def _send_json(self, status: int, answer: Any) -> None:
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client went away (e.g. after its timeout)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise Refusal(400, {"error": "Bad request"}) from exc
    if not isinstance(body, dict):
        raise Refusal(400, {"error": "Bad request"})
    return body


def _one(query: dict[str, list[str]], name: str) -> str:
    return (query.get(name) or [""])[0]


def _paging(query: dict[str, list[str]]) -> tuple[int, int]:
    try:
        page = int(_one(query, "page") or 0)
        limit = int(_one(query, "limit") or DEFAULT_LIMIT)
    except ValueError as exc:
        raise Refusal(400, {"error": "page and limit must be integers"}) from exc
    if page < 0 or limit < 1:
        raise Refusal(400, {"error": "page must be >= 0 and limit >= 1"})
    return page, limit
