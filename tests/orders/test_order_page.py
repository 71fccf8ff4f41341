"""/orders/<uid>/: everything staff need to work the order."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from inventory.models import PharmacySku
from pharmacy_orders.models import PharmacyOrder, ShippingMethodMapping

UNMAPPED = [
    {"uid": "ssm-x", "display_name": "Courier X", "external_id": "x-ext", "pharmacy_mapping": None}
]


def page_of(client, order) -> str:
    response = client.get(f"/orders/{order.uid}/")
    assert response.status_code == 200
    return response.content.decode()


def test_shows_addresses_items_shipping_patient_and_doctor(pta_client, order):
    PharmacySku.objects.filter(uid="psku-456").update(stock=50, reserved_amount=7)

    page = page_of(pta_client, order)

    for text in [
        "Order #1001",
        "Waiting for pharmacy",
        # delivery and invoice address
        "Hauptstr. 1",
        "10115 Berlin",
        "Delivery address",
        "Invoice address",
        # item: PZN, product, amount, unit, paid, stock and available
        "12345678",
        "Medication X 100mg",
        "<td>ml</td>",
        "12.99 EUR",
        '<td class="num">50</td>',
        ">43</span>",
        # shipping costs, priority, delivery type, shipping method and identifier
        "4.99 EUR",
        "Priority <strong",
        "Standard Shipping",
        "DHL Standard",
        "DHL_STANDARD",
        # patient and doctor
        "Max Mustermann",
        "15.06.1990",
        "max@example.com",
        "+49 170 1234567",
        "Dr. Schmidt",
    ]:
        assert text in page, text


def test_patient_data_is_not_cached(pta_client, order):
    response = pta_client.get(f"/orders/{order.uid}/")

    assert response["Cache-Control"] == "no-store"


def test_unknown_order_is_404(pta_client, db):
    assert pta_client.get("/orders/po-nope/").status_code == 404


def test_unmapped_shipping_links_an_admin_to_create_the_mapping(
    pta_client, admin_client_, make_order
):
    order = make_order(shipping=UNMAPPED)

    admin_page = page_of(admin_client_, order)
    pta_page = page_of(pta_client, order)

    assert 'href="/orders/shipping-methods/ssm-x/"' in admin_page
    assert "Map “Courier X”" in admin_page
    assert "/orders/shipping-methods/ssm-x/" not in pta_page
    assert "Ask a pharmacy admin to map" in pta_page
    assert "The shop shipping method is not mapped to a carrier." in pta_page


def test_oversold_and_out_of_stock_items_are_flagged(pta_client, order):
    PharmacySku.objects.filter(uid="psku-456").update(stock=2, reserved_amount=5)

    assert "Oversold: Medication X 100mg (available -3)." in page_of(pta_client, order)


def test_user_data_is_escaped_everywhere(pta_client, make_order):
    order = make_order(patient_name="<script>alert(1)</script>")
    PharmacyOrder.objects.filter(pk=order.pk).update(
        doctor_name="<img src=x onerror=alert(2)>",
        delivery_address={"first_name": "<b>Bold</b>", "city": "<i>x</i>"},
        hold_reason="<script>",
    )

    page = page_of(pta_client, order)

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<b>Bold</b>" not in page and "&lt;b&gt;Bold&lt;/b&gt;" in page


def test_a_viewer_without_work_permission_sees_no_action_forms(make_order, db):
    order = make_order()
    reader = get_user_model().objects.create_user("reader", password="x")
    reader.user_permissions.add(Permission.objects.get(codename="view_pharmacyorder"))
    client = Client()
    client.force_login(reader)

    page = page_of(client, order)

    assert "You can read this order but not work on it." in page
    assert "/transition" not in page
    assert "/claim" not in page


def test_mapping_takes_effect_on_the_order(admin_client_, make_order):
    order = make_order(shipping=UNMAPPED)
    assert PharmacyOrder.objects.get(pk=order.pk).shipping_unmapped

    admin_client_.post(
        "/orders/shipping-methods/ssm-x/",
        {"display_name": "Courier X", "carrier_identifier": "COURIER_X"},
    )

    order.refresh_from_db()
    assert order.shipping_identifier == "COURIER_X"
    assert not order.shipping_unmapped
    assert ShippingMethodMapping.objects.get().carrier_identifier == "COURIER_X"
    assert "COURIER_X" in page_of(admin_client_, order)
