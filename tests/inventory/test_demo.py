"""The demo inventory: deterministic, well-formed and consistent with its ledger.

The full shop takes a few thousand service calls (too slow to seed repeatedly here), so the stock
tests seed a fraction of the catalogue (``scale``: same code paths, same warehouses and bins) and
the full catalogue is checked on its own, without stock.
"""

import json
import random
import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from inventory.barcodes import is_valid_gs1
from inventory.demo import _Seeder, seed_inventory
from inventory.ledger import verify_stock
from inventory.models import (
    Bin,
    MovementKind,
    Product,
    RemovalStrategy,
    Reservation,
    ReservationReason,
    ReservationStatus,
    StockLevel,
    StockLot,
    StockMovement,
    Tracking,
    Variant,
    Warehouse,
)

pytestmark = pytest.mark.django_db

SCALE = 0.15
BIN_CODE = re.compile(r"^[A-D]-\d{2}-\d{2}-\d$")


def snapshot() -> dict:
    """Everything the seed decides, by natural keys (primary keys differ between runs)."""
    variants = Variant.objects.values_list("sku", "barcode", "options", "list_price", "cost_price")
    return {
        "variants": sorted(
            (sku, barcode, json.dumps(options, sort_keys=True), str(list_price), str(cost))
            for sku, barcode, options, list_price, cost in variants
        ),
        "levels": sorted(
            StockLevel.objects.values_list(
                "variant__sku", "warehouse__code", "on_hand", "reserved", "quarantined"
            )
        ),
        "lots": sorted(
            StockLot.objects.values_list(
                "variant__sku",
                "warehouse__code",
                "bin__code",
                "lot_number",
                "serial",
                "expiry_date",
                "quantity",
                "quarantined",
            )
        ),
        "movements": sorted(
            StockMovement.objects.values_list(
                "variant__sku", "warehouse__code", "kind", "on_hand_delta", "quarantined_delta", "reference"
            )
        ),
        "reservations": sorted(
            Reservation.objects.values_list(
                "variant__sku", "warehouse__code", "reference", "quantity", "status"
            )
        ),
    }


def seed_and_forget(seed: int) -> dict:
    """Seed in a savepoint, snapshot, roll back (the ledger refuses DELETE on PostgreSQL)."""
    with transaction.atomic():
        seed_inventory(random.Random(seed), admin=None, scale=0.05)
        taken = snapshot()
        transaction.set_rollback(True)
    return taken


@pytest.fixture
def shop(admin_user):
    return seed_inventory(random.Random(2026), admin=admin_user, scale=SCALE)


def test_the_same_seed_builds_the_same_shop():
    first = seed_and_forget(11)
    assert not Warehouse.objects.exists()
    second = seed_and_forget(11)
    assert len(first["variants"]) > 50
    assert len(first["lots"]) > 50
    assert len(first["reservations"]) > 5
    assert second == first


def test_full_catalogue():
    """About 250 products and a thousand variants, with valid barcodes and sane prices."""
    seeder = _Seeder(random.Random(2026), None, 1.0)
    plans = seeder.catalogue(seeder.categories())
    assert len(plans) == Variant.objects.count()
    assert 900 <= len(plans) <= 1200
    assert 230 <= Product.objects.count() <= 270
    for variant in Variant.objects.select_related("product__category"):
        assert len(variant.barcode) == 13, variant.sku
        assert variant.barcode.startswith("869"), variant.sku
        assert is_valid_gs1(variant.barcode), variant.sku
        assert 0 < variant.cost_price < variant.list_price, variant.sku
        assert variant.list_price.as_tuple().exponent == -2  # TRY with kuruş
        category = variant.product.category
        assert category.parent is not None
        assert category.alert_critical <= category.alert_minimum
        if variant.alert_minimum is not None:
            assert variant.alert_critical <= variant.alert_minimum
    products = Product.objects.all()
    assert not products.filter(tracks_expiry=True).exclude(removal_strategy=RemovalStrategy.FEFO).exists()
    assert products.filter(tracking=Tracking.SERIAL, category__parent__slug="elektronik").count() > 20
    assert products.filter(cold_chain=True).exists()
    assert products.filter(fragile=True).exists()
    assert set(products.values_list("tax_rate", flat=True)) == {1, 10, 20}


def test_warehouses_and_bins():
    """The three warehouses and their bins (no stock needed)."""
    _Seeder(random.Random(2026), None, 1.0).warehouses()
    warehouses = list(Warehouse.objects.order_by("priority"))
    assert [(w.code, w.priority, w.province_id) for w in warehouses] == [
        ("IST", 1, 34),
        ("ANK", 2, 6),
        ("IZM", 3, 35),
    ]
    for warehouse in warehouses:
        warehouse.full_clean()  # e.g. the postal code belongs to the province
        assert warehouse.latitude
        assert warehouse.longitude
        bins = list(warehouse.bins.order_by("walk_sequence"))
        assert len([b for b in bins if b.is_quarantine]) == 1
        shelves = [b for b in bins if not b.is_quarantine]
        assert 100 <= len(shelves) <= 200
        assert {b.zone for b in shelves} == set("ABCD")
        for place in shelves:
            assert BIN_CODE.match(place.code), place.code
            assert place.code[0] == place.zone
        # Snake path: aisle by aisle; odd aisles walked up the shelves, even aisles down.
        parsed = [tuple(int(part) for part in b.code.split("-")[1:]) for b in shelves]
        aisles = [aisle for aisle, _shelf, _level in parsed]
        assert aisles == sorted(aisles)
        for aisle in set(aisles):
            walked = [shelf for a, shelf, _level in parsed if a == aisle]
            assert walked == sorted(walked, reverse=aisle % 2 == 0)


def test_stock_history(shop, admin_user):
    today = timezone.localdate()
    assert verify_stock() == []
    assert shop["variants"] == Variant.objects.count()
    assert shop["warehouses"] == 3
    assert shop["bins"] == Bin.objects.count()

    # FEFO products have an expiry date on every lot; some sellable lots expire within 30 days.
    fefo = StockLot.objects.filter(variant__product__removal_strategy=RemovalStrategy.FEFO)
    assert fefo.exists()
    assert not fefo.filter(expiry_date__isnull=True).exists()
    assert fefo.filter(quantity__gt=0, expiry_date__gt=today, expiry_date__lte=today + timedelta(30)).exists()
    assert fefo.filter(quantity__gt=0, expiry_date__gt=today + timedelta(30)).exists()
    assert not fefo.filter(quantity__gt=0, expiry_date__lte=today).exists()  # expired: quarantined

    # Serial-tracked variants: one lot row per unit, every serial number once.
    serial = StockLot.objects.filter(variant__product__tracking=Tracking.SERIAL)
    assert serial.exists()
    assert not serial.filter(serial="").exists()
    assert all(lot.quantity + lot.quarantined <= 1 for lot in serial)
    assert serial.values("serial").distinct().count() == serial.count()
    received = StockMovement.objects.filter(variant__product__tracking=Tracking.SERIAL, on_hand_delta__gt=0)
    assert received.filter(kind=MovementKind.RECEIPT).count() == serial.count()

    # İstanbul holds the most; some variants are out of stock everywhere, some in one warehouse only.
    on_hand = dict(StockLevel.objects.values_list("warehouse__code").annotate(Sum("on_hand")))
    assert on_hand["IST"] > on_hand["ANK"] > 0
    assert on_hand["IST"] > on_hand["IZM"] > 0
    stocked = StockLevel.objects.filter(on_hand__gt=0).values("variant")
    assert Variant.objects.exclude(pk__in=stocked).exists()
    assert StockLevel.objects.values("variant").annotate(n=Count("pk")).filter(n=1).exists()

    # History: receipts, adjustments with reason codes, quarantine and scrap, sales, returns.
    movements = StockMovement.objects.all()
    assert movements.count() == shop["movements"]
    assert not movements.exclude(user=admin_user).exists()
    assert movements.filter(kind=MovementKind.RECEIPT, reference__regex=r"^PO-\d{4}-\d{4}$").exists()
    reasons = set(movements.filter(kind=MovementKind.ADJUSTMENT).values_list("reason", flat=True))
    assert reasons <= {"count", "damaged", "found"}
    assert len(reasons) >= 2
    for kind in (MovementKind.QUARANTINE_IN, MovementKind.SCRAP, MovementKind.SALE, MovementKind.RETURN):
        assert movements.filter(kind=kind).exists(), kind
    assert StockLevel.objects.filter(quarantined__gt=0).exists()

    active = Reservation.objects.filter(status=ReservationStatus.ACTIVE)
    assert active.count() == shop["reservations"]
    assert active.filter(reason=ReservationReason.ORDER_LINE, reference__startswith="demo-sale:").exists()
    assert active.filter(reason=ReservationReason.CART_HOLD, expires_at__isnull=False).exists()
