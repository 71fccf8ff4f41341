from django.apps import AppConfig


class RxScaleConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rxscale"
    verbose_name = "RxScale link"

    def ready(self):
        # The domain's timeline shows what the link knows about an order without importing it.
        from pharmacy_orders.timeline import TIMELINE_SOURCES
        from rxscale.timeline import order_command_entries, order_delivery_entries

        if order_delivery_entries not in TIMELINE_SOURCES:
            TIMELINE_SOURCES.append(order_delivery_entries)
        if order_command_entries not in TIMELINE_SOURCES:
            TIMELINE_SOURCES.append(order_command_entries)

        # Staff changes become commands to RxScale in the change's own transaction.
        from inventory.services import stock_adjusted
        from pharmacy_orders.services.workflow import order_transition_recorded
        from rxscale.outbox.recording import (
            order_transition_to_command,
            stock_adjustment_to_command,
        )

        order_transition_recorded.connect(
            order_transition_to_command, dispatch_uid="rxscale.outbox.order_transition"
        )
        stock_adjusted.connect(
            stock_adjustment_to_command, dispatch_uid="rxscale.outbox.stock_adjustment"
        )
