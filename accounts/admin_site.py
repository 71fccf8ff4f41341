from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig

from accounts.roles import PHARMACY_ADMIN


class BackOfficeAdminSite(AdminSite):
    """The Django admin, opened to the Pharmacy admin role as well as to `is_staff` users.

    The role is how the pharmacy grants admin work (mappings, users, deliveries); requiring a
    separate staff flag would be one more thing to forget. What each user sees inside is still
    decided by their permissions.
    """

    site_header = "Pharmacy back-office administration"
    site_title = "Back-office admin"

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and (
            user.is_staff or user.groups.filter(name=PHARMACY_ADMIN).exists()
        )


class BackOfficeAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.BackOfficeAdminSite"
