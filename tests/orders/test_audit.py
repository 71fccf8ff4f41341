"""The audit trail: admins read it (staff page and admin), nobody edits or deletes it."""

import pytest

from pharmacy_orders.models import AuditEntry


@pytest.fixture
def staff_admin(pharmacy_admin):
    return pharmacy_admin


def test_admins_read_the_trail_with_filters(admin_client_, pta_client, make_order):
    make_order(uid="po-a")
    make_order(uid="po-b")
    pta_client.post("/orders/po-a/claim")
    b"".join(pta_client.get("/orders/po-b/prescription").streaming_content)

    page = admin_client_.get("/orders/audit/").content.decode()
    assert "order_claim" in page and "prescription_view" in page

    filtered = admin_client_.get("/orders/audit/", {"order_uid": "po-b"}).content.decode()
    assert "prescription_view" in filtered
    assert "order_claim" not in filtered.split("<tbody>")[1]


def test_the_admin_shows_the_trail_read_only(client, staff_admin, pta, order):
    AuditEntry.objects.create(user=pta, action="order_claim", order_uid=order.uid)
    entry = AuditEntry.objects.get()
    client.force_login(staff_admin)

    assert client.get("/admin/pharmacy_orders/auditentry/").status_code == 200
    change_page = client.get(f"/admin/pharmacy_orders/auditentry/{entry.pk}/change/")
    assert change_page.status_code == 200
    assert b'type="submit"' not in change_page.content.split(b'id="content-main"')[1]
    assert client.get(f"/admin/pharmacy_orders/auditentry/{entry.pk}/delete/").status_code == 403
    assert client.get("/admin/pharmacy_orders/auditentry/add/").status_code == 403
    assert client.post(
        "/admin/pharmacy_orders/auditentry/",
        {"action": "delete_selected", "_selected_action": [entry.pk]},
    ).status_code in (200, 302)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_entries_cannot_be_changed_or_deleted_in_code(pta, db):
    entry = AuditEntry.objects.create(user=pta, action="order_claim", order_uid="x")

    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()
