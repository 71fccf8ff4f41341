"""Who may open the Django admin: the Pharmacy admin role (or is_staff), nobody else."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_pharmacy_admin_role_alone_opens_the_admin(client, pharmacy_admin):
    assert not pharmacy_admin.is_staff
    client.force_login(pharmacy_admin)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert b"Webhook deliveries" in response.content
    assert b"Shipping method mappings" in response.content
    assert b"Users" in response.content


@pytest.mark.parametrize("role_user", ["pta", "pharmacist", "no_role_user"])
def test_other_roles_get_403_from_the_admin(client, request, role_user):
    client.force_login(request.getfixturevalue(role_user))

    index = client.get("/admin/")
    users = client.get("/admin/auth/user/")

    assert (index.status_code, users.status_code) == (403, 403)


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_audit_trail_cannot_be_edited_or_deleted_in_the_admin(client, pharmacy_admin):
    from pharmacy_orders.models import AuditEntry

    entry = AuditEntry.objects.create(user=pharmacy_admin, action="prescription_view")
    client.force_login(pharmacy_admin)

    change = client.post(f"/admin/pharmacy_orders/auditentry/{entry.pk}/change/", {"action": "x"})
    delete = client.post(f"/admin/pharmacy_orders/auditentry/{entry.pk}/delete/", {"post": "yes"})

    assert change.status_code in (200, 403)
    assert delete.status_code == 403
    entry.refresh_from_db()
    assert entry.action == "prescription_view"


@pytest.mark.parametrize("url", ["/orders/", "/inventory/", "/admin/"])
def test_pages_for_logged_in_staff_are_never_cached(client, pharmacy_admin, url):
    client.force_login(pharmacy_admin)

    response = client.get(url)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_pharmacy_admin_cannot_make_anyone_a_superuser(client, pharmacy_admin, pta):
    client.force_login(pharmacy_admin)
    url = f"/admin/auth/user/{pta.pk}/change/"
    form = client.get(url).context["adminform"].form

    response = client.post(
        url,
        {
            "username": pta.username,
            "is_active": "on",
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [g.pk for g in pta.groups.all()],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    pta.refresh_from_db()
    assert "is_superuser" not in form.fields
    assert response.status_code == 302
    assert (pta.is_superuser, pta.is_staff) == (False, False)


def test_a_pharmacy_admin_cannot_change_a_superuser(client, pharmacy_admin, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="root-pass-123")
    client.force_login(pharmacy_admin)

    change = client.post(
        f"/admin/auth/user/{root.pk}/change/", {"username": "root", "is_active": ""}
    )
    password = client.post(
        f"/admin/auth/user/{root.pk}/password/",
        {"password1": "Taken0ver!x", "password2": "Taken0ver!x"},
    )

    assert (change.status_code, password.status_code) == (403, 403)
    root.refresh_from_db()
    assert root.is_active and root.check_password("root-pass-123")
