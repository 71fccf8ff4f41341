"""The inbox banner: failed and retrying RxScale deliveries, where admins look every day."""

from django import template

from pharmacy_orders.webhooks.selectors import inbox_health

register = template.Library()

VIEW_DELIVERIES = "pharmacy_orders.view_webhookdelivery"


@register.inclusion_tag("pharmacy_orders/webhooks/inbox_banner.html", takes_context=True)
def inbox_banner(context) -> dict:
    """Nothing (and no query) for users who may not see deliveries."""
    user = context["request"].user
    if not user.has_perm(VIEW_DELIVERIES):
        return {"health": None}
    return {"health": inbox_health()}
