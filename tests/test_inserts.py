"""insert_missing: INSERT … ON CONFLICT DO NOTHING … RETURNING on both databases. It leans on a
private Django method, so what it promises is pinned here."""

import pytest
from django.db import connection
from django.db.models import Subquery
from django.test.utils import CaptureQueriesContext

from common.inserts import insert_missing
from inventory.models import Product
from pharmacy_orders.models import Pharmacy, PharmacyOrder

pytestmark = pytest.mark.django_db


def test_it_inserts_the_missing_rows_in_one_statement_and_returns_only_those():
    # given one stored product
    stored = Product.objects.create(uid="prod-b", display_name="Stored")

    # when three are inserted, one of them that one
    with CaptureQueriesContext(connection) as queries:
        inserted = insert_missing(
            [Product(uid=uid, display_name="New") for uid in ("prod-a", "prod-b", "prod-c")]
        )

    # then one statement stored the other two and returned them with their ids
    assert len(queries) == 1
    assert [row.uid for row in inserted] == ["prod-a", "prod-c"]
    assert all(not row._state.adding for row in inserted)
    assert {row.uid: row.pk for row in inserted} == dict(
        Product.objects.exclude(pk=stored.pk).values_list("uid", "pk")
    )
    # and the stored row was not touched
    stored.refresh_from_db()
    assert stored.display_name == "Stored"


def test_a_single_row_that_is_stored_already_returns_nothing():
    Product.objects.create(uid="prod-a", display_name="Stored")
    product = Product(uid="prod-a", display_name="New")

    assert insert_missing([product]) == []
    assert product.pk is None
    assert Product.objects.get().display_name == "Stored"


def test_returning_reads_back_what_a_subquery_found():
    # given a pharmacy, and a new order whose pharmacy is looked up by the INSERT itself
    pharmacy = Pharmacy.objects.create(uid="ph-1", display_name="One")
    found = PharmacyOrder(
        uid="po-1",
        status="init",
        pharmacy_id=Subquery(Pharmacy.objects.filter(uid="ph-1").values("pk")),
    )
    missing = PharmacyOrder(
        uid="po-2",
        status="init",
        pharmacy_id=Subquery(Pharmacy.objects.filter(uid="ph-none").values("pk")),
    )

    # when both are inserted
    inserted = insert_missing([found, missing], returning=("pharmacy",))

    # then each holds what its subquery found, as stored, with auto_now values set
    assert inserted == [found, missing]
    assert (found.pharmacy_id, missing.pharmacy_id) == (pharmacy.pk, None)
    assert dict(PharmacyOrder.objects.values_list("uid", "pharmacy_id")) == {
        "po-1": pharmacy.pk,
        "po-2": None,
    }
    assert found.first_received_at is not None
    assert PharmacyOrder.objects.get(uid="po-1").first_received_at == found.first_received_at
