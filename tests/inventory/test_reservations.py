"""Reservation primitives: reserve, release, consume, cart holds; nothing half-written on failure."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.errors import InsufficientStock, InvalidQuantity, ReservationClosed
from inventory.models import MovementKind, Reservation, ReservationReason, StockLevel, StockMovement
from inventory.services import (
    StockRequest,
    consume,
    expire_holds,
    hold_for_cart,
    release,
    release_reference,
    reserve,
    reserve_one,
)
from tests.inventory.factories import make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db


def level(variant, warehouse) -> StockLevel:
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


def test_reserve_takes_available_stock(assert_consistent):
    variant, warehouse = stocked(10)
    reservation = reserve_one(variant=variant, warehouse=warehouse, quantity=4, reference="order_line:1")
    assert (reservation.quantity, reservation.status) == (4, "active")
    stock = level(variant, warehouse)
    assert (stock.on_hand, stock.reserved, stock.available) == (10, 4, 6)
    assert_consistent()


def test_reserving_more_than_available_raises_and_writes_nothing(assert_consistent):
    variant, warehouse = stocked(3)
    reserve_one(variant=variant, warehouse=warehouse, quantity=2, reference="order_line:1")
    with pytest.raises(InsufficientStock) as info:
        reserve_one(variant=variant, warehouse=warehouse, quantity=2, reference="order_line:2")
    assert info.value.data["items"] == [
        {
            "variant_id": variant.pk,
            "warehouse_id": warehouse.pk,
            "reference": "order_line:2",
            "wanted": 2,
            "reserved": 0,
            "available": 1,
        }
    ]
    assert level(variant, warehouse).reserved == 2
    assert not Reservation.objects.filter(reference="order_line:2").exists()
    assert_consistent()


def test_multi_line_reservation_is_all_or_nothing(assert_consistent):
    warehouse = make_warehouse()
    plenty, _ = stocked(10, warehouse=warehouse)
    scarce, _ = stocked(1, warehouse=warehouse)
    requests = [
        StockRequest(plenty.pk, warehouse.pk, 5, "order_line:1"),
        StockRequest(scarce.pk, warehouse.pk, 2, "order_line:2"),
    ]
    with pytest.raises(InsufficientStock) as info:
        reserve(requests=requests)
    assert [item["reference"] for item in info.value.data["items"]] == ["order_line:2"]
    assert level(plenty, warehouse).reserved == 0  # the first line was rolled back too
    assert Reservation.objects.count() == 0
    assert_consistent()


def test_partial_reservation_takes_what_is_free_and_reports_the_rest(assert_consistent):
    variant, warehouse = stocked(3)
    result = reserve(requests=[StockRequest(variant.pk, warehouse.pk, 5, "order_line:9")], partial=True)
    assert [r.quantity for r in result.reservations] == [3]
    assert result.shortfalls == [
        {
            "variant_id": variant.pk,
            "warehouse_id": warehouse.pk,
            "reference": "order_line:9",
            "wanted": 5,
            "reserved": 3,
        }
    ]
    assert not result.complete
    assert level(variant, warehouse).reserved == 3
    assert_consistent()


def test_reserving_a_never_stocked_variant_fails_cleanly():
    variant, warehouse = make_variant(), make_warehouse()
    with pytest.raises(InsufficientStock) as info:
        reserve_one(variant=variant, warehouse=warehouse, quantity=1, reference="x")
    assert info.value.data["items"][0]["available"] == 0
    assert not StockLevel.objects.filter(variant=variant).exists()


@pytest.mark.parametrize("quantity", [0, -1, 1.5, True])
def test_bad_quantities_are_refused(quantity):
    variant, warehouse = stocked(5)
    with pytest.raises(InvalidQuantity):
        reserve_one(variant=variant, warehouse=warehouse, quantity=quantity, reference="x")
    assert level(variant, warehouse).reserved == 0


def test_release_gives_stock_back_partly_then_fully(assert_consistent):
    variant, warehouse = stocked(10)
    reservation = reserve_one(variant=variant, warehouse=warehouse, quantity=6, reference="order_line:1")
    release(reservation=reservation, quantity=2)
    assert level(variant, warehouse).reserved == 4
    released = release(reservation=reservation)
    assert (released.quantity, released.status) == (0, "released")
    assert level(variant, warehouse).reserved == 0
    with pytest.raises(ReservationClosed):
        release(reservation=reservation)
    assert_consistent()


def test_release_more_than_held_is_refused():
    variant, warehouse = stocked(10)
    reservation = reserve_one(variant=variant, warehouse=warehouse, quantity=2, reference="r")
    with pytest.raises(InvalidQuantity):
        release(reservation=reservation, quantity=3)
    assert level(variant, warehouse).reserved == 2


def test_release_reference_releases_every_line_of_it(assert_consistent):
    variant, warehouse = stocked(10)
    reserve_one(variant=variant, warehouse=warehouse, quantity=2, reference="order:7")
    reserve_one(variant=variant, warehouse=warehouse, quantity=3, reference="order:7")
    reserve_one(variant=variant, warehouse=warehouse, quantity=1, reference="order:8")
    assert release_reference(reference="order:7") == 5
    assert level(variant, warehouse).reserved == 1
    assert_consistent()


def test_consume_ships_reserved_units_and_writes_the_ledger(assert_consistent):
    variant, warehouse = stocked(10)
    reservation = reserve_one(variant=variant, warehouse=warehouse, quantity=4, reference="order_line:1")
    movements = consume(reservation=reservation, quantity=3, reference="shipment:1")
    assert [(m.kind, m.on_hand_delta, m.reference) for m in movements] == [
        (MovementKind.SALE, -3, "shipment:1")
    ]
    stock = level(variant, warehouse)
    assert (stock.on_hand, stock.reserved) == (7, 1)
    reservation.refresh_from_db()
    assert (reservation.quantity, reservation.status) == (1, "active")
    consume(reservation=reservation)
    reservation.refresh_from_db()
    assert reservation.status == "consumed"
    assert_consistent()


def test_cart_hold_expires_and_frees_stock(assert_consistent):
    variant, warehouse = stocked(5)
    hold = hold_for_cart(variant=variant, warehouse=warehouse, quantity=2, cart="abc")
    assert hold.reason == ReservationReason.CART_HOLD
    assert timedelta(minutes=29) < hold.expires_at - timezone.now() <= timedelta(minutes=30)
    assert expire_holds() == 0  # not yet
    assert expire_holds(now=timezone.now() + timedelta(minutes=31)) == 1
    hold.refresh_from_db()
    assert hold.status == "expired"
    assert level(variant, warehouse).reserved == 0
    assert_consistent()


def test_expire_holds_task_runs_through_celery():
    from inventory.tasks import expire_holds as task

    variant, warehouse = stocked(5)
    hold = hold_for_cart(variant=variant, warehouse=warehouse, quantity=1, cart="c", minutes=-1)
    assert task.delay().get() == 1
    hold.refresh_from_db()
    assert hold.status == "expired"


def test_reservations_never_touch_the_ledger():
    variant, warehouse = stocked(5)
    before = StockMovement.objects.count()
    reservation = reserve_one(variant=variant, warehouse=warehouse, quantity=2, reference="r")
    release(reservation=reservation)
    assert StockMovement.objects.count() == before
