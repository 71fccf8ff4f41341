"""The stand-in's in-memory RxScale: orders and pharmacy SKUs, and the documented rules.

Orders and SKUs are kept in the webhook shape (what `samples.build_payload` produces), because
that is what RxScale sends back; the API shapes are derived from it as the docs show them
(shipping costs at the top of a list item, `date_of_birth` as YYYY-MM-DD, a SKU's `pharmacy` as
a plain uid).

The refusal codes are the stand-in's own: RxScale's codes for these cases are undocumented.
Where the docs say nothing (transitions out of on-hold, from where complete_order is allowed),
the stand-in refuses only what the docs forbid.
"""

import copy
import threading
import time
from collections.abc import Callable
from typing import Any

from rxscale import statuses

JsonObject = dict[str, Any]
Notify = Callable[[str, JsonObject], None]
MAX_LIMIT = 200  # pagination.md: External Pharmacy API, "capped to the maximum"
DEFAULT_LIMIT = 50
_LIST_ONLY_DROPPED = ("patient_data", "doctor_data", "prescription_file", "prepaid")
_API_SKU_FIELDS = ("uid", "external_id", "price", "stock", "created_at", "updated_at", "deleted_at")


class Refusal(Exception):
    """An API answer other than 2xx: HTTP status and the JSON body RxScale would send."""

    def __init__(self, status: int, body: JsonObject) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{status} {body}")


def not_found() -> Refusal:
    # error-handling.md: the standard format, also used instead of 403 on resource endpoints.
    return Refusal(404, {"error": "Resource not found"})


def refusal(status: int, code: str, description: str) -> Refusal:
    return Refusal(status, {"code": code, "description": description})


class StandinStore:
    """Thread-safe; `notify(event_type, data)` is told of every change, in order."""

    def __init__(self, *, notify: Notify | None = None, now: Callable[[], float] = time.time):
        self._lock = threading.RLock()
        self._orders: dict[str, JsonObject] = {}
        self._skus: dict[str, JsonObject] = {}
        self._notify = notify or (lambda event_type, data: None)
        self._now = now

    # Seeding and RxScale's own changes -----------------------------------------------------

    def put_order(self, data: JsonObject, *, notify: bool = True) -> JsonObject:
        """Add or replace an order (webhook `data` shape), as RxScale routing one to us."""
        with self._lock:
            order = copy.deepcopy(data)
            existed = order["uid"] in self._orders
            self._orders[order["uid"]] = order
            if notify:
                event = "pharmacy_order_updated" if existed else "pharmacy_order_created"
                self._notify(event, copy.deepcopy(order))
            return copy.deepcopy(order)

    def put_sku(self, data: JsonObject, *, notify: bool = False) -> JsonObject:
        """Add or replace a pharmacy SKU (`pharmacy_sku_stock_updated` data shape)."""
        with self._lock:
            sku = copy.deepcopy(data)
            self._skus[sku["uid"]] = sku
            if notify:
                self._notify("pharmacy_sku_stock_updated", copy.deepcopy(sku))
            return copy.deepcopy(sku)

    def rxscale_set_status(self, uid: str, status: str) -> JsonObject:
        """A change RxScale makes itself (e.g. a system cancellation); any status goes."""
        with self._lock:
            order = self._order(uid)
            return self._change_order(order, status)

    def rxscale_set_stock(
        self, uid: str, stock: int, *, reserved_amount: int | None = None
    ) -> JsonObject:
        with self._lock:
            sku = self._sku(uid)
            sku["stock"] = stock
            if reserved_amount is not None:
                sku["reserved_amount"] = reserved_amount
            return self._touch_sku(sku)

    def order(self, uid: str) -> JsonObject:
        with self._lock:
            return copy.deepcopy(self._order(uid))

    def sku(self, uid: str) -> JsonObject:
        with self._lock:
            return copy.deepcopy(self._sku(uid))

    # API: orders ---------------------------------------------------------------------------

    def api_list_orders(
        self, *, page: int, limit: int, status: str = "", search: str = ""
    ) -> JsonObject:
        with self._lock:
            orders = [o for o in self._orders.values() if not status or o.get("status") == status]
            if search:
                orders = [o for o in orders if _matches(o, search)]
            return _paged([_api_order(o, details=False) for o in orders], page, limit)

    def api_order(self, uid: str) -> JsonObject:
        with self._lock:
            return _api_order(self._order(uid), details=True)

    def api_set_status(self, uid: str, body: JsonObject) -> JsonObject:
        """PATCH …/status with the documented rules."""
        target = body.get("status")
        comment = body.get("comment")
        if not isinstance(target, str) or target not in statuses.ORDER_STATUSES:
            raise refusal(400, "invalid_status", f"Unknown status {target!r}.")
        if comment is not None and not isinstance(comment, str):
            raise refusal(400, "invalid_comment", "comment must be a string.")
        if target == statuses.COMPLETED:
            raise refusal(
                422,
                "use_complete_order",
                "Do not set completed through the status endpoint; use complete_order.",
            )
        if target in statuses.RXSCALE_ONLY_STATUSES:
            raise refusal(422, "status_not_allowed", f"Status {target!r} is set by RxScale only.")
        with self._lock:
            order = self._order(uid)
            self._refuse_if_final(order)
            entering_hold = target == statuses.ON_HOLD != order.get("status")
            if entering_hold and not (comment or "").strip():
                raise refusal(
                    400, "comment_required", "A non-blank comment is required for on-hold."
                )
            self._change_order(order, target)
            return _api_order(order, details=False)

    def api_complete(self, uid: str) -> JsonObject:
        """PATCH …/complete_order: completes and reduces stock, as the lifecycle guide says."""
        with self._lock:
            order = self._order(uid)
            self._refuse_if_final(order)
            for item in order.get("order_items") or []:
                self._reduce_stock(item)
            self._change_order(order, statuses.COMPLETED)
            return _api_order(order, details=False)

    # API: pharmacy SKUs --------------------------------------------------------------------

    def api_list_skus(self, *, page: int, limit: int) -> JsonObject:
        with self._lock:
            return _paged([_api_sku(s) for s in self._skus.values()], page, limit)

    def api_set_stock(self, uid: str, body: JsonObject, field: str) -> JsonObject:
        stock = body.get(field)
        if isinstance(stock, bool) or not isinstance(stock, int) or stock < 0:
            raise refusal(400, "invalid_stock", f"`{field}` must be a whole number >= 0.")
        with self._lock:
            sku = self._sku(uid)
            sku["stock"] = stock
            self._touch_sku(sku)
            return _api_sku(sku)

    def api_set_external_id(self, uid: str, body: JsonObject, field: str) -> JsonObject:
        external_id = body.get(field)
        if not isinstance(external_id, str):
            raise refusal(400, "invalid_external_id", f"`{field}` must be a string.")
        with self._lock:
            sku = self._sku(uid)
            sku["external_id"] = external_id
            self._touch_sku(sku)
            return _api_sku(sku)

    # Internals (called with the lock held) ---------------------------------------------------

    def _order(self, uid: str) -> JsonObject:
        if uid not in self._orders:
            raise not_found()
        return self._orders[uid]

    def _sku(self, uid: str) -> JsonObject:
        if uid not in self._skus:
            raise not_found()
        return self._skus[uid]

    def _refuse_if_final(self, order: JsonObject) -> None:
        if order.get("status") in statuses.FINAL_STATUSES:
            raise refusal(422, "order_closed", f"The order is {order['status']}.")

    def _tick(self, previous: Any) -> int:
        # Strictly newer than the last snapshot, so a receiver's staleness rule applies it.
        last = previous if isinstance(previous, int) else 0
        return max(int(self._now()), last + 1)

    def _change_order(self, order: JsonObject, status: str) -> JsonObject:
        order["status"] = status
        order["updated_at"] = self._tick(order.get("updated_at"))
        self._notify("pharmacy_order_updated", copy.deepcopy(order))
        return copy.deepcopy(order)

    def _touch_sku(self, sku: JsonObject) -> JsonObject:
        sku["updated_at"] = self._tick(sku.get("updated_at"))
        self._notify("pharmacy_sku_stock_updated", copy.deepcopy(sku))
        return copy.deepcopy(sku)

    def _reduce_stock(self, item: JsonObject) -> None:
        pharmacy_sku = item.get("pharmacy_sku") or {}
        sku = self._skus.get(pharmacy_sku.get("uid", ""))
        amount = item.get("amount")
        if sku is None or not isinstance(amount, int):
            return
        # The units leave the shelf and stop being reserved for this order (a guess: the docs
        # say only that completion "includes stock reduction").
        sku["stock"] = max(0, int(sku.get("stock") or 0) - amount)
        sku["reserved_amount"] = max(0, int(sku.get("reserved_amount") or 0) - amount)
        pharmacy_sku["stock"] = sku["stock"]
        self._touch_sku(sku)


def _paged(items: list[JsonObject], page: int, limit: int) -> JsonObject:
    limit = min(limit, MAX_LIMIT)
    total = len(items)
    return {
        "data": items[page * limit : (page + 1) * limit],
        "totalRegistries": total,
        "totalPages": -(-total // limit),
    }


def _matches(order: JsonObject, search: str) -> bool:
    """The newer docs: case-insensitive substring of shop order name, pharmacy order name,
    patient name, order uid and pharmacy order uid."""
    needle = search.casefold()
    candidates = (
        order.get("shop_order_name"),
        order.get("name"),
        (order.get("patient_data") or {}).get("display_name"),
        (order.get("order") or {}).get("uid"),
        order.get("uid"),
    )
    return any(isinstance(value, str) and needle in value.casefold() for value in candidates)


def _api_order(order: JsonObject, *, details: bool) -> JsonObject:
    api = copy.deepcopy(order)
    inner = api.get("order") or {}
    # The list puts shipping costs on the pharmacy order itself; webhooks nest them in `order`.
    for key in ("shipping_costs_amount", "shipping_costs_currency"):
        if key in inner:
            api[key] = inner.pop(key)
    if not details:
        for key in _LIST_ONLY_DROPPED:
            api.pop(key, None)
        return api
    patient = api.get("patient_data") or {}
    birth = patient.get("date_of_birth")
    if isinstance(birth, str) and len(birth) == 10 and birth[2] == "." and birth[5] == ".":
        patient["date_of_birth"] = f"{birth[6:]}-{birth[3:5]}-{birth[:2]}"  # API: YYYY-MM-DD
    return api


def _api_sku(sku: JsonObject) -> JsonObject:
    api = {key: copy.deepcopy(sku.get(key)) for key in _API_SKU_FIELDS}
    api["pharmacy"] = sku.get("pharmacy_uid")
    api["sku"] = copy.deepcopy(sku.get("sku") or {})
    return api
