"""Pick lists and the picking screen: building a wave of 500 orders, and the scan round trip.

Run: DATABASE_URL=postgres://.../oms_bench_picking SECRET_KEY=bench DEBUG=0 .venv/bin/python
     bench/fulfillment_picking.py     (the oms_bench* database is dropped and created afresh)

Set-up (fresh database): one warehouse with 240 bins in four zones (walk sequence across them),
300 variants (a tenth expiry-tracked FEFO with two lots each) stocked in one or two bins each, and
ORDERS orders of LINES lines (one unit each) placed through the real intake and allocated there; a
tenth are high priority, a few VIP.

1. Wave build: ``build_pick_lists(method="wave")`` over all of them (500 orders, 1,500 lines ->
   one list per zone), timed RUNS times (each in a transaction rolled back, the last one kept);
   target < 1 s.
2. Scan round trip: SCANS htmx POSTs to the picking screen's scan endpoint with the Django test
   client (bin, item, item ...) working the wave's lists in walk order, each answered with the
   next line's partial; p50/p95/max server time; target p95 < 50 ms.
"""

import argparse
import random
import statistics
import time

from benchkit import ROOT, fresh_database  # noqa: F401 - sets up the path and settings

ZONES = ["A", "B", "C", "D"]
BINS_PER_ZONE = 60
VARIANTS = 300


def setup(orders: int, lines: int):
    from datetime import date, timedelta

    from django.core.management import call_command
    from django.db import connection

    from channels.models import SalesChannel
    from inventory.models import Bin, Category, Product, Variant, Warehouse
    from inventory.services import add_stock
    from oms.models import Province
    from orders.models import Customer, Order
    from orders.services import AddressData, LineData, OrderData, create_order

    call_command("migrate", verbosity=0)
    warehouse = Warehouse.objects.create(
        code="IST", name="İstanbul Depo", priority=1, province=Province.objects.get(code=34)
    )
    bins = Bin.objects.bulk_create(
        Bin(
            warehouse=warehouse,
            code=f"{z}-{n // 10 + 1:02d}-{n % 10 + 1:02d}-1",
            zone=z,
            walk_sequence=i * 100 + n,
        )
        for i, z in enumerate(ZONES)
        for n in range(BINS_PER_ZONE)
    )
    category = Category.objects.create(name="Bench", slug="bench")
    products = Product.objects.bulk_create(
        Product(
            name=f"Ürün {n}",
            category=category,
            tax_rate=20,
            tracks_expiry=n % 10 == 0,
            tracking="lot" if n % 10 == 0 else "none",
            removal_strategy="fefo" if n % 10 == 0 else "fifo",
        )
        for n in range(VARIANTS)
    )
    variants = Variant.objects.bulk_create(
        Variant(product=p, sku=f"PK-{n:05d}", barcode=None, list_price=50, cost_price=20)
        for n, p in enumerate(products)
    )
    rng = random.Random(7)  # noqa: S311 (repeatable test data)
    today = date.today()
    for n, variant in enumerate(variants):
        variant.product = products[n]
        places = rng.sample(bins, 2)
        if variant.product.tracking == "lot":
            for k, place in enumerate(places):
                add_stock(
                    variant=variant,
                    warehouse=warehouse,
                    quantity=500,
                    bin=place,
                    lot_number=f"L{n}-{k}",
                    expiry_date=today + timedelta(days=30 + 60 * k),
                    reference="bench",
                )
        else:
            for place in places:
                add_stock(variant=variant, warehouse=warehouse, quantity=500, bin=place, reference="bench")
    SalesChannel.objects.create(code="web", name="Web", type="web_shop", currency="TRY", risk_threshold=100)
    started = time.perf_counter()
    for n in range(orders):
        chosen = rng.sample(variants, lines)
        create_order(
            OrderData(
                channel="web",
                channel_order_id=f"B-{n}",
                lines=[LineData(sku=v.sku, quantity=1, unit_price=None) for v in chosen],
                customer=_customer(n),
                shipping_address=AddressData(
                    name="Ayşe Yılmaz", line1="Bağdat Cd. 1", district="Kadıköy", city="İstanbul"
                ),
                payment_method="card",
            )
        )
    print(f"set-up: {orders} orders placed in {time.perf_counter() - started:.1f} s")
    Order.objects.filter(pk__in=Order.objects.order_by("?").values("pk")[: orders // 10]).update(priority=1)
    Customer.objects.filter(pk__in=Customer.objects.order_by("?").values("pk")[:10]).update(is_vip=True)
    allocated = Order.objects.filter(status="allocated").count()
    assert allocated == orders, f"only {allocated} of {orders} orders are allocated"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return warehouse


def _customer(n: int):
    from orders.customers import CustomerData

    return CustomerData(email=f"c{n}@example.com", phone="", first_name="Müşteri", last_name=str(n))


def bench_build(warehouse, runs: int) -> list:
    """Time ``runs`` builds (all but the last rolled back), then count the statements of one more
    (rolled back too; counting slows a run, so it is not timed)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from fulfillment.models import PickTask
    from fulfillment.picking import build_pick_lists

    timings, lists = [], []
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured:
            build_pick_lists(warehouse=warehouse, method="wave")
        transaction.set_rollback(True)
    for run in range(runs):
        with transaction.atomic():
            started = time.perf_counter()
            lists = build_pick_lists(warehouse=warehouse, method="wave")
            timings.append(time.perf_counter() - started)
            if run < runs - 1:
                transaction.set_rollback(True)
    tasks = PickTask.objects.filter(pick_list__in=lists).count()
    print(
        f"\n== wave build: {len(lists)} lists, {tasks} tasks; runs "
        + ", ".join(f"{t * 1000:.0f} ms" for t in timings)
        + f"; {len(captured)} statements"
    )
    print(
        f"target < 1 s: {'OK' if max(timings) < 1 else 'MISSED'} "
        f"(median {statistics.median(timings) * 1000:.0f} ms)"
    )
    return lists


def bench_scans(lists, scans: int) -> None:
    from django.conf import settings
    from django.test import Client
    from django.urls import clear_url_caches, reverse

    from fulfillment.picking import next_task
    from oms.models import User
    from oms.services import assign_roles

    settings.ROOT_URLCONF = __name__ if _needs_urls() else settings.ROOT_URLCONF
    clear_url_caches()
    user = User.objects.create_user("picker", password="bench-only")  # noqa: S106
    assign_roles(user=user, roles=["warehouse"], by=None)
    client = Client()
    client.force_login(user)
    timings = []
    at_bin = ""
    refused = 0
    lists = iter(lists)
    pick_list = next(lists)
    url = reverse("fulfillment:picking_scan", args=[pick_list.pk])
    client.get(reverse("fulfillment:picking_screen", args=[pick_list.pk]))  # warm
    while len(timings) < scans:
        task = next_task(pick_list)
        if task is None:
            pick_list = next(lists)
            url = reverse("fulfillment:picking_scan", args=[pick_list.pk])
            continue
        code = task.bin.code if str(task.bin_id) != at_bin else task.variant.sku
        started = time.perf_counter()
        response = client.post(url, {"code": code, "task": task.pk, "at_bin": at_bin}, HTTP_HX_REQUEST="true")
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            refused += 1
        at_bin = str(task.bin_id)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"\n== scan round trip (htmx POST -> next line partial), {len(timings)} scans: "
        f"p50 {statistics.median(timings):.1f} ms  p95 {p95:.1f} ms  max {timings[-1]:.1f} ms  "
        f"refused {refused}"
    )
    print(f"target p95 < 50 ms: {'OK' if p95 < 50 else 'MISSED'}")


def _needs_urls() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("fulfillment:picking")
        return False
    except NoReverseMatch:
        return True


def _urlpatterns():
    """The project's URLs plus the picking pages, for a run before they are wired."""
    from django.urls import include, path

    import fulfillment.urls
    import oms.urls

    own = [*fulfillment.urls.urlpatterns, path("picking/", include("fulfillment.urls_picking"))]
    return [
        path("fulfillment/", include((own, "fulfillment"))) if str(p.pattern) == "fulfillment/" else p
        for p in oms.urls.urlpatterns
    ]


def __getattr__(name):  # urlpatterns, built lazily once Django is set up
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scans", type=int, default=300)
    args = parser.parse_args()
    fresh_database()
    import django

    django.setup()
    warehouse = setup(args.orders, args.lines)
    lists = bench_build(warehouse, args.runs)
    bench_scans(lists, args.scans)


if __name__ == "__main__":
    main()
