"""A small typed client for RxScale's External Pharmacy API, built on httpx.

One method per documented endpoint. Every call has a timeout. A client built from settings
waits for a slot under the rate limit shared by all processes (rxscale/ratelimit.py) before
each request. Only a 429 is retried here, a few times with full-jitter backoff: RxScale refused
it before acting, so repeating it is safe. Every other failure is raised at once, for the
caller (the outbox), which knows whether a repeat is safe. Answers are returned as the JSON
RxScale sent; errors are the typed exceptions of `rxscale.errors`.

Sources: external-pharmacy-overview.md (paths, `pharmacy_uid`), external-pharmacy-orders.md,
external-pharmacy-skus.md, authentication.md (`X-API-Key`), pagination.md, error-handling.md,
rate-limits.md. Where they are silent the choice is a setting (config/settings.py) or a
constant below that says so.
"""

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from rxscale import statuses
from rxscale.errors import (
    CONFLICT_CLASSES,
    RxScaleAuthError,
    RxScaleError,
    RxScaleInvalidRequest,
    RxScaleRateLimited,
    RxScaleTransient,
)

JsonObject = dict[str, Any]
logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "/v1/external_pharmacy_api"
DEFAULT_TIMEOUT_SECONDS = 10.0
# pagination.md: "limit" defaults to 50, at most 200 on the External Pharmacy API (more is
# silently capped by RxScale, which would break our page arithmetic: refuse it instead).
MAX_PAGE_LIMIT = 200
DEFAULT_PAGE_LIMIT = 50
# The complete_order section was not retrievable: its body is unknown. An empty JSON object
# is the least that a JSON PATCH endpoint accepts; confirm against Swagger.
COMPLETE_ORDER_BODY: JsonObject = {}
# A body larger than this is not kept on an exception (a 5xx may answer with an HTML page).
_MAX_KEPT_ERROR_TEXT = 2000
# rate-limits.md documents no Retry-After, so the wait after a 429 is ours (settings).
DEFAULT_RATE_LIMIT_RETRIES = 3
DEFAULT_RATE_LIMIT_BACKOFF_SECONDS = 1.0
DEFAULT_RATE_LIMIT_BACKOFF_MAX_SECONDS = 30.0


def api_configured() -> bool:
    """False in local-only mode: without a base URL and a key nothing is sent to RxScale."""
    from django.conf import settings

    return bool(settings.RXSCALE_API_BASE_URL and settings.RXSCALE_API_KEY)


@dataclass(frozen=True)
class ClientConfig:
    base_url: str
    api_key: str
    prefix: str = DEFAULT_PREFIX
    pharmacy_uid: str = ""
    # The docs say group-wide keys need `pharmacy_uid` on "most endpoints" without listing
    # them: send it everywhere unless told to keep it to the list endpoints.
    pharmacy_uid_on_all_requests: bool = True
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    # Guessed field names of the undocumented SKU stock and external-id bodies.
    sku_stock_field: str = "stock"
    sku_external_id_field: str = "external_id"
    rate_limit_retries: int = DEFAULT_RATE_LIMIT_RETRIES
    rate_limit_backoff_seconds: float = DEFAULT_RATE_LIMIT_BACKOFF_SECONDS
    rate_limit_backoff_max_seconds: float = DEFAULT_RATE_LIMIT_BACKOFF_MAX_SECONDS
    # Called before every request (each 429 retry too). from_settings() puts the shared rate
    # limiter here, so every client built from settings counts against it; a config built by
    # hand (the client's own tests) has none.
    before_request: Callable[[], None] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_settings(cls) -> "ClientConfig":
        from django.conf import settings

        from rxscale.ratelimit import SharedRateLimiter

        return cls(
            base_url=settings.RXSCALE_API_BASE_URL,
            api_key=settings.RXSCALE_API_KEY,
            prefix=settings.RXSCALE_API_PREFIX,
            pharmacy_uid=settings.RXSCALE_PHARMACY_UID,
            pharmacy_uid_on_all_requests=settings.RXSCALE_PHARMACY_UID_ON_ALL_REQUESTS,
            timeout_seconds=settings.RXSCALE_API_TIMEOUT_SECONDS,
            sku_stock_field=settings.RXSCALE_API_SKU_STOCK_FIELD,
            sku_external_id_field=settings.RXSCALE_API_SKU_EXTERNAL_ID_FIELD,
            rate_limit_retries=settings.RXSCALE_API_RATE_LIMIT_RETRIES,
            rate_limit_backoff_seconds=settings.RXSCALE_API_RATE_LIMIT_BACKOFF_SECONDS,
            rate_limit_backoff_max_seconds=settings.RXSCALE_API_RATE_LIMIT_BACKOFF_MAX_SECONDS,
            before_request=SharedRateLimiter.from_settings(),
        )


@dataclass(frozen=True)
class Page:
    """One page of a list endpoint: `{data, totalRegistries, totalPages}`."""

    items: list[JsonObject]
    page: int
    total_items: int
    total_pages: int


class RxScaleClient:
    """The External Pharmacy API. Use as a context manager, or call close().

    Without a config it is built from settings, shared rate limiter included. `before_request`,
    if given, replaces the config's hook; it is called before every request, retries included.
    """

    def __init__(
        self,
        config: ClientConfig | None = None,
        *,
        before_request: Callable[[], None] | None = None,
    ) -> None:
        self.config = config or ClientConfig.from_settings()
        if not (self.config.base_url and self.config.api_key):
            raise RxScaleInvalidRequest("RxScale API not configured (local-only mode).")
        self._before_request = (
            before_request if before_request is not None else self.config.before_request
        )
        prefix = "/" + self.config.prefix.strip("/")
        self._http = httpx.Client(
            base_url=self.config.base_url.rstrip("/") + prefix + "/",
            headers={
                "X-API-Key": self.config.api_key,
                "Accept": "application/json",
                "User-Agent": "pharmacy-backoffice",
            },
            timeout=httpx.Timeout(self.config.timeout_seconds),
            # RxScale's own redirects are not part of the API; following one could re-send a
            # PATCH somewhere unexpected.
            follow_redirects=False,
        )

    def __enter__(self) -> "RxScaleClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # Orders -------------------------------------------------------------------------------

    def list_orders(
        self,
        *,
        page: int = 0,
        limit: int = DEFAULT_PAGE_LIMIT,
        status: str | None = None,
        search: str | None = None,
    ) -> Page:
        """One page of pharmacy orders (page 0 is the first)."""
        return self._page("pharmacy_orders/", page, limit, status=status, search=search)

    def iter_orders(
        self, *, limit: int = MAX_PAGE_LIMIT, status: str | None = None, search: str | None = None
    ) -> Iterator[JsonObject]:
        """Every pharmacy order, page after page."""
        yield from self._iter_pages("pharmacy_orders/", limit, status=status, search=search)

    def get_order(self, uid: str) -> JsonObject:
        """Order details: patient and doctor data, the prescription PDF inline as base64."""
        return self._request("GET", f"pharmacy_orders/{_segment(uid)}")

    def set_order_status(self, uid: str, status: str, *, comment: str = "") -> JsonObject:
        """PATCH …/status. A non-blank comment is required for `on-hold`.

        The docs: the comment is "Required (and must be non-blank) when transitioning to
        `on-hold`" and becomes the admin issue thread's description, so a blank one is refused
        here, before sending. Other rules (no `completed`, no RxScale-only status) are left to
        the workflow and to RxScale, whose answer is the authority.
        """
        if status == statuses.ON_HOLD and not comment.strip():
            raise RxScaleInvalidRequest(
                "Putting an order on hold needs a non-blank comment.",
                method="PATCH",
                path=f"pharmacy_orders/{uid}/status",
            )
        body: JsonObject = {"status": status}
        if comment:
            body["comment"] = comment
        return self._request("PATCH", f"pharmacy_orders/{_segment(uid)}/status", json=body)

    def complete_order(self, uid: str) -> JsonObject:
        """PATCH …/complete_order: the only way to `completed`; RxScale reduces stock."""
        return self._request(
            "PATCH", f"pharmacy_orders/{_segment(uid)}/complete_order", json=COMPLETE_ORDER_BODY
        )

    # Pharmacy SKUs ------------------------------------------------------------------------

    def list_skus(self, *, page: int = 0, limit: int = DEFAULT_PAGE_LIMIT) -> Page:
        """One page of the pharmacy's SKUs (hidden SKU types are left out by RxScale)."""
        return self._page("pharmacy_skus/", page, limit)

    def iter_skus(self, *, limit: int = MAX_PAGE_LIMIT) -> Iterator[JsonObject]:
        yield from self._iter_pages("pharmacy_skus/", limit)

    def update_sku_stock(self, uid: str, stock: int) -> JsonObject:
        """PATCH …/pharmacy_skus/{uid}/stock (body field name: a guess, see ClientConfig)."""
        if isinstance(stock, bool) or not isinstance(stock, int):
            raise RxScaleInvalidRequest(f"Stock must be a whole number, not {stock!r}.")
        body = {self.config.sku_stock_field: stock}
        return self._request("PATCH", f"pharmacy_skus/{_segment(uid)}/stock", json=body)

    def update_sku_external_id(self, uid: str, external_id: str) -> JsonObject:
        """PATCH …/pharmacy_skus/{uid}/external_id (body field name: a guess)."""
        body = {self.config.sku_external_id_field: external_id}
        return self._request("PATCH", f"pharmacy_skus/{_segment(uid)}/external_id", json=body)

    # Plumbing -----------------------------------------------------------------------------

    def _page(self, path: str, page: int, limit: int, **filters: str | None) -> Page:
        if page < 0:
            raise RxScaleInvalidRequest(f"Pages start at 0, not {page}.")
        if not 1 <= limit <= MAX_PAGE_LIMIT:
            raise RxScaleInvalidRequest(f"limit must be 1..{MAX_PAGE_LIMIT}, not {limit}.")
        params = {"page": page, "limit": limit, **{k: v for k, v in filters.items() if v}}
        answer = self._request("GET", path, params=params, list_endpoint=True)
        items = answer.get("data")
        if not isinstance(items, list):
            raise RxScaleError(
                "List answer has no `data` array.", method="GET", path=path, body=answer
            )
        return Page(
            items=items,
            page=page,
            total_items=_int_or_zero(answer.get("totalRegistries")),
            total_pages=_int_or_zero(answer.get("totalPages")),
        )

    def _iter_pages(self, path: str, limit: int, **filters: str | None) -> Iterator[JsonObject]:
        page = 0
        while True:
            current = self._page(path, page, limit, **filters)
            yield from current.items
            # totalPages is ceil(total / limit) and 0 for an empty list; an empty page also
            # ends the walk, so a total that shrinks while we read cannot loop forever.
            if not current.items or page >= current.total_pages - 1:
                return
            page += 1

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: JsonObject | None = None,
        list_endpoint: bool = False,
    ) -> JsonObject:
        params = dict(params or {})
        if self.config.pharmacy_uid and (list_endpoint or self.config.pharmacy_uid_on_all_requests):
            params["pharmacy_uid"] = self.config.pharmacy_uid
        where = {"method": method, "path": path}
        retries = max(self.config.rate_limit_retries, 0)
        for retry in range(retries + 1):
            if self._before_request is not None:
                self._before_request()
            try:
                response = self._http.request(method, path, params=params or None, json=json)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # The request never left: a retry cannot double anything.
                raise RxScaleTransient(_describe(exc), request_sent=False, **where) from exc
            except httpx.TransportError as exc:
                # Read timeouts, dropped connections: RxScale may have acted on it.
                raise RxScaleTransient(_describe(exc), request_sent=True, **where) from exc
            if response.status_code != 429 or retry == retries:
                break
            pause = backoff_seconds(
                retry,
                base=self.config.rate_limit_backoff_seconds,
                cap=self.config.rate_limit_backoff_max_seconds,
            )
            # Worth seeing: despite the shared limiter, something else uses the key or the
            # margin (RXSCALE_API_RATE_LIMIT_MARGIN_SECONDS) is too small.
            logger.warning(
                "RxScale answered 429 to %s %s; retry %d of %d in %.2f s",
                method,
                path,
                retry + 1,
                retries,
                pause,
            )
            time.sleep(pause)
        return _answer(response, **where)


def backoff_seconds(retry: int, *, base: float, cap: float) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2^retry)], retry counting from 0.

    The random spread keeps processes refused in the same second from coming back together.
    """
    return random.uniform(0, min(cap, base * 2**retry))


def _answer(response: httpx.Response, *, method: str, path: str) -> JsonObject:
    body = _json_or_text(response)
    status = response.status_code
    if 200 <= status < 300:
        if body is None or body == "":
            return {}  # e.g. 204; the PATCH answers' shapes are undocumented
        if isinstance(body, dict):
            return body
        raise RxScaleError(
            "Answer is not a JSON object.", status_code=status, body=body, method=method, path=path
        )
    code, description = _code_and_description(body, response.reason_phrase)
    kwargs: dict[str, Any] = {
        "status_code": status,
        "code": code,
        "body": body,
        "method": method,
        "path": path,
    }
    if status in (401, 403):
        raise RxScaleAuthError(description, **kwargs)
    if status in CONFLICT_CLASSES:
        raise CONFLICT_CLASSES[status](description, **kwargs)
    if status == 429:
        raise RxScaleRateLimited(description, **kwargs)
    if status >= 500:
        raise RxScaleTransient(description, request_sent=True, **kwargs)
    raise RxScaleError(description, **kwargs)


def _json_or_text(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text[:_MAX_KEPT_ERROR_TEXT]


def _code_and_description(body: Any, reason: str) -> tuple[str, str]:
    """RxScale's `{code, description}`, or its standard `{"error": "..."}`, or the reason."""
    if isinstance(body, dict):
        code = body.get("code")
        description = body.get("description") or body.get("error")
        return (str(code) if code else "", str(description) if description else reason)
    return "", reason


def _segment(uid: str) -> str:
    """A uid as one path segment: a `/` or `?` in it must not reach another endpoint."""
    return quote(uid, safe="")


def _int_or_zero(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
