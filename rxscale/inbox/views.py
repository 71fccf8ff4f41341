"""POST /webhooks/rxscale: verify, store, answer. Processing happens in a task."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from rxscale.inbox.intake import delivery_receive
from rxscale.inbox.pdf_intake import PdfStorageUnavailable
from rxscale.inbox.signature import matching_secret_index

logger = logging.getLogger(__name__)


def _error(message: str, status: int, **headers: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, headers=headers)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_exempt
@login_not_required
def rxscale_webhook(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return _error("Method not allowed; RxScale webhooks are POSTed.", 405, Allow="POST")
    secrets = settings.RXSCALE_WEBHOOK_SECRETS
    if not secrets:
        return _error("Webhook intake is not configured (RXSCALE_WEBHOOK_SECRETS).", 503)
    limit = settings.RXSCALE_WEBHOOK_MAX_BYTES
    if _declared_length(request) > limit:
        return _error(f"Body larger than {limit} bytes.", 413)
    try:
        body = request.body
    except RequestDataTooBig:
        return _error(f"Body larger than {limit} bytes.", 413)
    if len(body) > limit:
        return _error(f"Body larger than {limit} bytes.", 413)

    secret_index = matching_secret_index(
        body, request.headers.get("X-Webhook-Signature", ""), secrets
    )
    if secret_index is None:
        return _error("Missing or invalid X-Webhook-Signature.", 401)

    try:
        outcome = delivery_receive(
            body=body, headers=dict(request.headers), secret_index=secret_index
        )
    except PdfStorageUnavailable:
        # Nothing was stored: RxScale's retry of the same body is the next attempt.
        return _error("Prescription storage is unavailable; nothing was stored. Retry.", 503)
    except (OperationalError, InterfaceError) as exc:
        # The database went away or refused the write mid-delivery. The delivery (and its
        # document row) commit in one transaction or not at all, so nothing is half-written;
        # a PDF already in storage is reused by the retry (or removed by retention).
        logger.warning(
            "webhook delivery not stored: database unavailable (%s); answered 503 so that "
            "RxScale retries",
            type(exc).__name__,
        )
        return _error("The database is unavailable; nothing was stored. Retry.", 503)
    return JsonResponse(outcome.response_body(), status=outcome.http_status)
