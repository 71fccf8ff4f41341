from django.urls import path

import common.converters  # noqa: F401 - registers the <uid:…> converter
from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.pharmacy_sku_list, name="list"),
    path("export.csv", views.pharmacy_sku_export, name="export"),
    path("<uid:uid>/", views.pharmacy_sku_detail, name="detail"),
    path("<uid:uid>/adjust/", views.pharmacy_sku_adjust, name="adjust"),
    path("<uid:uid>/threshold/", views.pharmacy_sku_threshold, name="threshold"),
]
