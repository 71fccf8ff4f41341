from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from config.healthz import healthz
from rxscale.inbox.views import rxscale_webhook

urlpatterns = [
    re_path(r"^webhooks/rxscale/?$", rxscale_webhook, name="rxscale-webhook"),
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="orders:worklist", permanent=False)),
    path("orders/", include("pharmacy_orders.urls")),
    path("inventory/", include("inventory.urls")),
    path("rxscale/", include("rxscale.urls")),
]

if settings.BENCH_FLOOR_ENDPOINT:
    # The bench's comparison endpoint (scripts/bench); never mounted unless the harness asks.
    from config.bench_floor import bench_floor

    urlpatterns.append(path("bench/floor", bench_floor, name="bench-floor"))
