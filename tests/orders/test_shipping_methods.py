"""Shipping-method mappings: the staff page and the admin list of methods seen in orders."""

from pharmacy_orders.models import AuditEntry, PharmacyOrder, ShippingMethodMapping

COURIER = [{"uid": "ssm-x", "display_name": "Courier X", "pharmacy_mapping": None}]
PICKUP = [{"uid": "ssm-p", "display_name": "Abholung", "pharmacy_mapping": None}]


def test_every_method_seen_with_identifier_and_counts_unmapped_first(pta_client, make_order):
    make_order(uid="a")  # DHL Standard, mapped by RxScale
    make_order(uid="b")
    make_order(uid="c", shipping=COURIER)
    make_order(uid="d", shipping=PICKUP, status="completed")

    page = pta_client.get("/orders/shipping-methods/").content.decode()

    courier, pickup, dhl = (page.index(n) for n in ("Courier X", "Abholung", "DHL Standard"))
    assert max(courier, pickup) < dhl
    assert "DHL_STANDARD" in page
    assert page.count("Unmapped</span>") == 2
    assert 'href="/orders/?status=all&amp;shipping=ssm-001">2</a>' in page
    # PTAs see the list but cannot change mappings.
    assert "Create mapping" not in page


def test_admin_creates_edits_and_deletes_a_mapping(admin_client_, pharmacy_admin, make_order):
    order = make_order(shipping=COURIER)
    page = admin_client_.get("/orders/shipping-methods/").content.decode()
    assert 'href="/orders/shipping-methods/ssm-x/"' in page
    form = admin_client_.get("/orders/shipping-methods/ssm-x/").content.decode()
    assert 'value="Courier X"' in form  # prefilled from the orders

    response = admin_client_.post(
        "/orders/shipping-methods/ssm-x/",
        {"display_name": "Courier X", "carrier_identifier": "CX_1"},
    )
    assert response.status_code == 302
    assert PharmacyOrder.objects.get(pk=order.pk).shipping_identifier == "CX_1"

    admin_client_.post(
        "/orders/shipping-methods/ssm-x/",
        {"display_name": "Courier X", "carrier_identifier": "CX_2"},
    )
    assert ShippingMethodMapping.objects.get().carrier_identifier == "CX_2"
    assert PharmacyOrder.objects.get(pk=order.pk).shipping_identifier == "CX_2"

    response = admin_client_.post("/orders/shipping-methods/ssm-x/delete")
    assert response.status_code == 302
    assert not ShippingMethodMapping.objects.exists()
    assert PharmacyOrder.objects.get(pk=order.pk).shipping_unmapped

    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["shipping_mapping_save", "shipping_mapping_save", "shipping_mapping_delete"]
    assert AuditEntry.objects.first().user == pharmacy_admin


def test_carrier_identifier_is_required(admin_client_, make_order):
    make_order(shipping=COURIER)

    response = admin_client_.post(
        "/orders/shipping-methods/ssm-x/", {"display_name": "X", "carrier_identifier": ""}
    )

    assert response.status_code == 400
    assert not ShippingMethodMapping.objects.exists()


def test_a_method_never_seen_is_404(admin_client_, db):
    assert admin_client_.get("/orders/shipping-methods/ssm-unknown/").status_code == 404


def test_admin_changelist_lists_methods_seen_unmapped_first(
    admin_client_, pharmacy_admin, make_order
):
    pharmacy_admin.is_staff = True
    pharmacy_admin.save()
    make_order(uid="a")
    make_order(uid="c", shipping=COURIER)

    page = admin_client_.get("/admin/pharmacy_orders/shippingmethodmapping/").content.decode()

    assert "Shop shipping methods seen in orders (unmapped first)" in page
    assert page.index("Courier X") < page.index("DHL Standard")
    assert (
        "/admin/pharmacy_orders/shippingmethodmapping/add/?shop_shipping_method_uid=ssm-x" in page
    )


def test_admin_mapping_add_form_is_prefilled(admin_client_, pharmacy_admin, make_order):
    pharmacy_admin.is_staff = True
    pharmacy_admin.save()

    page = admin_client_.get(
        "/admin/pharmacy_orders/shippingmethodmapping/add/?shop_shipping_method_uid=ssm-x"
    ).content.decode()

    assert 'value="ssm-x"' in page


def test_admin_add_and_delete_apply_to_orders_and_are_audited(
    admin_client_, pharmacy_admin, make_order
):
    pharmacy_admin.is_staff = True
    pharmacy_admin.save()
    order = make_order(shipping=COURIER)

    response = admin_client_.post(
        "/admin/pharmacy_orders/shippingmethodmapping/add/",
        {"shop_shipping_method_uid": "ssm-x", "display_name": "X", "carrier_identifier": "CX_9"},
    )
    assert response.status_code == 302
    assert PharmacyOrder.objects.get(pk=order.pk).shipping_identifier == "CX_9"

    mapping = ShippingMethodMapping.objects.get()
    admin_client_.post(
        f"/admin/pharmacy_orders/shippingmethodmapping/{mapping.pk}/delete/", {"post": "yes"}
    )
    assert PharmacyOrder.objects.get(pk=order.pk).shipping_unmapped
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "shipping_mapping_save",
        "shipping_mapping_delete",
    ]
