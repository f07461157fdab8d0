"""Customers, totals, risk, allocation choices, re-allocation, promise dates and backorder order."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import PurchaseOrder, PurchaseOrderLine, Reservation, StockLevel
from inventory.services import add_stock, hold_for_cart
from orders import allocation, services
from orders.customers import CustomerData, merge_customers
from orders.errors import AllocationFailed, CustomerMergeError
from orders.models import Customer, Order
from tests.inventory.factories import make_product, make_supplier, make_variant, make_warehouse, stocked
from tests.orders.factories import make_channel, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel():
    return make_channel("web")


def test_customer_is_matched_by_phone_in_any_format_and_by_email_in_any_case(channel):
    variant, _wh = stocked(10, warehouse=make_warehouse(province=6))
    first = place(
        channel,
        [(variant, 1)],
        customer=CustomerData(phone="0532 111 22 33", first_name="Ali", last_name="Kaya"),
    )
    second = place(
        channel,
        [(variant, 1)],
        customer=CustomerData(phone="+90 (532) 111-2233", email="ALI@Example.com", first_name="Ali"),
    )
    third = place(channel, [(variant, 1)], customer=CustomerData(email="ali@example.com ", first_name="Ali"))
    assert first.customer_id == second.customer_id == third.customer_id
    customer = Customer.objects.get()
    assert (customer.phone, customer.email) == ("+905321112233", "ali@example.com")
    assert customer.orders_count == 3
    assert customer.segment == "repeat"
    assert first.is_first_order
    assert not second.is_first_order


def test_merging_customers_keeps_every_order_and_history(channel, operator):
    variant, _wh = stocked(10, warehouse=make_warehouse(province=6))
    a = place(channel, [(variant, 1)], customer=CustomerData(email="a@example.com", first_name="Zeynep"))
    b = place(channel, [(variant, 2)], customer=CustomerData(phone="05320000001", first_name="Zeynep"))
    keep = merge_customers(keep=a.customer_id, merge=b.customer_id, user=operator)
    assert set(Order.objects.values_list("customer_id", flat=True)) == {keep.pk}
    assert (keep.orders_count, keep.lifetime_value) == (2, Decimal("300.00"))
    assert keep.phone == "+905320000001"
    assert Customer.objects.get(pk=b.customer_id).merged_into_id == keep.pk
    with pytest.raises(CustomerMergeError):
        merge_customers(keep=keep.pk, merge=b.customer_id, user=operator)


def test_totals_spread_the_order_discount_and_keep_kdv_per_rate(channel):
    warehouse = make_warehouse(province=6)
    food, _ = stocked(
        5, warehouse=warehouse, variant=make_variant(make_product(tax_rate=1), list_price=Decimal("50"))
    )
    book, _ = stocked(
        5, warehouse=warehouse, variant=make_variant(make_product(tax_rate=10), list_price=Decimal("110"))
    )
    order = place(channel, [(food, 2), (book, 1)], discount="21.00", shipping_fee="29.90")
    lines = {line.sku: line for line in order.lines.all()}
    assert order.subtotal == Decimal("210.00")
    assert order.discount_total == Decimal("21.00")
    assert lines[food.sku].total + lines[book.sku].total == Decimal("189.00")
    assert lines[book.sku].tax_amount == (lines[book.sku].total * 10 / 110).quantize(Decimal("0.01"))
    assert order.grand_total == Decimal("218.90")
    shipping_kdv = Decimal("4.98")  # 29.90 * 20 / 120
    assert order.tax_total == lines[food.sku].tax_amount + lines[book.sku].tax_amount + shipping_kdv


def test_velocity_from_one_phone_raises_the_risk_score(channel):
    variant, _wh = stocked(20, warehouse=make_warehouse(province=6))
    orders = [
        place(channel, [(variant, 1)], customer=CustomerData(phone="05329998877", first_name="Can"))
        for _ in range(4)
    ]
    assert "velocity" not in {r["code"] for r in orders[0].risk_reasons}
    assert "velocity" in {r["code"] for r in orders[3].risk_reasons}


def test_split_allocation_uses_fewest_warehouses_and_says_why(channel):
    istanbul, izmir, ankara = (
        make_warehouse("IST", province=34),
        make_warehouse("IZM", province=35),
        make_warehouse("ANK", province=6),
    )
    a, _ = stocked(5, warehouse=istanbul)
    b, _ = stocked(5, warehouse=izmir)
    stocked(5, variant=b, warehouse=ankara)
    order = place(channel, [(a, 1), (b, 1)])
    assert order.status == "allocated"
    assert order.warehouse_codes == "ANK,IST"  # Ankara is nearer the Ankara address than Izmir
    decision = order.decisions.get()
    assert "2" in decision.summary
    chosen = {c["code"] for c in decision.plan["candidates"] if c["chosen"]}
    assert chosen == {"IST", "ANK"}


def test_inactive_warehouses_are_never_chosen(channel):
    closed = make_warehouse("OLD", province=6, is_active=False)
    open_one = make_warehouse("IST", province=34)
    variant, _ = stocked(5, warehouse=closed)
    stocked(5, variant=variant, warehouse=open_one)
    order = place(channel, [(variant, 1)])
    assert order.warehouse_codes == "IST"
    reasons = {c["code"]: c["reason"] for c in order.decisions.get().plan["candidates"]}
    assert "OLD" in reasons


def test_dry_run_plan_reserves_nothing(channel):
    warehouse = make_warehouse("ANK", province=6)
    variant, _ = stocked(3, warehouse=warehouse)
    result = allocation.plan([allocation.Need(1, variant.pk, variant.sku, 5)], province_id=6)
    assert result.short == {1: 2}
    assert StockLevel.objects.get(variant=variant).reserved == 0


def test_reallocate_moves_the_reservation_and_refuses_a_warehouse_without_stock(channel, operator):
    ankara, istanbul, empty = (
        make_warehouse("ANK", province=6),
        make_warehouse("IST", province=34),
        make_warehouse("EMP", province=35),
    )
    variant, _ = stocked(5, warehouse=ankara)
    stocked(5, variant=variant, warehouse=istanbul)
    order = place(channel, [(variant, 2)])
    assert order.warehouse_codes == "ANK"
    services.reallocate(order, warehouse_id=istanbul.pk, user=operator)
    order.refresh_from_db()
    assert order.warehouse_codes == "IST"
    assert StockLevel.objects.get(variant=variant, warehouse=ankara).reserved == 0
    assert StockLevel.objects.get(variant=variant, warehouse=istanbul).reserved == 2
    with pytest.raises(AllocationFailed):
        services.reallocate(order, warehouse_id=empty.pk, user=operator)
    assert StockLevel.objects.get(variant=variant, warehouse=istanbul).reserved == 2
    assert order.events.filter(name="order.reallocated").count() == 1


def test_backordered_line_is_promised_for_the_first_open_purchase_order(channel, operator):
    warehouse = make_warehouse("ANK", province=6)
    variant, _ = stocked(0, warehouse=warehouse, variant=make_variant())
    supplier = make_supplier()
    soon = timezone.localdate() + timedelta(days=5)
    for days, status in ((9, "sent"), (5, "sent"), (2, "draft")):
        po = PurchaseOrder.objects.create(
            number=f"PO-{days}",
            supplier=supplier,
            warehouse=warehouse,
            status=status,
            expected_date=timezone.localdate() + timedelta(days=days),
            created_by=operator,
        )
        PurchaseOrderLine.objects.create(
            order=po, variant=variant, quantity_ordered=10, unit_cost=Decimal("1")
        )
    order = place(channel, [(variant, 2)])
    assert order.status == "backordered"
    assert order.lines.get().promise_date == soon
    assert order.promise_date == soon


def test_backorders_fill_by_priority_then_age(channel, django_capture_on_commit_callbacks):
    warehouse = make_warehouse("ANK", province=6)
    variant, _ = stocked(0, warehouse=warehouse, variant=make_variant())
    old = place(channel, [(variant, 1)])
    urgent = place(channel, [(variant, 1)], priority=2)
    newest = place(channel, [(variant, 1)])
    assert {o.status for o in (old, urgent, newest)} == {"backordered"}
    with django_capture_on_commit_callbacks(execute=True):
        add_stock(variant=variant, warehouse=warehouse, quantity=2, reference="po")
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses[urgent.pk] == "allocated"
    assert statuses[old.pk] == "allocated"
    assert statuses[newest.pk] == "backordered"


def test_a_cart_hold_becomes_the_order_reservation(channel):
    warehouse = make_warehouse("ANK", province=6)
    variant, _ = stocked(2, warehouse=warehouse)
    hold = hold_for_cart(variant=variant, warehouse=warehouse, quantity=2, cart="c1")
    order = place(channel, [(variant, 2)], hold_ids=[hold.pk])
    assert order.status == "allocated"
    assert Reservation.objects.get(pk=hold.pk).status == "released"
    level = StockLevel.objects.get(variant=variant)
    assert (level.on_hand, level.reserved) == (2, 2)
    assert order.allocations.get().quantity == 2
