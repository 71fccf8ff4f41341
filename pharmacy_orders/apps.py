from django.apps import AppConfig


class PharmacyOrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pharmacy_orders"
    verbose_name = "Pharmacy orders"
