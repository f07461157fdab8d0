"""Invoice PDFs: render time of one invoice, and a batch of 100 without memory growth.

Run: DATABASE_URL=postgres://.../oms_bench_billing_pdf SECRET_KEY=bench DEBUG=0 .venv/bin/python
     bench/billing_pdf.py     (the oms_bench* database is dropped and created afresh)

Set-up (fresh database): a seller profile, LINES variants (KDV 20/10/1 in turn) in stock, and
BATCH + 1 orders of LINES lines each (a shipping fee and an order discount) placed through the
real intake and invoiced with ``billing.invoicing.issue_invoice``.

1. Render: ``billing.documents.invoice_pdf`` of one LINES-line invoice, RUNS times after one
   warm-up render (fonts and WeasyPrint's stylesheets load on first use); p50/p95/max.
2. Memory: the resident set size (VmRSS) after the warm-up, then after each of two batches of
   BATCH PDFs (the BATCH invoices, one after the other, each PDF dropped once rendered, as a
   bulk download or a mailing task would). No growth: the second batch ends where the first did
   (within a few MB of allocator noise).
3. ZIP: ``billing.documents.invoices_zip`` of the BATCH invoices (PDF and UBL-TR XML): time, size.

``oms.pdf`` renders every PDF of a thread with one WeasyPrint ``FontConfiguration`` (WeasyPrint
makes a new one per document when not given one, and its native pango/fontconfig memory is never
given back: ~0.3 MB per PDF).
"""

import argparse
import gc
import resource
import statistics
import time
from pathlib import Path

from benchkit import ROOT, fresh_database  # noqa: F401 - sets up the path and settings

RATES = [20, 10, 1]


def rss_mb() -> float:
    """The process's resident set size now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak, where /proc is missing


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup(invoices: int, lines: int) -> list[int]:
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection

    from billing.invoicing import issue_invoice
    from billing.models import SellerProfile
    from channels.models import SalesChannel
    from inventory.models import Category, Product, Variant, Warehouse
    from inventory.services import add_stock
    from oms.models import Province
    from orders.customers import CustomerData
    from orders.services import AddressData, LineData, OrderData, create_order

    call_command("migrate", verbosity=0)
    SellerProfile.objects.create(
        legal_name="Bench Ticaret A.Ş.",
        tax_number="1234567890",
        tax_office="Kadıköy",
        mersis_number="0123456789012345",
        address_line="Caferağa Mah. Moda Cad. No: 1",
        district="Kadıköy",
        city="İstanbul",
        phone="+90 216 000 00 00",
        email="fatura@bench.example",
        iban="TR330006100519786457841326",
        bank_name="Örnek Bankası",
    )
    warehouse = Warehouse.objects.create(code="IST", name="İstanbul", province=Province.objects.get(code=34))
    category = Category.objects.create(name="Bench", slug="bench")
    products = Product.objects.bulk_create(
        Product(
            name=f"Ürün {n} — uzun bir ürün adı, beden ve renk ile", category=category, tax_rate=RATES[n % 3]
        )
        for n in range(lines)
    )
    variants = Variant.objects.bulk_create(
        Variant(
            product=p, sku=f"BP-{n:05d}", barcode=None, list_price=Decimal("49.90") + 7 * n, cost_price=20
        )
        for n, p in enumerate(products)
    )
    for variant in variants:
        add_stock(variant=variant, warehouse=warehouse, quantity=100_000, reference="bench")
    SalesChannel.objects.create(code="web", name="Web", type="web_shop", currency="TRY", risk_threshold=100)
    started = time.perf_counter()
    ids = []
    for n in range(invoices):
        order, _created = create_order(
            OrderData(
                channel="web",
                channel_order_id=f"BP-{n}",
                lines=[
                    LineData(sku=v.sku, quantity=1 + (k + n) % 3, unit_price=None)
                    for k, v in enumerate(variants)
                ],
                customer=CustomerData(
                    email=f"c{n}@example.com", phone="", first_name="Müşteri", last_name=str(n)
                ),
                shipping_address=AddressData(
                    name="Ayşe Yılmaz", line1="Bağdat Cd. 1", district="Kadıköy", city="İstanbul"
                ),
                payment_method="bank_transfer" if n % 2 else "card",
                shipping_fee=Decimal("29.90"),
                discount=Decimal("15.00"),
            )
        )
        ids.append(issue_invoice(order).pk)
    print(
        f"set-up: {invoices} orders of {lines} lines placed and invoiced "
        f"in {time.perf_counter() - started:.1f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ids


def bench_render(invoice_id: int, runs: int) -> None:
    from billing.documents import _fresh, invoice_pdf

    invoice = _fresh(invoice_id)
    started = time.perf_counter()
    size = len(invoice_pdf(invoice))
    print(f"\n== warm-up render (loads WeasyPrint, fonts): {(time.perf_counter() - started) * 1000:.0f} ms")
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        invoice_pdf(invoice)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(
        f"== render one {invoice.lines.count()}-line invoice PDF ({size / 1024:.0f} KB), {runs} runs: "
        f"p50 {statistics.median(timings):.0f} ms  p95 {p95:.0f} ms  max {timings[-1]:.0f} ms"
    )


def bench_memory(invoice_ids: list[int]) -> None:
    from billing.documents import invoice_pdf

    gc.collect()
    baseline = rss_mb()
    print(f"\n== memory, {len(invoice_ids)} PDFs per batch (VmRSS): after warm-up {baseline:.1f} MB")
    ends = []
    for batch in (1, 2):
        started = time.perf_counter()
        total = 0
        for pk in invoice_ids:
            total += len(invoice_pdf(pk))  # each rendered from the database, then dropped
        elapsed = time.perf_counter() - started
        gc.collect()
        ends.append(rss_mb())
        print(
            f"batch {batch}: {len(invoice_ids)} PDFs ({total / 1024 / 1024:.1f} MB in all) "
            f"in {elapsed:.1f} s "
            f"({elapsed / len(invoice_ids) * 1000:.0f} ms each); VmRSS {ends[-1]:.1f} MB "
            f"({ends[-1] - baseline:+.1f} MB vs warm-up)"
        )
    growth = ends[1] - ends[0]
    print(
        f"one by one, in this process: second batch vs first {growth:+.1f} MB "
        f"({growth / len(invoice_ids) * 1024:.0f} KB per PDF, WeasyPrint's native leftovers)"
    )
    # The batch path (bulk downloads): HTML rendered here, PDFs written by a child process.
    from billing.documents import invoice_html
    from billing.models import Invoice
    from oms.pdf import html_to_pdfs

    invoices = list(Invoice.objects.filter(pk__in=invoice_ids).prefetch_related("lines").order_by("pk"))
    batch_ends = []
    for batch in (1, 2):
        started = time.perf_counter()
        documents = html_to_pdfs([invoice_html(invoice) for invoice in invoices])
        elapsed = time.perf_counter() - started
        del documents
        gc.collect()
        batch_ends.append(rss_mb())
        print(f"batch path {batch}: {len(invoices)} PDFs in {elapsed:.1f} s; VmRSS {batch_ends[-1]:.1f} MB")
    growth = batch_ends[1] - batch_ends[0]
    print(
        f"batch path, second batch vs first: {growth:+.1f} MB; peak RSS {peak_mb():.1f} MB; "
        f"no growth (< 5 MB): {'OK' if growth < 5 else 'MISSED'}"
    )


def bench_zip(invoice_ids: list[int]) -> None:
    from billing.documents import invoices_zip

    started = time.perf_counter()
    content = invoices_zip(invoice_ids)
    elapsed = time.perf_counter() - started
    print(
        f"\n== ZIP of {len(invoice_ids)} invoices (PDF + XML): {elapsed:.1f} s, "
        f"{len(content) / 1024 / 1024:.1f} MB; "
        f"VmRSS {rss_mb():.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    fresh_database()
    import django

    django.setup()
    ids = setup(args.batch + 1, args.lines)
    bench_render(ids[0], args.runs)
    bench_memory(ids[1:])
    bench_zip(ids[1:])


if __name__ == "__main__":
    main()
