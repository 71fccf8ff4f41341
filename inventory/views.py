from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from inventory.models import PharmacySku


@permission_required("inventory.view_pharmacysku", raise_exception=True)
def pharmacy_sku_list(request: HttpRequest) -> HttpResponse:
    skus = PharmacySku.objects.select_related("sku__product").order_by("available")[:50]
    return render(request, "inventory/list.html", {"pharmacy_skus": skus})


@permission_required("inventory.view_pharmacysku", raise_exception=True)
def pharmacy_sku_detail(request: HttpRequest, uid: str) -> HttpResponse:
    from django.shortcuts import get_object_or_404

    return render(
        request, "inventory/detail.html", {"pharmacy_sku": get_object_or_404(PharmacySku, uid=uid)}
    )
