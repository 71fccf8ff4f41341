"""RxScale's API objects in the shape of the webhook `data` their handlers read.

Sources: external-pharmacy-orders.md, external-pharmacy-skus.md, the seed webhook samples
(rxscale/inbox/samples/). Where the shapes agree the object is passed on as it came, unknown
keys included (the tolerant reader keeps and reports them).
"""

import re
import time
from typing import Any

ORDER_EVENT = "pharmacy_order_updated"
SKU_EVENT = "pharmacy_sku_stock_updated"
# Pharmacy SKU figures a stock webhook carries and the API's SKU list does not: kept from our
# row (RxScale's value as we last heard it) instead of being reset to the reader's default.
SKU_FIELDS_NOT_IN_API = ("reserved_amount", "markup", "priority", "type", "shop_identifier")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def envelope(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The webhook envelope around `data`.

    `timestamp` is the object's `updated_at` (the time of the state read), not the time we
    read it: the same state read twice is then byte-identical, a duplicate in the inbox.
    """
    updated_at = data.get("updated_at")
    valid = isinstance(updated_at, int) and not isinstance(updated_at, bool) and updated_at >= 0
    return {
        "event_type": event_type,
        "timestamp": updated_at if valid else int(time.time()),
        "payload_version": "1",
        "data": data,
    }


def order_data(api_order: dict[str, Any]) -> dict[str, Any]:
    """An order from Get Order Details as webhook `data`: shipping costs back under `order`,
    the date of birth as webhooks write it (DD.MM.YYYY; the API writes YYYY-MM-DD)."""
    data = dict(api_order)
    parent = data.get("order")
    if isinstance(parent, dict):
        parent = dict(parent)
        for key in ("shipping_costs_amount", "shipping_costs_currency"):
            if key in data and key not in parent:
                parent[key] = data.pop(key)
        data["order"] = parent
    patient = data.get("patient_data")
    if isinstance(patient, dict) and isinstance(patient.get("date_of_birth"), str):
        found = _ISO_DATE.match(patient["date_of_birth"])
        if found:
            year, month, day = found.groups()
            data["patient_data"] = {**patient, "date_of_birth": f"{day}.{month}.{year}"}
    return data


def sku_data(api_sku: dict[str, Any], stored: dict[str, Any] | None) -> dict[str, Any]:
    """A pharmacy SKU from the SKU list as `pharmacy_sku_stock_updated` data.

    The list names the pharmacy as a plain uid (`pharmacy`) and the catalogue SKU only inside
    `sku`; `sku.digital` has no place in the webhook shape or our models. `stored`: our row's
    values of SKU_FIELDS_NOT_IN_API (None for a new SKU: the reader's defaults apply).
    """
    data = {key: value for key, value in api_sku.items() if key not in ("pharmacy", "sku")}
    pharmacy = api_sku.get("pharmacy")
    data["pharmacy_uid"] = pharmacy.get("uid") if isinstance(pharmacy, dict) else pharmacy
    sku = api_sku.get("sku")
    if isinstance(sku, dict):
        sku = {key: value for key, value in sku.items() if key != "digital"}
        data.setdefault("sku_uid", sku.get("uid"))
    data["sku"] = sku
    for name in SKU_FIELDS_NOT_IN_API:
        if name not in data and stored is not None and name in stored:
            data[name] = stored[name]
    return data
