"""Demo history for the inventory reports and alerts: four months of dated stock movements.

The inventory seed writes every movement "now", which leaves the reports flat (one day of
movements, no turnover, no dead stock). This seed replays a history through the same services,
each act with the clock set to its day (``_clock``: ``timezone.now`` is what the services and the
ledger's ``created_at`` read), so the ledger stays the one source of truth and consistent:

- a receipt 120 days ago for a set of untracked variants, then sales spread over the last 90 days
  with a long-tail rate of sale (a few sell a lot: ABC classes, turnover);
- old receipts 200 days ago of variants that never sell again (dead stock);
- a few transfers between warehouses, shipped and received (movement kinds in the chart);
- variants that sell well in one warehouse and are nearly out there while another warehouse holds
  plenty (rebalancing suggestions, low-stock alerts);
- finally the alerts are evaluated and about a third acknowledged by ``admin``.

Deterministic for a seeded ``random.Random`` (dates relative to today, like the inventory seed).
Only untracked products take part: lots, serial numbers and expiry dates would need invented data.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from inventory import services
from inventory.alerts import acknowledge_alerts
from inventory.analytics import REPORT_TZ
from inventory.models import AlertStatus, StockAlert, StockLevel, Tracking, Variant, Warehouse
from inventory.replenishment import evaluate_alerts
from inventory.transfers import receive_transfer, request_transfer, ship_transfer
from oms.demo import clock as _clock

HISTORY_DAYS = 90
SELLERS = 100  # variant x warehouse levels with a sales history
SALE_EVENTS = 6  # shipments per seller over the history
DEAD = 16
SHORTAGES = 5
TRANSFERS = 4


class _History:
    def __init__(self, rng: random.Random, admin) -> None:
        self.rng = rng
        self.admin = admin
        self.today = timezone.localtime(timezone.now(), REPORT_TZ).date()
        self.sale_no = 0
        self.counts = {"receipts": 0, "sales": 0, "transfers": 0}

    def moment(self, days_ago: int) -> datetime:
        """A working hour on the day ``days_ago`` days before today, in Istanbul."""
        day = self.today - timedelta(days=days_ago)
        hour = self.rng.randint(9, 20)
        return datetime.combine(day, time(hour, self.rng.randint(0, 59)), tzinfo=REPORT_TZ)

    def receive(self, variant: Variant, warehouse: Warehouse, quantity: int, days_ago: int) -> None:
        with _clock(self.moment(days_ago)):
            services.add_stock(
                variant=variant,
                warehouse=warehouse,
                quantity=quantity,
                reference="demo:history",
                note="Geçmiş sevkiyat",
                user=self.admin,
            )
        self.counts["receipts"] += 1

    def sell(self, variant: Variant, warehouse: Warehouse, quantity: int, days_ago: int) -> None:
        self.sale_no += 1
        with _clock(self.moment(days_ago)):
            reservation = services.reserve_one(
                variant=variant, warehouse=warehouse, quantity=quantity, reference=f"demo-sale:{self.sale_no}"
            )
            services.consume(reservation=reservation, user=self.admin)
        self.counts["sales"] += 1

    def transfer(
        self, variant: Variant, source: Warehouse, destination: Warehouse, quantity: int, days_ago: int
    ):
        with _clock(self.moment(days_ago)):
            moved = request_transfer(
                source=source, destination=destination, lines=[(variant, quantity)], user=self.admin
            )
            ship_transfer(transfer=moved, user=self.admin)
        with _clock(self.moment(max(days_ago - 2, 1))):
            receive_transfer(transfer=moved, user=self.admin)
        self.counts["transfers"] += 1


def seed_reports(rng: random.Random, *, admin) -> dict:
    """Add the dated history described in the module docstring; returns counts for the seed message.

    Needs the inventory seed's warehouses and catalogue. Does nothing without two active warehouses.
    """
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("priority", "code"))
    if len(warehouses) < 2:
        return {"receipts": 0, "sales": 0, "transfers": 0, "alerts": 0, "acknowledged": 0}
    history = _History(rng, admin)
    variants = list(
        Variant.objects.filter(
            is_active=True,
            product__is_active=True,
            product__tracking=Tracking.NONE,
            product__tracks_expiry=False,
        )
        .select_related("product")
        .order_by("sku")
    )
    rng.shuffle(variants)
    with transaction.atomic():
        sellers = variants[:SELLERS]
        dead = variants[SELLERS : SELLERS + DEAD]
        # Long tail: the n-th seller sells about 1/n of the first one's rate (ABC: few A, many C).
        for rank, variant in enumerate(sellers, start=1):
            warehouse = warehouses[0] if rng.random() < 0.6 else rng.choice(warehouses)
            per_day = max(6.0 / rank**0.9, 0.05)
            total = max(1, round(per_day * HISTORY_DAYS * rng.uniform(0.8, 1.2)))
            history.receive(variant, warehouse, total + rng.randint(2, 12), days_ago=120)
            events = min(SALE_EVENTS, total)
            days = sorted(rng.sample(range(1, HISTORY_DAYS + 1), events), reverse=True)
            base, extra = divmod(total, events)
            for i, days_ago in enumerate(days):
                history.sell(variant, warehouse, base + (1 if i < extra else 0), days_ago)
        for variant in dead:
            history.receive(variant, rng.choice(warehouses), rng.randint(3, 25), days_ago=200)
        # Transfers of the best sellers from the first warehouse to the others.
        for variant in sellers[:TRANSFERS]:
            source = warehouses[0]
            level = StockLevel.objects.filter(variant=variant, warehouse=source).first()
            free = level.available if level else 0
            if free >= 4:
                history.transfer(
                    variant, source, rng.choice(warehouses[1:]), free // 4, days_ago=rng.randint(20, 60)
                )
        # Selling out in the first warehouse while the last one holds plenty: rebalancing, alerts.
        for variant in sellers[TRANSFERS : TRANSFERS + SHORTAGES]:
            source, short = warehouses[-1], warehouses[0]
            history.receive(variant, source, rng.randint(120, 200), days_ago=100)
            history.receive(variant, short, 40, days_ago=100)
            for days_ago in (20, 12, 6):
                history.sell(variant, short, rng.randint(8, 12), days_ago)
            # The last order leaves 0 to 2 units.
            left = StockLevel.objects.get(variant=variant, warehouse=short).available - rng.randint(0, 2)
            if left > 0:
                history.sell(variant, short, left, days_ago=2)
        evaluate_alerts()
        open_alerts = list(
            StockAlert.objects.filter(status=AlertStatus.OPEN).order_by("pk").values_list("pk", flat=True)
        )
        chosen = rng.sample(open_alerts, len(open_alerts) // 3)
        acknowledged = acknowledge_alerts(alerts=chosen, user=admin) if admin is not None else 0
    return {**history.counts, "alerts": len(open_alerts), "acknowledged": acknowledged}
