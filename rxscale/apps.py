from django.apps import AppConfig


class RxScaleConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rxscale"
    verbose_name = "RxScale link"

    def ready(self):
        # The domain's timeline shows what the link knows about an order without importing it.
        from pharmacy_orders.timeline import TIMELINE_SOURCES
        from rxscale.timeline import order_delivery_entries

        if order_delivery_entries not in TIMELINE_SOURCES:
            TIMELINE_SOURCES.append(order_delivery_entries)
