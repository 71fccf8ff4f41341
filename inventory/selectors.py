"""Read queries for the inventory screens, the CSV export and the order worklist.

Every figure a screen shows is computed in the database in the same query as the rows
(annotations and correlated subqueries), so the query count does not grow with the page size.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from inventory.models import PharmacySku, StockLedgerEntry
from pharmacy_orders.models import OrderItem, OrderStatus

# RxScale counts an order as in flight (reserving stock) until it is completed or cancelled.
CLOSED_ORDER_STATUSES = (OrderStatus.COMPLETED, OrderStatus.CANCELLED)

# Status filters of the list, in display order.
STATUS_ALL = ""
STATUS_OVERSOLD = "oversold"
STATUS_OUT_OF_STOCK = "out"
STATUS_LOW = "low"
STATUS_MISMATCH = "mismatch"
STATUS_CHOICES = [
    (STATUS_ALL, "All"),
    (STATUS_OVERSOLD, "Oversold"),
    (STATUS_OUT_OF_STOCK, "Out of stock"),
    (STATUS_LOW, "Low stock"),
    (STATUS_MISMATCH, "Reserved mismatch"),
]

# Per-row flags annotated with the same conditions as the status filters.
STATUS_FLAGS = {
    "is_oversold": STATUS_OVERSOLD,
    "is_out_of_stock": STATUS_OUT_OF_STOCK,
    "is_low_stock": STATUS_LOW,
    "is_mismatch": STATUS_MISMATCH,
}

# Sort keys of the list (a leading "-" means descending) -> order_by expressions.
SORTS = {
    "available": [F("available").asc()],
    "stock": [F("stock").asc()],
    "reserved": [F("reserved_amount").asc()],
    "product": [F("sku__product__display_name").asc(), F("sku__display_name").asc()],
    "pzn": [F("sku__pzn").asc()],
    "external_id": [F("external_id").asc()],
    "price": [F("price").asc(nulls_last=True)],
    "difference": [F("reserved_difference").asc()],
    "updated": [F("updated_at").asc()],
}
SORT_LABELS = {
    "available": ("Available", "lowest first", "highest first"),
    "stock": ("Stock", "lowest first", "highest first"),
    "reserved": ("Reserved", "lowest first", "highest first"),
    "product": ("Product", "A–Z", "Z–A"),
    "pzn": ("PZN", "ascending", "descending"),
    "external_id": ("External ID", "A–Z", "Z–A"),
    "price": ("Price", "lowest first", "highest first"),
    "difference": ("Reserved mismatch", "most under-reserved first", "most over-reserved first"),
    "updated": ("Updated", "oldest first", "newest first"),
}
SORT_CHOICES = [
    (f"{prefix}{key}", f"{label}, {ascending if not prefix else descending}")
    for key, (label, ascending, descending) in SORT_LABELS.items()
    for prefix in ("", "-")
]
DEFAULT_SORT = "available"


def _order_by(sort: str) -> list:
    descending = sort.startswith("-")
    expressions = SORTS.get(sort.lstrip("-")) or SORTS[DEFAULT_SORT]
    if descending:
        expressions = [expression.copy() for expression in expressions]
        for expression in expressions:
            expression.reverse_ordering()
    # uid makes the order total, so pages never overlap or skip rows.
    return [*expressions, F("uid").desc() if descending else F("uid").asc()]


def open_order_items() -> QuerySet[OrderItem]:
    """Items of orders that still reserve stock: not completed, not cancelled, not deleted."""
    return OrderItem.objects.exclude(order__status__in=CLOSED_ORDER_STATUSES).filter(
        order__rx_deleted_at__isnull=True
    )


def pharmacy_skus_with_figures() -> QuerySet[PharmacySku]:
    """Pharmacy SKUs with their product and the derived figures every screen shows.

    - `effective_threshold`: the SKU's threshold, else settings.LOW_STOCK_THRESHOLD_DEFAULT;
    - `open_order_amount`: sum of item amounts over our open orders for this pharmacy SKU
      (a pharmacy SKU belongs to one pharmacy, so its items are that pharmacy's);
    - `reserved_difference`: RxScale's reserved_amount minus open_order_amount (reconciliation:
      non-zero means a webhook was missed or is still on its way);
    - `is_oversold`, `is_out_of_stock`, `is_low_stock`, `is_mismatch`: the status filters' own
      conditions, so badges, CSV and filters never disagree.
    """
    return (
        PharmacySku.objects.select_related("sku__product")
        .annotate(
            effective_threshold=Coalesce(
                "low_stock_threshold",
                Value(settings.LOW_STOCK_THRESHOLD_DEFAULT),
                output_field=IntegerField(),
            ),
            # A view (inventory.models.OpenOrderAmount), joined once, not a subquery per SKU.
            open_order_amount=Coalesce(
                F("open_orders__amount"), Value(0), output_field=IntegerField()
            ),
        )
        .annotate(reserved_difference=F("reserved_amount") - F("open_order_amount"))
        .annotate(
            **{
                flag: ExpressionWrapper(_status_q(status), output_field=BooleanField())
                for flag, status in STATUS_FLAGS.items()
            }
        )
    )


def _status_q(status: str) -> Q:
    """Conditions behind the status filters (and the counts and badges that go with them).

    Out of stock is `stock <= 0 or available <= 0`: nothing is left to promise. It includes
    oversold SKUs, and stock 0, at which RxScale stops routing orders to the pharmacy.
    Low stock is `available <= effective threshold`, so it includes out of stock.
    """
    return {
        STATUS_OVERSOLD: Q(available__lt=0),
        STATUS_OUT_OF_STOCK: Q(stock__lte=0) | Q(available__lte=0),
        STATUS_LOW: Q(available__lte=F("effective_threshold")),
        STATUS_MISMATCH: ~Q(reserved_difference=0),
    }.get(status, Q())


def _search_q(search: str) -> Q:
    search = search.strip()
    if not search:
        return Q()
    return (
        Q(sku__pzn__icontains=search)
        | Q(sku__display_name__icontains=search)
        | Q(sku__product__display_name__icontains=search)
        | Q(external_id__icontains=search)
        | Q(uid__iexact=search)
    )


def pharmacy_sku_list(
    *, status: str = STATUS_ALL, search: str = "", sort: str = DEFAULT_SORT
) -> QuerySet[PharmacySku]:
    """The inventory list (and its CSV export): filtered, searched and sorted."""
    return (
        pharmacy_skus_with_figures()
        .filter(_search_q(search))
        .filter(_status_q(status))
        .order_by(*_order_by(sort))
    )


def pharmacy_sku_status_counts(*, search: str = "") -> dict[str, int]:
    """How many SKUs (matching `search`) each status filter shows, in one query."""
    return (
        pharmacy_skus_with_figures()
        .filter(_search_q(search))
        .aggregate(
            **{
                (status or "all"): Count("pk", filter=_status_q(status))
                for status, _label in STATUS_CHOICES
            }
        )
    )


def pharmacy_sku_detail(*, uid: str) -> PharmacySku | None:
    return pharmacy_skus_with_figures().filter(uid=uid).first()


def pharmacy_sku_ledger(*, pharmacy_sku: PharmacySku) -> QuerySet[StockLedgerEntry]:
    """The SKU's ledger, newest first (recording order: the ledger is written in sequence)."""
    return (
        StockLedgerEntry.objects.filter(pharmacy_sku=pharmacy_sku)
        .select_related("delivery", "user")
        .order_by("-recorded_at", "-id")
    )


def pharmacy_sku_open_order_items(*, pharmacy_sku: PharmacySku) -> QuerySet[OrderItem]:
    """Items on open orders that reserve this SKU, oldest order first."""
    return (
        open_order_items()
        .filter(pharmacy_sku=pharmacy_sku)
        .select_related("order")
        .order_by("order__rx_created_at", "order__id", "id")
    )


# Presentation of ledger entries -------------------------------------------------------------

FIELD_LABELS = {
    "stock": "Stock",
    "reserved_amount": "Reserved",
    "price": "Price",
    "external_id": "External ID",
    "markup": "Markup",
    "priority": "Priority",
    "type": "Type",
    "shop_identifier": "Shop identifier",
    "pharmacy_uid": "Pharmacy",
    "rx_deleted_at": "Deleted at RxScale",
    "low_stock_threshold": "Low-stock threshold",
}
_FIELD_ORDER = list(FIELD_LABELS)


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


def _display_value(field: str, value) -> str:
    if value is None or value == "":
        if field == "low_stock_threshold":
            return f"default ({settings.LOW_STOCK_THRESHOLD_DEFAULT})"
        return "–"
    if field == "price" and isinstance(value, int):
        return f"€{Decimal(value) / 100:.2f}"
    if isinstance(value, str):
        moment = parse_datetime(value) if field.endswith("_at") else None
        if isinstance(moment, datetime):
            return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M:%S")
    return str(value)


def _ordered(mapping: dict) -> list[tuple[str, dict]]:
    return sorted(
        mapping.items(),
        key=lambda item: (_FIELD_ORDER.index(item[0]) if item[0] in FIELD_LABELS else 99, item[0]),
    )


def ledger_entry_changes(entry: StockLedgerEntry) -> list[FieldChange]:
    """The entry's changes as display rows (old -> new), in a stable field order."""
    return [
        FieldChange(
            field=field,
            label=FIELD_LABELS.get(field, field),
            old=_display_value(field, change.get("old")),
            new=_display_value(field, change.get("new")),
        )
        for field, change in _ordered(entry.changes or {})
        if isinstance(change, dict)
    ]


@dataclass(frozen=True)
class SupersededFigure:
    label: str
    value: str
    held_since: str
    # Not applied because another snapshot had the same time (a tie), not a newer one.
    tie: bool = False


def ledger_entry_superseded(entry: StockLedgerEntry) -> list[SupersededFigure]:
    """Figures the entry reported that did not take effect: a newer figure outranked them
    (newest wins by time), or a tie (another snapshot with the same time) held them back."""
    return [
        SupersededFigure(
            label=FIELD_LABELS.get(field, field),
            value=_display_value(field, item.get("value")),
            held_since=_display_value("held_since_at", item.get("held_since")),
            tie=bool(item.get("tie")),
        )
        for field, item in _ordered(entry.superseded or {})
        if isinstance(item, dict)
    ]
