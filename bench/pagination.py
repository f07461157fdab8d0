"""Keyset vs OFFSET pagination on a million audit-log rows (PostgreSQL).

Run: make bench   (or: DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms_bench SECRET_KEY=x \
     .venv/bin/python bench/pagination.py --rows 1000000)
Creates the rows once with generate_series, then times page fetches at increasing depths through
the real `oms.pagination.paginate` and through Django's OFFSET-based Paginator.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

import django

django.setup()

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.paginator import Paginator
from django.db import connection
from django.test import RequestFactory

from oms.models import AuditLog, User
from oms.pagination import paginate


def ensure_rows(rows: int) -> None:
    existing = AuditLog.objects.count()
    if existing >= rows:
        return
    content_type = ContentType.objects.get_for_model(User)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO oms_auditlog
                (created_at, actor_label, action, content_type_id, object_id, object_repr, changes)
            SELECT now() - (g || ' seconds')::interval, 'bench', 'update', %s, g::text, 'row ' || g,
                   '{}'::jsonb
            FROM generate_series(%s, %s) AS g
            """,
            [content_type.pk, existing + 1, rows],
        )
        cursor.execute("ANALYZE oms_auditlog")


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    ensure_rows(args.rows)
    queryset = AuditLog.objects.all()
    rf = RequestFactory()
    ordering = ("-created_at", "-pk")
    print(f"rows: {AuditLog.objects.count():,}  page size: 50  (median of 5, ms)")
    print(f"{'depth (rows skipped)':>22} {'keyset':>10} {'offset':>10}")
    for depth in (0, 10_000, 100_000, 500_000, args.rows - 100):
        boundary = queryset.order_by(*ordering)[depth] if depth else None
        if boundary is None:
            request = rf.get("/")
        else:
            from oms.pagination import _encode

            request = rf.get("/", {"cursor": _encode([boundary.created_at, boundary.pk], "next")})
        keyset = best_of(
            lambda request=request: list(paginate(request, queryset, ordering=ordering, per_page=50))
        )
        paginator = Paginator(queryset.order_by(*ordering), 50)
        page_number = depth // 50 + 1
        offset = best_of(lambda n=page_number, p=paginator: list(p.page(n)))
        print(f"{depth:>22,} {keyset:>10.1f} {offset:>10.1f}")


if __name__ == "__main__":
    main()
