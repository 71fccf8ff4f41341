"""JSON API for order state and transitions (session auth, same permissions as the pages).

`GET  /orders/api/<uid>/`            the order's status and the transitions offered to you
`POST /orders/api/<uid>/transition`  {action, expected_status, reason?, confirm?, checklist?}

`checklist` (a release into ready_for_pickup): {prescription_checked, doctor_and_signature_checked,
dose_and_interactions_plausible}, each true; the gates (paper original, four eyes, a voided
release) answer with their own `code` (pharmacy_orders/services/refusals.py).

Both call the same selectors and services as the pages: one transition map, one set of rules.
Refusals answer {"error", "code", "field", "status"} with 400 (input), 403 (role) or 409
(not allowed from this status, or the order changed since `expected_status`).
"""

from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pharmacy_orders.models import OrderStatus, PharmacyOrder
from pharmacy_orders.services.gates import ReleaseChecklist
from pharmacy_orders.services.workflow import (
    REASON_MAX_LENGTH,
    TRANSITIONS,
    WORK_PERMISSION,
    TransitionRefused,
    order_offered_transitions,
    order_transition,
    status_label,
)

VIEW_ORDER = "pharmacy_orders.view_pharmacyorder"


class OrderPermission(BasePermission):
    """Reading needs view_pharmacyorder; acting also needs work_order. Pharmacist-only
    targets are the service's check (it knows the target, e.g. of a resume)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        needed = [VIEW_ORDER] if request.method in SAFE_METHODS else [VIEW_ORDER, WORK_PERMISSION]
        return user.has_perms(needed)


class ChecklistSerializer(serializers.Serializer):
    prescription_checked = serializers.BooleanField(required=False, default=False)
    doctor_and_signature_checked = serializers.BooleanField(required=False, default=False)
    dose_and_interactions_plausible = serializers.BooleanField(required=False, default=False)


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(TRANSITIONS))
    expected_status = serializers.ChoiceField(choices=OrderStatus.choices)
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=REASON_MAX_LENGTH, default=""
    )
    confirm = serializers.BooleanField(required=False, default=False)
    checklist = ChecklistSerializer(required=False, default=None, allow_null=True)

    def validate_checklist(self, value: dict | None) -> ReleaseChecklist | None:
        return ReleaseChecklist(**value) if value is not None else None


def _order_state(order: PharmacyOrder, user) -> dict:
    return {
        "uid": order.uid,
        "name": order.name,
        "status": order.status,
        "status_label": status_label(order.status),
        "status_before_hold": order.status_before_hold,
        "hold_reason": order.hold_reason,
        "claimed_by": order.claimed_by.get_username() if order.claimed_by_id else None,
        "transitions": [
            {
                "action": offered.action,
                "label": offered.transition.label,
                "target": offered.target,
                "pharmacist_only": offered.pharmacist_only,
                "permitted": offered.permitted,
                "reason_required": offered.transition.reason_required,
                "confirmation_required": offered.transition.confirmation_required,
                "checklist_required": offered.is_release,
            }
            for offered in order_offered_transitions(order=order, user=user)
        ],
    }


def _get_order(uid: str) -> PharmacyOrder | None:
    return PharmacyOrder.objects.select_related("claimed_by").filter(uid=uid).first()


class OrderStateView(APIView):
    permission_classes = [OrderPermission]

    def get(self, request: Request, uid: str) -> Response:
        order = _get_order(uid)
        if order is None:
            return Response({"error": "No such order.", "code": "not_found"}, status=404)
        return Response(_order_state(order, request.user))


class OrderTransitionView(APIView):
    permission_classes = [OrderPermission]

    def post(self, request: Request, uid: str) -> Response:
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            # The serializer's fields are the service's arguments (as are the form's).
            outcome = order_transition(order_uid=uid, user=request.user, **data)
        except PharmacyOrder.DoesNotExist:
            return Response({"error": "No such order.", "code": "not_found"}, status=404)
        except TransitionRefused as refusal:
            current = _get_order(uid)
            return Response(
                {
                    "error": refusal.message,
                    "code": refusal.code,
                    "field": refusal.field,
                    "status": current.status if current else None,
                },
                status=refusal.http_status,
            )
        order = _get_order(outcome.order.uid)
        return Response(
            {
                **_order_state(order, request.user),
                "from_status": outcome.from_status,
                "status_change_id": outcome.status_change.pk,
            }
        )
