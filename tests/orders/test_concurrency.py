"""Orders arriving at once: the hot SKU never oversells and a channel order is never taken twice."""

from collections import Counter

import pytest

from inventory.ledger import verify_stock
from inventory.models import StockLevel
from orders import services
from orders.models import Order, OrderLine
from tests.inventory.factories import make_warehouse, stocked
from tests.inventory.test_concurrency import run_threads
from tests.orders.factories import make_channel, order_data

pytestmark = pytest.mark.django_db(transaction=True)


def test_sixteen_orders_on_five_units_allocate_five_and_backorder_the_rest():
    channel = make_channel("web")
    variant, warehouse = stocked(5, warehouse=make_warehouse("ANK", province=6))
    payloads = [order_data(channel, [(variant, 1)], channel_order_id=f"C-{i}") for i in range(16)]

    def work(i):
        order, _created = services.create_order(payloads[i])
        return Order.objects.get(pk=order.pk).status

    outcomes = run_threads(16, work)
    assert outcomes == Counter({"allocated": 5, "backordered": 11})
    level = StockLevel.objects.get(variant=variant, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (5, 5)
    assert sum(OrderLine.objects.values_list("quantity_backordered", flat=True)) == 11
    assert verify_stock() == []


def test_the_same_channel_order_posted_eight_times_at_once_is_one_order():
    channel = make_channel("web")
    variant, _warehouse = stocked(20, warehouse=make_warehouse("ANK", province=6))

    def work(i):
        order, created = services.create_order(order_data(channel, [(variant, 2)], channel_order_id="TY-777"))
        return ("created" if created else "existing", order.pk)

    outcomes = run_threads(8, work)
    assert Order.objects.count() == 1
    assert sum(n for (kind, _pk), n in outcomes.items() if kind == "created") == 1
    assert len({pk for _kind, pk in outcomes}) == 1
    assert StockLevel.objects.get(variant=variant).reserved == 2
