"""Transfers: reserved at the source, in transit, lots carried over, shortfalls recorded."""

from datetime import date

import pytest

from inventory.errors import InsufficientStock, InvalidQuantity
from inventory.models import MovementKind, Reservation, StockLevel, StockLot, Tracking
from inventory.services import add_stock
from inventory.transfers import cancel_transfer, in_transit, receive_transfer, request_transfer, ship_transfer
from oms.errors import IllegalTransition
from tests.inventory.factories import make_product, make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db


def level(variant, warehouse):
    return StockLevel.objects.filter(variant=variant, warehouse=warehouse).first()


def test_full_transfer_moves_lots_with_their_expiry(assert_consistent):
    istanbul, ankara = make_warehouse(), make_warehouse(province=6)
    cream = make_variant(make_product(tracking=Tracking.LOT, expiry=True))
    add_stock(variant=cream, warehouse=istanbul, quantity=10, lot_number="K7", expiry_date=date(2027, 3, 1))
    transfer = request_transfer(source=istanbul, destination=ankara, lines=[(cream, 4)])
    assert level(cream, istanbul).reserved == 4
    assert Reservation.objects.get().reason == "transfer"
    ship_transfer(transfer=transfer)
    assert (level(cream, istanbul).on_hand, level(cream, istanbul).reserved) == (6, 0)
    assert in_transit() == {(cream.pk, ankara.pk): 4}
    receive_transfer(transfer=transfer)
    lot = StockLot.objects.get(warehouse=ankara)
    assert (lot.lot_number, lot.expiry_date, lot.quantity) == ("K7", date(2027, 3, 1), 4)
    assert in_transit() == {}
    kinds = set(cream.movements.values_list("kind", flat=True))
    assert {MovementKind.TRANSFER_OUT, MovementKind.TRANSFER_IN} <= kinds
    assert_consistent()


def test_serials_travel_one_by_one(assert_consistent):
    istanbul, izmir = make_warehouse(), make_warehouse(province=35)
    phone = make_variant(make_product(tracking=Tracking.SERIAL))
    add_stock(variant=phone, warehouse=istanbul, quantity=3, serials=["A1", "A2", "A3"])
    transfer = request_transfer(source=istanbul, destination=izmir, lines=[(phone, 2)])
    ship_transfer(transfer=transfer)
    receive_transfer(transfer=transfer)
    assert sorted(StockLot.objects.filter(warehouse=izmir, quantity=1).values_list("serial", flat=True)) == [
        "A1",
        "A2",
    ]
    assert_consistent()


def test_short_arrival_is_recorded(assert_consistent):
    istanbul, ankara = make_warehouse(), make_warehouse()
    shirt, _ = stocked(10, warehouse=istanbul)
    transfer = request_transfer(source=istanbul, destination=ankara, lines=[(shirt, 5)])
    ship_transfer(transfer=transfer)
    line = transfer.lines.get()
    receive_transfer(transfer=transfer, received={line.pk: 3})
    line.refresh_from_db()
    assert (line.quantity, line.quantity_received) == (5, 3)
    assert level(shirt, ankara).on_hand == 3
    assert_consistent()


def test_more_than_shipped_cannot_arrive():
    istanbul, ankara = make_warehouse(), make_warehouse()
    shirt, _ = stocked(10, warehouse=istanbul)
    transfer = request_transfer(source=istanbul, destination=ankara, lines=[(shirt, 5)])
    ship_transfer(transfer=transfer)
    with pytest.raises(InvalidQuantity):
        receive_transfer(transfer=transfer, received={transfer.lines.get().pk: 6})
    transfer.refresh_from_db()
    assert transfer.status == "shipped"
    assert level(shirt, ankara) is None or level(shirt, ankara).on_hand == 0


def test_request_beyond_available_reserves_nothing():
    istanbul, ankara = make_warehouse(), make_warehouse()
    shirt, _ = stocked(2, warehouse=istanbul)
    with pytest.raises(InsufficientStock):
        request_transfer(source=istanbul, destination=ankara, lines=[(shirt, 3)])
    assert level(shirt, istanbul).reserved == 0


def test_cancel_releases_the_source_and_shipped_cannot_cancel(assert_consistent):
    istanbul, ankara = make_warehouse(), make_warehouse()
    shirt, _ = stocked(5, warehouse=istanbul)
    transfer = request_transfer(source=istanbul, destination=ankara, lines=[(shirt, 5)])
    cancel_transfer(transfer=transfer)
    assert level(shirt, istanbul).reserved == 0
    second = request_transfer(source=istanbul, destination=ankara, lines=[(shirt, 5)])
    ship_transfer(transfer=second)
    with pytest.raises(IllegalTransition):
        cancel_transfer(transfer=second)
    assert_consistent()


def test_same_warehouse_is_refused():
    istanbul = make_warehouse()
    shirt, _ = stocked(5, warehouse=istanbul)
    with pytest.raises(InvalidQuantity):
        request_transfer(source=istanbul, destination=istanbul, lines=[(shirt, 1)])
