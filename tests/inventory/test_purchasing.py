"""Purchase orders and goods in: numbers, states, over/under receipts, tracking rules."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.errors import DuplicateSerial, InvalidQuantity, TrackingDataMissing
from inventory.models import PurchaseOrderStatus, Receipt, StockLevel, StockMovement, SupplierItem, Tracking
from inventory.purchasing import (
    OrderLineInput,
    ReceiptInput,
    cancel_purchase_order,
    create_purchase_order,
    receive_goods,
    send_purchase_order,
)
from oms.errors import Conflict, IllegalTransition
from tests.inventory.factories import make_product, make_supplier, make_variant, make_warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def po_setup():
    supplier = make_supplier(lead_time_days=10)
    warehouse = make_warehouse()
    shirt, socks = make_variant(), make_variant(cost_price=Decimal("12.50"))
    SupplierItem.objects.create(supplier=supplier, variant=shirt, cost=Decimal("55.00"), is_preferred=True)
    order = create_purchase_order(
        supplier=supplier, warehouse=warehouse, lines=[OrderLineInput(shirt, 10), OrderLineInput(socks, 4)]
    )
    return order, warehouse, shirt, socks


def test_purchase_order_gets_a_yearly_number_costs_and_expected_date(po_setup):
    order, _warehouse, shirt, socks = po_setup
    year = timezone.localdate().year
    assert order.number == f"PO-{year}-00001"
    assert order.status == PurchaseOrderStatus.DRAFT
    assert order.expected_date == timezone.localdate() + timedelta(days=10)
    costs = {line.variant_id: line.unit_cost for line in order.lines.all()}
    assert costs == {shirt.pk: Decimal("55.00"), socks.pk: Decimal("12.50")}


def test_draft_cannot_be_received(po_setup):
    order, warehouse, shirt, _socks = po_setup
    with pytest.raises(Conflict):
        receive_goods(warehouse=warehouse, purchase_order=order, lines=[ReceiptInput(shirt, 1)])
    assert not Receipt.objects.exists()


def test_partial_then_complete_receipt_with_variances(po_setup):
    order, warehouse, shirt, socks = po_setup
    send_purchase_order(order=order)
    first = receive_goods(warehouse=warehouse, purchase_order=order, lines=[ReceiptInput(shirt, 6)])
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert first.lines.get().variance == -4  # 4 still outstanding
    receive_goods(
        warehouse=warehouse, purchase_order=order, lines=[ReceiptInput(shirt, 5), ReceiptInput(socks, 4)]
    )
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.RECEIVED
    assert {line.variant_id: line.quantity_received for line in order.lines.all()} == {
        shirt.pk: 11,
        socks.pk: 4,
    }
    last = Receipt.objects.order_by("pk").last()
    assert [line.variance for line in last.lines.order_by("pk")] == [1, 0]  # one shirt too many
    assert StockLevel.objects.get(variant=shirt, warehouse=warehouse).on_hand == 11
    assert set(StockMovement.objects.values_list("reference", flat=True)) == {first.number, last.number}


def test_received_order_cannot_be_cancelled(po_setup):
    order, warehouse, shirt, socks = po_setup
    send_purchase_order(order=order)
    receive_goods(
        warehouse=warehouse, purchase_order=order, lines=[ReceiptInput(shirt, 10), ReceiptInput(socks, 4)]
    )
    with pytest.raises(IllegalTransition):
        cancel_purchase_order(order=order)
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.RECEIVED


def test_receipt_to_the_wrong_warehouse_is_refused(po_setup):
    order, _warehouse, shirt, _socks = po_setup
    send_purchase_order(order=order)
    with pytest.raises(InvalidQuantity):
        receive_goods(warehouse=make_warehouse(), purchase_order=order, lines=[ReceiptInput(shirt, 1)])


def test_free_receipt_with_serials_and_a_bad_line_writes_nothing():
    warehouse = make_warehouse()
    phone = make_variant(make_product(tracking=Tracking.SERIAL))
    cream = make_variant(make_product(tracking=Tracking.LOT, expiry=True))
    receive_goods(warehouse=warehouse, lines=[ReceiptInput(phone, 2, serials=("IMEI1", "IMEI2"))])
    before = StockMovement.objects.count()
    with pytest.raises(DuplicateSerial):
        receive_goods(
            warehouse=warehouse,
            lines=[
                ReceiptInput(cream, 5, lot_number="K1", expiry_date=date(2027, 5, 1)),
                ReceiptInput(phone, 1, serials=("IMEI2",)),
            ],
        )
    assert StockMovement.objects.count() == before
    assert not StockLevel.objects.filter(variant=cream, on_hand__gt=0).exists()
    with pytest.raises(TrackingDataMissing):
        receive_goods(warehouse=warehouse, lines=[ReceiptInput(cream, 5, lot_number="K1")])
    assert Receipt.objects.count() == 1


def test_numbers_do_not_skip_after_a_failed_act():
    warehouse = make_warehouse()
    shirt = make_variant()
    first = receive_goods(warehouse=warehouse, lines=[ReceiptInput(shirt, 1)])
    with pytest.raises(InvalidQuantity):
        receive_goods(warehouse=warehouse, lines=[ReceiptInput(shirt, 0)])
    second = receive_goods(warehouse=warehouse, lines=[ReceiptInput(shirt, 1)])
    assert int(second.number[-5:]) == int(first.number[-5:]) + 1
