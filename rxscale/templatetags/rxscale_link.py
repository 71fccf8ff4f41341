"""The RxScale link on staff pages: the inbox banner (failed and retrying deliveries, where
admins look every day) and the sync panel of an order or SKU (its changes not yet at RxScale)."""

from django import template

from rxscale.inbox.selectors import inbox_health
from rxscale.outbox.models import BLOCKING_STATUSES, OutboundCommand
from rxscale.outbox.staff import RETRY_PERMISSION
from rxscale.timeline import command_summary

register = template.Library()

VIEW_DELIVERIES = "rxscale.view_webhookdelivery"


@register.inclusion_tag("rxscale/inbox_banner.html", takes_context=True)
def inbox_banner(context) -> dict:
    """Nothing (and no query) for users who may not see deliveries."""
    user = context["request"].user
    if not user.has_perm(VIEW_DELIVERIES):
        return {"health": None}
    return {"health": inbox_health()}


@register.inclusion_tag("rxscale/sync_panel.html", takes_context=True)
def sync_panel(context, subject) -> dict:
    """Whether the order's or SKU's changes have reached RxScale, and what staff can do about
    one that did not. No query while everything is in sync."""
    if not getattr(subject, "sync_unsettled", False):
        return {"commands": None}
    commands = OutboundCommand.objects.filter(
        subject_uid=subject.uid, status__in=BLOCKING_STATUSES
    ).order_by("id")
    return {
        "subject": subject,
        "commands": [(command, command_summary(command)) for command in commands],
        "may_retry": context["request"].user.has_perm(RETRY_PERMISSION),
        "csrf_token": context.get("csrf_token"),
    }
