"""Hand-over (stock consumed, order shipped), cancellation and manifests."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from fulfillment import packing
from fulfillment.models import Manifest, Shipment, ShipmentStatus
from fulfillment.shipments import cancel_shipment, close_manifest, hand_over, lock_shipment, move_shipment
from inventory.models import MovementKind, Reservation, StockLevel, StockLot, StockMovement
from oms.errors import IllegalTransition, InvalidInput
from tests.fulfillment.test_packing import make_carrier, packed, packing_setup, pick, verify_all
from tests.orders.factories import make_channel, place


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the services speak the active language, Turkish by default)."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db


@pytest.fixture
def consistent():
    from inventory.ledger import verify_stock

    def check():
        assert verify_stock() == []

    return check


def test_hand_over_consumes_stock_with_ledger_rows_and_ships_the_order(operator, consistent):
    warehouse, (a, b), order = packing_setup((2, 1))
    shipment = packed(order, warehouse)
    [handed] = hand_over([shipment.pk], operator)
    handed.refresh_from_db()
    assert handed.status == ShipmentStatus.HANDED_OVER
    assert handed.handed_over_at is not None
    level = StockLevel.objects.get(variant=a, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (8, 0)
    moves = StockMovement.objects.filter(reference=shipment.number, kind=MovementKind.SALE)
    assert sorted(moves.values_list("variant_id", "on_hand_delta")) == sorted([(a.pk, -2), (b.pk, -1)])
    assert StockLot.objects.get(variant=a, warehouse=warehouse).quantity == 8
    assert not Reservation.objects.filter(status="active").exists()
    order.refresh_from_db()
    assert order.status == "shipped"
    assert [line.quantity_shipped for line in order.lines.order_by("pk")] == [2, 1]
    consistent()


def test_partial_shipment_leaves_the_order_partially_shipped(operator, consistent):
    warehouse, (a,), order = packing_setup((3,))
    pick(order, short=1)  # two of three picked
    shipment = packing.start_packing("T-01", warehouse)
    verify_all(shipment)
    packing.add_parcel(shipment, dims=(10, 10, 10), weight_kg="0.5")
    packing.close_packing(shipment, None, carrier=make_carrier())
    hand_over([shipment.pk], operator)
    order.refresh_from_db()
    assert order.status == "partially_shipped"
    line = order.lines.get()
    assert (line.quantity_shipped, line.quantity_allocated) == (2, 1)
    level = StockLevel.objects.get(variant=a, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (8, 1)
    consistent()


def test_hand_over_of_a_packing_shipment_is_refused_and_nothing_moves():
    warehouse, (a,), order = packing_setup((1,))
    good = packed(order, warehouse)
    other = place(make_channel(), [(a, 1)])
    still_packing = packing.start_packing(other.number, warehouse)
    with pytest.raises(IllegalTransition, match=still_packing.number):
        hand_over([good.pk, still_packing.pk])
    good.refresh_from_db()
    assert good.status == ShipmentStatus.CREATED
    assert StockLevel.objects.get(variant=a, warehouse=warehouse).on_hand == 10
    assert not StockMovement.objects.filter(kind=MovementKind.SALE).exists()


def test_handed_over_twice_is_refused(operator):
    warehouse, _v, order = packing_setup((1,))
    shipment = packed(order, warehouse)
    hand_over([shipment.pk], operator)
    with pytest.raises(IllegalTransition):
        hand_over([shipment.pk], operator)
    assert StockMovement.objects.filter(kind=MovementKind.SALE).count() == 1


def test_illegal_transitions_are_refused_by_the_state_machine():
    from django.db import transaction

    warehouse, _v, order = packing_setup((1,))
    shipment = packing.start_packing(order.number, warehouse)
    with transaction.atomic(), pytest.raises(IllegalTransition):
        move_shipment(lock_shipment(shipment), ShipmentStatus.DELIVERED)
    with transaction.atomic(), pytest.raises(IllegalTransition):
        move_shipment(lock_shipment(shipment), ShipmentStatus.HANDED_OVER)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PACKING


def test_cancel_before_hand_over_tells_the_carrier_and_keeps_the_reservation():
    from tests.fulfillment.test_packing import FakeCarrier

    warehouse, (a,), order = packing_setup((1,))
    shipment = packed(order, warehouse)
    cancel_shipment(shipment, reason="customer called")
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.CANCELLED
    assert FakeCarrier.cancelled == shipment.tracking_number
    assert StockLevel.objects.get(variant=a, warehouse=warehouse).reserved == 1
    # The units can be packed again in a new shipment.
    again = packing.start_packing(order.number, warehouse)
    assert again.pk != shipment.pk
    assert again.lines.get().quantity == 1


def test_cancel_after_hand_over_is_refused():
    warehouse, _v, order = packing_setup((1,))
    shipment = packed(order, warehouse)
    hand_over([shipment.pk])
    with pytest.raises(IllegalTransition):
        cancel_shipment(shipment)


def test_manifest_lists_the_days_handed_over_shipments_once(operator):
    warehouse, (a,), order = packing_setup((1,), payment_method="cash_on_delivery")
    carrier = make_carrier()
    first = packed(order, warehouse, carrier=carrier)
    second_order = place(make_channel(), [(a, 2)])
    second = packing.start_packing(second_order.number, warehouse)
    verify_all(second)
    packing.add_parcel(second, dims=(10, 10, 10), weight_kg="1")
    packing.add_parcel(second, dims=(10, 10, 10), weight_kg="1")
    packing.close_packing(second, None, carrier=carrier)
    not_handed = packed(place(make_channel(), [(a, 1)]), warehouse, carrier=carrier, tote="T-09")
    other_carrier = packed(place(make_channel(), [(a, 1)]), warehouse, tote="T-10")
    hand_over([first.pk, second.pk, other_carrier.pk], operator)

    today = timezone.localdate()
    manifest = close_manifest(carrier, warehouse, today, operator)
    assert manifest.number.startswith("MNF-")
    assert set(manifest.shipments.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert manifest.parcel_count == 3
    assert manifest.cod_total == order.grand_total  # the card order adds nothing
    assert manifest.closed_by == operator
    not_handed.refresh_from_db()
    assert not_handed.manifest_id is None
    with pytest.raises(InvalidInput, match="No handed-over"):
        close_manifest(carrier, warehouse, today, operator)
    assert Manifest.objects.count() == 1


def test_manifest_for_an_earlier_day_leaves_later_hand_overs():
    warehouse, _v, order = packing_setup((1,))
    carrier = make_carrier()
    shipment = packed(order, warehouse, carrier=carrier)
    hand_over([shipment.pk])
    with pytest.raises(InvalidInput):
        close_manifest(carrier, warehouse, timezone.localdate() - timedelta(days=1))
    assert Shipment.objects.get(pk=shipment.pk).manifest_id is None
    assert close_manifest(carrier.pk, warehouse.pk, timezone.localdate()).cod_total == Decimal("0")
