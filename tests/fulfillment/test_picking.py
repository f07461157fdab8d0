"""Pick lists and scanning through the services: methods, walk order, lots, priority, refusals,
short picks and list completion."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from fulfillment import picking
from fulfillment.models import PickList, PickListOrder, PickTask, Problem, Wave
from inventory.ledger import verify_stock
from inventory.models import Bin, StockLevel, StockLot, Tracking
from inventory.services import add_stock
from orders.models import Customer, Order, OrderEvent
from tests.inventory.factories import make_product, make_variant, make_warehouse
from tests.orders.factories import make_channel, place

pytestmark = pytest.mark.django_db


# --- shared set-up (the view tests import these) --------------------------------------------------


@pytest.fixture
def site():
    """A warehouse with bins in three zones: walk order C-01 (5), A-01 (10), A-02 (15), B-01 (20)."""
    warehouse = make_warehouse("IST", province=34)
    Bin.objects.create(warehouse=warehouse, code="A-02-01-1", zone="A", walk_sequence=15)
    Bin.objects.create(warehouse=warehouse, code="C-01-01-1", zone="C", walk_sequence=5)
    return warehouse


@pytest.fixture
def channel():
    return make_channel("web")


def bin_of(warehouse, code: str) -> Bin:
    return Bin.objects.get(warehouse=warehouse, code=code)


def put(variant, warehouse, code: str, quantity: int, **receive):
    add_stock(variant=variant, warehouse=warehouse, quantity=quantity, bin=bin_of(warehouse, code), **receive)


def stocked_variant(warehouse, code: str, quantity: int = 50, **fields):
    variant = make_variant(**fields)
    put(variant, warehouse, code, quantity)
    return variant


def tasks_of(pick_list) -> list[PickTask]:
    return list(pick_list.tasks.select_related("bin", "lot").order_by("sequence"))


# --- building -------------------------------------------------------------------------------------


def test_single_makes_one_list_per_order_in_walk_order_and_starts_fulfillment(site, channel):
    far = stocked_variant(site, "B-01-01-1")
    near = stocked_variant(site, "C-01-01-1")
    first = place(channel, [(far, 2), (near, 1)])
    second = place(channel, [(near, 3)])
    lists = picking.build_pick_lists(warehouse=site, method="single")
    assert len(lists) == 2
    assert [list(pl.list_orders.values_list("order_id", flat=True)) for pl in lists] == [
        [first.pk],
        [second.pk],
    ]
    tasks = tasks_of(lists[0])
    assert [(t.bin.code, t.variant_id, t.quantity) for t in tasks] == [
        ("C-01-01-1", near.pk, 1),
        ("B-01-01-1", far.pk, 2),
    ]
    assert [t.sequence for t in tasks] == [1, 2]
    assert lists[0].lines_total == 2
    assert lists[0].number.startswith("PL-")
    assert set(Order.objects.values_list("status", flat=True)) == {"in_fulfillment"}
    assert OrderEvent.objects.filter(subject=first, name="order.in_fulfillment").count() == 1
    # Orders on a live list are not taken again.
    with pytest.raises(picking.NothingToPick):
        picking.build_pick_lists(warehouse=site, method="single")


def test_batch_holds_up_to_n_orders_with_one_tote_each(site, channel):
    variant = stocked_variant(site, "A-01-01-1")
    orders = [place(channel, [(variant, 1)]) for _ in range(5)]
    lists = picking.build_pick_lists(warehouse=site, method="batch", batch_size=2)
    assert [pl.list_orders.count() for pl in lists] == [2, 2, 1]
    rows = list(PickListOrder.objects.filter(pick_list=lists[0]).order_by("position"))
    assert [r.order_id for r in rows] == [orders[0].pk, orders[1].pk]
    assert len({r.tote for r in rows}) == 2
    totes = {t.order_id: t.tote for t in lists[0].tasks.all()}
    assert totes == {r.order_id: r.tote for r in rows}


def test_zone_makes_one_list_per_zone(site, channel):
    a = stocked_variant(site, "A-01-01-1")
    a2 = stocked_variant(site, "A-02-01-1")
    b = stocked_variant(site, "B-01-01-1")
    first = place(channel, [(a, 1), (b, 1)])
    second = place(channel, [(a2, 1), (a, 2)])
    lists = picking.build_pick_lists(warehouse=site, method="zone")
    assert [(pl.zone, pl.lines_total) for pl in lists] == [("A", 3), ("B", 1)]
    a_tasks = tasks_of(lists[0])
    assert [t.bin.code for t in a_tasks] == ["A-01-01-1", "A-01-01-1", "A-02-01-1"]
    assert set(lists[0].list_orders.values_list("order_id", flat=True)) == {first.pk, second.pk}
    assert list(lists[1].list_orders.values_list("order_id", flat=True)) == [first.pk]
    assert all(pl.wave_id is None for pl in lists)


def test_wave_takes_orders_until_the_cutoff_with_a_consolidation_point(site, channel):
    a = stocked_variant(site, "A-01-01-1")
    b = stocked_variant(site, "B-01-01-1")
    now = timezone.now()
    early = place(channel, [(a, 1), (b, 1)])
    late = place(channel, [(a, 1)])
    Order.objects.filter(pk=early.pk).update(placed_at=now - timedelta(hours=3))
    Order.objects.filter(pk=late.pk).update(placed_at=now + timedelta(hours=1))
    lists = picking.build_pick_lists(warehouse=site, method="wave", cutoff=now)
    wave = Wave.objects.get()
    assert wave.consolidation_point
    assert wave.number.startswith("WV-")
    assert [(pl.zone, pl.wave_id) for pl in lists] == [("A", wave.pk), ("B", wave.pk)]
    assert set(PickListOrder.objects.values_list("order_id", flat=True)) == {early.pk}
    late.refresh_from_db()
    assert late.status == "allocated"


def test_priority_vip_first_then_priority_then_oldest(site, channel):
    variant = stocked_variant(site, "A-01-01-1")
    now = timezone.now()
    oldest = place(channel, [(variant, 1)])
    urgent = place(channel, [(variant, 1)])
    vip = place(channel, [(variant, 1)])
    newest = place(channel, [(variant, 1)])
    for order, hours in ((oldest, 10), (urgent, 1), (vip, 0), (newest, 0.5)):
        Order.objects.filter(pk=order.pk).update(placed_at=now - timedelta(hours=hours))
    Order.objects.filter(pk=urgent.pk).update(priority=2)
    Customer.objects.filter(pk=vip.customer_id).update(is_vip=True)
    lists = picking.build_pick_lists(warehouse=site, method="batch", batch_size=10)
    rows = PickListOrder.objects.filter(pick_list=lists[0]).order_by("position")
    assert [r.order_id for r in rows] == [vip.pk, urgent.pk, oldest.pk, newest.pk]
    lists = picking.build_pick_lists


def test_single_lists_of_priority_orders_come_first(site, channel):
    variant = stocked_variant(site, "A-01-01-1")
    normal = place(channel, [(variant, 1)])
    urgent = place(channel, [(variant, 1)])
    Order.objects.filter(pk=urgent.pk).update(priority=2)
    picking.build_pick_lists(warehouse=site, method="single")
    queue = list(PickList.objects.filter(warehouse=site).values_list("list_orders__order_id", flat=True))
    assert queue == [urgent.pk, normal.pk]


def test_fefo_takes_the_earliest_expiry_and_splits_across_lots(site, channel):
    variant = make_variant(make_product(expiry=True, tracking=Tracking.LOT))
    today = date.today()
    put(variant, site, "B-01-01-1", 2, lot_number="L-SOON", expiry_date=today + timedelta(days=10))
    put(variant, site, "A-01-01-1", 5, lot_number="L-LATE", expiry_date=today + timedelta(days=200))
    order = place(channel, [(variant, 4)])
    [pick_list] = picking.build_pick_lists(warehouse=site, method="single", order_ids=[order.pk])
    tasks = tasks_of(pick_list)
    # Walk order A before B, but the soon-expiring lot is used up first.
    assert [(t.bin.code, t.lot.lot_number, t.quantity) for t in tasks] == [
        ("A-01-01-1", "L-LATE", 2),
        ("B-01-01-1", "L-SOON", 2),
    ]


def test_fifo_and_units_promised_to_other_lists_are_not_planned_twice(site, channel):
    variant = make_variant()
    put(variant, site, "B-01-01-1", 3)  # received first
    put(variant, site, "A-01-01-1", 3)
    first = place(channel, [(variant, 2)])
    second = place(channel, [(variant, 2)])
    [one] = picking.build_pick_lists(warehouse=site, method="single", order_ids=[first.pk])
    [two] = picking.build_pick_lists(warehouse=site, method="single", order_ids=[second.pk])
    assert [(t.bin.code, t.quantity) for t in tasks_of(one)] == [("B-01-01-1", 2)]
    assert [(t.bin.code, t.quantity) for t in tasks_of(two)] == [("A-01-01-1", 1), ("B-01-01-1", 1)]


def test_lifo_takes_the_newest_lot(site, channel):
    variant = make_variant(make_product(strategy="lifo"))
    put(variant, site, "A-01-01-1", 3)
    put(variant, site, "B-01-01-1", 3)
    order = place(channel, [(variant, 2)])
    [pick_list] = picking.build_pick_lists(warehouse=site, method="single", order_ids=[order.pk])
    assert [(t.bin.code, t.quantity) for t in tasks_of(pick_list)] == [("B-01-01-1", 2)]


def test_orders_of_another_warehouse_are_not_taken(site, channel):
    other = make_warehouse("ANK", province=6)
    variant = make_variant()
    put(variant, other, "A-01-01-1", 5)
    place(channel, [(variant, 1)])
    with pytest.raises(picking.NothingToPick):
        picking.build_pick_lists(warehouse=site, method="single")


def test_statements_do_not_grow_with_the_number_of_orders(site, channel):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    variants = [stocked_variant(site, code) for code in ("A-01-01-1", "B-01-01-1", "C-01-01-1")]
    counts = []
    for n in (2, 12):
        ids = [place(channel, [(v, 1) for v in variants]).pk for _ in range(n)]
        with CaptureQueriesContext(connection) as captured:
            lists = picking.build_pick_lists(warehouse=site, method="wave", order_ids=ids)
        counts.append(len(captured))
        assert PickTask.objects.filter(pick_list__in=lists).count() == 3 * n
    assert counts[0] == counts[1]


def test_unknown_method_is_refused(site):
    with pytest.raises(picking.InvalidInput):
        picking.build_pick_lists(warehouse=site, method="random")


# --- scanning -------------------------------------------------------------------------------------


@pytest.fixture
def two_lines(site, channel, operator):
    a = stocked_variant(site, "A-01-01-1", barcode="8690000000017")
    b = stocked_variant(site, "B-01-01-1")
    order = place(channel, [(a, 2), (b, 1)])
    [pick_list] = picking.build_pick_lists(warehouse=site, method="single", user=operator)
    return pick_list, a, b, order


def test_bin_then_item_then_tap_completes_the_list(two_lines, operator, site):
    pick_list, a, b, _order = two_lines
    picking.start_pick_list(pick_list, operator)
    pick_list.refresh_from_db()
    assert pick_list.status == "picking"
    assert pick_list.assigned_to == operator
    result = picking.scan(pick_list, "a-01-01-1", operator)
    assert result.kind == "bin"
    assert result.at_bin == bin_of(site, "A-01-01-1").pk
    result = picking.scan(pick_list, "8690000000017", operator, at_bin=result.at_bin)
    assert result.task.quantity_picked == 1
    assert not result.done
    result = picking.scan(pick_list, a.sku, operator, at_bin=result.at_bin)
    assert result.task.status == "picked"
    task_b = picking.next_task(pick_list)
    assert task_b.variant_id == b.pk
    with pytest.raises(picking.PickRefused) as refused:
        picking.pick(task_b, 2, operator)
    assert "Only 1" in refused.value.message
    result = picking.pick(task_b, 1, operator)
    assert result.done
    pick_list.refresh_from_db()
    assert (pick_list.status, pick_list.lines_done) == ("picked", 2)
    assert pick_list.finished_at is not None


def test_wrong_bin_item_and_unknown_code_are_refused_and_nothing_recorded(two_lines, operator, site):
    pick_list, a, b, _order = two_lines
    with pytest.raises(picking.PickRefused) as refused:
        picking.scan(pick_list, "B-01-01-1", operator)
    assert refused.value.code == "wrong_bin"
    assert "A-01-01-1" in refused.value.message
    with pytest.raises(picking.PickRefused) as refused:
        picking.scan(pick_list, a.sku, operator)  # the item before the bin
    assert refused.value.code == "bin_first"
    at = bin_of(site, "A-01-01-1").pk
    with pytest.raises(picking.PickRefused) as refused:
        picking.scan(pick_list, b.sku, operator, at_bin=at)
    assert refused.value.code == "wrong_item"
    assert b.sku in refused.value.message
    with pytest.raises(picking.PickRefused) as refused:
        picking.scan(pick_list, "NO-SUCH-CODE", operator, at_bin=at)
    assert refused.value.code == "unknown_code"
    assert sum(PickTask.objects.filter(pick_list=pick_list).values_list("quantity_picked", flat=True)) == 0


def test_serials_one_by_one_refusing_strangers_and_repeats(site, channel, operator):
    product = make_product(tracking=Tracking.SERIAL)
    variant = make_variant(product)
    put(variant, site, "A-01-01-1", 2, serials=["SN-1", "SN-2"])
    put(variant, site, "B-01-01-1", 1, serials=["SN-9"])
    order = place(channel, [(variant, 2)])
    [pick_list] = picking.build_pick_lists(warehouse=site, method="single", order_ids=[order.pk])
    [task] = tasks_of(pick_list)
    assert (task.bin.code, task.quantity) == ("A-01-01-1", 2)
    at = picking.scan(pick_list, "A-01-01-1", operator).at_bin
    with pytest.raises(picking.PickRefused) as refused:
        picking.scan(pick_list, variant.sku, operator, at_bin=at)
    assert refused.value.code == "serial_needed"
    with pytest.raises(picking.PickRefused) as refused:
        picking.scan(pick_list, "SN-9", operator, at_bin=at)
    assert refused.value.code == "wrong_serial"
    assert "B-01-01-1" in refused.value.message
    with pytest.raises(picking.PickRefused):
        picking.scan(pick_list, "SN-404", operator, at_bin=at)
    with pytest.raises(picking.PickRefused):
        picking.pick(task, 1, operator)  # no quantity taps for serials
    picking.scan(pick_list, "SN-2", operator, at_bin=at)
    with pytest.raises(picking.PickRefused) as refused:
        picking.scan(pick_list, "SN-2", operator, at_bin=at)
    assert refused.value.code == "serial_taken"
    result = picking.scan(pick_list, "SN-1", operator, at_bin=at)
    assert result.done
    task.refresh_from_db()
    assert task.serials == ["SN-2", "SN-1"]
    assert task.status == "picked"


def test_a_serial_already_shipped_is_refused(site, channel, operator):
    """Hand-over consumes the picked serial's lot (as shipments.hand_over does); scanning that
    serial for another order is refused as not in stock, and nothing is recorded."""
    from inventory.services import consume

    product = make_product(tracking=Tracking.SERIAL)
    variant = make_variant(product)
    put(variant, site, "A-01-01-1", 2, serials=["SN-1", "SN-2"])
    first = place(channel, [(variant, 1)])
    [first_list] = picking.build_pick_lists(warehouse=site, method="single", order_ids=[first.pk])
    [first_task] = tasks_of(first_list)
    at = picking.scan(first_list, "A-01-01-1", operator).at_bin
    picking.scan(first_list, "SN-1", operator, at_bin=at)
    shipped_lot = StockLot.objects.get(variant=variant, serial="SN-1")
    consume(reservation=first_task.allocation.reservation_id, quantity=1, lots=[(shipped_lot.pk, 1)])

    second = place(channel, [(variant, 1)])
    [second_list] = picking.build_pick_lists(warehouse=site, method="single", order_ids=[second.pk])
    [task] = tasks_of(second_list)
    at = picking.scan(second_list, "A-01-01-1", operator).at_bin
    with pytest.raises(picking.PickRefused) as refused:
        picking.scan(second_list, "SN-1", operator, at_bin=at)
    assert refused.value.code == "wrong_serial"
    assert "SN-1" in refused.value.message
    task.refresh_from_db()
    assert (task.serials, task.quantity_picked) == ([], 0)
    picking.scan(second_list, "SN-2", operator, at_bin=at)  # the one still on the shelf is taken


def test_short_pick_opens_a_problem_and_reallocates_from_another_bin(two_lines, operator, site):
    pick_list, a, _b, order = two_lines
    put(a, site, "C-01-01-1", 5)  # more of it elsewhere in the warehouse
    task = picking.next_task(pick_list)
    result = picking.short_pick(task, 0, operator)
    task.refresh_from_db()
    assert (task.status, task.quantity_short, task.quantity_picked) == ("short", 2, 0)
    problem = Problem.objects.get()
    assert (problem.kind, problem.quantity, problem.order_id, problem.bin.code) == (
        "short_pick",
        2,
        order.pk,
        "A-01-01-1",
    )
    assert str(problem.pk) in result.message
    order.refresh_from_db()
    line = order.lines.get(variant=a)
    assert (line.quantity_allocated, line.quantity_backordered) == (2, 0)
    # The missing units are out of sellable stock; what is reserved still exists.
    lot = StockLot.objects.get(variant=a, bin__code="A-01-01-1")
    assert lot.quarantined == 2
    level = StockLevel.objects.get(variant=a, warehouse=site)
    assert level.reserved == 2
    assert level.on_hand == 53
    assert verify_stock() == []
    # The new allocation is picked on a new list, from the other bin.
    [again] = picking.build_pick_lists(warehouse=site, method="single")
    assert [(t.bin.code, t.quantity) for t in tasks_of(again)] == [("C-01-01-1", 2)]


def test_short_pick_backorders_when_no_stock_is_left(site, channel, operator):
    variant = stocked_variant(site, "A-01-01-1", quantity=3)
    order = place(channel, [(variant, 3)])
    [pick_list] = picking.build_pick_lists(warehouse=site, method="single")
    task = picking.next_task(pick_list)
    at = picking.scan(pick_list, "A-01-01-1", operator).at_bin
    picking.scan(pick_list, variant.sku, operator, at_bin=at)
    with pytest.raises(picking.PickRefused):
        picking.short_pick(task, 0, operator)  # one is already in the tote
    result = picking.short_pick(task, 1, operator)
    assert result.done
    pick_list.refresh_from_db()
    assert pick_list.status == "picked"
    order.refresh_from_db()
    line = order.lines.get()
    assert (order.status, line.quantity_allocated, line.quantity_backordered) == ("backordered", 1, 2)
    assert Problem.objects.get().quantity == 2
    assert verify_stock() == []


def test_scanning_a_finished_list_is_a_conflict(two_lines, operator):
    pick_list, *_rest = two_lines
    for task in tasks_of(pick_list):
        picking.pick(task, task.quantity, operator)
    with pytest.raises(picking.Conflict):
        picking.scan(pick_list, "A-01-01-1", operator)
