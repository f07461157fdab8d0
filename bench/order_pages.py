"""The order list and order page with a million orders (PostgreSQL): server time per page.

Run: make bench-orders   (or: DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/oms_bench_orders \
     SECRET_KEY=x .venv/bin/python bench/order_pages.py --orders 1000000)

Builds the database once and keeps it: the demo shop (`seed_demo`: catalogue, stock, channels,
customers and 3,000 orders, the newest through the order services) plus `seed_demo --orders N`
(the bulk loader, orders/bulk.py: N historic orders over a year, a customer per four orders,
COPY). Then requests the real panel pages (`orders:index` with each filter, `orders:detail`)
through Django's test client - routing, middleware, session, filters, keyset page, template -
and reports p50/p95 over the runs and the queries per page. Any case whose p95 misses the
target prints its slowest query with EXPLAIN (ANALYZE, BUFFERS).
Target: p95 < 150 ms.
"""

import argparse
import os
import re
import statistics
import sys
import time
from datetime import timedelta
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
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from channels.models import SalesChannel
from oms.models import User
from oms.pagination import _encode
from orders.models import Customer, Order, OrderLine

TARGET_MS = 150
DETAIL_PREFIX = reverse("orders:detail", args=[0]).removesuffix("0/")


def build(orders: int) -> None:
    archived = Order.objects.filter(number__startswith="ARS-").count()
    if archived >= orders:
        return
    if not User.objects.exists():
        print("seeding the demo shop ...", flush=True)
        started = time.perf_counter()
        call_command("seed_demo")
        print(f"demo shop seeded in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"bulk-loading {orders - archived:,} orders ...", flush=True)
    call_command("seed_demo", orders=orders - archived)


def timed(client: Client, url: str, params: dict, runs: int, **headers) -> dict:
    times, slowest = [], (0.0, "")
    queries = 0
    for i in range(runs + 2):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url, params, **headers)
            elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (url, params, response.status_code)
        if i >= 2:  # the first two warm caches (templates, prepared statements)
            times.append(elapsed)
        queries = len(captured)
        for query in captured.captured_queries:
            if float(query["time"]) * 1000 > slowest[0]:
                slowest = (float(query["time"]) * 1000, query["sql"])
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[max(0, round(0.95 * len(times)) - 1)],
        "queries": queries,
        "slowest_ms": slowest[0],
        "slowest_sql": slowest[1],
        "rows": len(set(re.findall(rf'href="{re.escape(DETAIL_PREFIX)}(\d+)/"', response.content.decode()))),
    }


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the slowest query of every case")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    build(args.orders)
    user, _created = User.objects.get_or_create(username="bench", defaults={"is_superuser": True})
    client = Client()
    client.force_login(user)
    url = reverse("orders:index")

    total = Order.objects.count()
    trendyol = SalesChannel.objects.get(code="trendyol").pk
    b2b = SalesChannel.objects.get(code="b2b").pk
    today = timezone.localdate()
    week_from, week_to = today - timedelta(days=120), today - timedelta(days=114)
    # A customer's surname shared by many, a full name, an exact e-mail / phone / order number.
    common = (
        Customer.objects.values("last_name")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("last_name", flat=True)[0]
    )
    someone = Customer.objects.filter(orders_count__gte=3).order_by("pk")[total // 1000 % 97]
    sample = Order.objects.filter(number__startswith="ARS-").order_by("pk")[total // 2]
    popular_sku = (
        OrderLine.objects.filter(order_id__gte=sample.pk - 20_000, order_id__lt=sample.pk)
        .values("sku")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("sku", flat=True)[0]
    )
    rare_sku = (
        OrderLine.objects.filter(order_id__gte=sample.pk - 20_000, order_id__lt=sample.pk)
        .values("sku")
        .annotate(n=Count("pk"))
        .order_by("n", "sku")
        .values_list("sku", flat=True)[0]
    )
    deep = _encode([sample.created_at, sample.pk], "next")
    cases = [
        ("first page", {}, {}),
        ("first page, htmx partial", {}, {"HTTP_HX_REQUEST": "true"}),
        (f"page at row {total // 2:,}", {"cursor": deep}, {}),
        ("status on hold", {"status": "on_hold"}, {}),
        ("status completed", {"status": "completed"}, {}),
        ("status backordered + cancelled", {"status": ["backordered", "cancelled"]}, {}),
        ("channel Trendyol", {"channel": trendyol}, {}),
        ("channel B2B (4 %)", {"channel": b2b}, {}),
        ("date range, one week 4 months ago", {"created_from": week_from, "created_to": week_to}, {}),
        (
            "date range + channel + status",
            {"created_from": week_from, "created_to": week_to, "channel": trendyol, "status": "completed"},
            {},
        ),
        (f"customer surname ({common})", {"q": common}, {}),
        ("customer full name", {"q": f"{someone.first_name} {someone.last_name}"}, {}),
        ("customer e-mail", {"q": someone.email}, {}),
        ("customer phone", {"q": someone.phone}, {}),
        ("order number", {"q": sample.number}, {}),
        ("search, no match", {"q": "Yokböyle"}, {}),
        (f"SKU, popular ({popular_sku})", {"sku": popular_sku}, {}),
        (f"SKU, rare ({rare_sku})", {"sku": rare_sku}, {}),
        ("queue on hold", {"queue": "on_hold"}, {}),
        ("flag backordered lines", {"flags": "backordered_lines"}, {}),
        ("risk from 60", {"risk": 60}, {}),
    ]
    print(f"orders: {total:,}  customers: {Customer.objects.count():,}  runs per case: {args.runs}")
    print(f"{'case':<44} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'rows':>5} {'slowest q ms':>13}")
    worst = 0.0
    slow = []
    for name, params, headers in cases:
        result = timed(client, url, params, args.runs, **headers)
        worst = max(worst, result["p95"])
        print(
            f"{name:<44} {result['p50']:>8.1f} {result['p95']:>8.1f} {result['queries']:>8} "
            f"{result['rows']:>5} {result['slowest_ms']:>13.1f}",
            flush=True,
        )
        if result["p95"] >= TARGET_MS or args.explain:
            slow.append((name, result))

    print("\norder page")
    demo_order = Order.objects.filter(source="demo").annotate(n=Count("events")).order_by("-n").first()
    details = [
        ("historic order (bulk)", sample.pk),
        ("demo order, longest timeline", demo_order.pk if demo_order else sample.pk),
        ("newest order", Order.objects.order_by("-created_at", "-id").values_list("pk", flat=True)[0]),
    ]
    for name, pk in details:
        result = timed(client, reverse("orders:detail", args=[pk]), {}, args.runs)
        worst = max(worst, result["p95"])
        print(
            f"{name:<44} {result['p50']:>8.1f} {result['p95']:>8.1f} {result['queries']:>8} "
            f"{'':>5} {result['slowest_ms']:>13.1f}",
            flush=True,
        )
        if result["p95"] >= TARGET_MS or args.explain:
            slow.append((name, result))
    print(f"\nworst p95: {worst:.1f} ms (target < {TARGET_MS} ms): {'OK' if worst < TARGET_MS else 'MISSED'}")
    for name, result in slow:
        print(f"\n--- {name}: slowest query {result['slowest_ms']:.1f} ms\n{result['slowest_sql']}\n")
        print(explain(result["slowest_sql"]))


if __name__ == "__main__":
    main()
