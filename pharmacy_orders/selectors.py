"""Read queries for the staff screens and the API. No writes here."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from common.sync_state import SyncState
from pharmacy_orders.counters import counters_maintained
from pharmacy_orders.models import (
    AuditEntry,
    OrderCountDelta,
    OrderItem,
    OrderPrescription,
    OrderShopShippingMethod,
    OrderStatus,
    OrderStatusChange,
    PaperOriginalReceipt,
    PharmacistRelease,
    Pharmacy,
    PharmacyOrder,
    ShippingMethodMapping,
)
from pharmacy_orders.worklist_order import NEEDS_WORK, ORDER_LIST_ORDER, ORDER_RECEIVED_AT

S = OrderStatus

# The statuses that need the pharmacy's work, in pipeline order (the worklist's default).
WORKLIST_STATUSES = [
    S.WAITING_FOR_PHARMACY,
    S.PENDING_REVIEW,
    S.IN_PROGRESS,
    S.ON_HOLD,
    S.READY_FOR_PICKUP,
]


# A worklist row's `stock_warning`: the worst of its items (None: nothing to say).
STOCK_OVERSOLD, STOCK_OUT = 0, 1

# Tabs: the default "needs work", then every status, then everything.
TAB_NEEDS_WORK = ""
TAB_ALL = "all"
# Paper-prescription orders that need work and whose original has not been recorded yet.
TAB_AWAITING_ORIGINAL = "awaiting-original"
AWAITING_ORIGINAL = Q(prepaid=True, paper_original__isnull=True)
TAB_STATUSES = [*WORKLIST_STATUSES, S.INIT, S.COMPLETED, S.CANCELLED]


@dataclass(frozen=True)
class WorklistFilters:
    tab: str = TAB_NEEDS_WORK
    pharmacy: str = ""
    # "yes": paper prescription (prepaid), "no": e-prescription / none, "": both
    prepaid: str = ""
    shipping: str = ""
    unmapped: bool = False
    q: str = ""


def _narrowed(filters: WorklistFilters) -> bool:
    """Whether any filter other than the status tab applies."""
    return bool(
        filters.pharmacy or filters.prepaid or filters.shipping or filters.unmapped
        or filters.q.strip()
    )  # fmt: skip


def _filtered_orders(filters: WorklistFilters) -> QuerySet[PharmacyOrder]:
    """Every filter except the status tab (the tabs count within the other filters)."""
    orders = PharmacyOrder.objects.all()
    if filters.pharmacy:
        orders = orders.filter(pharmacy__uid=filters.pharmacy)
    if filters.prepaid == "yes":
        orders = orders.filter(prepaid=True)
    elif filters.prepaid == "no":
        orders = orders.filter(prepaid=False)
    if filters.shipping:
        orders = orders.filter(
            Exists(
                OrderShopShippingMethod.objects.filter(order=OuterRef("pk"), uid=filters.shipping)
            )
        )
    if filters.unmapped:
        orders = orders.filter(shipping_unmapped=True)
    q = filters.q.strip()
    if q:
        # icontains: on PostgreSQL UPPER(column) LIKE, served by the trigram indexes (0007).
        orders = orders.filter(
            Q(name__icontains=q)
            | Q(shop_order_name__icontains=q)
            | Q(shop_order_external_id__icontains=q)
            | Q(patient_name__icontains=q)
            | Q(uid__icontains=q)
        )
    return orders


# An order RxScale deleted has no work left: only the "All" tab lists it (with a badge).
NOT_DELETED = Q(rx_deleted_at__isnull=True)
# NEEDS_WORK (worklist_order.py): not deleted, and neither init, completed nor cancelled. A
# status RxScale did not document is stored as sent (tolerant reader); nobody knows what the
# order needs, so it stays on "Needs work" where staff see it, not only under "All".


def _needs_work(status: str) -> bool:
    return status in WORKLIST_STATUSES or status not in S.values


def _tab_filter(orders: QuerySet[PharmacyOrder], tab: str) -> QuerySet[PharmacyOrder]:
    if tab == TAB_ALL:
        return orders
    if tab == TAB_AWAITING_ORIGINAL:
        return orders.filter(NOT_DELETED, NEEDS_WORK, AWAITING_ORIGINAL)
    if tab in TAB_STATUSES:
        return orders.filter(NOT_DELETED, status=tab)
    return orders.filter(NEEDS_WORK)


def worklist_orders(filters: WorklistFilters) -> QuerySet[PharmacyOrder]:
    """The worklist rows: priority first (higher first), then the oldest order first.

    Everything a row shows is annotated in the same query (counts and warnings as
    subqueries), so the number of queries does not depend on the page size. The order is
    an index's (worklist_order.py), so PostgreSQL reads a page off it and evaluates the
    per-row subqueries for that page's rows only.
    """
    items = OrderItem.objects.filter(order=OuterRef("pk"))
    item_count = items.order_by().values("order").annotate(n=Count("pk")).values("n")[:1]
    stock_warning = (
        items.order_by()
        .values("order")
        .annotate(
            w=Min(
                Case(
                    When(pharmacy_sku__available__lt=0, then=Value(STOCK_OVERSOLD)),
                    When(pharmacy_sku__stock__lte=0, then=Value(STOCK_OUT)),
                )
            )
        )
        .values("w")[:1]
    )
    first_method = OrderShopShippingMethod.objects.filter(order=OuterRef("pk")).order_by("id")
    long_ago = timezone.now() - timedelta(minutes=settings.RXSCALE_OUTBOX_LONG_PENDING_MINUTES)
    return (
        _tab_filter(_filtered_orders(filters), filters.tab)
        .select_related("pharmacy", "claimed_by")
        .annotate(
            received_at=ORDER_RECEIVED_AT,
            item_count=Coalesce(Subquery(item_count, output_field=IntegerField()), Value(0)),
            # Oversold: RxScale reserved more than the stock, so some order cannot be filled.
            # Out of stock means nothing on hand; available 0 alone is normal (this order's own
            # reservation can use the last unit), so it is not flagged here. One correlated
            # aggregate (not EXISTS, which PostgreSQL turns into a hash of every item).
            stock_warning=Subquery(stock_warning, output_field=IntegerField()),
            shop_shipping_method_name=Subquery(first_method.values("display_name")[:1]),
            sync_long_pending=Q(sync_state=SyncState.PENDING, sync_pending_since__lt=long_ago),
            awaiting_original=Q(prepaid=True)
            & ~Exists(PaperOriginalReceipt.objects.filter(order=OuterRef("pk"))),
        )
        .order_by(*ORDER_LIST_ORDER)
    )


def worklist_tab_counts(filters: WorklistFilters) -> dict[str, int]:
    """Order counts per tab within the non-status filters, in one query.

    Unfiltered (the default view and the status tabs), on PostgreSQL: the sums of the
    trigger-kept deltas (counters.py), a few dozen rows whatever the number of orders.
    Filtered (a search narrows to few rows), or on SQLite: grouped counts of the orders.
    """
    if counters_maintained() and not _narrowed(filters):
        rows = (
            OrderCountDelta.objects.order_by()
            .values("status")
            .annotate(total=Sum("n"), live=Sum("n", filter=Q(deleted=False)))
        )
    else:
        rows = (
            _filtered_orders(filters)
            .order_by()
            .values("status")
            .annotate(total=Count("id"), live=Count("id", filter=NOT_DELETED))
        )
    per_status, total = {}, 0
    for row in rows:
        per_status[row["status"]] = row["live"] or 0
        total += row["total"] or 0
    counts = {status: per_status.get(status, 0) for status in TAB_STATUSES}
    counts[TAB_NEEDS_WORK] = sum(n for status, n in per_status.items() if _needs_work(status))
    counts[TAB_ALL] = total
    # Paper orders still waiting for their original: few, and found through the needs-work
    # index; counted directly (no trigger keeps this one).
    counts[TAB_AWAITING_ORIGINAL] = (
        _filtered_orders(filters).filter(NEEDS_WORK, AWAITING_ORIGINAL).count()
    )
    return counts


def pharmacy_choices() -> list[tuple[str, str]]:
    return [(p.uid, str(p)) for p in Pharmacy.objects.order_by("display_name", "uid")]


# The distinct shop shipping methods by walking the (uid, display_name) index: one probe per
# method (a "skip scan"), not a scan of a row per order. Plain SQL both databases run.
_SHIPPING_METHODS_SQL = """
WITH RECURSIVE methods(uid) AS (
    SELECT MIN(uid) FROM pharmacy_orders_ordershopshippingmethod
    UNION ALL
    SELECT (SELECT MIN(uid) FROM pharmacy_orders_ordershopshippingmethod WHERE uid > m.uid)
    FROM methods m WHERE m.uid IS NOT NULL
)
SELECT m.uid, (SELECT MAX(display_name) FROM pharmacy_orders_ordershopshippingmethod s
               WHERE s.uid = m.uid)
FROM methods m WHERE m.uid IS NOT NULL
"""


def shipping_method_choices() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(_SHIPPING_METHODS_SQL)
        rows = cursor.fetchall()
    return sorted(((uid, name or uid) for uid, name in rows), key=lambda r: (r[1], r[0]))


# --- Order page ------------------------------------------------------------------------------


def order_for_page(*, uid: str) -> PharmacyOrder:
    """The order with everything its page shows. Raises PharmacyOrder.DoesNotExist."""
    return (
        PharmacyOrder.objects.select_related(
            "pharmacy", "claimed_by", "current_prescription", "paper_original__received_by"
        )
        .prefetch_related(
            Prefetch(
                "pharmacist_releases",
                queryset=PharmacistRelease.objects.select_related("released_by", "prepared_by"),
            ),
            Prefetch(
                "items",
                queryset=OrderItem.objects.select_related("sku__product", "pharmacy_sku"),
            ),
            "shop_shipping_methods",
            Prefetch(
                "prescriptions",
                queryset=OrderPrescription.objects.select_related("document", "delivery"),
            ),
        )
        .get(uid=uid)
    )


def order_warnings(order: PharmacyOrder) -> list[tuple[str, str]]:
    """(css level, text) for the order page; uses the prefetched items."""
    warnings = []
    if order.shipping_unmapped:
        warnings.append(("warn", "The shop shipping method is not mapped to a carrier."))
    if order.prepaid:
        warnings.append(("info", "Paper prescription: the original must arrive by post."))
    for item in order.items.all():
        psku = item.pharmacy_sku
        name = item.sku.display_name or item.sku.pzn
        if psku is not None and psku.available < 0:
            warnings.append(("danger", f"Oversold: {name} (available {psku.available})."))
        elif psku is not None and psku.stock <= 0:
            warnings.append(("danger", f"Out of stock: {name}."))
    if order.prescription_problem:
        warnings.append(("danger", f"Prescription problem: {order.prescription_problem}"))
    if order.rx_update_failed_at is not None:
        warnings.append(("danger", "An RxScale update for this order failed to apply."))
    return warnings


@dataclass(frozen=True)
class OrderGates:
    """What the order page shows of the gates (services/gates.py)."""

    paper_original: PaperOriginalReceipt | None
    awaiting_original: bool
    # The newest release, voided or not.
    release: PharmacistRelease | None
    # The user moved the order to in-progress: the four-eyes rule applies to their release.
    prepared_by_user: bool
    single_person_allowed: bool


def order_gates(*, order: PharmacyOrder, user) -> OrderGates:
    """From `order_for_page`'s joins, plus one query when the order is in progress."""
    try:
        paper_original = order.paper_original
    except PaperOriginalReceipt.DoesNotExist:
        paper_original = None
    releases = list(order.pharmacist_releases.all())
    # A release starts from in-progress, or resumes a hold to ready_for_pickup.
    prepared = order.status in (S.IN_PROGRESS, S.ON_HOLD) and (
        OrderStatusChange.objects.filter(order=order, to_status=S.IN_PROGRESS, user=user).exists()
    )
    return OrderGates(
        paper_original=paper_original,
        awaiting_original=order.prepaid and paper_original is None,
        release=releases[-1] if releases else None,
        prepared_by_user=prepared,
        single_person_allowed=settings.RELEASE_SINGLE_PERSON_ALLOWED,
    )


# --- Shipping methods ------------------------------------------------------------------------


@dataclass
class SeenShippingMethod:
    uid: str
    display_name: str
    external_id: str
    order_count: int
    open_order_count: int
    unmapped_order_count: int
    payload_identifier: str
    mapping: ShippingMethodMapping | None

    @property
    def resolved_identifier(self) -> str:
        """What new orders get: RxScale's mapping for our pharmacy wins, else ours."""
        if self.payload_identifier:
            return self.payload_identifier
        return self.mapping.carrier_identifier if self.mapping else ""

    @property
    def unmapped(self) -> bool:
        return not self.resolved_identifier or self.unmapped_order_count > 0


def shipping_methods_seen() -> list[SeenShippingMethod]:
    """Every shop shipping method seen in orders (plus mappings for methods not seen yet),
    unmapped first, then by name. Two queries."""
    rows = (
        OrderShopShippingMethod.objects.order_by()
        .values("uid")
        .annotate(
            name=Max("display_name"),
            external=Max("external_id"),
            orders=Count("order_id", distinct=True),
            open_orders=Count(
                "order_id", filter=Q(order__status__in=WORKLIST_STATUSES), distinct=True
            ),
            unmapped_orders=Count(
                "order_id", filter=Q(order__shipping_unmapped=True), distinct=True
            ),
            payload_identifier=Max("mapping_identifier"),
        )
    )
    mappings = {m.shop_shipping_method_uid: m for m in ShippingMethodMapping.objects.all()}
    methods = [
        SeenShippingMethod(
            uid=row["uid"],
            display_name=row["name"] or "",
            external_id=row["external"] or "",
            order_count=row["orders"],
            open_order_count=row["open_orders"],
            unmapped_order_count=row["unmapped_orders"],
            payload_identifier=row["payload_identifier"] or "",
            mapping=mappings.pop(row["uid"], None),
        )
        for row in rows
    ]
    methods += [
        SeenShippingMethod(
            uid=uid,
            display_name=mapping.display_name,
            external_id="",
            order_count=0,
            open_order_count=0,
            unmapped_order_count=0,
            payload_identifier="",
            mapping=mapping,
        )
        for uid, mapping in mappings.items()
    ]
    methods.sort(
        key=lambda m: (not m.unmapped, -m.unmapped_order_count, (m.display_name or m.uid).lower())
    )
    return methods


def shipping_method_seen(*, uid: str) -> SeenShippingMethod | None:
    return next((m for m in shipping_methods_seen() if m.uid == uid), None)


# --- Audit trail -----------------------------------------------------------------------------


def audit_entries(*, order_uid: str = "", username: str = "", action: str = ""):
    entries = AuditEntry.objects.select_related("user")
    if order_uid:
        entries = entries.filter(order_uid=order_uid.strip())
    if username:
        entries = entries.filter(user__username=username.strip())
    if action:
        entries = entries.filter(action=action)
    return entries.order_by("-created_at", "-id")


# The distinct actions off the action index, one probe each (see _SHIPPING_METHODS_SQL).
_AUDIT_ACTIONS_SQL = """
WITH RECURSIVE actions(action) AS (
    SELECT MIN(action) FROM pharmacy_orders_auditentry
    UNION ALL
    SELECT (SELECT MIN(action) FROM pharmacy_orders_auditentry WHERE action > a.action)
    FROM actions a WHERE a.action IS NOT NULL
)
SELECT action FROM actions WHERE action IS NOT NULL ORDER BY action
"""


def audit_action_choices() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(_AUDIT_ACTIONS_SQL)
        return [action for (action,) in cursor.fetchall()]
