"""Counters kept by triggers (PostgreSQL), the open-amount view (both databases) and trigram
indexes for the worklist search (PostgreSQL). See pharmacy_orders/counters.py. Reversible."""

from django.db import migrations

from common.migration_ops import PostgresOnlySQL, VendorSQL

# Reserving stock: not completed, not cancelled, not deleted at RxScale (inventory/selectors.py).
OPEN = "{t}.status NOT IN ('completed', 'cancelled') AND {t}.rx_deleted_at IS NULL"

FUNCTIONS = f"""
CREATE FUNCTION pharmacy_counters_compact() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- One compaction at a time; the others skip (their deltas are folded next time).
    IF NOT pg_try_advisory_xact_lock(740290001) THEN RETURN; END IF;
    WITH gone AS (DELETE FROM pharmacy_orders_ordercountdelta RETURNING status, deleted, n)
    INSERT INTO pharmacy_orders_ordercountdelta (status, deleted, n)
    SELECT status, deleted, SUM(n) FROM gone GROUP BY status, deleted HAVING SUM(n) <> 0;
    WITH gone AS (DELETE FROM pharmacy_orders_openamountdelta RETURNING pharmacy_sku_id, amount)
    INSERT INTO pharmacy_orders_openamountdelta (pharmacy_sku_id, amount)
    SELECT pharmacy_sku_id, SUM(amount) FROM gone GROUP BY pharmacy_sku_id
    HAVING SUM(amount) <> 0;
END $$;

CREATE FUNCTION pharmacy_orders_order_counters() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_open boolean := false;
    now_open boolean := false;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO pharmacy_orders_ordercountdelta (status, deleted, n)
        VALUES (OLD.status, OLD.rx_deleted_at IS NOT NULL, -1);
        was_open := {OPEN.format(t="OLD")};
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO pharmacy_orders_ordercountdelta (status, deleted, n)
        VALUES (NEW.status, NEW.rx_deleted_at IS NOT NULL, 1);
        now_open := {OPEN.format(t="NEW")};
    END IF;
    IF TG_OP = 'UPDATE' AND was_open <> now_open THEN
        INSERT INTO pharmacy_orders_openamountdelta (pharmacy_sku_id, amount)
        SELECT pharmacy_sku_id, CASE WHEN now_open THEN SUM(amount) ELSE -SUM(amount) END
        FROM pharmacy_orders_orderitem
        WHERE order_id = NEW.id AND pharmacy_sku_id IS NOT NULL
        GROUP BY pharmacy_sku_id;
    END IF;
    IF random() < 0.0005 THEN PERFORM pharmacy_counters_compact(); END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION pharmacy_orders_item_counters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.pharmacy_sku_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM pharmacy_orders_pharmacyorder o WHERE o.id = OLD.order_id AND {OPEN.format(t="o")}
    ) THEN
        INSERT INTO pharmacy_orders_openamountdelta (pharmacy_sku_id, amount)
        VALUES (OLD.pharmacy_sku_id, -OLD.amount);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.pharmacy_sku_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM pharmacy_orders_pharmacyorder o WHERE o.id = NEW.order_id AND {OPEN.format(t="o")}
    ) THEN
        INSERT INTO pharmacy_orders_openamountdelta (pharmacy_sku_id, amount)
        VALUES (NEW.pharmacy_sku_id, NEW.amount);
    END IF;
    IF random() < 0.0005 THEN PERFORM pharmacy_counters_compact(); END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER order_counters AFTER INSERT OR DELETE ON pharmacy_orders_pharmacyorder
FOR EACH ROW EXECUTE FUNCTION pharmacy_orders_order_counters();
CREATE TRIGGER order_counters_update AFTER UPDATE OF status, rx_deleted_at
ON pharmacy_orders_pharmacyorder FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status
      OR (OLD.rx_deleted_at IS NULL) <> (NEW.rx_deleted_at IS NULL))
EXECUTE FUNCTION pharmacy_orders_order_counters();
CREATE TRIGGER item_counters AFTER INSERT OR DELETE ON pharmacy_orders_orderitem
FOR EACH ROW EXECUTE FUNCTION pharmacy_orders_item_counters();
CREATE TRIGGER item_counters_update AFTER UPDATE OF order_id, amount, pharmacy_sku_id
ON pharmacy_orders_orderitem FOR EACH ROW
WHEN (OLD.order_id <> NEW.order_id OR OLD.amount <> NEW.amount
      OR OLD.pharmacy_sku_id IS DISTINCT FROM NEW.pharmacy_sku_id)
EXECUTE FUNCTION pharmacy_orders_item_counters();

-- What is there already (the triggers' locks keep writers out until this commits).
INSERT INTO pharmacy_orders_ordercountdelta (status, deleted, n)
SELECT status, rx_deleted_at IS NOT NULL, COUNT(*) FROM pharmacy_orders_pharmacyorder
GROUP BY 1, 2;
INSERT INTO pharmacy_orders_openamountdelta (pharmacy_sku_id, amount)
SELECT i.pharmacy_sku_id, SUM(i.amount) FROM pharmacy_orders_orderitem i
JOIN pharmacy_orders_pharmacyorder o ON o.id = i.order_id
WHERE i.pharmacy_sku_id IS NOT NULL AND {OPEN.format(t="o")} GROUP BY 1;
"""

DROP_FUNCTIONS = """
DROP TRIGGER item_counters_update ON pharmacy_orders_orderitem;
DROP TRIGGER item_counters ON pharmacy_orders_orderitem;
DROP TRIGGER order_counters_update ON pharmacy_orders_pharmacyorder;
DROP TRIGGER order_counters ON pharmacy_orders_pharmacyorder;
DROP FUNCTION pharmacy_orders_item_counters();
DROP FUNCTION pharmacy_orders_order_counters();
DROP FUNCTION pharmacy_counters_compact();
DELETE FROM pharmacy_orders_openamountdelta;
DELETE FROM pharmacy_orders_ordercountdelta;
"""

OPEN_AMOUNT_VIEW = {
    "postgresql": """
        CREATE VIEW inventory_openorderamount AS
        SELECT pharmacy_sku_id, SUM(amount)::bigint AS amount
        FROM pharmacy_orders_openamountdelta GROUP BY pharmacy_sku_id HAVING SUM(amount) <> 0
    """,
    "sqlite": f"""
        CREATE VIEW inventory_openorderamount AS
        SELECT i.pharmacy_sku_id AS pharmacy_sku_id, SUM(i.amount) AS amount
        FROM pharmacy_orders_orderitem i
        JOIN pharmacy_orders_pharmacyorder o ON o.id = i.order_id
        WHERE i.pharmacy_sku_id IS NOT NULL AND {OPEN.format(t="o")}
        GROUP BY i.pharmacy_sku_id
    """,
}
DROP_VIEW = {vendor: "DROP VIEW inventory_openorderamount" for vendor in OPEN_AMOUNT_VIEW}

# The worklist search (icontains: UPPER(column) LIKE UPPER('%…%')) on trigram indexes.
SEARCHED = ["name", "shop_order_name", "shop_order_external_id", "patient_name", "uid"]
TRIGRAM_INDEXES = "\n".join(
    f"CREATE INDEX order_{column}_trgm ON pharmacy_orders_pharmacyorder "
    f"USING gin (UPPER({column}) gin_trgm_ops);"
    for column in SEARCHED
)
DROP_TRIGRAM_INDEXES = "\n".join(f"DROP INDEX order_{column}_trgm;" for column in SEARCHED)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0007_screens_at_scale"),
        ("pharmacy_orders", "0007_screens_at_scale"),
    ]

    operations = [
        PostgresOnlySQL(FUNCTIONS, DROP_FUNCTIONS),
        VendorSQL(OPEN_AMOUNT_VIEW, DROP_VIEW),
        # Left installed on the way back: other schemas may use it.
        PostgresOnlySQL("CREATE EXTENSION IF NOT EXISTS pg_trgm", migrations.RunSQL.noop),
        PostgresOnlySQL(TRIGRAM_INDEXES, DROP_TRIGRAM_INDEXES),
    ]
