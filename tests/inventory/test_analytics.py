"""Inventory reports on hand-built ledgers with known answers (inventory.analytics)."""

from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from inventory import analytics
from inventory.analytics import Measure, Period, TurnoverGroup, TurnoverOrder
from inventory.models import MovementKind, StockLot, SupplierItem
from inventory.services import consume, quarantine, remove_stock, reserve_one, scrap
from inventory.transfers import request_transfer, ship_transfer
from tests.inventory.factories import (
    make_category,
    make_product,
    make_supplier,
    make_variant,
    make_warehouse,
    stocked,
)

pytestmark = pytest.mark.django_db


@contextmanager
def at(moment: datetime):
    """Everything written inside happens at ``moment`` (ledger rows take ``timezone.now()``)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def sell(variant, warehouse, units: int, *, when: datetime | None = None) -> None:
    with at(when) if when else nullcontext():
        reservation = reserve_one(
            variant=variant, warehouse=warehouse, quantity=units, reference="order_line:t"
        )
        consume(reservation=reservation)


def receive(variant, warehouse, units: int, *, when: datetime | None = None):
    with at(when) if when else nullcontext():
        return stocked(units, variant=variant, warehouse=warehouse)


def days_ago(n: float) -> datetime:
    return timezone.now() - timedelta(days=n)


TODAY = analytics.local_today


# --- ABC ------------------------------------------------------------------------------------------


@pytest.fixture
def abc_shop():
    """Seven variants at 10 TL: 50, 30, 10, 5, 3, 2 and 0 units sold in the last week (1000 TL)."""
    warehouse = make_warehouse()
    category = make_category()
    variants = []
    for i, units in enumerate([50, 30, 10, 5, 3, 2, 0]):
        variant = make_variant(make_product(category=category), sku=f"ABC-{i}", list_price=Decimal("10.00"))
        stocked(60, variant=variant, warehouse=warehouse)
        if units:
            sell(variant, warehouse, units, when=days_ago(3))
        variants.append(variant)
    return warehouse, variants


def test_abc_classes_by_revenue_with_default_thresholds(abc_shop):
    _warehouse, _variants = abc_shop
    report = analytics.abc_analysis(start=TODAY() - timedelta(days=89), end=TODAY())
    assert [(r.sku, r.revenue, r.abc_class) for r in report.rows] == [
        ("ABC-0", Decimal("500.00"), "A"),
        ("ABC-1", Decimal("300.00"), "A"),  # 50% before it: still below 80
        ("ABC-2", Decimal("100.00"), "B"),  # 80% before it
        ("ABC-3", Decimal("50.00"), "B"),
        ("ABC-4", Decimal("30.00"), "C"),  # 95% before it
        ("ABC-5", Decimal("20.00"), "C"),
        ("ABC-6", Decimal("0.00"), "C"),  # active, sold nothing
    ]
    assert [r.cumulative for r in report.rows][:3] == [Decimal(50), Decimal(80), Decimal(90)]
    assert (report.revenue, report.units) == (Decimal("1000.00"), 100)
    summary = {c.name: (c.items, c.value_share) for c in report.classes}
    assert summary == {"A": (2, Decimal(80)), "B": (2, Decimal(15)), "C": (3, Decimal(5))}


def test_abc_item_crossing_the_boundary_stays_in_the_upper_class(abc_shop):
    report = analytics.abc_analysis(start=TODAY() - timedelta(days=7), end=TODAY(), thresholds=(70, 20, 10))
    # 50% before ABC-1 (< 70): A; 80% before ABC-2 (< 90): B; 90% before ABC-3: C.
    assert [r.abc_class for r in report.rows] == ["A", "A", "B", "C", "C", "C", "C"]


def test_abc_by_quantity_ranks_differently_from_revenue():
    warehouse = make_warehouse()
    cheap = make_variant(sku="CHEAP", list_price=Decimal("1.00"))
    dear = make_variant(sku="DEAR", list_price=Decimal("1000.00"))
    for variant, units in ((cheap, 40), (dear, 2)):
        stocked(50, variant=variant, warehouse=warehouse)
        sell(variant, warehouse, units)
    by_revenue = analytics.abc_analysis(start=TODAY(), end=TODAY(), measure=Measure.REVENUE)
    by_quantity = analytics.abc_analysis(start=TODAY(), end=TODAY(), measure=Measure.QUANTITY)
    assert [r.sku for r in by_revenue.rows] == ["DEAR", "CHEAP"]
    assert [r.sku for r in by_quantity.rows] == ["CHEAP", "DEAR"]


def test_abc_counts_only_sales_inside_the_period():
    warehouse = make_warehouse()
    variant = make_variant(sku="OLD")
    stocked(20, variant=variant, warehouse=warehouse)
    sell(variant, warehouse, 5, when=days_ago(120))
    sell(variant, warehouse, 2, when=days_ago(10))
    remove_stock(variant=variant, warehouse=warehouse, quantity=1, reason="lost")  # not a sale
    report = analytics.abc_analysis(start=TODAY() - timedelta(days=89), end=TODAY())
    assert [(r.sku, r.units) for r in report.rows] == [("OLD", 2)]


def test_abc_per_warehouse_splits_rows_and_the_warehouse_filter_keeps_one():
    ist, ank = make_warehouse("IST"), make_warehouse("ANK")
    variant = make_variant(sku="SPLIT", list_price=Decimal("10.00"))
    for warehouse, units in ((ist, 7), (ank, 3)):
        stocked(10, variant=variant, warehouse=warehouse)
        sell(variant, warehouse, units)
    split = analytics.abc_analysis(start=TODAY(), end=TODAY(), per_warehouse=True)
    assert [(r.warehouse, r.units, r.share) for r in split.rows] == [("IST", 7, 70), ("ANK", 3, 30)]
    only = analytics.abc_analysis(start=TODAY(), end=TODAY(), warehouse=ank)
    assert [(r.warehouse, r.units, r.revenue) for r in only.rows] == [("ANK", 3, Decimal("30.00"))]


def test_abc_without_any_sales_puts_everything_in_c(abc_shop):
    report = analytics.abc_analysis(start=TODAY() - timedelta(days=400), end=TODAY() - timedelta(days=300))
    assert {r.abc_class for r in report.rows} == {"C"}
    assert report.revenue == 0


# --- Valuation ------------------------------------------------------------------------------------


def test_valuation_per_warehouse_and_top_level_category_with_quarantine_apart():
    root = make_category(name="Elektronik")
    child = make_category(name="Telefon", parent=root)
    other = make_category(name="Gıda")
    ist, ank = make_warehouse("IST"), make_warehouse("ANK")
    phone = make_variant(make_product(category=child), cost_price=Decimal("60.00"))
    tea = make_variant(make_product(category=other), cost_price=Decimal("2.50"))
    stocked(10, variant=phone, warehouse=ist)
    stocked(5, variant=phone, warehouse=ank)
    stocked(8, variant=tea, warehouse=ist)
    quarantine(lot=StockLot.objects.get(variant=tea), quantity=2, reason="damaged")

    report = analytics.stock_valuation()

    assert [(w.label, w.units, w.value, w.quarantined_value) for w in report.by_warehouse] == [
        ("IST", 16, Decimal("615.00"), Decimal("5.00")),
        ("ANK", 5, Decimal("300.00"), Decimal("0.00")),
    ]
    assert [(c.label, c.value, c.quarantined_units) for c in report.by_category] == [
        ("Elektronik", Decimal("900.00"), 0),  # the child category's stock counts for its root
        ("Gıda", Decimal("15.00"), 2),
    ]
    assert (report.total.value, report.total.quarantined_value, report.total.total_value) == (
        Decimal("915.00"),
        Decimal("5.00"),
        Decimal("920.00"),
    )


def test_valuation_as_of_a_past_date_subtracts_later_movements():
    warehouse = make_warehouse("IST")
    variant = make_variant(cost_price=Decimal("10.00"))
    receive(variant, warehouse, 10, when=days_ago(20))
    receive(variant, warehouse, 5, when=days_ago(2))
    sell(variant, warehouse, 3, when=days_ago(1))
    quarantine(lot=StockLot.objects.filter(variant=variant).first(), quantity=2, reason="damaged")

    assert analytics.stock_valuation().total.units == 10  # 15 - 3 - 2 into quarantine
    past = analytics.stock_valuation(as_of=days_ago(10))
    assert (past.total.units, past.total.value, past.total.quarantined_units) == (10, Decimal("100.00"), 0)
    before = analytics.stock_valuation(as_of=days_ago(30))
    assert (before.total.units, before.by_warehouse) == (0, [])


# --- Turnover -------------------------------------------------------------------------------------


def test_turnover_is_cogs_over_average_inventory_from_the_ledger():
    warehouse = make_warehouse()
    category = make_category(name="Kahve")
    variant = make_variant(make_product(category=category), sku="KHV", cost_price=Decimal("10.00"))
    receive(variant, warehouse, 100, when=days_ago(40))
    sell(variant, warehouse, 20, when=days_ago(10))
    sell(variant, warehouse, 10, when=days_ago(1))  # after the period: not COGS, not in the end value

    end = TODAY() - timedelta(days=5)
    report = analytics.turnover(start=end - timedelta(days=29), end=end, group=TurnoverGroup.VARIANT)

    row = report.rows[0]
    assert (row.label, row.units_sold, row.cogs) == ("KHV", 20, Decimal("200.00"))
    assert (row.start_value, row.end_value, row.average_value) == (Decimal("1000.00"), Decimal("800.00"), 900)
    assert row.turnover.quantize(Decimal("0.0001")) == Decimal("0.2222")
    assert row.days_of_inventory == Decimal(135)  # 900 / 200 x 30 days
    assert report.total.cogs == Decimal("200.00")
    by_category = analytics.turnover(start=end - timedelta(days=29), end=end)
    assert [(r.label, r.cogs) for r in by_category.rows] == [("Kahve", Decimal("200.00"))]


def test_turnover_sorts_and_leaves_unsold_stock_without_days():
    warehouse = make_warehouse()
    fast, slow, idle = (make_variant(sku=s, cost_price=Decimal("1.00")) for s in ("FAST", "SLOW", "IDLE"))
    for variant in (fast, slow, idle):
        receive(variant, warehouse, 100, when=days_ago(60))
    sell(fast, warehouse, 50, when=days_ago(5))
    sell(slow, warehouse, 5, when=days_ago(5))
    args = {"start": TODAY() - timedelta(days=29), "end": TODAY(), "group": TurnoverGroup.VARIANT}

    fastest = analytics.turnover(**args)
    slowest = analytics.turnover(**args, order=TurnoverOrder.SLOWEST)

    assert [r.label for r in fastest.rows] == ["FAST", "SLOW", "IDLE"]
    assert [r.label for r in slowest.rows] == ["IDLE", "SLOW", "FAST"]
    idle_row = fastest.rows[-1]
    assert (idle_row.turnover, idle_row.days_of_inventory) == (0, None)


# --- Dead stock -----------------------------------------------------------------------------------


def test_dead_stock_cutoff_boundaries():
    now = timezone.now().replace(microsecond=0)
    cutoff = now - timedelta(days=90)
    warehouse = make_warehouse("IZM")
    on_cutoff, before, never, empty, moved = (
        make_variant(sku=s, cost_price=Decimal("10.00"))
        for s in ("ON-CUTOFF", "BEFORE", "NEVER", "EMPTY", "MOVED")
    )
    other = make_warehouse("IST")
    for variant in (on_cutoff, before, never, empty, moved):
        receive(variant, warehouse, 5, when=now - timedelta(days=200))
    sell(on_cutoff, warehouse, 1, when=cutoff)  # exactly N days ago: still recent
    sell(before, warehouse, 1, when=cutoff - timedelta(seconds=1))
    sell(empty, warehouse, 5, when=now - timedelta(days=150))
    with at(now - timedelta(days=3)):
        ship_transfer(transfer=request_transfer(source=warehouse, destination=other, lines=[(moved, 2)]))

    report = analytics.dead_stock(days=90, now=now)

    assert [(r.sku, r.on_hand, r.value) for r in report.rows] == [
        ("NEVER", 5, Decimal("50.00")),
        ("BEFORE", 4, Decimal("40.00")),
    ]
    before_row = report.rows[1]
    assert before_row.last_outgoing == cutoff - timedelta(seconds=1)
    assert (report.rows[0].last_outgoing, report.rows[0].last_movement) == (None, now - timedelta(days=200))
    assert (report.count, report.units, report.value) == (2, 9, Decimal("90.00"))


def test_dead_stock_sorted_by_value_with_limit_and_totals_of_all():
    warehouse = make_warehouse()
    for i, cost in enumerate(["5.00", "50.00", "20.00"]):
        receive(make_variant(sku=f"D{i}", cost_price=Decimal(cost)), warehouse, 2, when=days_ago(100))
    report = analytics.dead_stock(days=30, limit=2)
    assert [r.sku for r in report.rows] == ["D1", "D2"]
    assert (report.count, report.value) == (3, Decimal("150.00"))


# --- Movements ------------------------------------------------------------------------------------


def test_movements_group_by_istanbul_day_near_midnight_utc():
    warehouse = make_warehouse()
    variant = make_variant()
    receive(variant, warehouse, 4, when=datetime(2025, 3, 10, 20, 30, tzinfo=UTC))  # 23:30 on the 10th
    receive(variant, warehouse, 6, when=datetime(2025, 3, 10, 22, 30, tzinfo=UTC))  # 01:30 on the 11th
    report = analytics.movement_report(start=date(2025, 3, 10), end=date(2025, 3, 12), period=Period.DAY)
    assert [(b.start, b.units_in) for b in report.buckets] == [
        (date(2025, 3, 10), 4),
        (date(2025, 3, 11), 6),
        (date(2025, 3, 12), 0),
    ]
    only_11th = analytics.movement_report(start=date(2025, 3, 11), end=date(2025, 3, 11))
    assert only_11th.units_in == 6


def test_movements_by_week_start_on_istanbul_monday_and_by_month():
    warehouse = make_warehouse()
    variant = make_variant()
    # Sunday 9 March 22:30 UTC is Monday 10 March 01:30 in Istanbul: the week of the 10th.
    receive(variant, warehouse, 3, when=datetime(2025, 3, 9, 22, 30, tzinfo=UTC))
    receive(variant, warehouse, 2, when=datetime(2025, 3, 31, 21, 30, tzinfo=UTC))  # 1 April 00:30
    weeks = analytics.movement_report(start=date(2025, 3, 3), end=date(2025, 4, 6), period=Period.WEEK)
    assert {b.start: b.units_in for b in weeks.buckets if b.units_in} == {
        date(2025, 3, 10): 3,
        date(2025, 3, 31): 2,
    }
    months = analytics.movement_report(start=date(2025, 3, 1), end=date(2025, 4, 30), period=Period.MONTH)
    assert [(b.start, b.units_in) for b in months.buckets] == [(date(2025, 3, 1), 3), (date(2025, 4, 1), 2)]


def test_movements_in_and_out_per_kind_with_quarantine_and_scrap():
    warehouse = make_warehouse()
    variant = make_variant()
    stocked(10, variant=variant, warehouse=warehouse)
    sell(variant, warehouse, 3)
    lot = StockLot.objects.get(variant=variant)
    quarantine(lot=lot, quantity=2, reason="damaged")
    scrap(lot=lot, quantity=2, reason="damaged")
    report = analytics.movement_report(start=TODAY(), end=TODAY())
    assert [(k.kind, k.units_in, k.units_out) for k in report.kinds] == [
        (MovementKind.RECEIPT, 10, 0),
        (MovementKind.SALE, 0, 3),
        (MovementKind.SCRAP, 0, 2),
        (MovementKind.QUARANTINE_IN, 0, 2),
    ]
    sales_only = analytics.movement_report(start=TODAY(), end=TODAY(), kind=MovementKind.SALE)
    assert (sales_only.units_in, sales_only.units_out, sales_only.movements) == (0, 3, 1)


# --- Rebalancing ----------------------------------------------------------------------------------


@pytest.fixture
def imbalance():
    """Istanbul sells 1 a day and has 2 left; Ankara sells nothing and holds 100."""
    ist, ank = make_warehouse("IST", priority=1), make_warehouse("ANK", priority=2)
    variant = make_variant(sku="REB")
    stocked(30, variant=variant, warehouse=ist)
    stocked(100, variant=variant, warehouse=ank)
    sell(variant, ist, 28)
    return variant, ist, ank


def test_rebalancing_moves_surplus_to_the_short_warehouse(imbalance):
    (suggestion,) = analytics.rebalancing_suggestions()
    # No supplier: 7 days lead time, reliability 0.75 -> D = 7, R = ceil(7 x 1.5) = 11; up to R + D = 18.
    assert (suggestion.source, suggestion.destination, suggestion.destination_reorder_point) == (
        "ANK",
        "IST",
        11,
    )
    assert suggestion.quantity == 16
    assert suggestion.destination_cover == 2


def test_rebalancing_leaves_the_source_its_own_need(imbalance):
    variant, _ist, ank = imbalance
    remove_stock(variant=variant, warehouse=ank, quantity=60, reason="lost")  # 40 left
    sell(variant, ank, 14)  # 0.5 a day: keeps 60 days = 30 of its 26
    assert analytics.rebalancing_suggestions() == []
    (suggestion,) = analytics.rebalancing_suggestions(surplus_days=40)  # keeps 20 -> 6 to spare
    assert (suggestion.quantity, suggestion.source_keeps) == (6, 20)


def test_rebalancing_uses_the_supplier_lead_time_and_counts_open_transfers(imbalance):
    variant, ist, ank = imbalance
    supplier = make_supplier(lead_time_days=14, reliability=Decimal("1.00"))
    SupplierItem.objects.create(supplier=supplier, variant=variant, cost=Decimal("1.00"), is_preferred=True)
    (suggestion,) = analytics.rebalancing_suggestions()
    # D = 14, S = 14 x 0.25 = 3.5 -> R = 18; wants R + D - 2 = 30.
    assert (suggestion.destination_reorder_point, suggestion.quantity) == (18, 30)
    request_transfer(source=ank, destination=ist, lines=[(variant, 30)])
    assert analytics.rebalancing_suggestions() == []


def test_rebalancing_filters_keep_the_same_matches(imbalance):
    _variant, ist, _ank = imbalance
    izmir = make_warehouse("IZM", priority=3)
    assert analytics.rebalancing_suggestions(warehouse=izmir) == []
    assert [s.quantity for s in analytics.rebalancing_suggestions(warehouse=ist)] == [16]
    assert analytics.rebalancing_suggestions(category_ids=[make_category().pk]) == []
