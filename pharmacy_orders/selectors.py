from django.db.models import QuerySet

from pharmacy_orders.models import OrderStatus, PharmacyOrder

WORKLIST_STATUSES = [
    OrderStatus.WAITING_FOR_PHARMACY,
    OrderStatus.PENDING_REVIEW,
    OrderStatus.IN_PROGRESS,
    OrderStatus.ON_HOLD,
    OrderStatus.READY_FOR_PICKUP,
]


def worklist_orders() -> QuerySet[PharmacyOrder]:
    return (
        PharmacyOrder.objects.filter(status__in=WORKLIST_STATUSES)
        .select_related("pharmacy", "claimed_by")
        .order_by("-priority", "rx_created_at", "id")
    )
