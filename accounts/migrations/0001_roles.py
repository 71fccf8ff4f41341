"""Create the three staff roles as groups with their permissions (see accounts.roles)."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from accounts.roles import roles_sync

    roles_sync(apps)


def delete_roles(apps, schema_editor):
    from accounts.roles import ROLE_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("pharmacy_orders", "0001_initial"),
        ("inventory", "0002_initial"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
