"""Inventory screens: the SKU list (with CSV export) and a SKU's detail with its ledger.

Thin: filters are parsed by forms, queries come from selectors, writes go through services.
"""

import csv
from datetime import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from common.pagination import CountedPaginator
from inventory import selectors
from inventory.forms import InventoryFilterForm, StockAdjustmentForm, ThresholdForm
from inventory.models import PharmacySku
from inventory.services import (
    StockAdjustmentConflict,
    pharmacy_sku_adjust_stock,
    pharmacy_sku_set_threshold,
)

LEDGER_PAGE_SIZE = 50


def _filters(request: HttpRequest) -> tuple[InventoryFilterForm, dict]:
    form = InventoryFilterForm(request.GET)
    return form, form.values()


@require_GET
@permission_required("inventory.view_pharmacysku", raise_exception=True)
def pharmacy_sku_list(request: HttpRequest) -> HttpResponse:
    form, values = _filters(request)
    pharmacy_skus = selectors.pharmacy_sku_list(
        status=values["status"], search=values["q"], sort=values["sort"]
    )
    counts = selectors.pharmacy_sku_status_counts(search=values["q"])
    page = CountedPaginator(
        pharmacy_skus, values["per_page"], count=counts[values["status"] or "all"]
    ).get_page(request.GET.get("page"))
    status_tabs = [
        {"value": value, "label": label, "count": counts[value or "all"]}
        for value, label in selectors.STATUS_CHOICES
    ]
    return render(
        request,
        "inventory/list.html",
        {
            "form": form,
            "values": values,
            "page": page,
            "status_tabs": status_tabs,
            "status_label": dict(selectors.STATUS_CHOICES)[values["status"]],
            "sort_label": dict(selectors.SORT_CHOICES).get(values["sort"], ""),
            "columns": _sortable_columns(values["sort"]),
            "default_threshold": settings.LOW_STOCK_THRESHOLD_DEFAULT,
        },
    )


def _sortable_columns(current: str) -> dict:
    """Per sortable column: the sort its header link applies and its aria-sort state."""
    columns = {}
    for key in selectors.SORTS:
        if current == key:
            columns[key] = {"next": f"-{key}", "aria_sort": "ascending"}
        elif current == f"-{key}":
            columns[key] = {"next": key, "aria_sort": "descending"}
        else:
            columns[key] = {"next": key, "aria_sort": None}
    return columns


class _Echo:
    def write(self, value: str) -> str:
        return value


# Spreadsheet formula injection: text cells from RxScale must not start a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_PREFIXES) else text


def _time_cell(value: datetime | None) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


CSV_HEADER = [
    "uid",
    "product",
    "sku",
    "pzn",
    "unit",
    "external_id",
    "price_eur",
    "stock",
    "reserved",
    "available",
    "open_order_amount",
    "reserved_difference",
    "low_stock_threshold",
    "oversold",
    "out_of_stock",
    "low_stock",
    "updated_at",
]


def _yes_no(flag) -> str:
    return "yes" if flag else "no"


def _csv_row(pharmacy_sku: PharmacySku) -> list:
    return [
        _text_cell(pharmacy_sku.uid),
        _text_cell(pharmacy_sku.sku.product.display_name),
        _text_cell(pharmacy_sku.sku.display_name),
        _text_cell(pharmacy_sku.sku.pzn),
        _text_cell(pharmacy_sku.sku.unit),
        _text_cell(pharmacy_sku.external_id),
        "" if pharmacy_sku.price is None else f"{pharmacy_sku.price_euros:.2f}",
        pharmacy_sku.stock,
        pharmacy_sku.reserved_amount,
        pharmacy_sku.available,
        pharmacy_sku.open_order_amount,
        pharmacy_sku.reserved_difference,
        pharmacy_sku.effective_threshold,
        _yes_no(pharmacy_sku.is_oversold),
        _yes_no(pharmacy_sku.is_out_of_stock),
        _yes_no(pharmacy_sku.is_low_stock),
        _time_cell(pharmacy_sku.updated_at),
    ]


@require_GET
@permission_required("inventory.view_pharmacysku", raise_exception=True)
def pharmacy_sku_export(request: HttpRequest) -> StreamingHttpResponse:
    """The list as CSV: same filters and sort, every matching row (streamed, not paginated)."""
    _form, values = _filters(request)
    pharmacy_skus = selectors.pharmacy_sku_list(
        status=values["status"], search=values["q"], sort=values["sort"]
    )
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_HEADER)
        for pharmacy_sku in pharmacy_skus.iterator(chunk_size=1000):
            yield writer.writerow(_csv_row(pharmacy_sku))

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return StreamingHttpResponse(
        rows(),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="inventory-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


def _get_pharmacy_sku(uid: str) -> PharmacySku:
    pharmacy_sku = selectors.pharmacy_sku_detail(uid=uid)
    if pharmacy_sku is None:
        raise Http404("No such pharmacy SKU.")
    return pharmacy_sku


def _render_detail(
    request: HttpRequest,
    pharmacy_sku: PharmacySku,
    *,
    adjust_form: StockAdjustmentForm | None = None,
    threshold_form: ThresholdForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    default_threshold = settings.LOW_STOCK_THRESHOLD_DEFAULT
    can_adjust = user.has_perm("inventory.adjust_stock")
    can_set_threshold = user.has_perm("inventory.change_pharmacysku")
    can_view_ledger = user.has_perm("inventory.view_stockledgerentry")
    if can_adjust and adjust_form is None:
        adjust_form = StockAdjustmentForm(initial={"expected_stock": pharmacy_sku.stock})
    if can_set_threshold and threshold_form is None:
        threshold_form = ThresholdForm(
            initial={"low_stock_threshold": pharmacy_sku.low_stock_threshold},
            default_threshold=default_threshold,
        )
    ledger_page = None
    ledger_rows = []
    if can_view_ledger:
        ledger_page = Paginator(
            selectors.pharmacy_sku_ledger(pharmacy_sku=pharmacy_sku), LEDGER_PAGE_SIZE
        ).get_page(request.GET.get("ledger_page"))
        ledger_rows = [
            {
                "entry": entry,
                "changes": selectors.ledger_entry_changes(entry),
                "superseded": selectors.ledger_entry_superseded(entry),
            }
            for entry in ledger_page
        ]
    return render(
        request,
        "inventory/detail.html",
        {
            "pharmacy_sku": pharmacy_sku,
            "open_items": list(selectors.pharmacy_sku_open_order_items(pharmacy_sku=pharmacy_sku)),
            "ledger_page": ledger_page,
            "ledger_rows": ledger_rows,
            "can_view_ledger": can_view_ledger,
            "link_deliveries": admin.site.has_permission(request)
            and user.has_perm("rxscale.view_webhookdelivery"),
            "adjust_form": adjust_form if can_adjust else None,
            "threshold_form": threshold_form if can_set_threshold else None,
            "default_threshold": default_threshold,
        },
        status=status,
    )


@require_GET
@permission_required("inventory.view_pharmacysku", raise_exception=True)
def pharmacy_sku_detail(request: HttpRequest, uid: str) -> HttpResponse:
    return _render_detail(request, _get_pharmacy_sku(uid))


def _form_errors_from(form, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@require_POST
@permission_required("inventory.adjust_stock", raise_exception=True)
def pharmacy_sku_adjust(request: HttpRequest, uid: str) -> HttpResponse:
    pharmacy_sku = _get_pharmacy_sku(uid)
    form = StockAdjustmentForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, pharmacy_sku, adjust_form=form, status=400)
    try:
        outcome = pharmacy_sku_adjust_stock(
            pharmacy_sku=pharmacy_sku,
            new_stock=form.cleaned_data["new_stock"],
            reason=form.cleaned_data["reason"],
            user=request.user,
            expected_stock=form.cleaned_data["expected_stock"],
        )
    except StockAdjustmentConflict as conflict:
        # Show the current figures and let the clerk decide again on what they now see.
        pharmacy_sku = _get_pharmacy_sku(uid)
        data = request.POST.copy()
        data["expected_stock"] = str(conflict.current_stock)
        form = StockAdjustmentForm(data)
        form.is_valid()
        form.add_error(
            None,
            f"The stock changed to {conflict.current_stock} while you were editing. "
            "Nothing was saved: check the figures and submit again.",
        )
        return _render_detail(request, pharmacy_sku, adjust_form=form, status=409)
    except ValidationError as error:
        _form_errors_from(form, error)
        return _render_detail(request, pharmacy_sku, adjust_form=form, status=400)
    if outcome.applied:
        # The RxScale link marks the SKU as waiting when it wrote a command; in local-only mode
        # it writes none, so the SKU stays in sync and RxScale is not told.
        told = (
            "It will be sent to RxScale."
            if outcome.pharmacy_sku.sync_unsettled
            else "RxScale is not told (local-only mode)."
        )
        messages.success(
            request,
            f"Stock set to {form.cleaned_data['new_stock']} and recorded in the ledger. {told}",
        )
    else:
        messages.warning(
            request,
            "Recorded in the ledger, but not applied: RxScale reported a newer stock figure.",
        )
    return redirect("inventory:detail", uid=uid)


@require_POST
@permission_required("inventory.change_pharmacysku", raise_exception=True)
def pharmacy_sku_threshold(request: HttpRequest, uid: str) -> HttpResponse:
    pharmacy_sku = _get_pharmacy_sku(uid)
    default_threshold = settings.LOW_STOCK_THRESHOLD_DEFAULT
    form = ThresholdForm(request.POST, default_threshold=default_threshold)
    if not form.is_valid():
        return _render_detail(request, pharmacy_sku, threshold_form=form, status=400)
    threshold = form.cleaned_data["low_stock_threshold"]
    try:
        pharmacy_sku_set_threshold(
            pharmacy_sku=pharmacy_sku, threshold=threshold, user=request.user
        )
    except ValidationError as error:
        _form_errors_from(form, error)
        return _render_detail(request, pharmacy_sku, threshold_form=form, status=400)
    messages.success(
        request,
        f"Low-stock threshold set to {threshold}."
        if threshold is not None
        else f"Low-stock threshold reset to the default ({default_threshold}).",
    )
    return redirect("inventory:detail", uid=uid)
