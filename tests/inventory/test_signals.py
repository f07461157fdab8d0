"""``stock_changed`` tells listeners (orders waiting for stock) when stock may have become free."""

import pytest

from inventory.services import release, reserve_one
from inventory.signals import stock_changed
from tests.inventory.factories import stocked

pytestmark = pytest.mark.django_db


def test_reserving_is_not_announced_but_releasing_and_receiving_are(django_capture_on_commit_callbacks):
    heard = []

    def listener(sender, *, pairs, **kwargs):
        heard.append(pairs)

    stock_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            variant, warehouse = stocked(3)
        assert len(heard) == 1
        # (in, not ==: pairs of earlier tests' never-committed transactions ride along once)
        assert (variant.pk, warehouse.pk) in heard[0]
        with django_capture_on_commit_callbacks(execute=True):
            reservation = reserve_one(variant=variant, warehouse=warehouse, quantity=2, reference="x:1")
        assert len(heard) == 1  # taking stock frees nothing
        with django_capture_on_commit_callbacks(execute=True):
            release(reservation=reservation)
        assert heard[-1] == [(variant.pk, warehouse.pk)]
    finally:
        stock_changed.disconnect(listener)
