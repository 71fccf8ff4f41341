"""The pharmacy an order snapshot names: created the first time, renamed when RxScale renames it.

The caller holds the order row lock. A pharmacy row is only locked when it is created or
renamed; two deliveries creating the same pharmacy at once end with one row, neither fails.
"""

from django.db.models import Subquery

from common.inserts import insert_missing
from pharmacy_orders.models import Pharmacy


def pharmacy_upsert(data: dict | None, current: Pharmacy | None) -> Pharmacy | None:
    """The snapshot's pharmacy, created or renamed if need be; `current` is the order's."""
    if not data or not data.get("uid"):
        return None
    unchanged_name = not data.get("display_name") or (
        current is not None and current.display_name == data["display_name"]
    )
    if current is not None and current.uid == data["uid"] and unchanged_name:
        return current  # every update repeats the pharmacy: nothing to look up or write
    pharmacy = Pharmacy.objects.filter(uid=data["uid"]).first()  # usually there
    if pharmacy is None:
        # A concurrent create of the same pharmacy is skipped, not an error (no savepoint).
        Pharmacy.objects.bulk_create(
            [Pharmacy(uid=data["uid"], display_name=data.get("display_name") or "")],
            ignore_conflicts=True,
        )
        pharmacy = Pharmacy.objects.get(uid=data["uid"])
    if data.get("display_name") and pharmacy.display_name != data["display_name"]:
        pharmacy.display_name = data["display_name"]
        pharmacy.save(update_fields=["display_name"])
    return pharmacy


def pharmacy_ensure_for_new_order(data: dict | None) -> tuple[Subquery | None, Pharmacy | None]:
    """For a new order's INSERT: make sure the snapshot's pharmacy is stored, in one statement
    (INSERT … ON CONFLICT DO NOTHING: a stored pharmacy is neither locked nor rewritten).

    Returns a subquery of its id that finds it only under the snapshot's name (None when the
    snapshot names no pharmacy), for the INSERT to look it up without a query of its own
    (finding none, it was renamed: `pharmacy_upsert` after the INSERT), and the pharmacy if
    this call created it (None otherwise), for the caller to remove if no order takes it.
    """
    if not data or not data.get("uid"):
        return None, None
    created = insert_missing(
        [Pharmacy(uid=data["uid"], display_name=data.get("display_name") or "")]
    )
    named = Pharmacy.objects.filter(uid=data["uid"])
    if data.get("display_name"):
        named = named.filter(display_name=data["display_name"])
    return Subquery(named.values("pk")), (created[0] if created else None)
