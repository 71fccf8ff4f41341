"""The admin's own login form lets a Pharmacy admin in (the role, no `is_staff`), nobody else
without admin access."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def admin_login(username: str, password: str) -> tuple[Client, object]:
    client = Client(enforce_csrf_checks=True)
    form = client.get("/admin/login/?next=/admin/")
    token = form.cookies["csrftoken"].value
    response = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": username,
            "password": password,
            "next": "/admin/",
            "csrfmiddlewaretoken": token,
        },
    )
    return client, response


def test_a_pharmacy_admin_logs_in_through_the_admin_login_form(pharmacy_admin):
    assert not pharmacy_admin.is_staff

    client, response = admin_login("pharmacyadmin", "pw-pharmacyadmin")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    index = client.get("/admin/")
    assert index.status_code == 200
    assert b"Webhook deliveries" in index.content


@pytest.mark.parametrize("role_user", ["pta", "pharmacist", "no_role_user"])
def test_other_roles_are_refused_by_the_admin_login_form(request, role_user):
    user = request.getfixturevalue(role_user)

    client, response = admin_login(user.username, f"pw-{user.username}")

    assert response.status_code == 200
    assert b"Pharmacy admin" in response.content  # the form's error names who may log in
    assert "_auth_user_id" not in client.session


def test_an_inactive_pharmacy_admin_is_refused(pharmacy_admin):
    pharmacy_admin.is_active = False
    pharmacy_admin.save()

    client, response = admin_login("pharmacyadmin", "pw-pharmacyadmin")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
