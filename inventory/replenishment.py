"""Reorder points, order suggestions, automatic draft purchase orders and tiered low-stock alerts.

Reorder point (per variant and warehouse)::

    daily demand   d = units sold (sale movements) in the last 28 days / 28
    lead time      L = the preferred supplier's lead time in days (7 without a supplier)
    demand in L    D = d x L
    safety stock   S = D x (0.25 + (1 - reliability))     reliability of the supplier, 0..1
    reorder point  R = D + S

The seed's example: 100 sold per week (d = 14.29), L = 7 days, a supplier with reliability 0.75:
D = 100, S = 100 x (0.25 + 0.25) = 50, R = 150. A perfectly reliable supplier still gets a quarter
of the lead-time demand as buffer; each 0.1 of unreliability adds a tenth.

Suggested quantity when available + on order <= R: enough to reach R + D (one more lead time of
demand), at least the supplier's minimum order quantity, rounded up to whole packs.

Alert tiers (per variant, else its category): out of stock at available <= 0, critical at
<= ``alert_critical``, approaching at <= ``alert_minimum``. Seasonal categories raise 1.5x earlier.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.models import (
    AlertStatus,
    AlertTier,
    MovementKind,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    StockAlert,
    StockLevel,
    StockMovement,
    SupplierItem,
)
from oms.events import emit

DEMAND_WINDOW_DAYS = 28
DEFAULT_LEAD_TIME_DAYS = 7
DEFAULT_RELIABILITY = Decimal("0.75")
SAFETY_BASE = Decimal("0.25")
SEASONAL_FACTOR = Decimal("1.5")


@dataclass(frozen=True)
class ReorderPoint:
    daily_demand: Decimal
    lead_time_days: int
    lead_time_demand: Decimal
    safety_stock: Decimal
    reorder_point: int


def reorder_point(*, daily_demand: Decimal, lead_time_days: int, reliability: Decimal) -> ReorderPoint:
    """The formula in the module docstring, rounded up to whole units."""
    lead_time_demand = daily_demand * lead_time_days
    safety = lead_time_demand * (SAFETY_BASE + (1 - reliability))
    point = int((lead_time_demand + safety).to_integral_value(rounding=ROUND_CEILING))
    return ReorderPoint(daily_demand, lead_time_days, lead_time_demand, safety, point)


def suggested_quantity(
    *, reorder: ReorderPoint, available: int, on_order: int, minimum_order: int = 1, pack_size: int = 1
) -> int:
    """Units to order now (0 when above the reorder point), respecting MOQ and pack size."""
    position = available + on_order
    if position > reorder.reorder_point:
        return 0
    target = reorder.reorder_point + math.ceil(reorder.lead_time_demand)
    need = max(target - position, minimum_order, 1)
    return math.ceil(need / pack_size) * pack_size


def daily_demand(
    *, variant_ids: list[int] | None = None, days: int = DEMAND_WINDOW_DAYS
) -> dict[tuple[int, int], Decimal]:
    """Average units sold per day over the window, per (variant, warehouse); one aggregate query."""
    since = timezone.now() - timedelta(days=days)
    rows = StockMovement.objects.filter(kind=MovementKind.SALE, created_at__gte=since)
    if variant_ids is not None:
        rows = rows.filter(variant_id__in=variant_ids)
    sold = rows.values("variant_id", "warehouse_id").annotate(units=Sum("on_hand_delta"))
    return {(r["variant_id"], r["warehouse_id"]): Decimal(-r["units"]) / days for r in sold}


def on_order() -> dict[tuple[int, int], int]:
    """Outstanding units on open purchase orders, per (variant, warehouse)."""
    lines = (
        PurchaseOrderLine.objects.filter(
            order__status__in=[
                PurchaseOrderStatus.DRAFT,
                PurchaseOrderStatus.SENT,
                PurchaseOrderStatus.PARTIALLY_RECEIVED,
            ]
        )
        .values("variant_id", "order__warehouse_id")
        .annotate(ordered=Sum("quantity_ordered"), received=Sum("quantity_received"))
    )
    return {(r["variant_id"], r["order__warehouse_id"]): max(r["ordered"] - r["received"], 0) for r in lines}


@dataclass
class Suggestion:
    variant_id: int
    warehouse_id: int
    supplier_id: int | None
    available: int
    on_order: int
    reorder: ReorderPoint
    quantity: int


def reorder_suggestions() -> list[Suggestion]:
    """Every level at or below its reorder point that has demand, with what to order from whom."""
    demand = daily_demand()
    if not demand:
        return []
    preferred = {
        item.variant_id: item
        for item in SupplierItem.objects.filter(
            is_preferred=True, variant_id__in={v for v, _w in demand}
        ).select_related("supplier")
    }
    ordered = on_order()
    levels = StockLevel.objects.filter(variant_id__in={v for v, _w in demand}).values_list(
        "variant_id", "warehouse_id", "on_hand", "reserved"
    )
    suggestions = []
    for variant_id, warehouse_id, on_hand, reserved in levels:
        if (variant_id, warehouse_id) not in demand:
            continue
        item = preferred.get(variant_id)
        supplier = item.supplier if item else None
        point = reorder_point(
            daily_demand=demand[(variant_id, warehouse_id)],
            lead_time_days=supplier.lead_time_days if supplier else DEFAULT_LEAD_TIME_DAYS,
            reliability=supplier.reliability if supplier else DEFAULT_RELIABILITY,
        )
        incoming = ordered.get((variant_id, warehouse_id), 0)
        quantity = suggested_quantity(
            reorder=point,
            available=on_hand - reserved,
            on_order=incoming,
            minimum_order=supplier.minimum_order_quantity if supplier else 1,
            pack_size=supplier.pack_size if supplier else 1,
        )
        if quantity:
            suggestions.append(
                Suggestion(
                    variant_id,
                    warehouse_id,
                    supplier.pk if supplier else None,
                    on_hand - reserved,
                    incoming,
                    point,
                    quantity,
                )
            )
    return suggestions


@transaction.atomic
def draft_purchase_orders(*, user=None) -> dict:
    """Beat job: one draft purchase order per supplier and warehouse for every suggestion with a
    preferred supplier; the rest is announced as ``stock.reorder_needed`` for purchasing."""
    from inventory.models import Supplier, Variant, Warehouse
    from inventory.purchasing import OrderLineInput, create_purchase_order

    groups: dict[tuple[int, int], list[Suggestion]] = defaultdict(list)
    unsourced = []
    for suggestion in reorder_suggestions():
        if suggestion.supplier_id is None:
            unsourced.append(suggestion)
        else:
            groups[(suggestion.supplier_id, suggestion.warehouse_id)].append(suggestion)
    variants = Variant.objects.in_bulk([s.variant_id for group in groups.values() for s in group])
    orders = []
    for (supplier_id, warehouse_id), suggestions in sorted(groups.items()):
        orders.append(
            create_purchase_order(
                supplier=Supplier.objects.get(pk=supplier_id),
                warehouse=Warehouse.objects.get(pk=warehouse_id),
                lines=[OrderLineInput(variants[s.variant_id], s.quantity) for s in suggestions],
                user=user,
                note="Drafted automatically at the reorder point.",
            )
        )
    for suggestion in unsourced:
        level = StockLevel.objects.get(variant_id=suggestion.variant_id, warehouse_id=suggestion.warehouse_id)
        emit(
            "stock.reorder_needed",
            subject=level,
            data={
                "quantity": suggestion.quantity,
                "reorder_point": suggestion.reorder.reorder_point,
                "available": suggestion.available,
            },
        )
    return {"purchase_orders": [o.number for o in orders], "unsourced": len(unsourced)}


# --- Alerts ---------------------------------------------------------------------------------------


def _thresholds(level: StockLevel) -> tuple[int, int]:
    variant = level.variant
    category = variant.product.category
    minimum = variant.alert_minimum if variant.alert_minimum is not None else category.alert_minimum
    critical = variant.alert_critical if variant.alert_critical is not None else category.alert_critical
    if category.seasonal:
        minimum = int((minimum * SEASONAL_FACTOR).to_integral_value(rounding=ROUND_CEILING))
        critical = int((critical * SEASONAL_FACTOR).to_integral_value(rounding=ROUND_CEILING))
    return minimum, critical


def tier_for(available: int, *, minimum: int, critical: int) -> tuple[str | None, int]:
    """(tier, threshold) for an available quantity, or (None, 0) when stock is fine."""
    if available <= 0:
        return AlertTier.OUT_OF_STOCK, 0
    if available <= critical:
        return AlertTier.CRITICAL, critical
    if available <= minimum:
        return AlertTier.APPROACHING, minimum
    return None, 0


@transaction.atomic
def evaluate_alerts(*, pairs: list[tuple[int, int]] | None = None) -> dict[str, int]:
    """Open the alert of each level's current tier (once), resolve its alerts of other tiers.

    ``pairs`` are the (variant id, warehouse id) a stock change touched; without them (the beat
    job) every level that is low or has an open alert is looked at, found with SQL.
    """
    levels = StockLevel.objects.select_related("variant__product__category").filter(variant__is_active=True)
    if pairs is not None:
        if not pairs:
            return {"raised": 0, "resolved": 0}
        # By the ids on each side, then exactly in Python: an OR of one condition per pair grows
        # with the pairs (a bulk change touches thousands; SQLite refuses that deep an expression).
        wanted = set(pairs)
        levels = levels.filter(
            variant_id__in={v for v, _w in wanted}, warehouse_id__in={w for _v, w in wanted}
        )
    else:
        wanted = None
        minimum = Coalesce("variant__alert_minimum", "variant__product__category__alert_minimum")
        with_open_alert = StockAlert.objects.filter(status=AlertStatus.OPEN).values("variant_id")
        # Upper bound of any threshold (seasonal categories raise 1.5x earlier); exact tiers in Python.
        levels = levels.alias(minimum=minimum).filter(
            Q(on_hand__lte=F("reserved") + F("minimum") * SEASONAL_FACTOR) | Q(variant_id__in=with_open_alert)
        )
    levels = [
        level
        for level in levels.order_by("pk")
        if wanted is None or (level.variant_id, level.warehouse_id) in wanted
    ]
    open_alerts: dict[tuple[int, int], dict[str, StockAlert]] = defaultdict(dict)
    for alert in (
        StockAlert.objects.select_for_update()
        .filter(status=AlertStatus.OPEN, variant_id__in={lv.variant_id for lv in levels})
        .order_by("pk")
    ):
        open_alerts[(alert.variant_id, alert.warehouse_id)][alert.tier] = alert
    raised = resolved = 0
    now = timezone.now()
    for level in levels:
        minimum, critical = _thresholds(level)
        tier, threshold = tier_for(level.available, minimum=minimum, critical=critical)
        current = open_alerts.get((level.variant_id, level.warehouse_id), {})
        for other_tier, alert in current.items():
            if other_tier != tier:
                StockAlert.objects.filter(pk=alert.pk).update(status=AlertStatus.RESOLVED, resolved_at=now)
                resolved += 1
        if tier and tier not in current:
            try:
                with transaction.atomic():
                    alert = StockAlert.objects.create(
                        variant_id=level.variant_id,
                        warehouse_id=level.warehouse_id,
                        tier=tier,
                        available=level.available,
                        threshold=threshold,
                    )
            except IntegrityError:  # a concurrent evaluation raised the same alert first
                continue
            emit(
                f"stock.{tier}",
                subject=alert,
                data={"available": level.available, "threshold": threshold},
                message=f"{level.variant.sku}: {level.available}",
            )
            raised += 1
    return {"raised": raised, "resolved": resolved}


def alert_counts() -> dict[str, int]:
    """Open alerts per tier, for the dashboard and the alert list header."""
    rows = StockAlert.objects.filter(status=AlertStatus.OPEN).values("tier").annotate(n=Count("pk"))
    return {r["tier"]: r["n"] for r in rows}
