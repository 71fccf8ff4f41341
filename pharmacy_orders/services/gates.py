"""The gates before an order leaves the pharmacy: the paper original and the pharmacist's
release (four eyes). Rules of the transition service (`services/workflow.py`), so the page,
the API and commands all meet them; each refusal is a `TransitionRefused` with a `code`.

- A paper-prescription order (`prepaid`) goes to ready_for_pickup or completed only once the
  receipt of its paper original is recorded (`services/paper_originals.py`).
- Every move into ready_for_pickup (release, or resume of a hold back there) is a release: a
  pharmacist confirms the checklist, and a `PharmacistRelease` records who, when and what.
- Four eyes: whoever moved the order to in-progress may not release it, unless
  `RELEASE_SINGLE_PERSON_ALLOWED` (a pharmacy with one pharmacist); such a release is flagged.
- RxScale changing the items or the prescription afterwards voids the release
  (`order_release_void_on_change`, called by the snapshot service). A voided release blocks
  completion: hold and resume to check and release again.
"""

from dataclasses import dataclass, fields

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.utils import dateformat, timezone

from common.events import Delivery
from pharmacy_orders.models import (
    OrderStatus,
    OrderStatusChange,
    PaperOriginalReceipt,
    PharmacistRelease,
    PharmacyOrder,
)
from pharmacy_orders.services.audit import audit_record
from pharmacy_orders.services.refusals import (
    PaperOriginalMissing,
    ReleaseBySamePerson,
    ReleaseChecklistIncomplete,
    ReleaseVoided,
)
from pharmacy_orders.statuses import FINAL_STATUSES

S = OrderStatus

RELEASE_TARGET = S.READY_FOR_PICKUP
# Nothing leaves the pharmacy before the paper original is here.
PAPER_GATED_TARGETS = frozenset({S.READY_FOR_PICKUP, S.COMPLETED})

AUDIT_RELEASE = "order_pharmacist_release"
AUDIT_RELEASE_SINGLE_PERSON = "order_release_single_person"


@dataclass(frozen=True)
class ReleaseChecklist:
    """What the pharmacist confirms on release; every item is required."""

    prescription_checked: bool = False
    doctor_and_signature_checked: bool = False
    dose_and_interactions_plausible: bool = False

    @property
    def complete(self) -> bool:
        return all(getattr(self, f.name) for f in fields(self))

    def missing(self) -> list[str]:
        return [CHECKLIST_LABELS[f.name] for f in fields(self) if not getattr(self, f.name)]


CHECKLIST_LABELS = {
    "prescription_checked": "Prescription checked",
    "doctor_and_signature_checked": "Doctor and signature checked",
    "dose_and_interactions_plausible": "Dose and interactions plausible",
}


@dataclass(frozen=True)
class ReleasePlan:
    """What the checks decided about a release, for `order_release_record`."""

    prepared_by_id: int | None
    single_person: bool


def _when(at) -> str:
    return dateformat.format(timezone.localtime(at), "j M Y, H:i")


def paper_original_of(order: PharmacyOrder) -> PaperOriginalReceipt | None:
    """The order's recorded paper original (select_related("paper_original") saves a query)."""
    try:
        return order.paper_original
    except ObjectDoesNotExist:
        return None


def _preparer_ids(order: PharmacyOrder) -> list[int]:
    """Who moved the order to in-progress, newest first (RxScale's moves have no user)."""
    return list(
        OrderStatusChange.objects.filter(order=order, to_status=S.IN_PROGRESS, user__isnull=False)
        .order_by("-created_at", "-id")
        .values_list("user_id", flat=True)
    )


def voided_release_message(release: PharmacistRelease) -> str:
    return (
        f"The release by {release.released_by.get_username()} on {_when(release.released_at)} "
        f"is void: {release.void_reason} Put the order on hold and resume it to check and "
        "release it again."
    )


def order_gates_check(
    *,
    order: PharmacyOrder,
    target: str,
    user: AbstractBaseUser,
    checklist: ReleaseChecklist | None,
) -> ReleasePlan | None:
    """Raise the refusal of the first gate that holds the move of the locked `order` to
    `target`; else the plan of the release it is (None if it is no release).

    Errors: PaperOriginalMissing, ReleaseVoided (completing), ReleaseChecklistIncomplete,
    ReleaseBySamePerson. Reads only; the caller holds the order row lock.
    """
    if (
        target in PAPER_GATED_TARGETS
        and order.prepaid
        and not PaperOriginalReceipt.objects.filter(order=order).exists()
    ):
        raise PaperOriginalMissing(
            "The paper original of this prescription is missing: a paper-prescription order "
            "can't be released or completed until a clerk records that the original has "
            "arrived (“Paper original” on the order page). Nothing was changed."
        )
    if target == S.COMPLETED:
        latest = order.pharmacist_releases.select_related("released_by").last()
        if latest is not None and latest.voided_at is not None:
            raise ReleaseVoided(f"{voided_release_message(latest)} Nothing was changed.")
    if target != RELEASE_TARGET:
        return None
    checklist = checklist or ReleaseChecklist()
    if not checklist.complete:
        raise ReleaseChecklistIncomplete(
            "Releasing needs every item of the checklist confirmed; missing: "
            f"{', '.join(checklist.missing())}. Nothing was changed.",
            field="checklist",
        )
    preparers = _preparer_ids(order)
    single_person = user.pk in preparers
    if single_person and not settings.RELEASE_SINGLE_PERSON_ALLOWED:
        raise ReleaseBySamePerson(
            "You prepared this order (you moved it to “In progress”), so you can't release it "
            "alone: another pharmacist must check and release it. Nothing was changed."
        )
    return ReleasePlan(
        prepared_by_id=preparers[0] if preparers else None, single_person=single_person
    )


def order_release_record(
    *,
    order: PharmacyOrder,
    user: AbstractBaseUser,
    status_change: OrderStatusChange,
    checklist: ReleaseChecklist,
    plan: ReleasePlan,
) -> PharmacistRelease:
    """Record the release that `status_change` made, and audit it (a single-person release
    under its own action, so the audit trail can be filtered for them). Inside the
    transition's transaction."""
    release = PharmacistRelease.objects.create(
        order=order,
        status_change=status_change,
        released_by=user,
        released_at=status_change.created_at,
        prescription_checked=checklist.prescription_checked,
        doctor_and_signature_checked=checklist.doctor_and_signature_checked,
        dose_and_interactions_plausible=checklist.dose_and_interactions_plausible,
        prepared_by_id=plan.prepared_by_id,
        single_person=plan.single_person,
    )
    audit_record(
        user=user,
        action=AUDIT_RELEASE_SINGLE_PERSON if plan.single_person else AUDIT_RELEASE,
        order_uid=order.uid,
        details={
            "checklist": [CHECKLIST_LABELS[name] for name in CHECKLIST_LABELS],
            "single_person": plan.single_person,
            "status_change": status_change.pk,
        },
    )
    return release


def order_release_void_on_change(
    *, order: PharmacyOrder, delivery: Delivery, items: bool, prescription: bool
) -> None:
    """RxScale changed the items and/or the prescription of `order`: void its standing release.

    One UPDATE, and only when something changed (the snapshot service's budget); none for a
    finished order. The voided release says why on the order page and its timeline.
    """
    if not (items or prescription) or order.status in FINAL_STATUSES:
        return
    what = " and ".join(
        text
        for text, changed in (("the items", items), ("the prescription", prescription))
        if changed
    )
    now = timezone.now()
    PharmacistRelease.objects.filter(order=order, voided_at__isnull=True).update(
        voided_at=now,
        void_reason=f"RxScale changed {what} on {_when(now)}, after the release.",
        voided_by_delivery_id=delivery.pk,
    )
