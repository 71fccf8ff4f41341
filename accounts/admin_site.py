from functools import wraps

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied

from accounts.roles import PHARMACY_ADMIN


def admin_access_allowed(user) -> bool:
    return user.is_active and (user.is_staff or user.groups.filter(name=PHARMACY_ADMIN).exists())


class BackOfficeAdminSite(AdminSite):
    """The Django admin, opened to the Pharmacy admin role as well as to `is_staff` users.

    The role is how the pharmacy grants admin work (mappings, users, deliveries); requiring a
    separate staff flag would be one more thing to forget. What each user sees inside is still
    decided by their permissions.
    """

    site_header = "Pharmacy back-office administration"
    site_title = "Back-office admin"

    @property
    def login_form(self):
        # Imported late: this module loads with the app registry, before auth's models exist.
        from accounts.admin_login import BackOfficeAdminLoginForm

        return BackOfficeAdminLoginForm

    def admin_view(self, view, cacheable=False):
        """A logged-in user without admin access gets 403, not the admin's login form."""
        wrapped = super().admin_view(view, cacheable)

        @wraps(view)
        def inner(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return wrapped(request, *args, **kwargs)

        return inner

    def has_permission(self, request) -> bool:
        return admin_access_allowed(request.user)


class BackOfficeAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.BackOfficeAdminSite"
