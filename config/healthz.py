"""GET /healthz: is this installation doing its job? For load balancers and monitoring.

JSON with one entry per check (database, storage, inbox, outbox, sync), each with `ok`;
200 when all are ok, 503 otherwise. Counts, ages and times only: never an order, a patient or
a payload, so it needs no login. Every query is bounded and uses a partial index
(rxscale/health.py); with the database down, the checks that need it are reported as unknown.
"""

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from common.storage import storage_health
from rxscale.health import inbox_backlog, outbox_backlog, sync_health


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def _guarded(check) -> dict:
    try:
        return check().as_json()
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}


@login_not_required
@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    database = _database()
    storage = storage_health()
    checks = {
        "database": database,
        "storage": {"ok": storage.ok, "backend": storage.backend}
        | ({"error": storage.error} if storage.error else {}),
    }
    for name, check in (
        ("inbox", inbox_backlog),
        ("outbox", outbox_backlog),
        ("sync", sync_health),
    ):
        checks[name] = _guarded(check) if database["ok"] else {"ok": False, "error": "no database"}
    healthy = all(check["ok"] for check in checks.values())
    body = {"ok": healthy, "time": timezone.now().isoformat(), **checks}
    return JsonResponse(body, status=200 if healthy else 503)
