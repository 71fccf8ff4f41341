from django.urls import path

from rxscale import views

app_name = "rxscale"

urlpatterns = [
    path("commands/<int:pk>/retry", views.command_retry_view, name="command-retry"),
    path("commands/<int:pk>/discard", views.command_discard_view, name="command-discard"),
]
