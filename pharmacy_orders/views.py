"""Staff screens: thin views over the selectors (reads) and services (writes).

Every view needs login (LoginRequiredMiddleware) and a permission; a user without it gets
403 and never the data. A refused action re-renders the order page with the reason and the
order's current state, with a status code that says why (400 input, 403 role, 409 conflict).
"""

from dataclasses import dataclass

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.pagination import CountedPaginator, UncountedPaginator
from pharmacy_orders.forms import (
    AuditFilterForm,
    ClaimForm,
    NoteForm,
    PaperOriginalForm,
    ShippingMappingForm,
    TransitionForm,
    WorklistFilterForm,
)
from pharmacy_orders.models import PharmacyOrder, ShippingMethodMapping
from pharmacy_orders.selectors import (
    TAB_ALL,
    TAB_AWAITING_ORIGINAL,
    TAB_NEEDS_WORK,
    TAB_STATUSES,
    audit_action_choices,
    audit_entries,
    order_for_page,
    order_gates,
    order_warnings,
    shipping_method_seen,
    shipping_methods_seen,
    worklist_orders,
    worklist_tab_counts,
)
from pharmacy_orders.services.claims import ClaimRefused, order_claim, order_release
from pharmacy_orders.services.notes import NoteRefused, order_note_add
from pharmacy_orders.services.prescription_access import (
    PrescriptionUnavailable,
    order_prescription_open,
)
from pharmacy_orders.services.shipping_mappings import (
    shipping_mapping_remove,
    shipping_mapping_set,
)
from pharmacy_orders.services.workflow import (
    FINAL_STATUSES,
    PHARMACIST_PERMISSION,
    WORK_PERMISSION,
    TransitionRefused,
    order_offered_transitions,
    order_transition,
    status_label,
)
from pharmacy_orders.timeline import order_timeline

VIEW_ORDER = "pharmacy_orders.view_pharmacyorder"
VIEW_PDF = "pharmacy_orders.view_prescription_pdf"
VIEW_MAPPING = "pharmacy_orders.view_shippingmethodmapping"
ADD_MAPPING = "pharmacy_orders.add_shippingmethodmapping"
CHANGE_MAPPING = "pharmacy_orders.change_shippingmethodmapping"
DELETE_MAPPING = "pharmacy_orders.delete_shippingmethodmapping"
VIEW_AUDIT = "pharmacy_orders.view_auditentry"


def _money(cents: int | None, currency: str = "") -> str:
    if cents is None:
        return "—"
    return f"{cents / 100:.2f} {currency}".strip()


# --- Worklist --------------------------------------------------------------------------------


@require_GET
@permission_required(VIEW_ORDER, raise_exception=True)
def worklist(request: HttpRequest) -> HttpResponse:
    form = WorklistFilterForm(request.GET)
    filters = form.filters()
    counts = worklist_tab_counts(filters)
    page = CountedPaginator(
        worklist_orders(filters), form.page_size(), count=counts[filters.tab]
    ).get_page(request.GET.get("page"))
    tabs = [
        (TAB_NEEDS_WORK, "Needs work", counts[TAB_NEEDS_WORK]),
        (TAB_AWAITING_ORIGINAL, "Awaiting original", counts[TAB_AWAITING_ORIGINAL]),
        *[(s, status_label(s), counts[s]) for s in TAB_STATUSES],
        (TAB_ALL, "All", counts[TAB_ALL]),
    ]
    return render(
        request,
        "pharmacy_orders/worklist.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "tabs": tabs,
            "filtered": any(
                [filters.pharmacy, filters.prepaid, filters.shipping, filters.unmapped, filters.q]
            ),
        },
    )


# --- Order page ------------------------------------------------------------------------------


@dataclass
class ItemRow:
    item: object
    paid: str


def _order_or_404(uid: str) -> PharmacyOrder:
    try:
        return order_for_page(uid=uid)
    except PharmacyOrder.DoesNotExist:
        raise Http404("No such order.") from None


def _render_order(
    request: HttpRequest,
    order: PharmacyOrder,
    *,
    status: int = 200,
    failed: dict | None = None,
    note_form: NoteForm | None = None,
    paper_form: PaperOriginalForm | None = None,
) -> HttpResponse:
    user = request.user
    can_work = user.has_perm(WORK_PERMISSION)
    prescriptions = list(order.prescriptions.all())
    current = next(
        (p for p in prescriptions if p.document_id == order.current_prescription_id), None
    )
    context = {
        "order": order,
        "warnings": order_warnings(order),
        "timeline": order_timeline(order),
        "offered": order_offered_transitions(order=order, user=user) if can_work else [],
        "current_prescription": current,
        "earlier_prescriptions": [p for p in prescriptions if p is not current],
        "items": [
            ItemRow(item=i, paid=_money(i.total_paid_amount, order.shipping_costs_currency))
            for i in order.items.all()
        ],
        "shop_shipping_methods": list(order.shop_shipping_methods.all()),
        "shipping_costs": _money(order.shipping_costs_amount, order.shipping_costs_currency),
        "note_form": note_form or NoteForm(),
        "gates": order_gates(order=order, user=user),
        "paper_form": paper_form or PaperOriginalForm(),
        "can_work": can_work,
        "is_pharmacist": user.has_perm(PHARMACIST_PERMISSION),
        "can_view_pdf": user.has_perm(VIEW_PDF),
        "can_map": user.has_perm(ADD_MAPPING) and user.has_perm(CHANGE_MAPPING),
        "claimed_by_other": bool(order.claimed_by_id and order.claimed_by_id != user.pk),
        "is_final": order.status in FINAL_STATUSES,
        "failed": failed or {},
    }
    response = render(request, "pharmacy_orders/detail.html", context, status=status)
    # Patient data: never kept by a browser or proxy cache.
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@permission_required(VIEW_ORDER, raise_exception=True)
def order_detail(request: HttpRequest, uid: str) -> HttpResponse:
    return _render_order(request, _order_or_404(uid))


@require_POST
@permission_required([VIEW_ORDER, WORK_PERMISSION], raise_exception=True)
def order_transition_view(request: HttpRequest, uid: str) -> HttpResponse:
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The action could not be read; reload the page and try again.")
        return _render_order(request, _order_or_404(uid), status=400)
    data = form.cleaned_data
    try:
        # The form's fields are the service's arguments (as are the API serializer's).
        outcome = order_transition(order_uid=uid, user=request.user, **data)
    except PharmacyOrder.DoesNotExist:
        raise Http404("No such order.") from None
    except TransitionRefused as refusal:
        messages.error(request, refusal.message)
        failed = {
            "action": data["action"],
            "reason": data["reason"],
            "checklist": data.get("checklist"),
            "field": refusal.field,
            "message": refusal.message,
        }
        return _render_order(request, _order_or_404(uid), status=refusal.http_status, failed=failed)
    order = outcome.order
    text = f"{order}: {status_label(outcome.from_status)} → {status_label(outcome.to_status)}."
    if data["action"] == "cancel":
        text += " It has left your worklist."
    messages.success(request, text)
    return redirect("orders:detail", uid=uid)


@require_POST
@permission_required([VIEW_ORDER, WORK_PERMISSION], raise_exception=True)
def order_claim_view(request: HttpRequest, uid: str) -> HttpResponse:
    form = ClaimForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        outcome = order_claim(
            order_uid=uid,
            user=request.user,
            takeover=bool(data.get("takeover")),
            expected_claimant_id=data.get("expected_claimant"),
        )
    except PharmacyOrder.DoesNotExist:
        raise Http404("No such order.") from None
    except ClaimRefused as refusal:
        messages.error(request, refusal.message)
        return _render_order(request, _order_or_404(uid), status=refusal.http_status)
    text = {
        "claimed": "You are now working on this order.",
        "already_yours": "You are already working on this order.",
        "taken_over": f"You took the order over from {outcome.previous_claimant}.",
    }[outcome.result]
    messages.success(request, text)
    return redirect("orders:detail", uid=uid)


@require_POST
@permission_required([VIEW_ORDER, WORK_PERMISSION], raise_exception=True)
def order_release_view(request: HttpRequest, uid: str) -> HttpResponse:
    try:
        order_release(order_uid=uid, user=request.user)
    except PharmacyOrder.DoesNotExist:
        raise Http404("No such order.") from None
    except ClaimRefused as refusal:
        messages.error(request, refusal.message)
        return _render_order(request, _order_or_404(uid), status=refusal.http_status)
    messages.success(request, "You released the order; others can claim it now.")
    return redirect("orders:detail", uid=uid)


@require_POST
@permission_required([VIEW_ORDER, WORK_PERMISSION], raise_exception=True)
def order_note_view(request: HttpRequest, uid: str) -> HttpResponse:
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_order(request, _order_or_404(uid), status=400, note_form=form)
    try:
        order_note_add(order_uid=uid, user=request.user, text=form.cleaned_data["text"])
    except PharmacyOrder.DoesNotExist:
        raise Http404("No such order.") from None
    except NoteRefused as refusal:
        form.add_error("text", refusal.message)
        return _render_order(
            request, _order_or_404(uid), status=refusal.http_status, note_form=form
        )
    messages.success(request, "Note added.")
    return redirect("orders:detail", uid=uid)


# The one page that may be framed: the order page shows this PDF in an iframe (our origin only).
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF]})
@require_GET
@permission_required([VIEW_ORDER, VIEW_PDF], raise_exception=True)
def order_prescription(request: HttpRequest, uid: str) -> FileResponse:
    """The prescription PDF (`?version=<id>` for an earlier one, `?download=1` to save)."""
    order = get_object_or_404(
        PharmacyOrder.objects.only("id", "uid", "current_prescription_id"), uid=uid
    )
    version = request.GET.get("version")
    if version is not None and not (version.isascii() and version.isdigit() and len(version) < 19):
        raise Http404("No such prescription version.")
    download = request.GET.get("download") == "1"
    try:
        opened = order_prescription_open(
            order=order,
            user=request.user,
            version_id=int(version) if version else None,
            download=download,
        )
    except PrescriptionUnavailable:
        raise Http404("This order has no such prescription.") from None
    response = FileResponse(
        opened.file,
        as_attachment=download,
        filename=opened.filename,
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


# --- Shipping methods ------------------------------------------------------------------------


@require_GET
@permission_required(VIEW_MAPPING, raise_exception=True)
def shipping_methods(request: HttpRequest) -> HttpResponse:
    methods = shipping_methods_seen()
    return render(
        request,
        "pharmacy_orders/shipping_methods.html",
        {
            "methods": methods,
            "unmapped_count": sum(1 for m in methods if m.unmapped),
            "can_map": request.user.has_perm(ADD_MAPPING) and request.user.has_perm(CHANGE_MAPPING),
            "can_delete": request.user.has_perm(DELETE_MAPPING),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required([VIEW_MAPPING, ADD_MAPPING, CHANGE_MAPPING], raise_exception=True)
def shipping_mapping_edit(request: HttpRequest, method_uid: str) -> HttpResponse:
    mapping = ShippingMethodMapping.objects.filter(shop_shipping_method_uid=method_uid).first()
    seen = shipping_method_seen(uid=method_uid)
    if mapping is None and seen is None:
        raise Http404("No order has used this shop shipping method.")
    initial = {"display_name": seen.display_name} if seen and mapping is None else {}
    form = ShippingMappingForm(request.POST or None, instance=mapping, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = shipping_mapping_set(
            shop_shipping_method_uid=method_uid,
            carrier_identifier=form.cleaned_data["carrier_identifier"],
            display_name=form.cleaned_data["display_name"],
            user=request.user,
        )
        messages.success(
            request,
            f"“{saved.display_name or method_uid}” now maps to {saved.carrier_identifier}; "
            "orders using it were updated.",
        )
        return redirect("orders:shipping-methods")
    return render(
        request,
        "pharmacy_orders/shipping_mapping_form.html",
        {
            "form": form,
            "mapping": mapping,
            "method": seen,
            "method_uid": method_uid,
            "can_delete": request.user.has_perm(DELETE_MAPPING),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@permission_required([VIEW_MAPPING, DELETE_MAPPING], raise_exception=True)
def shipping_mapping_delete_view(request: HttpRequest, method_uid: str) -> HttpResponse:
    mapping = get_object_or_404(ShippingMethodMapping, shop_shipping_method_uid=method_uid)
    shipping_mapping_remove(mapping=mapping, user=request.user)
    messages.success(request, f"Mapping for “{mapping.display_name or method_uid}” deleted.")
    return redirect("orders:shipping-methods")


# --- Audit trail -----------------------------------------------------------------------------


@require_GET
@permission_required(VIEW_AUDIT, raise_exception=True)
def audit_trail(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET, actions=audit_action_choices())
    data = form.cleaned_data if form.is_valid() else {}
    entries = audit_entries(
        order_uid=data.get("order_uid", ""),
        username=data.get("user", ""),
        action=data.get("action", ""),
    )
    # Newer/older pages, no total: counting a trail that only grows would scan it all.
    page = UncountedPaginator(entries, 100).get_page(request.GET.get("page"))
    return render(request, "pharmacy_orders/audit.html", {"form": form, "page": page})
