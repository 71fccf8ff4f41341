"""The three staff roles (Django groups) and their permissions.

Groups are created by migration `accounts.0001_roles` and re-synced after every `migrate`
(post_migrate), so a permission added here reaches existing installations. Permissions an
admin adds to a group by hand are kept; only missing ones are added.
"""

PHARMACY_STAFF = "Pharmacy staff"
PHARMACIST = "Pharmacist"
PHARMACY_ADMIN = "Pharmacy admin"

_STAFF = [
    "pharmacy_orders.view_pharmacyorder",
    "pharmacy_orders.work_order",
    "pharmacy_orders.view_prescription_pdf",
    "pharmacy_orders.view_shippingmethodmapping",
    "inventory.view_pharmacysku",
    "inventory.view_stockledgerentry",
]
# A pharmacist decides whether a change RxScale refused is sent again or given up.
_PHARMACIST = [
    *_STAFF,
    "pharmacy_orders.pharmacist_order",
    "rxscale.view_outboundcommand",
    "rxscale.retry_outboundcommand",
]
_ADMIN = [
    *_PHARMACIST,
    "pharmacy_orders.add_shippingmethodmapping",
    "pharmacy_orders.change_shippingmethodmapping",
    "pharmacy_orders.delete_shippingmethodmapping",
    "rxscale.view_webhookdelivery",
    "rxscale.reprocess_webhookdelivery",
    "pharmacy_orders.view_auditentry",
    "pharmacy_orders.view_patientdoctormeeting",
    "pharmacy_orders.view_prescription",
    "inventory.adjust_stock",
    "inventory.change_pharmacysku",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.view_group",
    # Login limits (django-axes): see who is locked out and lift a lock.
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "axes.view_accesslog",
]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    PHARMACY_STAFF: _STAFF,
    PHARMACIST: _PHARMACIST,
    PHARMACY_ADMIN: _ADMIN,
}


def roles_sync(apps) -> None:
    """Create missing role groups and add missing permissions (idempotent).

    `apps` is the app registry: the historical one in a migration, the real one otherwise.
    """
    from django.contrib.auth.management import create_permissions
    from django.db.models import Q

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = Q()
        for name in names:
            app_label, codename = name.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        # In an early migration a later app's models (and so its permissions) may not exist
        # yet: what is missing now is added by the post_migrate sync after the last migration.
        group.permissions.add(*permission_model.objects.filter(wanted))
