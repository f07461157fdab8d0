"""The bulk loader behind ``seed_demo --orders N`` (orders/bulk.py): COPY-written historic orders that
agree with their lines, their customers and the stock ledger, and that the order list can page."""

import re
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Sum
from django.urls import reverse

from inventory.ledger import verify_stock
from inventory.models import Reservation, StockMovement
from oms.money import tax_included
from orders.models import Customer, Order, OrderEvent, OrderLine, OrderStatus, QueueItem
from tests.inventory.factories import make_variant, make_warehouse, stocked
from tests.orders.factories import make_channel, place

pytestmark = pytest.mark.django_db

N = 2000
NUMBER = re.compile(r"^ARS-\d{4}-\d{7}$")


@pytest.fixture
def shop(user_factory):
    """A small shop that already exists: users, a stocked catalogue and two channels."""
    user_factory(role="operator", username="op1")
    warehouse = make_warehouse(code="IST")
    variants = [make_variant(list_price=Decimal(f"{100 + 37 * i}.90")) for i in range(12)]
    stocked(50, variant=variants[0], warehouse=warehouse)
    make_channel("web", risk_threshold=95)
    make_channel("trendyol", type="marketplace", commission_rate=Decimal("21.5"))
    return variants


def test_bulk_load_writes_consistent_orders_lines_customers_and_timelines(shop):
    movements, reservations = StockMovement.objects.count(), Reservation.objects.count()

    call_command("seed_demo", orders=N, seed=3)

    orders = Order.objects.all()
    assert orders.count() == N
    numbers = list(orders.values_list("number", flat=True))
    assert len(set(numbers)) == N
    assert all(NUMBER.match(n) for n in numbers)
    assert len(set(orders.values_list("channel_id", "channel_order_id"))) == N
    # Two or three lines on most orders; every order has one to three.
    per_order = Counter(OrderLine.objects.values_list("order_id", flat=True))
    assert set(per_order.values()) <= {1, 2, 3}
    assert len(per_order) == N
    assert 2.1 <= sum(per_order.values()) / N <= 2.5

    # Totals agree with the lines (KDV included, the shipping fee's KDV too).
    sums = {
        row["order_id"]: row
        for row in OrderLine.objects.values("order_id").annotate(total=Sum("total"), tax=Sum("tax_amount"))
    }
    for order in orders.only("pk", "subtotal", "shipping_fee", "discount_total", "grand_total", "tax_total"):
        lines = sums[order.pk]
        assert order.subtotal == lines["total"]
        assert order.grand_total == order.subtotal - order.discount_total + order.shipping_fee
        assert order.tax_total == lines["tax"] + tax_included(order.shipping_fee, 20)

    # Mostly finished orders; a few open ones that hold no stock, each waiting in its queue.
    statuses = Counter(orders.values_list("status", flat=True))
    assert statuses[OrderStatus.COMPLETED] > N / 2
    assert statuses[OrderStatus.DELIVERED]
    assert statuses[OrderStatus.CANCELLED]
    assert statuses[OrderStatus.RETURNED]
    open_orders = orders.filter(status__in=[OrderStatus.ON_HOLD, OrderStatus.BACKORDERED])
    assert open_orders.exists()
    assert set(open_orders.values_list("pk", flat=True)) == set(
        QueueItem.objects.filter(resolved_at__isnull=True).values_list("order_id", flat=True)
    )
    shipped = OrderLine.objects.filter(order__status=OrderStatus.COMPLETED)
    assert not shipped.exclude(quantity_shipped=F("quantity")).exists()
    cancelled = OrderLine.objects.filter(order__status=OrderStatus.CANCELLED)
    assert not cancelled.exclude(quantity_cancelled=F("quantity")).exists()

    # Timeline: every order starts with "created"; a completed one walks the whole way in time order.
    assert OrderEvent.objects.filter(name="order.created").count() == N
    done = orders.filter(status=OrderStatus.COMPLETED).first()
    names = list(done.events.order_by("created_at", "id").values_list("name", flat=True))
    assert names[0] == "order.created"
    assert names[-1] == "order.completed"
    assert names.index("order.shipped") < names.index("order.delivered")

    # A customer per four orders, whose history columns match their orders.
    assert Customer.objects.count() == N // 4
    counted = dict(orders.values("customer_id").annotate(n=Count("pk")).values_list("customer_id", "n"))
    for customer in Customer.objects.all():
        assert customer.orders_count == counted.get(customer.pk, 0)

    # History never touched stock.
    assert StockMovement.objects.count() == movements
    assert Reservation.objects.count() == reservations
    assert verify_stock() == []


def test_a_second_load_and_live_orders_never_collide_with_its_numbers(shop):
    call_command("seed_demo", orders=300, seed=1)
    call_command("seed_demo", orders=300, seed=2)
    numbers = list(Order.objects.values_list("number", flat=True))
    assert len(numbers) == 600 == len(set(numbers))

    live = place("web", [(shop[0], 1)])

    assert live.number.startswith("SIP-")
    assert live.status == OrderStatus.ALLOCATED


def test_the_order_list_pages_and_filters_the_bulk_orders(shop, admin_client, django_assert_max_num_queries):
    call_command("seed_demo", orders=N, seed=5)
    url = reverse("orders:index")
    newest = Order.objects.order_by("-created_at", "-id").first()
    on_hold = Order.objects.filter(status=OrderStatus.ON_HOLD).order_by("-created_at", "-id").first()
    customer = Customer.objects.filter(orders_count__gte=2).first()

    with django_assert_max_num_queries(9):
        response = admin_client.get(url)
    assert response.status_code == 200
    assert newest.number in response.content.decode()

    completed = Order.objects.filter(status=OrderStatus.COMPLETED).order_by("-created_at", "-id").first()
    response = admin_client.get(url, {"status": "on_hold"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert on_hold.number in page
    assert completed.number not in page

    response = admin_client.get(url, {"q": customer.email})
    page = response.content.decode()
    mine = Order.objects.filter(customer=customer).values_list("number", flat=True)
    assert all(number in page for number in mine)

    response = admin_client.get(reverse("orders:detail", args=[newest.pk]))
    assert response.status_code == 200
    assert newest.number in response.content.decode()
