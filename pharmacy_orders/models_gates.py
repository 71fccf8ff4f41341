"""What the two gates before an order leaves the pharmacy record (issue 10).

- `PaperOriginalReceipt`: the paper original of a paper-prescription (`prepaid`) order arrived.
  Until it has, the order cannot be released (ready_for_pickup) or completed.
- `PharmacistRelease`: a pharmacist's release to ready_for_pickup, with the checklist they
  confirmed. A change of the items or the prescription from RxScale afterwards voids it.

The rules are in `pharmacy_orders/services/gates.py`; `pharmacy_orders.models` re-exports
these models. Declared by name ("pharmacy_orders.PharmacyOrder") so this module imports no
other model module.
"""

from django.conf import settings
from django.db import models


class PaperOriginalReceipt(models.Model):
    """The paper original of a paper-prescription order reached the pharmacy: who, when."""

    order = models.OneToOneField(
        "pharmacy_orders.PharmacyOrder", on_delete=models.CASCADE, related_name="paper_original"
    )
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    received_at = models.DateTimeField()
    note = models.TextField(blank=True)
    # Where the scan of the original is kept (a document system's id, a file name).
    scan_reference = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"Paper original of order {self.order_id}"


class PharmacistRelease(models.Model):
    """A pharmacist released the order to ready_for_pickup after the final check."""

    order = models.ForeignKey(
        "pharmacy_orders.PharmacyOrder",
        on_delete=models.CASCADE,
        related_name="pharmacist_releases",
    )
    status_change = models.OneToOneField(
        "pharmacy_orders.OrderStatusChange", on_delete=models.CASCADE, related_name="release"
    )
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField()
    # The checklist, as confirmed (all three are required: see the constraint).
    prescription_checked = models.BooleanField()
    doctor_and_signature_checked = models.BooleanField()
    dose_and_interactions_plausible = models.BooleanField()
    # Who moved the order to in-progress most recently, if a person did.
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Released by the person who prepared it (RELEASE_SINGLE_PERSON_ALLOWED): no second pair
    # of eyes. Flagged here, on the timeline and in the audit trail.
    single_person = models.BooleanField(default=False)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)
    voided_by_delivery = models.ForeignKey(
        "rxscale.WebhookDelivery",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["released_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    prescription_checked=True,
                    doctor_and_signature_checked=True,
                    dose_and_interactions_plausible=True,
                ),
                name="release_checklist_complete",
            )
        ]

    def __str__(self) -> str:
        return f"Release of order {self.order_id}"
