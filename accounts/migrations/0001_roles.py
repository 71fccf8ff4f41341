"""Create the three staff roles as groups with their permissions.

The permission lists are frozen here (not imported) so this migration means the same thing
forever; later changes to roles get migrations of their own.
"""

from django.db import migrations

ROLE_PERMISSIONS = {
    "Pharmacy staff": [
        "pharmacy_orders.view_pharmacyorder",
        "pharmacy_orders.work_order",
        "pharmacy_orders.view_prescription_pdf",
        "pharmacy_orders.view_shippingmethodmapping",
        "inventory.view_pharmacysku",
        "inventory.view_stockledgerentry",
    ],
}
ROLE_PERMISSIONS["Pharmacist"] = [
    *ROLE_PERMISSIONS["Pharmacy staff"],
    "pharmacy_orders.pharmacist_order",
]
ROLE_PERMISSIONS["Pharmacy admin"] = [
    *ROLE_PERMISSIONS["Pharmacist"],
    "pharmacy_orders.add_shippingmethodmapping",
    "pharmacy_orders.change_shippingmethodmapping",
    "pharmacy_orders.delete_shippingmethodmapping",
    "pharmacy_orders.view_webhookdelivery",
    "pharmacy_orders.reprocess_webhookdelivery",
    "pharmacy_orders.view_auditentry",
    "pharmacy_orders.view_patientdoctormeeting",
    "pharmacy_orders.view_prescription",
    "inventory.adjust_stock",
    "inventory.change_pharmacysku",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.view_group",
]


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("pharmacy_orders", "0001_initial"),
        ("inventory", "0002_initial"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
