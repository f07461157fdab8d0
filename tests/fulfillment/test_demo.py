"""The fulfillment demo (fulfillment/demo.py) on a sliver of the demo shop: shipments in many states
made through the real services, stock that agrees with its ledger, the same shop for the same seed,
no carrier called over the network, and panel pages that render it."""

import random
from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from fulfillment.demo import seed_fulfillment
from fulfillment.models import (
    Box,
    CarrierAccount,
    CarrierRule,
    Manifest,
    PickList,
    Problem,
    ProblemKind,
    RateBand,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
)
from inventory.ledger import verify_stock
from inventory.models import StockMovement
from orders.models import OrderStatus

pytestmark = pytest.mark.django_db

SMALL = 0.05
S = ShipmentStatus


def _seed(seed: int):
    """The shop as ``seed_demo`` builds it (users, stock, channels, orders), then fulfillment."""
    from channels.demo import seed_channels
    from inventory.demo import seed_inventory
    from oms.demo import seed_users
    from orders.demo import seed_orders

    rng = random.Random(seed)
    users = seed_users(rng)
    seed_inventory(rng, admin=users[0], scale=SMALL)
    channels = seed_channels(rng)
    seed_orders(rng, users=users, channels=channels, scale=SMALL)
    with mock.patch("urllib.request.urlopen", side_effect=AssertionError("network call")) as urlopen:
        counts = seed_fulfillment(rng, admin=users[0])
    assert not urlopen.called
    return users, counts


def _picture() -> dict:
    """What a seed decides: statuses, methods, carriers, problems (numbers and times aside)."""
    return {
        "shipments": sorted(Shipment.objects.values_list("status", "carrier__code").annotate(n=Count("pk"))),
        "lists": sorted(PickList.objects.values_list("method", "status").annotate(n=Count("pk"))),
        "problems": sorted(Problem.objects.values_list("kind", "code").annotate(n=Count("pk"))),
        "scans": TrackingEvent.objects.count(),
        "manifests": Manifest.objects.count(),
    }


def test_demo_warehouse_is_alive_consistent_and_deterministic(client, django_assert_max_num_queries):
    with transaction.atomic():
        _users, first_counts = _seed(7)
        first = _picture()
        transaction.set_rollback(True)
    users, counts = _seed(7)
    assert counts == first_counts
    assert _picture() == first

    # Set-up: boxes (one padded), a rate card in every zone, remote carriers in sandbox and off.
    assert Box.objects.count() == 4
    assert Box.objects.filter(for_fragile=True).exists()
    card = CarrierAccount.objects.get(connector="table_rate")
    assert set(RateBand.objects.filter(carrier=card).values_list("zone", flat=True)) == {
        "local",
        "regional",
        "national",
        "remote",
    }
    for connector in ("yurtici", "aras"):
        account = CarrierAccount.objects.get(connector=connector)
        assert not account.is_active
        assert account.credentials
        assert "test" in account.settings["endpoint"]
        assert not account.shipments.exists()
    assert CarrierRule.objects.filter(is_active=True, cold_chain=True).exists()
    assert CarrierRule.objects.filter(
        is_active=True, cash_on_delivery=True, carrier__supports_cod=True
    ).exists()

    # Shipments in many states, within the size the demo aims at.
    statuses = set(Shipment.objects.values_list("status", flat=True))
    assert len(statuses) >= 5, statuses
    assert {S.PACKING, S.CREATED, S.LABEL_PRINTED, S.HANDED_OVER, S.IN_TRANSIT, S.DELIVERED} <= statuses
    assert 15 <= Shipment.objects.count() <= 80
    assert counts["shipments"] == Shipment.objects.count()

    # Every shipment that left consumed its stock, recorded in the ledger under its number.
    left = Shipment.objects.exclude(handed_over_at=None)
    assert left.exists()
    references = set(StockMovement.objects.values_list("reference", flat=True))
    assert not [s.number for s in left if s.number not in references]
    assert verify_stock() == []

    # Tracking reached the orders and the problem queue; yesterday's hand-overs are on a manifest.
    delivered = Shipment.objects.filter(status=S.DELIVERED).select_related("order")
    assert any(s.order.status == OrderStatus.DELIVERED for s in delivered)
    assert all(s.tracking_events.filter(status=S.DELIVERED).exists() for s in delivered)
    assert Problem.objects.filter(kind=ProblemKind.DELIVERY, shipment__status=S.FAILED_ATTEMPT).exists()
    assert Problem.objects.filter(kind=ProblemKind.SHORT_PICK).exists()
    assert Problem.objects.filter(resolved_at__isnull=False).exclude(resolution="").exists()
    today = timezone.localdate()
    assert Manifest.objects.filter(day=today - timedelta(days=1)).exists()
    for shipment in Shipment.objects.filter(manifest__isnull=False).select_related("manifest"):
        assert timezone.localdate(shipment.handed_over_at) <= shipment.manifest.day < today
    assert Shipment.objects.filter(status=S.HANDED_OVER, manifest__isnull=True).exists()  # today's
    times = list(TrackingEvent.objects.values_list("occurred_at", flat=True))
    assert len({t.date() for t in times}) >= 3  # spread over the past days

    # The panel shows it to an admin.
    client.force_login(users[0])
    for name in (
        "fulfillment:index",
        "fulfillment:shipments",
        "fulfillment:manifests",
        "fulfillment:problems",
    ):
        with django_assert_max_num_queries(40):
            response = client.get(reverse(name))
        assert response.status_code == 200, name
    shipment = Shipment.objects.filter(status=S.RETURNED_TO_SENDER).first() or delivered.first()
    assert client.get(reverse("fulfillment:shipment_detail", args=[shipment.pk])).status_code == 200
