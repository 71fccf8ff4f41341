"""The RxScale link on staff pages: the inbox banner (failed and retrying deliveries, where
admins look every day)."""

from django import template

from rxscale.inbox.selectors import inbox_health

register = template.Library()

VIEW_DELIVERIES = "rxscale.view_webhookdelivery"


@register.inclusion_tag("rxscale/inbox_banner.html", takes_context=True)
def inbox_banner(context) -> dict:
    """Nothing (and no query) for users who may not see deliveries."""
    user = context["request"].user
    if not user.has_perm(VIEW_DELIVERIES):
        return {"health": None}
    return {"health": inbox_health()}
