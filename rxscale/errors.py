"""Typed errors of the External Pharmacy API client.

Each keeps what RxScale said: `code` and `description` from its `{code, description}` body
(authentication errors), or `description` from the standard `{"error": "..."}` body
(error-handling.md documents both), plus the HTTP status and the raw body for field-level
validation errors, whose format is not documented.

Which class tells the caller what to do next:
- RxScaleAuthError: fix the key or its permissions; retrying will not help.
- RxScaleConflict (and its subclasses): RxScale refused this request; retrying will not help.
- RxScaleRateLimited: back off and try again (the client has already retried a 429 a few
  times; RxScaleRateLimitTimeout means our own shared limiter found no slot and nothing was sent).
- RxScaleTransient: try again later; `request_sent` says whether RxScale may have acted.
- RxScaleInvalidRequest: refused locally, nothing was sent.
"""

from typing import Any


class RxScaleError(Exception):
    """Any failure of an API call. Also raised as-is for an unexpected answer (e.g. a 405)."""

    def __init__(
        self,
        description: str,
        *,
        status_code: int | None = None,
        code: str = "",
        body: Any = None,
        method: str = "",
        path: str = "",
    ) -> None:
        self.description = description
        self.status_code = status_code
        self.code = code
        self.body = body
        self.method = method
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.method} {self.path}".strip()
        status = f" {self.status_code}" if self.status_code is not None else ""
        code = f" [{self.code}]" if self.code else ""
        return f"{where}:{status}{code} {self.description}".strip()


class RxScaleInvalidRequest(RxScaleError, ValueError):
    """The client refused the request before sending it (e.g. on-hold without a comment)."""


class RxScaleAuthError(RxScaleError):
    """401 (missing or invalid key) or 403 (the key lacks the permission)."""


class RxScaleConflict(RxScaleError):
    """RxScale refused the request for what it asked: 400, 404, 409 or 422.

    `kind` names which; the subclasses let callers catch one. Note that RxScale answers 404
    instead of 403 on resource endpoints when the key may not see the resource.
    """

    kind = "conflict"


class RxScaleBadRequest(RxScaleConflict):
    """400: validation error, missing parameter or invalid body (e.g. a blank on-hold comment)."""

    kind = "bad_request"


class RxScaleNotFound(RxScaleConflict):
    """404: no such resource, or not visible to this key, or a hidden SKU type."""

    kind = "not_found"


class RxScaleDuplicate(RxScaleConflict):
    """409: documented as "Resource already exists (duplicate)"."""

    kind = "duplicate"


class RxScaleUnprocessable(RxScaleConflict):
    """422: well-formed but refused (e.g. `completed` sent to the status endpoint)."""

    kind = "unprocessable"


class RxScaleRateLimited(RxScaleError):
    """429 after the client's own retries. RxScale documents no Retry-After header."""


class RxScaleRateLimitTimeout(RxScaleRateLimited):
    """Our shared limiter (rxscale/ratelimit.py) found no free slot before the deadline.

    Nothing was sent. A subclass of RxScaleRateLimited because the caller's answer is the same:
    back off and try later.
    """


class RxScaleTransient(RxScaleError):
    """5xx, timeout, or a network failure: worth retrying later.

    `request_sent` is False only when the request certainly never reached RxScale (the
    connection could not be opened); otherwise RxScale may have acted on it, and a retry of a
    write must first check whether it already took effect.
    """

    def __init__(self, description: str, *, request_sent: bool = True, **kwargs: Any) -> None:
        self.request_sent = request_sent
        super().__init__(description, **kwargs)


CONFLICT_CLASSES: dict[int, type[RxScaleConflict]] = {
    400: RxScaleBadRequest,
    404: RxScaleNotFound,
    409: RxScaleDuplicate,
    422: RxScaleUnprocessable,
}
