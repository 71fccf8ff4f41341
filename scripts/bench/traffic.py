"""The deliveries the bench sends: realistic, signed, with repeats and late arrivals.

Order snapshots carry a PDF of their own (one per order, as a prescription is), items whose
pharmacy SKUs are also the subjects of the stock events, and a shop shipping method. A burst
has 10% exact repeats (RxScale's retry of the same bytes) and 10% late arrivals (an older
snapshot sent after a newer one of the same order or SKU). `Expected` remembers the newest
snapshot sent per order and SKU, which is what the final state must show.
"""

import base64
import copy
import json
import random
from dataclasses import dataclass, field, replace

from rxscale.inbox.samples import build_payload, sample_pdf
from rxscale.inbox.signature import sign

PHARMACY_UID = "ph-xyz"  # the seed payloads' pharmacy
STATUSES = ("waiting for pharmacy", "pending review", "in-progress", "on-hold")
# Each burst's snapshots are newer than the previous burst's: never a tie on updated_at.
EPOCH = 1_800_000_000
BURST_SPAN = 1_000_000


@dataclass(frozen=True)
class Delivery:
    kind: str  # "order" or "stock"
    uid: str
    updated_at: int
    body: bytes
    signature: str
    repeat: bool = False
    late: bool = False


@dataclass
class Expected:
    """The newest snapshot sent per subject.

    Orders: (updated_at, status); pharmacy SKUs: (updated_at, stock, reserved).
    """

    orders: dict[str, tuple[int, str]] = field(default_factory=dict)
    stock: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def note(self, kind: str, uid: str, updated_at: int, values: tuple) -> None:
        table = self.orders if kind == "order" else self.stock
        if uid not in table or table[uid][0] < updated_at:
            table[uid] = (updated_at, *values)


def order_uid(index: int) -> str:
    return f"po-bench-{index:06d}"


def psku_uid(index: int) -> str:
    return f"psku-bench-{index:05d}"


def order_pdf(uid: str, size: int) -> bytes:
    """A valid PDF of about `size` bytes, distinct per order (stored once per content hash)."""
    pdf = sample_pdf(size)
    return pdf[:-6] + f"% {uid}\n".encode() + pdf[-6:]


def _sku(index: int) -> dict:
    return {
        "uid": f"sku-bench-{index:05d}",
        "display_name": f"Bench medication {index} 100mg",
        "pzn": f"{10_000_000 + index}",
        "product_uid": f"prod-bench-{index:05d}",
        "product_display_name": f"Bench medication {index}",
        "standard_selling_unit": 1.0,
        "unit": "ml",
        "product_handle": f"bench-medication-{index}",
    }


def _items(uid: str, sku_indexes: list[int], template: dict) -> list[dict]:
    items = []
    for position, index in enumerate(sku_indexes):
        item = copy.deepcopy(template)
        item["uid"] = f"oi-{uid}-{position}"
        item["amount"] = 1 + position
        item["sku"] = _sku(index)
        item["pharmacy_sku"].update(uid=psku_uid(index), external_id=f"EXT-BENCH-{index}")
        items.append(item)
    return items


def _shipping_methods(count: int, template: dict) -> list[dict]:
    methods = []
    for n in range(count):
        method = copy.deepcopy(template)
        method["uid"] = f"ssm-bench-{n}"
        method["display_name"] = f"Bench carrier {n}"
        method["external_id"] = f"shop-bench-{n}"
        method["pharmacy_mapping"]["shipping_method_identifier_for_pharmacy"] = f"BENCH_{n}"
        methods.append(method)
    return methods


def encode(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def order_body(
    *,
    event: str,
    uid: str,
    updated_at: int,
    status: str,
    pdf_base64: str,
    sku_indexes: list[int],
    shipping_methods: int = 1,
) -> bytes:
    payload = build_payload(event, uid=uid, status=status, updated_at=updated_at, pdf=b"")
    data = payload["data"]
    data["created_at"] = EPOCH - 86_400
    data["name"] = f"#{uid[-6:]}"
    data["order_items"] = _items(uid, sku_indexes, data["order_items"][0])
    data["shop_shipping_methods"] = _shipping_methods(
        shipping_methods, data["shop_shipping_methods"][0]
    )
    data["prescription_file"]["filename"] = f"{uid}.pdf"
    data["prescription_file"]["content_base64"] = pdf_base64
    return encode(payload)


def stock_body(*, index: int, updated_at: int, stock: int, reserved: int) -> bytes:
    payload = build_payload(
        "pharmacy_sku_stock_updated",
        uid=psku_uid(index),
        updated_at=updated_at,
        stock=stock,
        reserved_amount=reserved,
    )
    data = payload["data"]
    data.update(
        pharmacy_uid=PHARMACY_UID,
        sku_uid=_sku(index)["uid"],
        sku=_sku(index),
        external_id=f"EXT-BENCH-{index}",
        created_at=EPOCH - 86_400,
    )
    return encode(payload)


class Generator:
    """Makes bursts over a fixed population of orders and pharmacy SKUs."""

    def __init__(self, *, orders: int, skus: int, pdf_size: int, secret: str, seed: int = 7):
        self.orders, self.skus, self.secret = orders, skus, secret
        self.rng = random.Random(seed)
        self.expected = Expected()
        self._pdf_size = pdf_size
        self._pdf_b64: dict[str, str] = {}
        self._order_skus = {
            order_uid(i): sorted(self.rng.sample(range(skus), k=min(skus, 1 + i % 3)))
            for i in range(orders)
        }
        self._bursts = 0

    def _pdf(self, uid: str) -> str:
        if uid not in self._pdf_b64:
            self._pdf_b64[uid] = base64.b64encode(order_pdf(uid, self._pdf_size)).decode()
        return self._pdf_b64[uid]

    def _delivery(self, kind: str, index: int, updated_at: int, event: str) -> Delivery:
        if kind == "order":
            uid = order_uid(index)
            status = self.rng.choice(STATUSES)
            body = order_body(
                event=event,
                uid=uid,
                updated_at=updated_at,
                status=status,
                pdf_base64=self._pdf(uid),
                sku_indexes=self._order_skus[uid],
            )
            values: tuple = (status,)
        else:
            uid = psku_uid(index)
            values = (self.rng.randint(0, 500), self.rng.randint(0, 50))
            body = stock_body(
                index=index, updated_at=updated_at, stock=values[0], reserved=values[1]
            )
        self.expected.note(kind, uid, updated_at, values)
        return Delivery(kind, uid, updated_at, body, sign(body, self.secret))

    def first_contact(self) -> list[Delivery]:
        """One pharmacy_order_created per order and one stock event per SKU (the warm-up)."""
        base = EPOCH + self._next_burst() * BURST_SPAN
        found = [
            self._delivery("order", i, base + i, "pharmacy_order_created")
            for i in range(self.orders)
        ]
        found += [self._delivery("stock", i, base + i, "") for i in range(self.skus)]
        self.rng.shuffle(found)
        return found

    def burst(self, total: int, *, order_share: float = 0.75) -> list[Delivery]:
        """`total` deliveries: 10% exact repeats, 10% late (older after newer), rest in order."""
        base = EPOCH + self._next_burst() * BURST_SPAN
        repeats = total // 10
        unique = total - repeats
        events = []
        for _ in range(unique):
            if self.rng.random() < order_share:
                events.append(("order", self.rng.randrange(self.orders)))
            else:
                events.append(("stock", self.rng.randrange(self.skus)))
        # updated_at rises with position: before the shuffling, each snapshot is the newest yet.
        sent = [
            self._delivery(kind, index, base + 10 * n, "pharmacy_order_updated")
            for n, (kind, index) in enumerate(events)
        ]
        sent = self._make_late(sent, repeats)
        for _ in range(repeats):
            original = self.rng.randrange(len(sent))
            again = sent[original]
            position = self.rng.randint(original + 1, len(sent))
            sent.insert(position, replace(again, repeat=True))
        return sent

    def _make_late(self, sent: list[Delivery], count: int) -> list[Delivery]:
        """Move `count` snapshots to after a newer snapshot of the same subject."""
        moved = 0
        for _ in range(count * 20):
            if moved >= count:
                break
            i = self.rng.randrange(len(sent))
            item = sent[i]
            if item.late:
                continue
            newer = next(
                (
                    j
                    for j in range(i + 1, len(sent))
                    if sent[j].uid == item.uid and not sent[j].late
                ),
                None,
            )
            if newer is None:
                continue
            del sent[i]
            sent.insert(self.rng.randint(newer, len(sent)), replace(item, late=True))
            moved += 1
        return sent

    def _next_burst(self) -> int:
        self._bursts += 1
        return self._bursts


def big_order_body(*, uid: str, pdf_size: int, updated_at: int, secret: str) -> tuple[bytes, str]:
    """One order delivery whose PDF is `pdf_size` bytes (the big-payload scenario)."""
    pdf = base64.b64encode(order_pdf(uid, pdf_size)).decode()
    body = order_body(
        event="pharmacy_order_created",
        uid=uid,
        updated_at=updated_at,
        status="waiting for pharmacy",
        pdf_base64=pdf,
        sku_indexes=[0, 1, 2],
        shipping_methods=2,
    )
    return body, sign(body, secret)
