"""The append-only audit trail: who looked at a prescription or acted on an order, and when."""

from django.contrib.auth.models import AbstractBaseUser

from pharmacy_orders.models import AuditEntry


class AuditAction:
    """Action names as stored in AuditEntry.action (stable strings: the trail outlives code)."""

    PRESCRIPTION_VIEW = "prescription_view"
    PRESCRIPTION_DOWNLOAD = "prescription_download"
    CLAIM = "order_claim"
    TAKEOVER = "order_takeover"
    RELEASE = "order_release"
    TRANSITION = "order_transition"
    TRANSITION_REFUSED = "order_transition_refused"
    NOTE = "order_note_add"
    SHIPPING_MAPPING_SAVE = "shipping_mapping_save"
    SHIPPING_MAPPING_DELETE = "shipping_mapping_delete"
    WEBHOOK_REPROCESS = "webhook_reprocess"
    OUTBOX_RETRY = "outbox_retry"
    OUTBOX_DISCARD = "outbox_discard"
    # Details: the username typed and the client address, never the password.
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED_OUT = "login_locked_out"

    # Shown on the order timeline (PDF views are not: they would drown the story).
    CLAIM_ACTIONS = (CLAIM, TAKEOVER, RELEASE)


def audit_record(
    *,
    user: AbstractBaseUser | None,
    action: str,
    order_uid: str = "",
    details: dict | None = None,
) -> AuditEntry:
    """Append one entry. Callers inside a transaction get the entry only if it commits."""
    return AuditEntry.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        order_uid=order_uid,
        details=details or {},
    )
