"""Demo cycle counts: one posted with a few differences, one counted and awaiting review, one in
progress. Everything goes through ``inventory.counting`` (the posted one writes ``count`` rows)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from inventory import counting
from inventory.counting import ScopeKind
from inventory.models import StockCount, StockLevel, StockLot, Warehouse

# A count of an aisle with this many lots is a morning's work.
LINES = (3, 25)


def demo_user(username: str, fallback):
    """The demo login ``username`` when the seed made it, else ``fallback`` (tests seed no logins)."""
    from oms.models import User

    return User.objects.filter(username=username, is_active=True).first() or fallback


def _aisle(rng: random.Random, warehouse: Warehouse) -> str | None:
    """An aisle prefix (``B-03``) of the warehouse holding a countable number of lots."""
    codes = StockLot.objects.filter(
        warehouse=warehouse, quantity__gt=0, bin__is_quarantine=False
    ).values_list("bin__code", flat=True)
    aisles = Counter("-".join(code.split("-")[:2]) for code in codes)
    if not aisles:
        return None
    fitting = sorted(a for a, n in aisles.items() if LINES[0] <= n <= LINES[1])
    return rng.choice(fitting) if fitting else min(sorted(aisles), key=lambda a: aisles[a])


def _start_aisle(rng: random.Random, warehouse: Warehouse, user) -> StockCount | None:
    prefix = _aisle(rng, warehouse)
    if prefix is None:
        return None
    return counting.start_count(
        warehouse=warehouse,
        bins=list(counting.bins_matching(warehouse=warehouse, prefix=prefix)),
        user=user,
        scope={"kind": ScopeKind.BINS, "value": prefix, "first": prefix, "last": prefix},
    )


def _count(rng: random.Random, count: StockCount, user, *, differences: int, share: float = 1.0) -> int:
    """Count ``share`` of the lines (in walk order), ``differences`` of them off by a unit or two;
    shortages never take units that are reserved. Returns how many lines differ."""
    lines = list(count.lines.select_related("lot").order_by("lot__bin__walk_sequence", "pk"))
    if share < 1 and len(lines) > 1:  # in progress: some lines still to count
        lines = lines[: min(len(lines) - 1, max(1, round(len(lines) * share)))]
    free = {
        level.variant_id: level.on_hand - level.reserved
        for level in StockLevel.objects.filter(
            warehouse_id=count.warehouse_id, variant_id__in={x.lot.variant_id for x in lines}
        )
    }
    off = set(rng.sample(range(len(lines)), min(differences, len(lines))))
    differing = 0
    for i, line in enumerate(lines):
        counted = line.expected
        if i in off:
            delta = rng.choice([-2, -1, 1, 2])
            if line.lot.serial:
                delta = -1 if line.expected == 1 else 1
            if delta < 0:
                delta = -min(-delta, line.expected, max(free.get(line.lot.variant_id, 0), 0))
                free[line.lot.variant_id] = free.get(line.lot.variant_id, 0) + delta
            counted = line.expected + delta
        differing += counted != line.expected
        counting.record_count(line=line, counted=counted, user=user)
    return differing


def seed_counts(rng: random.Random, *, admin) -> dict:
    """Three counts over the demo warehouses (İstanbul posted, Ankara in review, İzmir counting).

    Needs the demo stock (``inventory.demo.seed_inventory``). Counters are the ``warehouse`` demo
    login and the reviewer the ``operator`` one when they exist, else ``admin``.
    """
    counter, reviewer = demo_user("warehouse", admin), demo_user("operator", admin)
    by_code = {w.code: w for w in Warehouse.objects.filter(code__in=["IST", "ANK", "IZM"])}
    made = {"counts": 0, "lines": 0, "differences": 0}
    with transaction.atomic():
        ist = by_code.get("IST")
        posted = _start_aisle(rng, ist, counter) if ist else None
        if posted is not None:
            made["differences"] += _count(rng, posted, counter, differences=rng.randint(2, 4))
            counting.submit_count(count=posted, user=counter)
            counting.post_count(count=posted, user=reviewer)

        ank = by_code.get("ANK")
        review = _start_aisle(rng, ank, counter) if ank else None
        if review is not None:
            _count(rng, review, counter, differences=rng.randint(1, 3))
            counting.submit_count(count=review, user=counter)

        izm = by_code.get("IZM")
        running = None
        if izm is not None:
            by = timezone.localdate() + timedelta(days=30)
            if counting.expiring_lots(warehouse=izm, by=by).count() >= LINES[0]:
                running = counting.start_count(
                    warehouse=izm,
                    expiring_by=by,
                    user=counter,
                    note="Son kullanma tarihi yaklaşanlar",
                    scope={"kind": ScopeKind.EXPIRING, "value": by.isoformat()},
                )
            else:
                running = _start_aisle(rng, izm, counter)
        if running is not None:
            _count(rng, running, counter, differences=1, share=0.5)

        counts = [c for c in (posted, review, running) if c is not None]
        made["counts"] = len(counts)
        made["lines"] = sum(c.lines.count() for c in counts)
    return made
