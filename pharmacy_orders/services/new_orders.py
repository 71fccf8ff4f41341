"""The first snapshot of an order: its row is inserted whole, in one statement.

A first delivery writes rows in about ten tables, and issue 7 gives the whole delivery 15
statements, so nothing is written twice or read only to be written: everything the order row
holds is worked out before its INSERT (status, shipping identifier, fingerprint), and the
INSERT itself looks up the pharmacy and the prescription document (subqueries) and returns
what it found. Rare cases cost a statement more: a renamed pharmacy, a missing document.

The INSERT skips an order that is stored already (INSERT … ON CONFLICT DO NOTHING), waiting
for a concurrent delivery that is creating it: the caller then applies the snapshot to the
stored order as to any other. Lock order as for a stored order (the order row, then the
pharmacy, products, SKUs and pharmacy SKUs by uid); only a pharmacy created here is held
from before the order's INSERT.
"""

from common.events import Delivery
from common.inserts import insert_missing
from pharmacy_orders.models import OrderShopShippingMethod, OrderStatusChange, PharmacyOrder
from pharmacy_orders.services.order_contents import (
    order_items_apply,
    shop_shipping_methods_build,
)
from pharmacy_orders.services.pharmacies import pharmacy_ensure_for_new_order, pharmacy_upsert
from pharmacy_orders.services.prescriptions import NewOrderPrescription
from pharmacy_orders.services.rxscale_decisions import (
    order_release_if_deleted,
    order_snapshot_sha256,
    order_status_from_snapshot,
    pdf_reference,
)
from pharmacy_orders.services.shipping import resolve_shipping_identifier


def order_insert_from_snapshot(
    *, snapshot: dict, fields: dict, delivery: Delivery
) -> tuple[PharmacyOrder, str] | None:
    """Create the order of a validated snapshot with its items, shop shipping methods,
    prescription link and first status change; `fields` are its columns (`_order_fields`).

    Returns (the order, its prescription problem), or None, having written nothing, when
    the order is stored already.
    """
    pharmacy_data = snapshot.get("pharmacy") or {}
    pharmacy_uid = pharmacy_data.get("uid") or ""
    file_data = snapshot.get("prescription_file")
    prescription = NewOrderPrescription(file_data) if file_data else None
    keeps_problem = bool(file_data) and not file_data.get("content_discarded")

    # As `order_apply_snapshot` sets a stored order, minus what a new row cannot have yet.
    order = PharmacyOrder(uid=snapshot["uid"], status=snapshot["status"])
    values = dict(fields)
    order_status_from_snapshot(
        order=order, status=values.pop("status"), snapshot=snapshot, delivery=delivery
    )
    for name, value in values.items():
        setattr(order, name, value)
    order_release_if_deleted(order=order, was_deleted=False)
    methods = shop_shipping_methods_build(order, snapshot.get("shop_shipping_methods") or [])
    order.shipping_identifier = resolve_shipping_identifier(
        methods=methods, pharmacy_uid=pharmacy_uid
    )
    order.shipping_unmapped = not order.shipping_identifier
    if prescription is not None:
        order.current_prescription_id = prescription.current_prescription_value()
        if keeps_problem:
            order.prescription_problem = prescription.problem
    pdf_sha = (file_data or {}).get("content_sha256") or pdf_reference(file_data)[0]
    order.rx_snapshot_sha256 = order_snapshot_sha256(snapshot=snapshot, pdf_sha256=pdf_sha)
    order.pharmacy_id, new_pharmacy = pharmacy_ensure_for_new_order(pharmacy_data)

    if not insert_missing([order], returning=("pharmacy", "current_prescription")):
        if new_pharmacy is not None:
            # No order of ours takes it: a stale snapshot must not leave a pharmacy behind.
            new_pharmacy.delete()
        return None

    inserted = {
        "pharmacy": order.pharmacy_id,
        "current_prescription": order.current_prescription_id,
    }
    problem = ""
    if pharmacy_uid and order.pharmacy_id is None:
        order.pharmacy = pharmacy_upsert(pharmacy_data, None)  # renamed at RxScale
    if prescription is not None:
        problem = prescription.link(order=order, delivery=delivery).problem
        if keeps_problem:
            order.prescription_problem = problem
    # The rare cases the INSERT could not settle: a renamed pharmacy, a missing document, a
    # PDF that came inline.
    later = [name for name, value in inserted.items() if getattr(order, f"{name}_id") != value]
    if keeps_problem and problem != prescription.problem:
        later.append("prescription_problem")
    if later:
        order.save(update_fields=[*later, "updated_at"])

    order_items_apply(
        order,
        snapshot.get("order_items") or [],
        delivery,
        new_order=True,
        pharmacy_uid=pharmacy_uid,
    )
    OrderShopShippingMethod.objects.bulk_create(methods)
    OrderStatusChange.objects.create(
        order=order, from_status="", to_status=order.status, delivery=delivery
    )
    return order, problem
