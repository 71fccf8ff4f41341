from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.pharmacy_sku_list, name="list"),
]
urlpatterns += [path("<str:uid>/", views.pharmacy_sku_detail, name="detail")]
