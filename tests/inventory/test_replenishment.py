"""Reorder points (the seed's 100/week example), suggestions, automatic drafts and tiered alerts."""

from decimal import Decimal

import pytest

from inventory.models import (
    AlertStatus,
    AlertTier,
    PurchaseOrder,
    StockAlert,
    SupplierItem,
)
from inventory.replenishment import (
    alert_counts,
    draft_purchase_orders,
    evaluate_alerts,
    reorder_point,
    reorder_suggestions,
    suggested_quantity,
    tier_for,
)
from inventory.services import StockRequest, consume, reserve, reserve_one
from oms.events import timeline_for
from tests.inventory.factories import make_category, make_product, make_supplier, make_variant, stocked


def test_seed_example_100_a_week_7_days_lead_time_gives_150():
    point = reorder_point(daily_demand=Decimal(100) / 7, lead_time_days=7, reliability=Decimal("0.75"))
    assert point.lead_time_demand.quantize(Decimal("1")) == 100
    assert point.safety_stock.quantize(Decimal("1")) == 50
    assert point.reorder_point == 150


def test_less_reliable_suppliers_get_more_safety_stock():
    reliable = reorder_point(daily_demand=Decimal(10), lead_time_days=5, reliability=Decimal("1"))
    shaky = reorder_point(daily_demand=Decimal(10), lead_time_days=5, reliability=Decimal("0.5"))
    assert (reliable.safety_stock, reliable.reorder_point) == (Decimal("12.50"), 63)
    assert shaky.reorder_point == 88


def test_suggested_quantity_respects_moq_and_pack_size():
    point = reorder_point(daily_demand=Decimal(10), lead_time_days=5, reliability=Decimal("1"))  # R=63, D=50
    assert suggested_quantity(reorder=point, available=70, on_order=0) == 0
    assert suggested_quantity(reorder=point, available=60, on_order=0) == 53  # up to R + D = 113
    assert suggested_quantity(reorder=point, available=60, on_order=0, pack_size=12) == 60
    assert suggested_quantity(reorder=point, available=60, on_order=0, minimum_order=100, pack_size=12) == 108
    assert suggested_quantity(reorder=point, available=30, on_order=40) == 0


def sell(variant, warehouse, units):
    reservation = reserve_one(variant=variant, warehouse=warehouse, quantity=units, reference="order_line:x")
    consume(reservation=reservation)


@pytest.mark.django_db
def test_fast_seller_gets_a_draft_purchase_order_from_its_preferred_supplier():
    supplier = make_supplier(
        lead_time_days=7, reliability=Decimal("0.75"), minimum_order_quantity=50, pack_size=10
    )
    variant, warehouse = stocked(420)
    SupplierItem.objects.create(supplier=supplier, variant=variant, cost=Decimal("40.00"), is_preferred=True)
    sell(variant, warehouse, 400)  # 400 in 28 days = 100 a week -> R = 150; 20 left
    suggestion = reorder_suggestions()[0]
    assert suggestion.reorder.reorder_point == 150
    assert suggestion.quantity == 230  # up to R + D = 250 from 20, in packs of 10
    result = draft_purchase_orders()
    order = PurchaseOrder.objects.get()
    assert result["purchase_orders"] == [order.number]
    assert (order.supplier, order.status) == (supplier, "draft")
    assert order.lines.get().quantity_ordered == 230
    assert draft_purchase_orders()["purchase_orders"] == []  # the open order now counts as on order


@pytest.mark.django_db
def test_without_a_supplier_purchasing_is_told():
    variant, warehouse = stocked(50)
    sell(variant, warehouse, 45)
    assert draft_purchase_orders() == {"purchase_orders": [], "unsourced": 1}
    level = variant.levels.get()
    assert timeline_for(level).get().name == "stock.reorder_needed"


@pytest.mark.parametrize(
    ("available", "expected"),
    [(25, None), (20, AlertTier.APPROACHING), (5, AlertTier.CRITICAL), (0, AlertTier.OUT_OF_STOCK)],
)
def test_tiers(available, expected):
    assert tier_for(available, minimum=20, critical=5)[0] == expected


@pytest.mark.django_db
def test_alerts_open_once_escalate_and_resolve():
    category = make_category(alert_minimum=10, alert_critical=3)
    variant, warehouse = stocked(12, variant=make_variant(make_product(category=category)))
    assert evaluate_alerts() == {"raised": 0, "resolved": 0}
    reserve_one(variant=variant, warehouse=warehouse, quantity=3, reference="a")  # available 9
    assert evaluate_alerts() == {"raised": 1, "resolved": 0}
    assert evaluate_alerts() == {"raised": 0, "resolved": 0}  # no duplicate
    reserve_one(variant=variant, warehouse=warehouse, quantity=7, reference="b")  # available 2
    assert evaluate_alerts() == {"raised": 1, "resolved": 1}
    open_alert = StockAlert.objects.get(status=AlertStatus.OPEN)
    assert (open_alert.tier, open_alert.available, open_alert.threshold) == (AlertTier.CRITICAL, 2, 3)
    assert alert_counts() == {AlertTier.CRITICAL: 1}
    assert timeline_for(open_alert).get().name == "stock.critical"


@pytest.mark.django_db
def test_variant_threshold_overrides_category_and_seasonal_raises_earlier():
    seasonal = make_category(alert_minimum=10, alert_critical=2, seasonal=True)
    coat, _ = stocked(14, variant=make_variant(make_product(category=seasonal)))
    strict, _ = stocked(14, variant=make_variant(alert_minimum=15, alert_critical=1))
    evaluate_alerts()
    tiers = dict(StockAlert.objects.values_list("variant_id", "tier"))
    assert tiers == {coat.pk: AlertTier.APPROACHING, strict.pk: AlertTier.APPROACHING}  # 14 <= 15 (10 x 1.5)


@pytest.mark.django_db
def test_stock_change_re_evaluates_alerts_after_commit(django_capture_on_commit_callbacks):
    category = make_category(alert_minimum=5, alert_critical=1)
    variant, warehouse = stocked(6, variant=make_variant(make_product(category=category)))
    with django_capture_on_commit_callbacks(execute=True):
        reserve_one(variant=variant, warehouse=warehouse, quantity=6, reference="all")
    alert = StockAlert.objects.get()
    assert (alert.tier, alert.status) == (AlertTier.OUT_OF_STOCK, AlertStatus.OPEN)


@pytest.mark.django_db
def test_reserving_several_lines_looks_at_alerts_only_for_levels_it_took_low(
    django_capture_on_commit_callbacks, monkeypatch
):
    from inventory import tasks

    sent = []
    monkeypatch.setattr(tasks.evaluate_stock_alerts, "delay", lambda **kw: sent.append(kw["pairs"]))
    category = make_category(alert_minimum=5, alert_critical=1)
    with django_capture_on_commit_callbacks(execute=True):  # receipts (and leftovers) flushed first
        low, warehouse = stocked(6, variant=make_variant(make_product(category=category)))
        plenty, _ = stocked(100, variant=make_variant(make_product(category=category)), warehouse=warehouse)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reserve(
            requests=[
                StockRequest(low.pk, warehouse.pk, 2, "a"),  # 6 -> 4 free: at the minimum of 5
                StockRequest(plenty.pk, warehouse.pk, 2, "b"),  # 100 -> 98: nothing to look at
            ]
        )
    assert sent == [[[low.pk, warehouse.pk]]]
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reserve(requests=[StockRequest(plenty.pk, warehouse.pk, 3, "c")])
    assert sent == []


@pytest.mark.django_db
def test_alerts_for_given_pairs_only_and_for_thousands_of_pairs():
    from tests.inventory.factories import make_warehouse

    category = make_category(alert_minimum=5, alert_critical=1)
    first, second = make_warehouse(), make_warehouse()
    a = make_variant(make_product(category=category))
    b = make_variant(make_product(category=category))
    for variant in (a, b):
        for warehouse in (first, second):
            stocked(2, variant=variant, warehouse=warehouse)  # all four levels are low

    # The crossed pairs (a, second) and (b, first) are low too but were not asked about.
    assert evaluate_alerts(pairs=[(a.pk, first.pk), (b.pk, second.pk)])["raised"] == 2
    assert set(StockAlert.objects.values_list("variant_id", "warehouse_id")) == {
        (a.pk, first.pk),
        (b.pk, second.pk),
    }

    # A bulk change (the demo seed, an import) hands over thousands of pairs at once.
    many = [(v, w) for v in range(10_000, 13_000) for w in (first.pk,)] + [(a.pk, second.pk)]
    assert evaluate_alerts(pairs=many)["raised"] == 1
