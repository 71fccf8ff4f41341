from django.urls import path

from pharmacy_orders import views

app_name = "orders"

urlpatterns = [
    path("", views.worklist, name="worklist"),
]
urlpatterns += [path("<str:uid>/", views.order_detail, name="detail")]
