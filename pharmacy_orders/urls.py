from django.contrib.auth.decorators import login_not_required
from django.urls import path

import common.converters  # noqa: F401 - registers the <uid:…> converter
from pharmacy_orders import api, views, views_gates

app_name = "orders"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("shipping-methods/", views.shipping_methods, name="shipping-methods"),
    path(
        "shipping-methods/<uid:method_uid>/",
        views.shipping_mapping_edit,
        name="shipping-mapping-edit",
    ),
    path(
        "shipping-methods/<uid:method_uid>/delete",
        views.shipping_mapping_delete_view,
        name="shipping-mapping-delete",
    ),
    path("audit/", views.audit_trail, name="audit"),
    # The API answers 403 JSON to anonymous callers (DRF's own check) instead of the login
    # page redirect, which a script cannot follow.
    path(
        "api/<uid:uid>/",
        login_not_required(api.OrderStateView.as_view()),
        name="api-order",
    ),
    path(
        "api/<uid:uid>/transition",
        login_not_required(api.OrderTransitionView.as_view()),
        name="api-transition",
    ),
    path("<uid:uid>/", views.order_detail, name="detail"),
    path("<uid:uid>/prescription", views.order_prescription, name="prescription"),
    path("<uid:uid>/transition", views.order_transition_view, name="transition"),
    path("<uid:uid>/claim", views.order_claim_view, name="claim"),
    path("<uid:uid>/release", views.order_release_view, name="release"),
    path("<uid:uid>/notes", views.order_note_view, name="notes"),
    path(
        "<uid:uid>/paper-original",
        views_gates.order_paper_original_view,
        name="paper-original",
    ),
]
