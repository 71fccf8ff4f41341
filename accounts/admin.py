"""Users in the admin, without a path for a Pharmacy admin to make anyone a superuser."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

User = get_user_model()

# Only a superuser may grant what bypasses the roles.
_SUPERUSER_ONLY_FIELDS = ("is_superuser", "is_staff", "user_permissions")

admin.site.unregister(User)


@admin.register(User)
class BackOfficeUserAdmin(UserAdmin):
    """Pharmacy admins manage staff accounts and their roles (groups), nothing above that."""

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return readonly
        return (*readonly, *_SUPERUSER_ONLY_FIELDS)

    def has_change_permission(self, request, obj=None):
        # A superuser account (and its password) is only changed by a superuser.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)
