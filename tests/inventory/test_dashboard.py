"""The inventory figures on the dashboard."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import AlertStatus, AlertTier, PurchaseOrder, PurchaseOrderStatus, StockAlert
from tests.inventory.factories import make_supplier, make_variant, make_warehouse

pytestmark = pytest.mark.django_db


def figures(response) -> dict[str, int]:
    panels = dict(response.context["panels"])
    return {str(f.label): f.value for f in panels["Inventory"]}


def test_dashboard_counts_open_alerts_by_tier_and_overdue_orders(client, user_factory):
    warehouse = make_warehouse()
    for tier in (AlertTier.OUT_OF_STOCK, AlertTier.OUT_OF_STOCK, AlertTier.CRITICAL):
        StockAlert.objects.create(
            variant=make_variant(), warehouse=warehouse, tier=tier, available=0, threshold=5
        )
    StockAlert.objects.create(
        variant=make_variant(),
        warehouse=warehouse,
        tier=AlertTier.OUT_OF_STOCK,
        status=AlertStatus.RESOLVED,
        available=0,
        threshold=5,
    )
    today = timezone.localdate()
    supplier = make_supplier()
    for n, (status, expected) in enumerate(
        [
            (PurchaseOrderStatus.SENT, today - timedelta(days=2)),  # overdue
            (PurchaseOrderStatus.PARTIALLY_RECEIVED, today - timedelta(days=1)),  # overdue
            (PurchaseOrderStatus.SENT, today),  # due today: not overdue
            (PurchaseOrderStatus.RECEIVED, today - timedelta(days=9)),  # done
        ]
    ):
        PurchaseOrder.objects.create(
            number=f"PO-T{n}", supplier=supplier, warehouse=warehouse, status=status, expected_date=expected
        )
    client.force_login(user_factory(role="warehouse", language="en"))

    response = client.get(reverse("dashboard"))

    shown = figures(response)
    assert shown["Out of stock"] == 2
    assert shown["Critical stock"] == 1
    assert shown["Approaching minimum"] == 0
    assert shown["Overdue purchase orders"] == 2
    assert b"figure error" in response.content


def test_dashboard_hides_the_inventory_panel_from_roles_without_inventory(client, user_factory):
    client.force_login(user_factory(role="finance", language="en"))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    titles = [str(title) for title, _figures in response.context["panels"]]
    assert "Inventory" not in titles
    assert titles == ["Orders"]  # finance may open orders


def test_dashboard_query_count_does_not_grow_with_alerts(client, user_factory, django_assert_max_num_queries):
    warehouse = make_warehouse()
    for _ in range(30):
        StockAlert.objects.create(
            variant=make_variant(), warehouse=warehouse, tier=AlertTier.CRITICAL, available=1, threshold=5
        )
    client.force_login(user_factory(role="operator"))
    with django_assert_max_num_queries(12):
        client.get(reverse("dashboard"))
