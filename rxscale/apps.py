from django.apps import AppConfig


class RxScaleConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rxscale"
    verbose_name = "RxScale link"
