from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pharmacy_orders.selectors import worklist_orders


@permission_required("pharmacy_orders.view_pharmacyorder", raise_exception=True)
def worklist(request: HttpRequest) -> HttpResponse:
    return render(request, "pharmacy_orders/worklist.html", {"orders": worklist_orders()[:50]})


@permission_required("pharmacy_orders.view_pharmacyorder", raise_exception=True)
def order_detail(request: HttpRequest, uid: str) -> HttpResponse:
    from django.shortcuts import get_object_or_404

    from pharmacy_orders.models import PharmacyOrder

    return render(
        request, "pharmacy_orders/detail.html", {"order": get_object_or_404(PharmacyOrder, uid=uid)}
    )
