"""Admin for the RxScale link: the inbox (deliveries in) and the outbox (commands out)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from common.admin import ReadOnlyAdmin
from rxscale.inbox.intake import payload_for_display
from rxscale.inbox.models import WebhookDelivery
from rxscale.inbox.processing import deliveries_reprocess
from rxscale.inbox.selectors import inbox_health
from rxscale.outbox.models import OutboundCommand
from rxscale.outbox.staff import RETRY_PERMISSION, command_retry
from rxscale.sync.models import SyncRun
from rxscale.sync.run import count_lines

_SUBJECT_URL_NAMES = {
    WebhookDelivery.SubjectKind.ORDER: "orders:detail",
    WebhookDelivery.SubjectKind.PHARMACY_SKU: "inventory:detail",
}


def _subject_link(kind: str, uid: str):
    """A link to the order or SKU page, or the bare uid where there is none to link."""
    url_name = _SUBJECT_URL_NAMES.get(kind)
    try:
        url = reverse(url_name, args=[uid]) if url_name else None
    except NoReverseMatch:  # a failed delivery's uid may not fit a URL
        url = None
    if url is None:
        return uid or "–"
    return format_html('<a href="{}">{}</a>', url, uid)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "event_type",
        "source",
        "status",
        "subject_link",
        "attempts",
        "received_at",
        "next_attempt_at",
    ]
    list_filter = ["status", "source", "event_type"]
    change_list_template = "admin/rxscale/webhookdelivery/change_list.html"
    search_fields = ["subject_uid", "dedupe_key"]
    actions = ["reprocess"]
    fields = [
        "event_type",
        "source",
        "status",
        "subject_link",
        "error",
        "error_details",
        "warnings",
        "traceback",
        "attempts",
        "received_at",
        "next_attempt_at",
        "leased_by",
        "lease_expires_at",
        "processed_at",
        "document_sha256",
        "event_timestamp",
        "secret_index",
        "secret_fingerprint",
        "dedupe_key",
        "headers",
        "payload",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("body")

    def changelist_view(self, request, extra_context=None):
        # The same counts as the worklist banner, above the list.
        return super().changelist_view(
            request, extra_context={**(extra_context or {}), "health": inbox_health()}
        )

    @admin.display(description="Payload (PDF content redacted)")
    def payload(self, obj):
        return format_html('<pre class="bo-wrap">{}</pre>', payload_for_display(obj))

    @admin.display(description="Subject")
    def subject_link(self, obj):
        # Only an applied delivery's subject is known to exist (and its uid to be valid).
        applied = obj.status in (WebhookDelivery.Status.PROCESSED, WebhookDelivery.Status.STALE)
        return _subject_link(obj.subject_kind if applied else "", obj.subject_uid)

    def has_reprocess_permission(self, request):
        return request.user.has_perm("rxscale.reprocess_webhookdelivery")

    @admin.action(description="Reprocess selected deliveries", permissions=["reprocess"])
    def reprocess(self, request, queryset):
        outcomes = deliveries_reprocess(
            delivery_ids=queryset.values_list("pk", flat=True), user=request.user, via="admin"
        )
        statuses = [outcome for _, outcome in outcomes]
        summary = ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))
        self.message_user(request, f"Reprocessed {len(outcomes)}: {summary}.", messages.SUCCESS)


@admin.register(OutboundCommand)
class OutboundCommandAdmin(ReadOnlyAdmin):
    """Every command to RxScale. Failed ones can be sent again here in bulk (after fixing the
    API key, say); discarding needs a reason and is done on the order or SKU page."""

    list_display = [
        "id",
        "kind",
        "status",
        "subject_link",
        "attempts",
        "created_at",
        "sent_at",
        "error_code",
    ]
    list_filter = ["status", "kind", "subject_kind"]
    search_fields = ["subject_uid"]
    actions = ["retry"]
    fields = [
        "kind",
        "status",
        "subject_link",
        "payload",
        "created_by",
        "created_at",
        "attempts",
        "next_attempt_at",
        "leased_by",
        "lease_expires_at",
        "http_status",
        "error_code",
        "last_error",
        "outcome_note",
        "sent_at",
        "finished_at",
    ]
    readonly_fields = fields

    @admin.display(description="Order or SKU")
    def subject_link(self, obj):
        return _subject_link(obj.subject_kind, obj.subject_uid)

    def has_retry_permission(self, request):
        return request.user.has_perm(RETRY_PERMISSION)

    @admin.action(description="Send selected failed commands again", permissions=["retry"])
    def retry(self, request, queryset):
        done, refused = 0, 0
        for command_id in queryset.filter(status=OutboundCommand.Status.FAILED).values_list(
            "pk", flat=True
        ):
            try:
                command_retry(command_id=command_id, user=request.user)
                done += 1
            except ValidationError:
                refused += 1
        self.message_user(request, f"{done} will be sent again; {refused} could not be.")


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    """What each catch-up sync found; the newest successful one is "the last sync"."""

    list_display = ["id", "started_at", "finished_at", "trigger", "kinds", "outcome", "summary"]
    list_filter = ["trigger", "active"]
    fields = [
        "trigger",
        "worker",
        "orders",
        "skus",
        "since",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "active",
        "summary",
        "failures",
        "error",
        "next_since",
    ]
    readonly_fields = fields

    @admin.display(description="What")
    def kinds(self, obj):
        return " + ".join(name for name, on in (("orders", obj.orders), ("SKUs", obj.skus)) if on)

    @admin.display(description="Outcome")
    def outcome(self, obj):
        if obj.active:
            return "running"
        return "error" if obj.error else "done"

    @admin.display(description="Counts")
    def summary(self, obj):
        return "; ".join(count_lines(obj.counts)) or "–"
