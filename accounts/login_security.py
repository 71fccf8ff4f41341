"""Login security: the client address the limiter counts, and failed logins in the audit trail.

django-axes counts failures per username and per client address (settings: LOGIN_FAILURE_LIMIT,
LOGIN_COOLOFF_MINUTES). Each failure and each lockout is also an audit entry; AuditEntry has no
address field, so the username and address go in its details. The password never does.
"""

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

# A username longer than the user model allows is nobody's; keep the entry small.
_MAX_USERNAME = 150


def client_address(request: HttpRequest) -> str:
    """The client's address: the connection's own, or behind TRUSTED_PROXY_COUNT proxies the
    entry that the outermost trusted proxy appended to X-Forwarded-For (entries further left
    are the client's own claims and are not trusted)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


def _details(request: HttpRequest | None, username: str | None) -> dict:
    return {
        "username": (username or "")[:_MAX_USERNAME],
        "address": client_address(request) if request is not None else "",
    }


@receiver(user_login_failed, dispatch_uid="accounts.audit_login_failed")
def audit_login_failed(sender, credentials: dict, request: HttpRequest | None = None, **kwargs):
    from pharmacy_orders.services.audit import AuditAction, audit_record

    details = _details(request, credentials.get("username"))
    # axes has already counted this failure (its receiver runs first) and marked a refusal.
    details["locked_out"] = bool(getattr(request, "axes_locked_out", False))
    audit_record(user=None, action=AuditAction.LOGIN_FAILED, details=details)


@receiver(user_locked_out, dispatch_uid="accounts.audit_locked_out")
def audit_locked_out(sender, request: HttpRequest | None = None, username=None, **kwargs):
    from pharmacy_orders.services.audit import AuditAction, audit_record

    audit_record(
        user=None, action=AuditAction.LOGIN_LOCKED_OUT, details=_details(request, username)
    )
