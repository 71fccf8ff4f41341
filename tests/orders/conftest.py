"""Orders as RxScale delivers them (signed webhooks through HTTP), and clients per role."""

import itertools

import pytest
from django.test import Client

from pharmacy_orders.models import PharmacyOrder
from pharmacy_orders.services.gates import ReleaseChecklist
from pharmacy_orders.services.paper_originals import order_paper_original_record

_updated_at = itertools.count(1_800_000_000, 10)

# The release checklist, all confirmed: as the order page's form posts it, and for the service.
CHECKLIST_FORM = {
    "prescription_checked": "on",
    "doctor_and_signature_checked": "on",
    "dose_and_interactions_plausible": "on",
}
FULL_CHECKLIST = ReleaseChecklist(
    prescription_checked=True,
    doctor_and_signature_checked=True,
    dose_and_interactions_plausible=True,
)


@pytest.fixture
def make_order(deliver, payload):
    """Deliver a pharmacy_order_created webhook and return the stored order.

    Keyword arguments change the sample: status, priority, patient_name, name, prepaid,
    shop_order_name, created_at, shipping (list of shop shipping methods), stock, pdf.
    """

    def _make(uid="po-1", status="waiting for pharmacy", **changes):
        body = payload(
            "pharmacy_order_created",
            uid=uid,
            status=status,
            updated_at=next(_updated_at),
            pdf=changes.pop("pdf", None),
        )
        data = body["data"]
        if "priority" in changes:
            data["order"]["priority"] = changes.pop("priority")
        if "patient_name" in changes:
            data["patient_data"]["display_name"] = changes.pop("patient_name")
        if "prepaid" in changes:
            data["prepaid"] = changes.pop("prepaid")
        if "shipping" in changes:
            data["shop_shipping_methods"] = changes.pop("shipping")
        if "stock" in changes:
            data["order_items"][0]["pharmacy_sku"]["stock"] = changes.pop("stock")
        if "filename" in changes:
            data["prescription_file"]["filename"] = changes.pop("filename")
        for key in ("name", "created_at"):
            if key in changes:
                data[key] = changes.pop(key)
        assert not changes, f"unknown changes {changes}"
        response = deliver(body)
        assert response.status_code == 200, response.content
        return PharmacyOrder.objects.get(uid=uid)

    return _make


@pytest.fixture
def update_order(deliver, payload):
    """Deliver a pharmacy_order_updated webhook for an existing order."""

    def _update(
        uid="po-1", status="waiting for pharmacy", pdf=None, filename=None, amount=None, **data
    ):
        """`amount`: the first item's; `data`: top-level fields of the order (e.g. prepaid)."""
        body = payload(
            "pharmacy_order_updated", uid=uid, status=status, updated_at=next(_updated_at), pdf=pdf
        )
        if filename:
            body["data"]["prescription_file"]["filename"] = filename
        if amount is not None:
            body["data"]["order_items"][0]["amount"] = amount
        body["data"].update(data)
        response = deliver(body)
        assert response.status_code == 200, response.content
        return PharmacyOrder.objects.get(uid=uid)

    return _update


@pytest.fixture
def record_original(pta):
    """Record that the paper original of `order` arrived (by the PTA unless `user`)."""

    def _record(order, user=None, **kwargs):
        return order_paper_original_record(order_uid=order.uid, user=user or pta, **kwargs)

    return _record


@pytest.fixture
def order(make_order):
    return make_order()


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pta_client(pta):
    return _client_for(pta)


@pytest.fixture
def pharmacist_client(pharmacist):
    return _client_for(pharmacist)


@pytest.fixture
def second_pharmacist_client(second_pharmacist):
    return _client_for(second_pharmacist)


@pytest.fixture
def admin_client_(pharmacy_admin):
    return _client_for(pharmacy_admin)


@pytest.fixture
def no_role_client(no_role_user):
    return _client_for(no_role_user)
