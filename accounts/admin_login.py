"""The admin's login form, for the Pharmacy admin role too (see accounts/admin_site.py)."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts.admin_site import admin_access_allowed


class BackOfficeAdminLoginForm(AdminAuthenticationForm):
    """The admin's own login form, open to the Pharmacy admin role as well as to `is_staff`
    (Django's form asks for `is_staff`). It authenticates like every login, so the login
    limits apply here too."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter the correct %(username)s and password of a Pharmacy admin or staff "
            "account. Note that both fields may be case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)  # inactive users: refused
        if not admin_access_allowed(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
