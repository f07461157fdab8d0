"""The stock level list with 100,000 variants x 3 warehouses (PostgreSQL): server time per page.

Run: make bench-stock   (or: DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_bench_stock \
     SECRET_KEY=x .venv/bin/python bench/stock_list.py --variants 100000)

Builds the catalogue once (bulk inserts; 20,000 products x 5 variants in 40 categories, a level in
each of 3 warehouses, expiry lots for a fifth of them, quarantine on 1 %). The stock ledger is not
filled: the list never reads it. Then requests the real panel page (`inventory:index`) through
Django's test client - URL routing, middleware, session, filters, keyset pagination, template -
for each filter the page offers, and reports p50/p95 over the runs and the queries per page.
Target: p95 < 150 ms for every filter.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("STATIC_MANIFEST", "0")

import django

django.setup()

from django.core.management import call_command
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import Bin, Category, Product, StockLevel, Variant, Warehouse
from oms.models import Province, User
from oms.pagination import _encode

PRODUCTS_PER_BATCH = 5_000
VARIANTS_PER_PRODUCT = 5


def build(variants: int) -> None:
    if StockLevel.objects.count() >= 3 * variants:
        return
    if Variant.objects.exists():
        raise SystemExit("The bench database holds a partial build: drop it and run again.")
    print(f"building {variants:,} variants x 3 warehouses ...", flush=True)
    started = time.perf_counter()
    warehouses = []
    for code, name, plate in (("IST", "İstanbul", 34), ("ANK", "Ankara", 6), ("IZM", "İzmir", 35)):
        warehouse, _ = Warehouse.objects.get_or_create(
            code=code, defaults={"name": name, "province": Province.objects.get(code=plate)}
        )
        warehouses.append(warehouse)
        for zone in "AB":
            Bin.objects.get_or_create(
                warehouse=warehouse,
                code=f"{zone}-01-01-1",
                defaults={"zone": zone, "walk_sequence": ord(zone)},
            )
    parents = [
        Category.objects.get_or_create(
            slug=f"bench-{i}", defaults={"name": f"Bench {i}", "alert_minimum": 10}
        )[0]
        for i in range(8)
    ]
    leaves = [
        Category.objects.get_or_create(
            slug=f"bench-{i}-{j}",
            defaults={"name": f"Bench {i}.{j}", "parent": parents[i], "alert_minimum": 10},
        )[0]
        for i in range(8)
        for j in range(5)
    ]
    words = ["Pamuk", "Tişört", "Kazak", "Kulaklık", "Şampuan", "Krem", "Kahve", "Çay", "Bardak", "Lamba"]
    product_count = variants // VARIANTS_PER_PRODUCT
    made = 0
    while made < product_count:
        batch = min(PRODUCTS_PER_BATCH, product_count - made)
        products = Product.objects.bulk_create(
            Product(
                name=f"{words[n % 10]} {words[(n // 10) % 10]} Model {n}",
                brand=f"Marka {n % 97}",
                category=leaves[n % len(leaves)],
                tracks_expiry=n % 5 == 0,
            )
            for n in range(made, made + batch)
        )
        Variant.objects.bulk_create(
            Variant(
                product=product,
                sku=f"BN-{made + i:06d}-{v}",
                options={"beden": "SML"[v % 3]},
                cost_price=10 + v,
                list_price=20 + v,
            )
            for i, product in enumerate(products)
            for v in range(VARIANTS_PER_PRODUCT)
        )
        made += batch
    with connection.cursor() as cursor:
        # Stock levels: varied on hand; some at or below minimum; 1 % with quarantine.
        cursor.execute(
            """
            INSERT INTO inventory_stocklevel
                (variant_id, warehouse_id, on_hand, reserved, quarantined, updated_at)
            SELECT v.id, w.id, (v.id * 7 + w.id * 13) % 200,
                   LEAST((v.id * 7 + w.id * 13) % 200, (v.id + w.id) % 6),
                   CASE WHEN (v.id + w.id) % 100 = 0 THEN 2 ELSE 0 END, now()
            FROM inventory_variant v CROSS JOIN inventory_warehouse w
            ON CONFLICT DO NOTHING
            """
        )
        # One lot per level of expiry-tracked products, expiry spread over the next 400 days.
        cursor.execute(
            """
            INSERT INTO inventory_stocklot
                (variant_id, warehouse_id, bin_id, lot_number, serial, expiry_date, quantity, quarantined,
                 received_at)
            SELECT l.variant_id, l.warehouse_id,
                   (SELECT min(b.id) FROM inventory_bin b WHERE b.warehouse_id = l.warehouse_id),
                   'L' || l.id, '', current_date + ((l.id * 37) % 400)::int, l.on_hand, l.quarantined, now()
            FROM inventory_stocklevel l
            JOIN inventory_variant v ON v.id = l.variant_id
            JOIN inventory_product p ON p.id = v.product_id
            WHERE p.tracks_expiry AND l.on_hand > 0
            """
        )
        cursor.execute("ANALYZE")
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)


def timed(client: Client, url: str, params: dict, runs: int, **headers) -> tuple[float, float, int, int]:
    variant_url = reverse("inventory:variant", args=[0]).removesuffix("0/")
    times = []
    queries = 0
    rows = 0
    for i in range(runs + 2):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url, params, **headers)
            elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (params, response.status_code)
        if i >= 2:  # the first two warm caches (templates, prepared statements)
            times.append(elapsed)
        queries = len(captured)
        rows = response.content.decode().count(f'href="{variant_url}')
    times.sort()
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, queries, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    build(args.variants)
    user, _created = User.objects.get_or_create(username="bench", defaults={"is_superuser": True})
    client = Client()
    client.force_login(user)
    url = reverse("inventory:index")
    levels = StockLevel.objects.count()
    ankara = Warehouse.objects.get(code="ANK").pk
    top = Category.objects.get(slug="bench-3").pk
    leaf = Category.objects.get(slug="bench-7-4").pk
    middle = StockLevel.objects.select_related("variant").order_by("variant__sku", "pk")[levels // 2]
    deep = _encode([middle.variant.sku, middle.pk], "next")
    cases = [
        ("first page", {}, {}),
        ("first page, htmx partial", {}, {"HTTP_HX_REQUEST": "true"}),
        (f"page at row {levels // 2:,}", {"cursor": deep}, {}),
        ("warehouse", {"warehouse": ankara}, {}),
        ("category with children", {"category": top}, {}),
        ("leaf category", {"category": leaf}, {}),
        ("below minimum", {"below_minimum": "on"}, {}),
        ("has quarantine", {"quarantine": "on"}, {}),
        ("expiring within 30 days", {"expiring_within": 30}, {}),
        ("search SKU fragment", {"q": "BN-01000"}, {}),
        ("search product name", {"q": "Kahve Lamba"}, {}),
        ("search, no match", {"q": "yokböyle"}, {}),
        ("search, common word", {"q": "Kahve"}, {}),
        ("warehouse + below minimum", {"warehouse": ankara, "below_minimum": "on"}, {}),
    ]
    print(f"stock levels: {levels:,}  variants: {Variant.objects.count():,}  runs per case: {args.runs}")
    print(f"{'case':<32} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'rows':>5}")
    worst = 0.0
    for name, params, headers in cases:
        p50, p95, queries, rows = timed(client, url, params, args.runs, **headers)
        worst = max(worst, p95)
        print(f"{name:<32} {p50:>8.1f} {p95:>8.1f} {queries:>8} {rows:>5}", flush=True)
    products_url = reverse("inventory:products")
    print(f"\nproducts page ({Product.objects.count():,} products, stock per warehouse on each row)")
    for name, params in (
        ("first page", {}),
        ("category with children", {"category": top}),
        ("search name", {"q": "Kahve Lamba"}),
        ("search SKU fragment", {"q": "BN-01000"}),
        ("search, no match", {"q": "yokböyle"}),
    ):
        p50, p95, queries, _rows = timed(client, products_url, params, args.runs)
        worst = max(worst, p95)
        print(f"{name:<32} {p50:>8.1f} {p95:>8.1f} {queries:>8}", flush=True)
    print(f"worst p95: {worst:.1f} ms (target < 150 ms): {'OK' if worst < 150 else 'MISSED'}")


if __name__ == "__main__":
    main()
