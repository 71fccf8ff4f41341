"""The order page's form for the paper original (the release is a transition: views.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from pharmacy_orders.forms import PaperOriginalForm
from pharmacy_orders.models import PharmacyOrder
from pharmacy_orders.services.paper_originals import (
    PaperOriginalRefused,
    order_paper_original_record,
)
from pharmacy_orders.services.workflow import WORK_PERMISSION
from pharmacy_orders.views import VIEW_ORDER, _order_or_404, _render_order


@require_POST
@permission_required([VIEW_ORDER, WORK_PERMISSION], raise_exception=True)
def order_paper_original_view(request: HttpRequest, uid: str) -> HttpResponse:
    form = PaperOriginalForm(request.POST)
    if not form.is_valid():
        return _render_order(request, _order_or_404(uid), status=400, paper_form=form)
    try:
        order_paper_original_record(order_uid=uid, user=request.user, **form.cleaned_data)
    except PharmacyOrder.DoesNotExist:
        raise Http404("No such order.") from None
    except PaperOriginalRefused as refusal:
        messages.error(request, refusal.message)
        return _render_order(
            request, _order_or_404(uid), status=refusal.http_status, paper_form=form
        )
    messages.success(request, "The paper original is recorded as received.")
    return redirect("orders:detail", uid=uid)
