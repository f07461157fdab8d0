"""Receipts, adjustments, quarantine and scrap: lots, serials, expiry, and the ledger always agrees."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from inventory.errors import (
    DuplicateSerial,
    InsufficientStock,
    InvalidQuantity,
    StockBelowReserved,
    TrackingDataMissing,
)
from inventory.models import MovementKind, StockLevel, StockLot, StockMovement, Tracking
from inventory.services import (
    add_stock,
    adjust,
    consume,
    quarantine,
    release_quarantine,
    remove_stock,
    reserve_one,
    scrap,
)
from tests.inventory.factories import make_product, make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db


def level(variant, warehouse) -> StockLevel:
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


def test_receipt_raises_on_hand_and_writes_one_ledger_row(assert_consistent):
    variant, warehouse = stocked(0)
    movements = add_stock(variant=variant, warehouse=warehouse, quantity=12, reference="PO-1")
    assert [(m.kind, m.on_hand_delta, m.reference) for m in movements] == [(MovementKind.RECEIPT, 12, "PO-1")]
    assert level(variant, warehouse).on_hand == 12
    assert movements[0].lot.bin.code == "A-01-01-1"  # first bin in walk order
    assert_consistent()


def test_lot_tracked_product_needs_a_lot_number():
    variant = make_variant(make_product(tracking=Tracking.LOT))
    warehouse = make_warehouse()
    with pytest.raises(TrackingDataMissing):
        add_stock(variant=variant, warehouse=warehouse, quantity=5)
    assert not StockLevel.objects.filter(variant=variant, on_hand__gt=0).exists()
    add_stock(variant=variant, warehouse=warehouse, quantity=5, lot_number="L-2026-11")
    assert StockLot.objects.get(variant=variant).lot_number == "L-2026-11"


def test_expiry_tracked_product_needs_an_expiry_date():
    variant = make_variant(make_product(tracking=Tracking.LOT, expiry=True))
    warehouse = make_warehouse()
    with pytest.raises(TrackingDataMissing):
        add_stock(variant=variant, warehouse=warehouse, quantity=5, lot_number="L1")
    assert StockMovement.objects.count() == 0


def test_same_lot_with_another_expiry_is_refused():
    variant = make_variant(make_product(tracking=Tracking.LOT, expiry=True))
    warehouse = make_warehouse()
    add_stock(
        variant=variant, warehouse=warehouse, quantity=5, lot_number="L1", expiry_date=date(2027, 1, 31)
    )
    with pytest.raises(TrackingDataMissing):
        add_stock(
            variant=variant, warehouse=warehouse, quantity=5, lot_number="L1", expiry_date=date(2027, 6, 30)
        )
    assert level(variant, warehouse).on_hand == 5


def test_serials_one_per_unit_and_never_twice(assert_consistent):
    variant = make_variant(make_product(tracking=Tracking.SERIAL))
    warehouse = make_warehouse()
    with pytest.raises(TrackingDataMissing):
        add_stock(variant=variant, warehouse=warehouse, quantity=3, serials=["S1", "S2"])
    with pytest.raises(DuplicateSerial):
        add_stock(variant=variant, warehouse=warehouse, quantity=2, serials=["S1", "S1"])
    add_stock(variant=variant, warehouse=warehouse, quantity=2, serials=["S1", "S2"])
    with pytest.raises(DuplicateSerial) as info:
        add_stock(variant=variant, warehouse=warehouse, quantity=2, serials=["S2", "S3"])
    assert info.value.data["serials"] == ["S2"]
    assert level(variant, warehouse).on_hand == 2
    assert sorted(StockLot.objects.filter(variant=variant).values_list("serial", flat=True)) == ["S1", "S2"]
    assert_consistent()


def test_negative_adjustment_cannot_touch_reserved_units(assert_consistent):
    variant, warehouse = stocked(10)
    reserve_one(variant=variant, warehouse=warehouse, quantity=8, reference="r")
    with pytest.raises(StockBelowReserved) as info:
        adjust(variant=variant, warehouse=warehouse, delta=-3, reason="damaged")
    assert (info.value.data["on_hand"], info.value.data["reserved"]) == (10, 8)
    adjust(variant=variant, warehouse=warehouse, delta=-2, reason="damaged", note="dropped")
    stock = level(variant, warehouse)
    assert (stock.on_hand, stock.reserved) == (8, 8)
    assert_consistent()


@pytest.mark.parametrize(("delta", "reason"), [(0, "count"), (3, ""), (True, "found")])
def test_adjustment_needs_a_change_and_a_reason(delta, reason):
    variant, warehouse = stocked(1)
    with pytest.raises(InvalidQuantity):
        adjust(variant=variant, warehouse=warehouse, delta=delta, reason=reason)
    assert level(variant, warehouse).on_hand == 1


def test_removal_follows_fefo_for_expiring_goods(assert_consistent):
    variant = make_variant(make_product(tracking=Tracking.LOT, expiry=True))
    warehouse = make_warehouse()
    add_stock(
        variant=variant, warehouse=warehouse, quantity=5, lot_number="LATE", expiry_date=date(2027, 12, 1)
    )
    add_stock(
        variant=variant, warehouse=warehouse, quantity=5, lot_number="SOON", expiry_date=date(2027, 1, 1)
    )
    movements = remove_stock(variant=variant, warehouse=warehouse, quantity=7, reason="count")
    assert [(m.lot.lot_number, m.on_hand_delta) for m in movements] == [("SOON", -5), ("LATE", -2)]
    assert_consistent()


def test_consume_takes_the_picked_lots_when_given(assert_consistent):
    variant = make_variant(make_product(tracking=Tracking.LOT))
    warehouse = make_warehouse()
    add_stock(variant=variant, warehouse=warehouse, quantity=5, lot_number="A")
    add_stock(variant=variant, warehouse=warehouse, quantity=5, lot_number="B")
    lot_b = StockLot.objects.get(lot_number="B")
    reservation = reserve_one(variant=variant, warehouse=warehouse, quantity=3, reference="r")
    consume(reservation=reservation, lots=[(lot_b, 3)])
    lot_b.refresh_from_db()
    assert lot_b.quantity == 2
    assert StockLot.objects.get(lot_number="A").quantity == 5
    assert_consistent()


def test_quarantine_release_and_scrap(assert_consistent):
    variant, warehouse = stocked(10)
    lot = StockLot.objects.get(variant=variant)
    quarantine(lot=lot, quantity=4, reason="damaged")
    stock = level(variant, warehouse)
    assert (stock.on_hand, stock.quarantined, stock.available) == (6, 4, 6)
    release_quarantine(lot=lot, quantity=1)
    scrap(lot=lot, quantity=3, reason="damaged")
    stock = level(variant, warehouse)
    assert (stock.on_hand, stock.quarantined) == (7, 0)
    with pytest.raises(InsufficientStock):
        scrap(lot=lot, quantity=1, reason="damaged")
    kinds = list(StockMovement.objects.filter(variant=variant).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["receipt", "quarantine_in", "quarantine_out", "scrap"]
    assert_consistent()


def test_reserved_units_cannot_be_quarantined():
    variant, warehouse = stocked(5)
    reserve_one(variant=variant, warehouse=warehouse, quantity=5, reference="r")
    with pytest.raises(StockBelowReserved):
        quarantine(lot=StockLot.objects.get(variant=variant), quantity=1, reason="damaged")
    assert level(variant, warehouse).quarantined == 0


def test_database_refuses_negative_or_overreserved_levels():
    variant, _warehouse = stocked(2)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=variant).update(reserved=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(variant=variant).update(on_hand=-1)


def test_ledger_is_append_only_in_the_database():
    stocked(2)
    movement = StockMovement.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_stockmovement SET on_hand_delta = 99 WHERE id = %s", [movement.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).delete()
    movement.refresh_from_db()
    assert movement.on_hand_delta == 2
