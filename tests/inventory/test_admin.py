"""The admin never edits or deletes ledger entries; the threshold edit there is ledgered."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from inventory.models import PharmacySku, StockLedgerEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-root")


@pytest.fixture
def entry(deliver, stock_event):
    deliver(stock_event(stock=45, reserved=7))
    return StockLedgerEntry.objects.get()


def test_ledger_entry_is_viewable_but_not_editable(client, superuser, entry):
    client.force_login(superuser)
    url = reverse("admin:inventory_stockledgerentry_change", args=[entry.pk])

    page = client.get(url)
    response = client.post(url, {"reason": "tampered", "cause": "staff_adjustment"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.reason == "First seen"


def test_ledger_entry_cannot_be_deleted_or_added_in_the_admin(client, superuser, entry):
    client.force_login(superuser)

    delete = client.post(
        reverse("admin:inventory_stockledgerentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    bulk = client.post(
        reverse("admin:inventory_stockledgerentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    add = client.get(reverse("admin:inventory_stockledgerentry_add"))

    assert delete.status_code == 403
    assert add.status_code == 403
    assert bulk.status_code in (200, 302)  # no such action: nothing happens
    assert StockLedgerEntry.objects.filter(pk=entry.pk).exists()


def test_model_refuses_update_and_delete(entry):
    entry.reason = "changed"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_threshold_edited_in_the_admin_is_ledgered(client, superuser, entry):
    client.force_login(superuser)
    sku = PharmacySku.objects.get()

    response = client.post(
        reverse("admin:inventory_pharmacysku_change", args=[sku.pk]), {"low_stock_threshold": "8"}
    )

    assert response.status_code == 302
    sku.refresh_from_db()
    assert (sku.low_stock_threshold, sku.stock) == (8, 45)
    last = StockLedgerEntry.objects.order_by("-id").first()
    assert (last.cause, last.user) == ("threshold_change", superuser)


def test_pharmacy_sku_admin_links_to_the_inventory_page(client, superuser, entry):
    client.force_login(superuser)
    sku = PharmacySku.objects.get()

    html = client.get(reverse("admin:inventory_pharmacysku_change", args=[sku.pk])).content

    assert b"View on site" in html
    assert sku.get_absolute_url() == "/inventory/psku-a/"
