from django.apps import AppConfig


class PharmacyOrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pharmacy_orders"
    verbose_name = "Pharmacy orders"

    def ready(self) -> None:
        from pharmacy_orders.statuses import resume_fallback_status

        # A bad RXSCALE_RESUME_FALLBACK_STATUS stops startup (ImproperlyConfigured), not the
        # first clerk who resumes a hold.
        resume_fallback_status()
