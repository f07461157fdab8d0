"""Demo goods in: a few free receipts (deliveries that came without a purchase order).

Run after the catalogue and stock exist (``inventory.demo.seed_inventory``). Every receipt goes
through ``purchasing.receive_goods``, so the ledger, lots and serials are as real as the panel's.
Receipts against purchase orders belong to the purchasing demo.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from inventory.models import Bin, StockLot, Tracking, Variant, Warehouse
from inventory.purchasing import ReceiptInput, receive_goods

NOTES = [
    "Tedarikçi siparişsiz teslim etti, irsaliye {n}",
    "Numune teslimatı, irsaliye {n}",
    "Eksik sevkiyatın tamamlanması, irsaliye {n}",
    "Fuar dönüşü ürünler, irsaliye {n}",
]


class _GoodsIn:
    def __init__(self, rng: random.Random, admin) -> None:
        self.rng = rng
        self.admin = admin
        self.today = timezone.localdate()
        self.serial_seq = 0
        self.lot_seq = 0
        variants = list(
            Variant.objects.filter(is_active=True, product__is_active=True)
            .select_related("product")
            .order_by("sku")
        )
        self.plain = [
            v for v in variants if v.product.tracking == Tracking.NONE and not v.product.tracks_expiry
        ]
        self.dated = [
            v for v in variants if v.product.tracking != Tracking.SERIAL and v.product.tracks_expiry
        ]
        self.serial = [v for v in variants if v.product.tracking == Tracking.SERIAL]

    def bins(self, warehouse: Warehouse) -> list[Bin]:
        return list(
            Bin.objects.filter(warehouse=warehouse, is_active=True, is_quarantine=False).order_by(
                "walk_sequence", "pk"
            )
        )

    def line(self, variant: Variant, quantity: int, bin: Bin, *, lot: str = "", expiry=None) -> ReceiptInput:
        product = variant.product
        if product.tracking == Tracking.SERIAL:
            return ReceiptInput(variant, quantity, bin=bin, serials=tuple(self.serials(variant, quantity)))
        if product.tracks_expiry and expiry is None:
            expiry = self.today + timedelta(days=self.rng.randint(90, 540))
        if product.tracking == Tracking.LOT and not lot:
            self.lot_seq += 1
            lot = f"G{self.today:%y%m}-{self.lot_seq:03d}"
        return ReceiptInput(variant, quantity, bin=bin, lot_number=lot, expiry_date=expiry)

    def serials(self, variant: Variant, count: int) -> list[str]:
        found: list[str] = []
        while len(found) < count:
            self.serial_seq += 1
            serial = f"GI{self.today:%y}{self.rng.randint(10, 99)}{self.serial_seq:05d}"
            in_stock = StockLot.objects.filter(variant=variant, serial=serial).filter(
                Q(quantity__gt=0) | Q(quarantined__gt=0)
            )
            if not in_stock.exists():
                found.append(serial)
        return found

    def note(self) -> str:
        return self.rng.choice(NOTES).format(n=self.rng.randint(10000, 99999))


def seed_goods_in(rng: random.Random, *, admin) -> dict:
    """Free receipts in each warehouse: untracked goods, lots with expiry dates (one SKU in two
    lots), and serial-numbered units; returns counts for the seed message."""
    seeder = _GoodsIn(rng, admin)
    receipts = []
    with transaction.atomic():
        for warehouse in Warehouse.objects.filter(is_active=True).order_by("priority", "code"):
            bins = seeder.bins(warehouse)
            if not bins:
                continue
            plans = []
            if seeder.plain:
                picked = rng.sample(seeder.plain, min(len(seeder.plain), rng.randint(2, 4)))
                plans.append([seeder.line(v, rng.randint(2, 12) * 2, rng.choice(bins)) for v in picked])
            if seeder.dated:
                variant = rng.choice(seeder.dated)
                lines = [seeder.line(variant, rng.randint(6, 30), rng.choice(bins))]
                if variant.product.tracking == Tracking.LOT:  # a second lot of the same SKU, later expiry
                    later = (lines[0].expiry_date or seeder.today) + timedelta(days=rng.randint(30, 120))
                    lines.append(seeder.line(variant, rng.randint(6, 30), rng.choice(bins), expiry=later))
                plans.append(lines)
            if seeder.serial:
                picked = rng.sample(seeder.serial, min(len(seeder.serial), 2))
                plans.append([seeder.line(v, rng.randint(1, 4), rng.choice(bins)) for v in picked])
            for lines in plans:
                receipts.append(
                    receive_goods(warehouse=warehouse, lines=lines, user=admin, note=seeder.note())
                )
    return {
        "receipts": len(receipts),
        "receipt_lines": sum(r.lines.count() for r in receipts),
        "units": sum(line.quantity for r in receipts for line in r.lines.all()),
    }
