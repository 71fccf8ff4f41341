from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.pharmacy_sku_list, name="list"),
    path("export.csv", views.pharmacy_sku_export, name="export"),
    path("<str:uid>/", views.pharmacy_sku_detail, name="detail"),
    path("<str:uid>/adjust/", views.pharmacy_sku_adjust, name="adjust"),
    path("<str:uid>/threshold/", views.pharmacy_sku_threshold, name="threshold"),
]
