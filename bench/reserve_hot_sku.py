"""Reserve one hot SKU from N concurrent PostgreSQL connections, through the service and raw.

Run: make bench-reserve   (a scratch database oms_bench, Redis db 15 for the alert tasks)

For N = 1, 4, 16, 64 worker processes, each loops for DURATION seconds:
- service: ``inventory.services.reserve_one(quantity=1)`` (transaction, conditional UPDATE,
  reservation row, after-commit alert task to Redis) -> reservations/s, p50 and p99 latency;
- ceiling: the bare conditional ``UPDATE ... WHERE on_hand - reserved >= 1`` in autocommit.
Afterwards the stock check must find no drift and ``reserved <= on_hand`` (no oversell).
"""

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")


def _setup_django():
    import django

    django.setup()


def worker(mode: str, level_id: int, variant_id: int, warehouse_id: int, barrier, duration: float, queue):
    _setup_django()
    from django.db import connection

    from inventory.services import reserve_one

    latencies = []
    n = 0
    connection.ensure_connection()
    barrier.wait()  # every process has imported Django and connected: start together
    end = time.time() + duration
    pid = os.getpid()
    with connection.cursor() as cursor:
        while time.time() < end:
            began = time.perf_counter()
            if mode == "service":
                reserve_one(
                    variant=variant_id, warehouse=warehouse_id, quantity=1, reference=f"bench:{pid}:{n}"
                )
            else:
                cursor.execute(
                    "UPDATE inventory_stocklevel SET reserved = reserved + 1 "
                    "WHERE id = %s AND on_hand - reserved >= 1",
                    [level_id],
                )
            latencies.append((time.perf_counter() - began) * 1000)
            n += 1
    connection.close()
    queue.put(latencies)


def run(mode: str, clients: int, ids: tuple[int, int, int], duration: float) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    barrier = ctx.Barrier(clients)
    processes = [
        ctx.Process(target=worker, args=(mode, *ids, barrier, duration, queue)) for _ in range(clients)
    ]
    for process in processes:
        process.start()
    latencies = []
    for _ in processes:
        latencies.extend(queue.get())
    for process in processes:
        process.join()
    latencies.sort()
    return {
        "rate": len(latencies) / duration,
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--clients", default="1,4,16,64")
    args = parser.parse_args()
    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    from inventory.ledger import verify_stock
    from inventory.models import Category, Product, Reservation, StockLevel, Variant, Warehouse
    from inventory.services import add_stock

    call_command("migrate", verbosity=0)
    tag = f"{int(time.time() * 1000) % 10**9}"
    category = Category.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
    product = Product.objects.create(name=f"Hot product {tag}", category=category)
    variant = Variant.objects.create(product=product, sku=f"HOT-{tag}")
    warehouse = Warehouse.objects.create(code=f"B{tag[-8:]}", name=f"Bench {tag}", province_id=34)
    add_stock(variant=variant, warehouse=warehouse, quantity=50_000_000, reference="bench")
    level = StockLevel.objects.get(variant=variant, warehouse=warehouse)
    ids = (level.pk, variant.pk, warehouse.pk)
    connection.close()

    print(f"hot SKU {variant.sku}, {args.duration:.0f} s per run")
    header = ("clients", "service/s", "p50 ms", "p99 ms", "raw/s", "p50 ms", "ratio")
    print("{:>7} {:>10} {:>8} {:>8} {:>10} {:>8} {:>6}".format(*header))
    for clients in [int(c) for c in args.clients.split(",")]:
        service = run("service", clients, ids, args.duration)
        raw = run("raw", clients, ids, args.duration)
        print(
            f"{clients:>7} {service['rate']:>10.0f} {service['p50']:>8.2f} {service['p99']:>8.2f} "
            f"{raw['rate']:>10.0f} {raw['p50']:>8.2f} {service['rate'] / raw['rate']:>6.0%}"
        )

    level.refresh_from_db()
    service_reserved = Reservation.objects.filter(variant=variant, status="active").count()
    drifts = [d for d in verify_stock(variant_ids=[variant.pk]) if d.check != "reservations"]
    print(
        f"on_hand {level.on_hand}, reserved {level.reserved} "
        f"({service_reserved} by the service, the rest by raw UPDATEs); ledger/lot drift: {len(drifts)}"
    )
    assert level.reserved <= level.on_hand, "OVERSELL"


if __name__ == "__main__":
    main()
