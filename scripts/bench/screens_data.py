"""Bulk data for the screens scenario: orders, items, SKUs, shipping methods, audit entries and
ledger entries, written with `INSERT … SELECT … FROM generate_series` (PostgreSQL only), not
through webhooks: 100,000 orders take seconds, not an hour.

Every column the statements do not set gets the model field's default, so a field added later
does not break the builder. The shape is a pharmacy a year in: most orders completed, about
one in nine still needing work (spread over the five worklist statuses, recent and old), one
in twenty with a priority, a few deleted by RxScale, 1% without RxScale's creation time;
reserved amounts equal the open orders' items apart from 1% (mismatch), some SKUs oversold
or out of stock. `python -m scripts.bench.screens_data ORDERS SKUS` fills the database of
DATABASE_URL (migrated, empty) by hand.
"""

import sys
import time

from django.db import connection

# Every 1000 orders, by (i * 7919) % 1000: the share of each status.
STATUS_SHARES = [
    ("completed", 820),
    ("cancelled", 60),
    ("init", 5),
    ("waiting for pharmacy", 30),
    ("pending review", 20),
    ("in-progress", 40),
    ("on-hold", 10),
    ("ready_for_pickup", 15),
]
FIRST_NAMES = (
    "Anna Ben Clara David Emma Felix Greta Hans Ida Jonas Karla Lukas Mia Noah Olga "
    "Paul Rosa Sven Tina Uwe Vera Wim Zoe Lea Max Ella Tom Nina Jan Lina"
)
LAST_NAMES = (
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann "
    "Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann "
    "Hartmann Lange Schmitt Werner Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann "
    "König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert "
    "Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke"
)
ACTIONS = [
    "prescription_viewed", "status_changed", "order_claimed", "order_released",
    "note_added", "prescription_downloaded", "shipping_mapping_set", "stock_adjusted",
]  # fmt: skip
SHIPPING_METHODS = ["Standard", "Express", "Pickup", "Cold chain", "Same day", "Letter"]
SEARCH_SURNAME = "Schneider"  # what the bench searches for on the worklist


def _sql_array(words: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + w.replace("'", "''") + "'" for w in words) + "]"


def _insert(model, count: int, exprs: dict[str, str], params: dict | None = None) -> None:
    """INSERT `count` rows (g.i = 1..count); columns not in `exprs` get the field default."""
    columns, values, args = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or getattr(field, "generated", False):
            continue
        columns.append(f'"{field.column}"')
        if field.column in exprs:
            values.append(exprs[field.column].replace("%", "%%"))
        else:
            values.append("%s")
            args.append(field.get_db_prep_save(field.get_default(), connection))
    # Table and column names from the models, expressions from this module: no input.
    table, names = model._meta.db_table, ", ".join(columns)
    sql = f'INSERT INTO "{table}" ({names}) SELECT {", ".join(values)} '  # noqa: S608
    sql += f"FROM generate_series(1, {int(count)}) AS g(i)"
    with connection.cursor() as cursor:
        cursor.execute(sql, args)


def _scalar(sql: str):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def _status_case() -> str:
    cases, upper = [], 0
    for status, share in STATUS_SHARES:
        upper += share
        cases.append(f"WHEN (g.i * 7919) % 1000 < {upper} THEN '{status}'")
    return "CASE " + " ".join(cases) + " END"


def build(*, orders: int, skus: int, audit_per_order: int = 2, ledger_per_sku: int = 20) -> dict:
    """Fill an empty, migrated database; return the row counts and seconds taken."""
    from django.contrib.auth.models import Group, User

    from accounts.roles import PHARMACY_ADMIN
    from inventory.models import PharmacySku, Product, Sku, StockLedgerEntry
    from pharmacy_orders.models import (
        AuditEntry,
        OrderItem,
        OrderShopShippingMethod,
        Pharmacy,
        PharmacyOrder,
    )

    started = time.monotonic()
    admin = User.objects.create_user("bench-admin", password="bench-password")  # noqa: S106
    admin.groups.add(Group.objects.get(name=PHARMACY_ADMIN))
    staff = [User.objects.create_user(f"bench-staff-{n}") for n in range(8)]
    first_user = staff[0].pk
    pharmacy = Pharmacy.objects.create(uid="ph-bench", display_name="Bench pharmacy")
    products = max(1, skus // 2)
    _insert(Product, products, {"uid": "'pr-' || g.i", "display_name": "'Product ' || g.i"})
    first_product = _scalar('SELECT min(id) FROM "inventory_product"')
    _insert(
        Sku,
        skus,
        {
            "uid": "'sku-' || g.i",
            "product_id": f"{first_product} + (g.i - 1) % {products}",
            "display_name": "'Tablets ' || g.i || ' mg'",
            "pzn": "lpad((10000000 + g.i * 37)::text, 8, '0')",
        },
    )
    first_sku = _scalar('SELECT min(id) FROM "inventory_sku"')
    _insert(
        PharmacySku,
        skus,
        {
            "uid": "'psku-' || g.i",
            "pharmacy_uid": "'ph-bench'",
            "sku_id": f"{first_sku} + g.i - 1",
            "external_id": "'EXT-' || g.i",
            "price": "100 + (g.i * 13) % 5000",
            "low_stock_threshold": "CASE WHEN g.i % 10 = 0 THEN 20 END",
            "rx_created_at": "now() - interval '400 days'",
            "updated_at": "now() - (g.i || ' minutes')::interval",
        },
    )
    first_psku = _scalar('SELECT min(id) FROM "inventory_pharmacysku"')
    surnames, first_names = LAST_NAMES.split(), FIRST_NAMES.split()
    _insert(
        PharmacyOrder,
        orders,
        {
            "uid": "'po-' || lpad(g.i::text, 7, '0')",
            "status": _status_case(),
            "name": "'#' || (100000 + g.i)",
            "rx_created_at": f"CASE WHEN g.i % 100 = 0 THEN NULL ELSE now() - "
            f"(({orders} - g.i) * 5 || ' minutes')::interval END",
            "rx_updated_at": f"now() - (({orders} - g.i) * 5 - 1 || ' minutes')::interval",
            "rx_deleted_at": "CASE WHEN g.i % 200 = 0 THEN now() END",
            "pharmacy_id": str(pharmacy.pk),
            "priority": "CASE WHEN g.i % 20 = 0 THEN 1 + g.i % 3 ELSE 0 END",
            "prepaid": "g.i % 7 = 0",
            "patient_uid": "'pat-' || (g.i * 31) % 40000",
            "patient_name": f"({_sql_array(first_names)})[1 + g.i % {len(first_names)}] || ' ' "
            f"|| ({_sql_array(surnames)})[1 + (g.i * 31) % {len(surnames)}]",
            "shop_order_name": "'SO-' || (500000 + g.i)",
            "shop_order_external_id": "'ext-' || left(md5(g.i::text), 10)",
            "shipping_identifier": "CASE WHEN g.i % 50 = 0 THEN '' ELSE 'DHL_STANDARD' END",
            "shipping_unmapped": "g.i % 50 = 0",
            "first_received_at": f"now() - (({orders} - g.i) * 5 || ' minutes')::interval",
            "updated_at": "now()",
        },
    )
    first_order = _scalar('SELECT min(id) FROM "pharmacy_orders_pharmacyorder"')
    psku_of_item = f"(abs(hashtext(g.i::text)) % {skus})"
    _insert(
        OrderItem,
        orders * 3,
        {
            "order_id": f"{first_order} + (g.i - 1) / 3",
            "uid": "'it-' || g.i",
            "amount": "1 + g.i % 3",
            "total_paid_amount": "500 + g.i % 4000",
            "sku_id": f"{first_sku} + {psku_of_item}",
            "pharmacy_sku_id": f"{first_psku} + {psku_of_item}",
            "pharmacy_sku_price": "1000",
            "pharmacy_sku_stock": "10",
        },
    )
    _insert(
        OrderShopShippingMethod,
        orders,
        {
            "order_id": f"{first_order} + g.i - 1",
            "uid": f"'ssm-' || g.i % {len(SHIPPING_METHODS)}",
            "display_name": f"({_sql_array(SHIPPING_METHODS)})[1 + g.i % {len(SHIPPING_METHODS)}]",
            "external_id": f"'ship-' || g.i % {len(SHIPPING_METHODS)}",
        },
    )
    _insert(
        AuditEntry,
        orders * audit_per_order,
        {
            "user_id": f"{first_user} + g.i % {len(staff)}",
            "action": f"({_sql_array(ACTIONS)})[1 + (g.i * 7) % {len(ACTIONS)}]",
            "order_uid": f"'po-' || lpad((1 + g.i % {orders})::text, 7, '0')",
            "details": """'{"via": "bench"}'::jsonb""",
            "created_at": f"now() - (({orders * audit_per_order} - g.i) * 150 "
            "|| ' seconds')::interval",
        },
    )
    _insert(
        StockLedgerEntry,
        skus * ledger_per_sku,
        {
            "pharmacy_sku_id": f"{first_psku} + (g.i - 1) % {skus}",
            "cause": "'stock_webhook'",
            "changes": """jsonb_build_object('stock', jsonb_build_object('old', g.i % 50,
                'new', g.i % 50 + 1))""",
            "effective_at": "now() - (g.i || ' minutes')::interval",
            "recorded_at": "now() - (g.i || ' minutes')::interval",
        },
    )
    _reserve_from_open_items()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"orders": orders, "items": orders * 3, "skus": skus,
            "seconds": round(time.monotonic() - started, 1)}  # fmt: skip


def _reserve_from_open_items() -> None:
    """Reserved = the open orders' items (1% off: mismatch); stock around it: some SKUs
    oversold (2%), some out of stock (3%), the rest with 0–150 available."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH open_amount AS (
                SELECT i.pharmacy_sku_id AS id, SUM(i.amount) AS total
                FROM pharmacy_orders_orderitem i
                JOIN pharmacy_orders_pharmacyorder o ON o.id = i.order_id
                WHERE o.status NOT IN ('completed', 'cancelled') AND o.rx_deleted_at IS NULL
                GROUP BY i.pharmacy_sku_id
            )
            UPDATE inventory_pharmacysku p
            SET reserved_amount = COALESCE(a.total, 0) + CASE WHEN p.id % 100 = 0 THEN 2 ELSE 0 END,
                stock = GREATEST(0, COALESCE(a.total, 0) + CASE
                    WHEN p.id % 50 = 0 THEN -3
                    WHEN p.id % 33 = 0 THEN -COALESCE(a.total, 0)
                    ELSE (p.id * 17) % 150 END)
            FROM inventory_pharmacysku q LEFT JOIN open_amount a ON a.id = q.id
            WHERE q.id = p.id
            """
        )


if __name__ == "__main__":
    import django

    django.setup()
    print(build(orders=int(sys.argv[1]), skus=int(sys.argv[2])))
