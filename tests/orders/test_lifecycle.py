"""Intake, routing and the status machine through the services."""

from decimal import Decimal

import pytest

from inventory.models import Reservation, StockLevel
from oms.errors import IllegalTransition, NotPermitted
from orders import services
from orders.errors import OrderInvalid, OutOfStock, SelfApproval
from orders.models import ApprovalRule, Order, OrderEvent, QueueItem
from tests.inventory.factories import make_variant, make_warehouse, stocked
from tests.orders.factories import make_channel, order_data, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def ankara():
    return make_warehouse("ANK", province=6)


@pytest.fixture
def channel():
    return make_channel("web")


def test_order_is_created_confirmed_and_allocated(channel, ankara):
    variant, _wh = stocked(10, warehouse=ankara)
    order = place(channel, [(variant, 3)])
    assert order.status == "allocated"
    assert order.number.startswith("SIP-")
    line = order.lines.get()
    assert (line.quantity_allocated, line.quantity_backordered) == (3, 0)
    assert StockLevel.objects.get(variant=variant, warehouse=ankara).reserved == 3
    assert order.grand_total == Decimal("300.00")
    assert line.tax_amount == Decimal("50.00")  # 20 % KDV inside 300
    assert "ANK" in order.warehouse_codes
    names = list(OrderEvent.objects.filter(subject=order).order_by("id").values_list("name", flat=True))
    assert names == ["order.created", "order.confirmed", "order.allocated"]


def test_same_channel_order_twice_is_one_order(channel, ankara):
    variant, _wh = stocked(10, warehouse=ankara)
    data = order_data(channel, [(variant, 1)], channel_order_id="TY-1")
    first, created = services.create_order(data)
    again, created_again = services.create_order(order_data(channel, [(variant, 1)], channel_order_id="TY-1"))
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(variant=variant).reserved == 1


def test_invalid_order_names_every_field_and_writes_nothing(channel, ankara):
    variant, _wh = stocked(5, warehouse=ankara)
    data = order_data(channel, [("NOPE", 1), (variant, 0), (variant, 1, "500")], payment_method="barter")
    data.shipping_address.district = ""
    with pytest.raises(OrderInvalid) as caught:
        services.create_order(data)
    fields = {e["field"] for e in caught.value.data["errors"]}
    assert fields == {
        "lines[0].sku",
        "lines[1].quantity",
        "lines[2].unit_price",
        "shipping_address.district",
        "payment_method",
    }
    assert Order.objects.count() == 0


def test_backordered_when_short_and_filled_when_stock_arrives(
    channel, ankara, django_capture_on_commit_callbacks
):
    variant, _wh = stocked(1, warehouse=ankara)
    order = place(channel, [(variant, 3)])
    assert order.status == "backordered"
    line = order.lines.get()
    assert (line.quantity_allocated, line.quantity_backordered) == (1, 2)
    assert QueueItem.objects.filter(order=order, queue="backordered", resolved_at__isnull=True).exists()
    from inventory.services import add_stock

    with django_capture_on_commit_callbacks(execute=True):
        add_stock(variant=variant, warehouse=ankara, quantity=5, reference="po")
    order.refresh_from_db()
    assert order.status == "allocated"
    assert order.lines.get().quantity_allocated == 3
    assert not QueueItem.objects.filter(order=order, resolved_at__isnull=True).exists()


def test_reject_policy_refuses_the_order_and_writes_nothing(ankara):
    channel = make_channel("strict", shortage_policy="reject")
    variant, _wh = stocked(1, warehouse=ankara)
    with pytest.raises(OutOfStock):
        services.create_order(order_data(channel, [(variant, 2)]))
    assert Order.objects.count() == 0
    assert StockLevel.objects.get(variant=variant).reserved == 0


def test_cancel_releases_reservations_and_shipped_orders_refuse(channel, ankara, operator):
    variant, _wh = stocked(10, warehouse=ankara)
    order = place(channel, [(variant, 4)])
    services.cancel(order, reason="customer asked", user=operator)
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert StockLevel.objects.get(variant=variant).reserved == 0
    assert not Reservation.objects.filter(status="active").exists()

    shipped = place(channel, [(variant, 1)])
    services.mark_shipped(shipped, user=operator)
    with pytest.raises(IllegalTransition):
        services.cancel(shipped, reason="too late", user=operator)
    assert OrderEvent.objects.filter(subject=shipped, name="order.cancel_refused").exists()


def test_risky_order_is_held_and_needs_a_second_person(channel, ankara, user_factory):
    variant, _wh = stocked(10, warehouse=ankara, variant=make_variant(list_price=Decimal("30000")))
    creator = user_factory(role="operator")
    order = place(channel, [(variant, 2)], payment_method="cash_on_delivery", user=creator)
    assert order.status == "on_hold"
    assert order.risk_score >= 60
    assert {r["code"] for r in order.risk_reasons} >= {"very_high_value", "first_order_cod"}
    assert QueueItem.objects.filter(order=order, queue="on_hold").exists()
    services.confirm(order, user=user_factory(role="operator"))
    order.refresh_from_db()
    assert order.status == "allocated"


def test_approval_rule_and_no_self_approval(channel, ankara, user_factory):
    ApprovalRule.objects.create(name="Big", min_total=Decimal("1000"))
    variant, _wh = stocked(50, warehouse=ankara)
    creator = user_factory(role="operator")
    order = place(channel, [(variant, 11)], user=creator)
    assert order.status == "on_hold"
    assert order.hold_reason == "approval"
    with pytest.raises(SelfApproval):
        services.approve(order, user=creator)
    assert OrderEvent.objects.filter(subject=order, name="order.approval_refused").exists()
    services.approve(order, user=user_factory(role="operator"))
    order.refresh_from_db()
    assert order.status == "allocated"
    assert order.approved_by is not None


def test_allocation_prefers_one_warehouse_nearest(channel):
    istanbul, ankara = make_warehouse("IST", province=34), make_warehouse("ANK", province=6)
    a, _ = stocked(5, warehouse=istanbul)
    stocked(5, variant=a, warehouse=ankara)
    b, _ = stocked(5, warehouse=istanbul)
    order = place(channel, [(a, 1), (b, 1)])  # Ankara address, but only Istanbul has both lines
    assert order.warehouse_codes == "IST"
    decision = order.decisions.get()
    assert decision.summary.startswith(istanbul.name)
    stocked(5, variant=b, warehouse=ankara)
    nearer = place(channel, [(a, 1), (b, 1)])
    assert nearer.warehouse_codes == "ANK"
    assert "0 km" in nearer.decisions.get().summary


def test_an_order_held_for_risk_that_also_needs_approval_cannot_skip_it(channel, ankara, user_factory):
    ApprovalRule.objects.create(name="Big", min_total=Decimal("1000"))
    variant, _wh = stocked(10, warehouse=ankara, variant=make_variant(list_price=Decimal("30000")))
    order = place(
        channel, [(variant, 2)], payment_method="cash_on_delivery", user=user_factory(role="operator")
    )
    assert (order.status, order.hold_reason, order.needs_approval) == ("on_hold", "risk", True)
    with pytest.raises(NotPermitted):
        services.confirm(order, user=user_factory(role="operator"))
    services.approve(order, user=user_factory(role="operator"))
    order.refresh_from_db()
    assert order.status == "allocated"


def test_a_sku_typed_in_another_case_is_the_same_product(channel, ankara):
    variant, _wh = stocked(5, warehouse=ankara)
    order = place(channel, [(variant.sku.lower(), 2)])
    line = order.lines.get()
    assert (line.variant_id, line.sku, line.quantity_allocated) == (variant.pk, variant.sku, 2)
