"""POST /webhooks/rxscale: verify, store, answer. Processing happens in a task."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from rxscale.inbox.intake import delivery_receive
from rxscale.inbox.pdf_intake import PdfStorageUnavailable
from rxscale.inbox.signature import matching_secret_index


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
    return JsonResponse(outcome.response_body(), status=outcome.http_status)
