"""The demo's pharmacy: SKUs and orders as RxScale events, shared by `load_demo_data` (through
the real intake) and the stand-in (`rxscale_standin --seed demo`), so both sides of `make run`
know the same orders."""

import copy
from collections.abc import Iterator

from rxscale.inbox.samples import build_payload

# A fixed base time keeps payload bytes, and so the dedupe keys, the same on every run.
BASE_TIME = 1_790_000_000

DEMO_PATIENTS = [
    ("Max Mustermann", "Hauptstr.", "1", "10115", "Berlin"),
    ("Erika Musterfrau", "Lindenallee", "12a", "80331", "München"),
    ("Jörg Weiß", "Am Markt", "3", "50667", "Köln"),
    ("Aylin Yılmaz", "Bahnhofstr.", "44", "20095", "Hamburg"),
    ("Sophie Keller", "Gartenweg", "7", "01067", "Dresden"),
    ("<script>alert('x')</script> Test", "Teststr.", "1", "10115", "Berlin"),
]
DEMO_PRODUCTS = [
    ("sku-456", "psku-456", "12345678", "Medication X 100mg", "Medication X", 50, 3),
    ("sku-501", "psku-501", "04324188", "Ibuprofen 400mg 20 St.", "Ibuprofen", 120, 8),
    ("sku-502", "psku-502", "01126111", "Amoxicillin 1000mg 20 St.", "Amoxicillin", 2, 6),
    ("sku-503", "psku-503", "07578630", "Salbutamol Dosieraerosol", "Salbutamol", 0, 1),
]
DEMO_ORDERS = [
    # uid, status, priority, patient index, product indexes, shipping method, prepaid, age (h)
    ("po-demo-1001", "waiting for pharmacy", 0, 0, [0], "ssm-001", 0, 30),
    ("po-demo-1002", "waiting for pharmacy", 5, 1, [1, 2], "ssm-express", 0, 5),
    ("po-demo-1003", "pending review", 0, 2, [2], "ssm-001", 1, 48),
    ("po-demo-1004", "in-progress", 2, 3, [0, 3], "ssm-pickup", 0, 20),
    ("po-demo-1005", "ready_for_pickup", 0, 4, [1], "ssm-001", 0, 70),
    ("po-demo-1006", "waiting for pharmacy", 0, 5, [3], "ssm-express", 0, 2),
    ("po-demo-1007", "completed", 0, 1, [1], "ssm-001", 0, 200),
]
SHIPPING_METHODS = {
    "ssm-001": ("DHL Standard", "shopify-standard", "DHL_STANDARD"),
    "ssm-express": ("DHL Express", "shopify-express", None),
    "ssm-pickup": ("Click & Collect", "shopify-pickup", None),
}


def demo_payloads() -> Iterator[dict]:
    """The demo's stock and order events, as RxScale would send them (stable bytes)."""
    for sku_uid, psku_uid, pzn, name, product, stock, reserved in DEMO_PRODUCTS:
        payload = build_payload(
            "pharmacy_sku_stock_updated",
            uid=psku_uid,
            updated_at=BASE_TIME,
            stock=stock,
            reserved_amount=reserved,
        )
        payload["data"]["sku_uid"] = sku_uid
        payload["data"]["sku"].update(
            uid=sku_uid,
            pzn=pzn,
            display_name=name,
            product_display_name=product,
            product_uid=f"prod-{sku_uid}",
        )
        yield payload
    for uid, status, priority, patient, products, method, prepaid, age in DEMO_ORDERS:
        yield _order_payload(uid, status, priority, patient, products, method, prepaid, age)


def _order_payload(uid, status, priority, patient, products, method, prepaid, age):
    created = BASE_TIME - age * 3600
    payload = build_payload(
        "pharmacy_order_created", uid=uid, status=status, updated_at=created + 60
    )
    data = payload["data"]
    data["created_at"] = created
    data["name"] = f"#{uid[-4:]}"
    data["prepaid"] = prepaid
    data["order"]["priority"] = priority
    name, street, number, zip_code, city = DEMO_PATIENTS[patient]
    first, _, last = name.rpartition(" ")
    address = {
        **data["order"]["delivery_address"],
        "first_name": first,
        "last_name": last,
        "street": street,
        "house_number": number,
        "zip_code": zip_code,
        "city": city,
    }
    data["order"]["delivery_address"] = address
    data["order"]["invoice_address"] = copy.deepcopy(address)
    data["patient_data"].update(display_name=name, uid=f"pat-{uid}", email="demo@example.com")
    display, external, mapped = SHIPPING_METHODS[method]
    data["shop_shipping_methods"] = [
        {
            "uid": method,
            "display_name": display,
            "external_id": external,
            "pharmacy_mapping": (
                {"pharmacy_uid": "ph-xyz", "shipping_method_identifier_for_pharmacy": mapped}
                if mapped
                else None
            ),
        }
    ]
    template = data["order_items"][0]
    data["order_items"] = []
    for position, index in enumerate(products):
        sku_uid, psku_uid, pzn, sku_name, product, stock, _ = DEMO_PRODUCTS[index]
        item = copy.deepcopy(template)
        item["uid"] = f"oi-{uid}-{position}"
        item["amount"] = 1 + position
        item["sku"].update(
            uid=sku_uid,
            pzn=pzn,
            display_name=sku_name,
            product_display_name=product,
            product_uid=f"prod-{sku_uid}",
        )
        item["pharmacy_sku"].update(uid=psku_uid, stock=stock)
        data["order_items"].append(item)
    return payload
