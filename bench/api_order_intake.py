"""Order intake over the JSON API: POST /api/v1/orders from 16 concurrent clients against gunicorn.

Run: make bench-intake   (a database oms_bench_intake, dropped and created afresh every run;
     gunicorn on port 8101; Redis db 15 takes the after-commit tasks)

Set-up (fresh database): three warehouses (Istanbul, Ankara, Izmir), 600 variants with plenty of
stock in each, one hot SKU with only HOT_STOCK units (split over the warehouses), the web channel
(backorders accepted), an API key with scope orders:write. Then gunicorn (2 workers; each worker
class given by --worker-classes) is started and CLIENTS threads POST orders for DURATION seconds:
3 lines each, a unique channel_order_id, half of them with one unit of the hot SKU; a quarter
of the orders come from returning customers (matched by e-mail), the rest are new.

Reported: orders/s (201s), p50/p99 latency, errors by status. Then the hot SKU is checked for
oversell: reserved <= on_hand at every level, active reservations add up to ``reserved``, the
hot lines' allocated units equal the stock reserved, and backordered units = demand - stock.
The whole stock ledger check must find no drift. Target: >= 150 orders/s on 2 cores.
"""

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import threading
import time

from benchkit import ROOT, fresh_database

VARIANTS = 600
STOCK_PER_LEVEL = 1_000_000
HOT_STOCK = {"IST": 150, "ANK": 90, "IZM": 60}
HOT_SKU = "HOT-0001"
CITIES = [
    ("İstanbul", "34"),
    ("Ankara", "06"),
    ("İzmir", "35"),
    ("Bursa", "16"),
    ("Antalya", "07"),
    ("Konya", "42"),
]


def setup() -> tuple[str, list[str]]:
    """Catalogue, stock, channel and key; returns (api key, the ordinary SKUs)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from channels.models import SalesChannel
    from inventory.models import Bin, Category, Product, Variant, Warehouse
    from inventory.services import add_stock
    from oms.apikeys import create_api_key
    from oms.models import Province
    from orders.models import Customer

    call_command("migrate", verbosity=0)
    warehouses = []
    for priority, (code, name, plate) in enumerate(
        (("IST", "İstanbul", 34), ("ANK", "Ankara", 6), ("IZM", "İzmir", 35))
    ):
        warehouse = Warehouse.objects.create(
            code=code, name=f"{name} Depo", priority=priority + 1, province=Province.objects.get(code=plate)
        )
        Bin.objects.create(warehouse=warehouse, code="A-01-01-1", zone="A", walk_sequence=1)
        warehouses.append(warehouse)
    category = Category.objects.create(name="Bench", slug="bench")
    products = Product.objects.bulk_create(
        Product(name=f"Ürün {n}", brand="Bench", category=category, tax_rate=20) for n in range(VARIANTS + 1)
    )
    variants = Variant.objects.bulk_create(
        [Variant(product=products[0], sku=HOT_SKU, list_price=99, cost_price=50)]
        + [
            Variant(product=p, sku=f"BN-{n:05d}", list_price=50 + n % 400, cost_price=20)
            for n, p in enumerate(products[1:], start=1)
        ]
    )
    for variant in variants:  # through the inventory service: levels, lots and ledger agree
        for warehouse in warehouses:
            quantity = HOT_STOCK[warehouse.code] if variant.sku == HOT_SKU else STOCK_PER_LEVEL
            add_stock(variant=variant, warehouse=warehouse, quantity=quantity, reference="bench")
    SalesChannel.objects.create(code="web", name="Web", type="web_shop", currency="TRY", risk_threshold=90)
    Customer.objects.bulk_create(
        Customer(first_name="Müşteri", last_name=f"{n}", email=f"returning{n}@example.com", currency="TRY")
        for n in range(500)
    )
    _key, secret = create_api_key(name="bench", scopes=["orders:write"])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    from inventory.ledger import verify_stock

    assert verify_stock() == [], "set-up stock disagrees with its ledger"
    connection.close()
    return secret, [v.sku for v in variants[1:]]


def start_server(port: int, worker_class: str, threads: int) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "oms.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--worker-class",
        worker_class,
        "--backlog",
        "256",
        "--log-level",
        "warning",
    ]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    server = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())  # noqa: S603 - our own command line
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not answer within 30 s")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()


def payload(rng: random.Random, n: int, tag: str, skus: list[str], hot: bool) -> dict:
    city, plate = rng.choice(CITIES)
    lines = [
        {"sku": sku, "quantity": rng.choice([1, 1, 2]), "unit_price": None} for sku in rng.sample(skus, 3)
    ]
    if hot:
        lines[0] = {"sku": HOT_SKU, "quantity": 1, "unit_price": "99.00"}
    for line in lines:
        if line["unit_price"] is None:
            line.pop("unit_price")  # the channel's price list
    returning = rng.random() < 0.25
    email = f"returning{rng.randrange(500)}@example.com" if returning else f"c{tag}-{n}@example.com"
    return {
        "channel": "web",
        "channel_order_id": f"B{tag}-{n}",
        "currency": "TRY",
        "customer": {"email": email, "phone": "", "first_name": "Ayşe", "last_name": f"Yılmaz {n}"},
        "shipping_address": {
            "line1": "Atatürk Cad. No: 12 D: 3",
            "district": "Merkez",
            "city": city,
            "postal_code": f"{plate}100",
            "country": "TR",
        },
        "payment_method": "card",
        "lines": lines,
    }


def client(
    port: int, key: str, skus: list[str], tag: str, stop_at: float, seed: int, out: list, lock
) -> None:
    rng = random.Random(seed)  # noqa: S311 - request data, not secrets
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    results = []  # (status, ms, hot)
    n = 0
    while time.time() < stop_at:
        hot = rng.random() < 0.5
        body = json.dumps(payload(rng, n, f"{tag}{seed}", skus, hot))
        n += 1
        began = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("POST", "/api/v1/orders", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            conn.close()
        except OSError:
            status = 0
        results.append((status, (time.perf_counter() - began) * 1000, hot))
    with lock:
        out.extend(results)


def run(port: int, key: str, skus: list[str], clients: int, duration: float, tag: str) -> dict:
    results: list = []
    lock = threading.Lock()
    stop_at = time.time() + duration
    threads = [
        threading.Thread(target=client, args=(port, key, skus, tag, stop_at, seed, results, lock))
        for seed in range(clients)
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    created = sorted(ms for status, ms, _hot in results if status == 201)
    errors: dict[int, int] = {}
    for status, _ms, _hot in results:
        if status != 201:
            errors[status] = errors.get(status, 0) + 1
    return {
        "rate": len(created) / elapsed,
        "orders": len(created),
        "p50": statistics.median(created) if created else 0,
        "p99": created[max(0, int(len(created) * 0.99) - 1)] if created else 0,
        "errors": errors,
        "hot_demand": sum(1 for status, _ms, hot in results if status == 201 and hot),
    }


def check_hot_sku(demand: int) -> list[str]:
    """Oversell and bookkeeping checks on the hot SKU; returns the problems found."""
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Sum

    from inventory.ledger import verify_stock
    from inventory.models import Reservation, StockLevel
    from orders.models import OrderLine

    problems = []
    levels = list(StockLevel.objects.filter(variant__sku=HOT_SKU))
    on_hand = sum(level.on_hand for level in levels)
    for level in levels:
        if level.reserved > level.on_hand:
            problems.append(f"OVERSELL at warehouse {level.warehouse_id}: {level.reserved} > {level.on_hand}")
        active = (
            Reservation.objects.filter(
                variant_id=level.variant_id, warehouse_id=level.warehouse_id, status="active"
            ).aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        if active != level.reserved:
            problems.append(
                f"warehouse {level.warehouse_id}: reservations {active} != reserved {level.reserved}"
            )
    lines = OrderLine.objects.filter(sku=HOT_SKU).aggregate(
        wanted=Sum("quantity"), allocated=Sum("quantity_allocated"), backordered=Sum("quantity_backordered")
    )
    reserved = sum(level.reserved for level in levels)
    if (lines["wanted"] or 0) != demand:
        problems.append(f"hot lines want {lines['wanted']} units, clients got 201 for {demand}")
    if (lines["allocated"] or 0) != reserved:
        problems.append(f"hot lines allocated {lines['allocated']} != reserved {reserved}")
    expected_short = max(0, demand - on_hand)
    if (lines["backordered"] or 0) != expected_short:
        problems.append(f"backordered {lines['backordered']} != demand - stock = {expected_short}")
    drift = verify_stock()
    if drift:
        problems.append(f"stock check: {len(drift)} drift(s), first {drift[0]}")
    allocated, backordered = lines["allocated"] or 0, lines["backordered"] or 0
    print(f"hot SKU: stock {on_hand}, demand {demand}, reserved {reserved}, allocated {allocated}, ", end="")
    print(f"backordered {backordered}; ledger drift: {len(drift)}")
    connection.close()
    return problems


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument(
        "--worker-classes", default="sync,gthread", help="comma-separated, each a fresh database"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    args = parser.parse_args()
    for worker_class in args.worker_classes.split(","):
        fresh_database()
        key, skus = setup()
        server = start_server(args.port, worker_class, args.threads)
        try:
            warm = run(args.port, key, skus, args.clients, 3, "warm")  # imports, connections, statements
            label = worker_class + (f" x{args.threads} threads" if worker_class == "gthread" else "")
            print(f"\n== gunicorn 2 workers, {label}: {args.clients} clients for {args.duration:.0f} s")
            result = run(args.port, key, skus, args.clients, args.duration, "run")
        finally:
            stop_server(server)
        print(
            f"orders/s {result['rate']:.1f}  created {result['orders']}  p50 {result['p50']:.1f} ms  "
            f"p99 {result['p99']:.1f} ms  errors {result['errors'] or 'none'}"
        )
        # The warm-up orders took hot units too: the demand is every 201 with a hot line (1 unit each).
        problems = check_hot_sku(warm["hot_demand"] + result["hot_demand"])
        print("oversell check: " + ("OK" if not problems else "FAILED\n  " + "\n  ".join(problems)))
        verdict = "OK" if result["rate"] >= 150 else "MISSED"
        print(f"target >= 150 orders/s: {verdict}")


if __name__ == "__main__":
    main()
