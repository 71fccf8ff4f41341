"""The bench's floor endpoint: the least a webhook receiver can do (see scripts/bench).

Mounted at `bench/floor` only when `BENCH_FLOOR_ENDPOINT` is true, which only the bench harness
sets. It verifies the HMAC with the same code as the real intake and inserts the raw body into
`bench_floor` (a table the harness creates; no model, no migration) in one transaction. The real
intake's acknowledgement throughput is measured as a ratio of this one's, on the same server.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from rxscale.inbox.signature import matching_secret_index


@csrf_exempt
@login_not_required
@require_POST
def bench_floor(request: HttpRequest) -> JsonResponse:
    body = request.body
    signature = request.headers.get("X-Webhook-Signature", "")
    if matching_secret_index(body, signature, settings.RXSCALE_WEBHOOK_SECRETS) is None:
        return JsonResponse({"error": "Missing or invalid X-Webhook-Signature."}, status=401)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_floor (body) VALUES (%s) RETURNING id", [body])
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id})
