"""The gates' migration goes back and forth (0006 ⇄ 0005) without losing the orders."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("pharmacy_orders", "0005_inbox_moves_to_rxscale_and_sync_state")]
AFTER = [("pharmacy_orders", "0006_paper_original_and_pharmacist_release")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_the_gates_migration_is_reversible():
    apps = migrate(BEFORE)
    with pytest.raises(LookupError):
        apps.get_model("pharmacy_orders", "PharmacistRelease")
    apps.get_model("pharmacy_orders", "PharmacyOrder").objects.create(uid="po-m", status="init")

    apps = migrate(AFTER)

    order = apps.get_model("pharmacy_orders", "PharmacyOrder").objects.get(uid="po-m")
    assert (
        not apps.get_model("pharmacy_orders", "PaperOriginalReceipt")
        .objects.filter(order=order)
        .exists()
    )
    assert apps.get_model("pharmacy_orders", "PharmacistRelease").objects.count() == 0
