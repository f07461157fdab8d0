"""The demo's channels, customers and orders (channels/demo.py, orders/demo.py via ``seed_demo``):
every channel and the statuses a shop sees, true timelines, and stock that agrees with its ledger.

A sliver of the shop (``scale``), as in tests/oms/test_demo.py: the same code paths, fewer rows.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from channels.models import ChannelPrice, SalesChannel
from inventory.ledger import verify_stock
from inventory.models import Reservation
from orders.models import (
    ApprovalRule,
    Customer,
    CustomerAddress,
    Order,
    OrderLine,
    OrderStatus,
    QueueItem,
)

pytestmark = pytest.mark.django_db

SMALL = 0.05
S = OrderStatus
PHONE = re.compile(r"^\+90[2-5]\d{9}$")


def test_demo_shop_has_channels_rules_customers_and_90_days_of_orders():
    call_command("seed_demo", seed=11, scale=SMALL)
    now = timezone.now()

    channels = {c.code: c for c in SalesChannel.objects.all()}
    assert set(channels) == {"web", "app", "trendyol", "hepsiburada", "instagram", "phone", "b2b"}
    assert channels["trendyol"].commission_rate > 0
    assert channels["trendyol"].shortage_policy == "reject"
    assert channels["b2b"].shortage_policy == "backorder"
    app_prices = ChannelPrice.objects.filter(channel=channels["app"]).select_related("variant")
    assert app_prices.exists()
    assert all(p.price <= p.variant.list_price * Decimal("0.95") for p in app_prices)
    assert ApprovalRule.objects.filter(min_total=Decimal("25000"), is_active=True).exists()

    customers = Customer.objects.all()
    assert customers.count() >= 40
    assert all(PHONE.match(phone) for phone in customers.values_list("phone", flat=True))
    assert customers.filter(is_vip=True).exists()
    assert customers.filter(Q(problem_orders__gt=0) | Q(failed_deliveries__gt=0)).exists()
    # Postal codes start with the province's plate number, on orders and in address books.
    for code, plate in [
        *Order.objects.values_list("ship_postal_code", "ship_province_id"),
        *CustomerAddress.objects.values_list("postal_code", "province_id"),
    ]:
        assert code[:2] == f"{plate:02d}", (code, plate)

    orders = Order.objects.all()
    assert orders.filter(created_at__lt=now - timedelta(days=91)).count() == 0
    assert orders.filter(created_at__lt=now - timedelta(days=60)).exists()
    assert orders.filter(created_at__gt=now - timedelta(days=2)).exists()
    assert set(orders.values_list("channel__code", flat=True)) == set(channels)
    statuses = set(orders.values_list("status", flat=True))
    assert {S.COMPLETED, S.DELIVERED, S.SHIPPED, S.CANCELLED, S.RETURNED} <= statuses
    assert statuses & {S.ALLOCATED, S.IN_FULFILLMENT, S.ON_HOLD, S.BACKORDERED}
    # The recent orders came in through the intake service, the older ones in bulk.
    assert orders.filter(source="demo").exists()
    assert orders.filter(source="import").exists()

    # Totals agree with the lines on every order.
    lines = dict(OrderLine.objects.values("order_id").annotate(t=Sum("total")).values_list("order_id", "t"))
    for order in orders:
        assert order.grand_total == lines[order.pk] + order.shipping_fee, order.number

    # Customers' history matches their orders.
    counted = dict(orders.values("customer_id").annotate(n=Count("pk")).values_list("customer_id", "n"))
    assert all(c.orders_count == counted.get(c.pk, 0) for c in customers)

    # Open work waits in a queue.
    for order in orders.filter(status__in=[S.ON_HOLD, S.BACKORDERED]):
        assert QueueItem.objects.filter(order=order, resolved_at__isnull=True).exists(), order.number


def test_demo_orders_have_true_timelines_and_consistent_stock():
    call_command("seed_demo", seed=12, scale=SMALL)
    now = timezone.now()

    assert verify_stock() == []
    demo = Order.objects.filter(source="demo")
    assert demo.count() >= 15
    # Billing's demo runs after the orders' and writes its own events (invoiced, paid ...) onto the
    # same timelines, dated at their moments but inserted later: the orders' own events are checked.
    billing_events = (
        Q(name__startswith="payment.")
        | Q(name__startswith="installment")
        | Q(
            name__in=[
                "order.invoiced",
                "order.credit_note_issued",
                "order.paid",
                "order.payment_authorized",
                "order.payment_failed",
                "order.payment_pending",
                "order.refunded",
                "order.finance_issue",
                "order.invoicing_failed",
                "order.created_from_quote",
            ]
        )
    )
    for order in demo:
        times = list(order.events.exclude(billing_events).order_by("id").values_list("created_at", flat=True))
        assert times, order.number
        # Dated by the seed's clock: from intake on, in order, never in the future.
        assert order.placed_at <= times[0] == order.created_at
        assert times == sorted(times)
        assert times[-1] <= now
    assert demo.filter(created_at__lt=now - timedelta(days=5)).exists()
    # Queue items carry the seed's clock too (their default is the real one).
    stale = QueueItem.objects.filter(order__source="demo", order__created_at__lt=now - timedelta(hours=1))
    assert not stale.filter(opened_at__gt=now - timedelta(minutes=5)).exists()

    # Shipped units left stock: no reservation is still active for a line shipped in full.
    shipped = OrderLine.objects.filter(order__source="demo", quantity_shipped=F("quantity"))
    assert shipped.exists()
    references = [f"order_line:{pk}" for pk in shipped.values_list("pk", flat=True)]
    assert not Reservation.objects.filter(reference__in=references, status="active").exists()
    # An allocated order holds exactly what its lines say.
    for order in demo.filter(status__in=[S.ALLOCATED, S.IN_FULFILLMENT]):
        for line in order.lines.all():
            held = (
                Reservation.objects.filter(reference=line.reference, status="active").aggregate(
                    n=Sum("quantity")
                )["n"]
                or 0
            )
            assert held == line.quantity_allocated == line.quantity, order.number


def test_demo_orders_are_the_same_for_the_same_seed():
    def snapshot():
        return sorted(
            Order.objects.values_list(
                "channel__code",
                "channel_order_id",
                "status",
                "grand_total",
                "customer__email",
                "special_code",
            )
        )

    runs = []
    for _ in range(2):
        with transaction.atomic():
            call_command("seed_demo", seed=13, scale=SMALL)
            runs.append(snapshot())
            transaction.set_rollback(True)
    assert runs[0] == runs[1]
    assert len(runs[0]) > 100
