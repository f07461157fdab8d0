"""No oversell and no deadlock under real concurrency: threads with their own PostgreSQL connections."""

import random
import threading
from collections import Counter

import pytest
from django.db import OperationalError, connection

from inventory.errors import InsufficientStock
from inventory.ledger import verify_stock
from inventory.models import Reservation, StockLevel
from inventory.services import StockRequest, release, reserve, reserve_one
from tests.inventory.factories import make_warehouse, stocked

pytestmark = pytest.mark.django_db(transaction=True)


def run_threads(count: int, work) -> Counter:
    """Start ``count`` threads together; each runs ``work(i)`` and reports an outcome."""
    barrier = threading.Barrier(count)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def target(i: int) -> None:
        try:
            barrier.wait()
            outcome = work(i)
        except InsufficientStock:
            outcome = "short"
        except OperationalError as error:  # a deadlock would surface here
            outcome = f"db-error: {error}"
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_64_workers_on_one_sku_never_reserve_more_than_on_hand():
    variant, warehouse = stocked(40)

    def work(i):
        reserve_one(variant=variant.pk, warehouse=warehouse.pk, quantity=1, reference=f"order_line:{i}")
        return "ok"

    outcomes = run_threads(64, work)
    assert outcomes == Counter({"ok": 40, "short": 24})
    level = StockLevel.objects.get(variant=variant)
    assert (level.on_hand, level.reserved) == (40, 40)
    assert Reservation.objects.filter(status="active").count() == 40
    assert verify_stock() == []


def test_multi_sku_reservations_in_opposite_orders_never_deadlock():
    warehouse = make_warehouse()
    variants = [stocked(1000, warehouse=warehouse)[0] for _ in range(4)]
    rng = random.Random(7)
    orders = [rng.sample(variants, k=4) for _ in range(32)]

    def work(i):
        requests = [StockRequest(v.pk, warehouse.pk, 1 + (i % 3), f"order:{i}:{v.pk}") for v in orders[i]]
        result = reserve(requests=requests)
        for reservation in result.reservations[::2]:  # release some again, also in varying order
            release(reservation=reservation.pk)
        return "ok"

    outcomes = run_threads(32, work)
    assert outcomes == Counter({"ok": 32})
    assert verify_stock() == []
