"""Issuing invoices concurrently: gap-free numbers, no duplicates, the rate.

Run: DATABASE_URL=postgres://.../oms_bench_billing SECRET_KEY=bench DEBUG=0 .venv/bin/python
     bench/billing_issue.py     (the oms_bench* database is dropped and created afresh)

Set-up (fresh database): 300 variants in stock, ORDERS orders of 3 lines (KDV 20/10/1, a shipping
fee and an order discount) placed through the real intake, a seller profile.
Run: WORKERS threads (each its own PostgreSQL connection, as Celery workers or web processes
would be) take order ids from a shared queue and call ``billing.invoicing.issue_invoice`` for
each, timing every call. Then checks: as many invoices as orders, numbers of one series exactly
1..N with no gap and no duplicate, every invoice's payable equal to its order's total, and a
second pass issuing the same orders again changes nothing (``NothingToInvoice``).
"""

import argparse
import queue
import random
import statistics
import threading
import time

from benchkit import ROOT, fresh_database  # noqa: F401 - sets up the path and settings

VARIANTS = 300
RATES = [20, 10, 1]


def setup(orders: int) -> list[int]:
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection

    from billing.models import SellerProfile
    from channels.models import SalesChannel
    from inventory.models import Category, Product, Variant, Warehouse
    from inventory.services import add_stock
    from oms.models import Province
    from orders.customers import CustomerData
    from orders.models import Order
    from orders.services import AddressData, LineData, OrderData, create_order

    call_command("migrate", verbosity=0)
    SellerProfile.objects.create(
        legal_name="Bench Ticaret A.Ş.",
        tax_number="1234567890",
        tax_office="Kadıköy",
        address_line="Moda Cad. 1",
        district="Kadıköy",
        city="İstanbul",
    )
    warehouse = Warehouse.objects.create(code="IST", name="İstanbul", province=Province.objects.get(code=34))
    category = Category.objects.create(name="Bench", slug="bench")
    products = Product.objects.bulk_create(
        Product(name=f"Ürün {n}", category=category, tax_rate=RATES[n % 3]) for n in range(VARIANTS)
    )
    variants = Variant.objects.bulk_create(
        Variant(product=p, sku=f"BI-{n:05d}", barcode=None, list_price=Decimal("99.90") + n, cost_price=20)
        for n, p in enumerate(products)
    )
    for variant in variants:
        add_stock(variant=variant, warehouse=warehouse, quantity=100_000, reference="bench")
    SalesChannel.objects.create(code="web", name="Web", type="web_shop", currency="TRY", risk_threshold=100)
    rng = random.Random(11)  # noqa: S311 (repeatable test data)
    started = time.perf_counter()
    for n in range(orders):
        create_order(
            OrderData(
                channel="web",
                channel_order_id=f"BI-{n}",
                lines=[
                    LineData(sku=v.sku, quantity=rng.randint(1, 3), unit_price=None)
                    for v in rng.sample(variants, 3)
                ],
                customer=CustomerData(
                    email=f"c{n}@example.com", phone="", first_name="Müşteri", last_name=str(n)
                ),
                shipping_address=AddressData(
                    name="Ayşe Yılmaz", line1="Bağdat Cd. 1", district="Kadıköy", city="İstanbul"
                ),
                payment_method="card",
                shipping_fee=Decimal("29.90"),
                discount=Decimal("5.00"),
            )
        )
    print(f"set-up: {orders} orders placed in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return list(Order.objects.order_by("pk").values_list("pk", flat=True))


def issue_all(order_ids: list[int], workers: int) -> tuple[list[float], list[str], float]:
    from django.db import connection

    from billing.invoicing import issue_invoice

    work: queue.Queue[int] = queue.Queue()
    for pk in order_ids:
        work.put(pk)
    timings: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        mine: list[float] = []
        try:
            while True:
                try:
                    pk = work.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                try:
                    issue_invoice(pk)
                except Exception as error:  # counted and shown, the run goes on
                    with lock:
                        errors.append(f"{pk}: {error!r}")
                mine.append(time.perf_counter() - started)
        finally:
            with lock:
                timings.extend(mine)
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, errors, time.perf_counter() - started


def check(order_ids: list[int]) -> None:
    from django.db.models import Count

    from billing.invoicing import NothingToInvoice, issue_invoice
    from billing.models import Invoice

    invoices = list(Invoice.objects.select_related("order").order_by("number"))
    numbers = [int(i.number[7:]) for i in invoices]
    series = {i.number[:7] for i in invoices}
    duplicates = Invoice.objects.values("number").annotate(n=Count("pk")).filter(n__gt=1).count()
    wrong_totals = sum(1 for i in invoices if i.payable != i.order.grand_total)
    print(
        f"invoices: {len(invoices)} for {len(order_ids)} orders; series {sorted(series)}; "
        f"numbers {numbers[0] if numbers else '-'}..{numbers[-1] if numbers else '-'}; "
        f"gap-free: {numbers == list(range(1, len(invoices) + 1))}; duplicates: {duplicates}; "
        f"payable != order total: {wrong_totals}"
    )
    again = 0
    for pk in order_ids[:100]:
        try:
            issue_invoice(pk)
            again += 1
        except NothingToInvoice:
            pass
    print(f"second pass over 100 orders: {again} new invoices (expected 0)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    fresh_database()
    import django

    django.setup()
    order_ids = setup(args.orders)
    timings, errors, wall = issue_all(order_ids, args.workers)
    timings.sort()
    p50 = statistics.median(timings) * 1000
    p95 = timings[int(len(timings) * 0.95) - 1] * 1000
    print(
        f"== {len(timings)} issues from {args.workers} workers in {wall:.2f} s: "
        f"{len(timings) / wall:.0f} invoices/s; per invoice p50 {p50:.1f} ms, p95 {p95:.1f} ms; "
        f"errors {len(errors)}"
    )
    for line in errors[:5]:
        print("  error:", line)
    check(order_ids)


if __name__ == "__main__":
    main()
