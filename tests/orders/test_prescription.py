"""/orders/<uid>/prescription: login, permission, audit, safe headers, earlier versions."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from pharmacy_orders.models import AuditEntry, OrderPrescription, PharmacyOrder
from rxscale.inbox.samples import sample_pdf

FIRST_PDF = sample_pdf(600)
SECOND_PDF = sample_pdf(900)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def order_with_two_versions(make_order, update_order):
    make_order(pdf=FIRST_PDF, filename="first.pdf")
    return update_order(pdf=SECOND_PDF, filename="second.pdf")


def test_inline_pdf_with_safe_headers(pta_client, order_with_two_versions):
    order = order_with_two_versions

    response = pta_client.get(f"/orders/{order.uid}/prescription")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"] == 'inline; filename="second.pdf"'
    assert body(response) == SECOND_PDF


def test_download_is_an_attachment(pta_client, order_with_two_versions):
    order = order_with_two_versions

    response = pta_client.get(f"/orders/{order.uid}/prescription?download=1")

    assert response["Content-Disposition"] == 'attachment; filename="second.pdf"'
    assert response["Cache-Control"] == "no-store"


def test_the_filename_is_sanitised(pta_client, make_order):
    order = make_order(filename='../../etc/<script>"x".pdf')

    response = pta_client.get(f"/orders/{order.uid}/prescription?download=1")

    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "/" not in disposition and "<" not in disposition and '"x"' not in disposition


def test_every_view_is_audited(pta_client, pta, order_with_two_versions):
    order = order_with_two_versions

    body(pta_client.get(f"/orders/{order.uid}/prescription"))
    body(pta_client.get(f"/orders/{order.uid}/prescription?download=1"))

    entries = AuditEntry.objects.filter(order_uid=order.uid).order_by("id")
    assert [e.action for e in entries] == ["prescription_view", "prescription_download"]
    assert all(e.user == pta for e in entries)
    assert entries[0].details["sha256"] == order.current_prescription.sha256
    assert entries[0].details["current"] is True


def test_earlier_versions_are_listed_and_viewable_and_audited(pta_client, order_with_two_versions):
    order = order_with_two_versions
    earlier = OrderPrescription.objects.get(order=order, filename="first.pdf")

    page = pta_client.get(f"/orders/{order.uid}/").content.decode()
    assert "Earlier versions" in page
    assert f"?version={earlier.pk}" in page

    response = pta_client.get(f"/orders/{order.uid}/prescription?version={earlier.pk}")

    assert response.status_code == 200
    assert body(response) == FIRST_PDF
    assert response["Content-Disposition"] == 'inline; filename="first.pdf"'
    entry = AuditEntry.objects.get(action="prescription_view")
    assert entry.details["version_id"] == earlier.pk
    assert entry.details["current"] is False


def test_order_page_embeds_the_viewer_and_download_link(pta_client, order):
    page = pta_client.get(f"/orders/{order.uid}/").content.decode()

    assert f'<iframe src="/orders/{order.uid}/prescription"' in page
    assert f'href="/orders/{order.uid}/prescription?download=1"' in page


def test_a_version_of_another_order_is_not_served(pta_client, make_order):
    make_order(uid="po-a", pdf=FIRST_PDF)
    other = make_order(uid="po-b", pdf=SECOND_PDF)
    foreign = OrderPrescription.objects.get(order=other)

    response = pta_client.get(f"/orders/po-a/prescription?version={foreign.pk}")

    assert response.status_code == 404
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("version", ["abc", "-1", "999999"])
def test_bad_versions_are_404(pta_client, order, version):
    assert pta_client.get(f"/orders/{order.uid}/prescription?version={version}").status_code == 404


def test_an_order_without_prescription_is_404(pta_client, order):
    PharmacyOrder.objects.filter(pk=order.pk).update(current_prescription=None)
    OrderPrescription.objects.filter(order=order).delete()

    assert pta_client.get(f"/orders/{order.uid}/prescription").status_code == 404
    assert (
        "No prescription PDF has been received"
        in pta_client.get(f"/orders/{order.uid}/").content.decode()
    )


def test_anonymous_is_sent_to_login(order):
    response = Client().get(f"/orders/{order.uid}/prescription")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not AuditEntry.objects.exists()


def test_staff_without_the_pdf_permission_get_403_and_no_viewer(pta, pta_client, order):
    pdf_permission = Permission.objects.get(codename="view_prescription_pdf")
    pta.groups.first().permissions.remove(pdf_permission)

    response = pta_client.get(f"/orders/{order.uid}/prescription")

    assert response.status_code == 403
    assert b"%PDF" not in response.content
    assert not AuditEntry.objects.exists()
    page = pta_client.get(f"/orders/{order.uid}/").content.decode()
    assert "not allowed to view prescriptions" in page
    assert "<iframe" not in page
