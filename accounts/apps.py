from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    from django.apps import apps as global_apps

    from accounts.roles import roles_sync

    # `migrate` passes the migrated state's apps; `flush` passes none.
    roles_sync(kwargs.get("apps") or global_apps)


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Staff accounts and roles"

    def ready(self):
        from accounts import login_security  # noqa: F401 - connects the login audit receivers

        # Also after a test flush, which empties groups but emits post_migrate.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="accounts.sync_roles")
