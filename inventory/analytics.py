"""Inventory reports: ABC analysis, stock valuation, turnover, dead stock, movements, rebalancing.

Each report is a plain function returning dataclasses, built from one or a few aggregate queries
whatever the number of variants: sums, groupings, running totals and "last movement" look-ups
happen in SQL; Python only folds the already aggregated rows (into category roots, ABC classes,
transfer matches).

Conventions shared by every report:

- **Sales** are ledger rows of kind ``sale`` (``MovementKind.SALE``, "Sale / shipment": what
  ``services.consume`` writes when an order's goods leave the building). Returns are not netted.
- **Revenue** is units sold x the variant's *current* list price. There are no orders yet to carry
  the price actually charged; when they exist, revenue should come from their lines.
- **Value** is units x the variant's *current* cost price (no historic cost layers). Every variant
  is priced in lira (TRY).
- **Past stock** comes from the ledger: stock at time t = stock now - the sum of the movements
  after t (one aggregate query, however far back t is).
- **Periods** are whole days in Europe/Istanbul (the shop's day), from the start date to the end
  date inclusive: ``[start 00:00, end + 1 day 00:00)`` local time.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory import replenishment
from inventory.models import (
    Category,
    MovementKind,
    StockLevel,
    StockMovement,
    SupplierItem,
    TransferLine,
    TransferStatus,
    Variant,
    Warehouse,
)

REPORT_TZ = ZoneInfo("Europe/Istanbul")
ZERO = Decimal("0")
HUNDRED = Decimal("100")
MONEY = models.DecimalField(max_digits=20, decimal_places=2)

# Stock leaving a warehouse for good or for another warehouse: what keeps stock "alive".
OUTGOING_KINDS = (MovementKind.SALE, MovementKind.TRANSFER_OUT)


def local_range(start: date, end: date) -> tuple[datetime, datetime]:
    """``[start 00:00, end + 1 day 00:00)`` in Istanbul time: the dates ``start`` to ``end`` inclusive."""
    return (
        datetime.combine(start, time.min, tzinfo=REPORT_TZ),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=REPORT_TZ),
    )


def local_today() -> date:
    return timezone.localtime(timezone.now(), REPORT_TZ).date()


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal:
    return Decimal(part) * HUNDRED / Decimal(whole) if whole else ZERO


class _RunningSum(Func):
    """``SUM(x)`` usable in a window over an aggregate (``SUM(SUM(x)) OVER (...)``); Django's own
    ``Sum`` refuses an aggregate as its argument."""

    function = "SUM"
    window_compatible = True


def _category_tree() -> tuple[dict[int, int], dict[int, str]]:
    """(category id -> its top-level category id, category id -> "Root › Child" path); one query.

    The tree is small (see ``selectors.category_ids_with_descendants``), so it is walked in Python.
    """
    nodes = {
        pk: (name, parent) for pk, name, parent in Category.objects.values_list("pk", "name", "parent_id")
    }
    roots: dict[int, int] = {}
    paths: dict[int, str] = {}
    for pk in nodes:
        chain, seen, node = [], set(), pk
        while node is not None and node not in seen:
            seen.add(node)
            chain.append(node)
            node = nodes[node][1]
        roots[pk] = chain[-1]
        paths[pk] = " › ".join(nodes[n][0] for n in reversed(chain))
    return roots, paths


# --- ABC analysis ---------------------------------------------------------------------------------


class Measure(models.TextChoices):
    REVENUE = "revenue", _("Revenue")
    QUANTITY = "quantity", _("Units sold")


ABC_DEFAULT = (80, 15, 5)


@dataclass(frozen=True)
class AbcRow:
    variant_id: int
    sku: str
    product: str
    warehouse: str  # warehouse code when the analysis is per warehouse, else ""
    units: int
    revenue: Decimal
    share: Decimal  # percent of the total (of the chosen measure)
    cumulative: Decimal  # running share including this row, percent
    abc_class: str


@dataclass
class AbcClass:
    name: str
    items: int = 0
    units: int = 0
    revenue: Decimal = ZERO
    item_share: Decimal = ZERO  # percent of all items
    value_share: Decimal = ZERO  # percent of the total measure


@dataclass
class AbcReport:
    start: date
    end: date
    measure: str
    thresholds: tuple[int, int, int]
    rows: list[AbcRow]
    classes: list[AbcClass]
    units: int
    revenue: Decimal

    @property
    def items(self) -> int:
        return len(self.rows)


def abc_class(share_before: Decimal, thresholds: tuple[int, int, int]) -> str:
    """The class of an item whose predecessors (larger items) already make ``share_before`` percent.

    An item belongs to the first class whose boundary had not been reached when it was added, so
    the item that crosses 80% is still an A item, and the biggest item is always A.
    """
    a, b, _c = thresholds
    if share_before < a:
        return "A"
    if share_before < a + b:
        return "B"
    return "C"


def abc_analysis(
    *,
    start: date,
    end: date,
    measure: str = Measure.REVENUE,
    thresholds: tuple[int, int, int] = ABC_DEFAULT,
    warehouse: Warehouse | None = None,
    per_warehouse: bool = False,
    category_ids: Iterable[int] | None = None,
) -> AbcReport:
    """Classify variants (or variant x warehouse when ``per_warehouse`` or a warehouse is given)
    by their share of sales in ``[start, end]``: A the few that make the first ``thresholds[0]``
    percent, B the next ``thresholds[1]``, C the rest (including active variants that sold nothing).

    Revenue is units x current list price (see the module docstring). One query: sales are summed
    per row through a filtered LEFT JOIN, and the running total is a window over those sums.
    """
    since, until = local_range(start, end)
    by_level = per_warehouse or warehouse is not None
    if by_level:
        sales = Q(
            variant__movements__kind=MovementKind.SALE,
            variant__movements__warehouse=F("warehouse"),
            variant__movements__created_at__gte=since,
            variant__movements__created_at__lt=until,
        )
        rows = StockLevel.objects.alias(sales=FilteredRelation("variant__movements", condition=sales))
        if warehouse is not None:
            rows = rows.filter(warehouse=warehouse)
        price, prefix = F("variant__list_price"), "variant__"
        keys = ["variant_id", "variant__sku", "variant__product__name", "warehouse__code"]
        order = ["variant__sku", "warehouse__code"]
    else:
        sales = Q(
            movements__kind=MovementKind.SALE,
            movements__created_at__gte=since,
            movements__created_at__lt=until,
        )
        rows = Variant.objects.alias(sales=FilteredRelation("movements", condition=sales))
        price, prefix = F("list_price"), ""
        keys = ["pk", "sku", "product__name"]
        order = ["sku"]
    if category_ids is not None:
        rows = rows.filter(**{f"{prefix}product__category_id__in": list(category_ids)})
    rows = (
        rows.values(*keys)
        .annotate(
            units=Coalesce(Sum(-F("sales__on_hand_delta")), 0),
            revenue=Coalesce(Sum(-F("sales__on_hand_delta") * price, output_field=MONEY), Value(ZERO)),
        )
        .filter(Q(**{f"{prefix}is_active": True}) | Q(units__gt=0))
    )
    value = "revenue" if measure == Measure.REVENUE else "units"
    output = MONEY if value == "revenue" else IntegerField()
    ordering = [F(value).desc(), *(F(k).asc() for k in order)]
    rows = rows.annotate(
        running=Window(_RunningSum(F(value), output_field=output), order_by=ordering),
        grand_total=Window(_RunningSum(F(value), output_field=output)),
    ).order_by(*ordering)

    result: list[AbcRow] = []
    classes = {name: AbcClass(name) for name in "ABC"}
    total_units, total_revenue = 0, ZERO
    for row in rows:
        total = row["grand_total"] or 0
        amount = row[value]
        cumulative = percent(row["running"], total)
        share = percent(amount, total)
        # Nothing sold at all: nothing is an A item.
        name = abc_class(cumulative - share, thresholds) if total else "C"
        result.append(
            AbcRow(
                variant_id=row.get("variant_id", row.get("pk")),
                sku=row.get("variant__sku", row.get("sku")),
                product=row.get("variant__product__name", row.get("product__name")),
                warehouse=row.get("warehouse__code", ""),
                units=row["units"],
                revenue=row["revenue"],
                share=share,
                cumulative=cumulative if total else ZERO,
                abc_class=name,
            )
        )
        summary = classes[name]
        summary.items += 1
        summary.units += row["units"]
        summary.revenue += row["revenue"]
        total_units += row["units"]
        total_revenue += row["revenue"]
    grand = total_revenue if value == "revenue" else total_units
    for summary in classes.values():
        summary.item_share = percent(summary.items, len(result))
        summary.value_share = percent(summary.revenue if value == "revenue" else summary.units, grand)
    return AbcReport(
        start=start,
        end=end,
        measure=measure,
        thresholds=tuple(thresholds),
        rows=result,
        classes=list(classes.values()),
        units=total_units,
        revenue=total_revenue,
    )


# --- Stock valuation ------------------------------------------------------------------------------


@dataclass
class ValuationLine:
    key: int | None
    label: str
    units: int = 0
    value: Decimal = ZERO
    quarantined_units: int = 0
    quarantined_value: Decimal = ZERO

    def add(self, units: int, value: Decimal, quarantined_units: int, quarantined_value: Decimal) -> None:
        self.units += units
        self.value += value
        self.quarantined_units += quarantined_units
        self.quarantined_value += quarantined_value

    @property
    def total_value(self) -> Decimal:
        return self.value + self.quarantined_value


@dataclass
class Valuation:
    as_of: datetime | None  # None: now
    by_warehouse: list[ValuationLine]
    by_category: list[ValuationLine]
    total: ValuationLine


def _valuation_sums(rows, units: str, quarantined: str, cost: str) -> dict[tuple[int, int], tuple]:
    keyed = rows.values("warehouse_id", "variant__product__category_id").annotate(
        u=Coalesce(Sum(units), 0),
        v=Coalesce(Sum(F(units) * F(cost), output_field=MONEY), Value(ZERO)),
        qu=Coalesce(Sum(quarantined), 0),
        qv=Coalesce(Sum(F(quarantined) * F(cost), output_field=MONEY), Value(ZERO)),
    )
    return {
        (r["warehouse_id"], r["variant__product__category_id"]): (r["u"], r["v"], r["qu"], r["qv"])
        for r in keyed
    }


def stock_valuation(
    *,
    as_of: datetime | None = None,
    warehouse: Warehouse | None = None,
    category_ids: Iterable[int] | None = None,
) -> Valuation:
    """On-hand and quarantined stock at cost, per warehouse and per top-level category, with totals.

    ``as_of`` (a past moment): today's levels minus the sum of the ledger rows after it, grouped the
    same way; one more aggregate query. Values use today's cost prices.
    """
    levels = StockLevel.objects.all()
    movements = StockMovement.objects.filter(created_at__gt=as_of) if as_of else None
    if warehouse is not None:
        levels = levels.filter(warehouse=warehouse)
        movements = movements.filter(warehouse=warehouse) if movements is not None else None
    if category_ids is not None:
        ids = list(category_ids)
        levels = levels.filter(variant__product__category_id__in=ids)
        movements = movements.filter(variant__product__category_id__in=ids) if movements is not None else None
    sums = _valuation_sums(levels, "on_hand", "quarantined", "variant__cost_price")
    if movements is not None:
        for key, (u, v, qu, qv) in _valuation_sums(
            movements, "on_hand_delta", "quarantined_delta", "variant__cost_price"
        ).items():
            now = sums.get(key, (0, ZERO, 0, ZERO))
            sums[key] = (now[0] - u, now[1] - v, now[2] - qu, now[3] - qv)

    roots, paths = _category_tree()
    names = dict(Warehouse.objects.values_list("pk", "code"))
    by_warehouse: dict[int, ValuationLine] = {}
    by_category: dict[int, ValuationLine] = {}
    total = ValuationLine(None, str(_("Total")))
    for (warehouse_id, category_id), figures in sums.items():
        if not any(figures):
            continue
        root = roots[category_id]
        by_warehouse.setdefault(warehouse_id, ValuationLine(warehouse_id, names[warehouse_id])).add(*figures)
        by_category.setdefault(root, ValuationLine(root, paths[root])).add(*figures)
        total.add(*figures)
    return Valuation(
        as_of=as_of,
        by_warehouse=sorted(by_warehouse.values(), key=lambda line: (-line.total_value, line.label)),
        by_category=sorted(by_category.values(), key=lambda line: (-line.total_value, line.label)),
        total=total,
    )


# --- Turnover -------------------------------------------------------------------------------------


class TurnoverGroup(models.TextChoices):
    CATEGORY = "category", _("Category")
    VARIANT = "variant", _("Variant")


class TurnoverOrder(models.TextChoices):
    TURNOVER = "turnover", _("Turnover, highest first")
    SLOWEST = "slowest", _("Turnover, lowest first")
    DAYS = "days", _("Days of inventory, most first")
    COGS = "cogs", _("Cost of goods sold")
    VALUE = "value", _("Average inventory value")


@dataclass
class TurnoverRow:
    key: int | None
    label: str
    detail: str = ""  # the product name of a variant row
    units_sold: int = 0
    cogs: Decimal = ZERO
    start_value: Decimal = ZERO
    end_value: Decimal = ZERO
    days: int = 1

    @property
    def average_value(self) -> Decimal:
        return (self.start_value + self.end_value) / 2

    @property
    def turnover(self) -> Decimal | None:
        """Times the average inventory was sold in the period (None: no inventory to turn)."""
        return self.cogs / self.average_value if self.average_value > 0 else None

    @property
    def days_of_inventory(self) -> Decimal | None:
        """How many days the average inventory lasts at the period's rate of sale (None: no sales)."""
        return self.average_value / self.cogs * self.days if self.cogs > 0 else None


@dataclass
class TurnoverReport:
    start: date
    end: date
    days: int
    group: str
    rows: list[TurnoverRow]
    total: TurnoverRow


def _sort_turnover(rows: list[TurnoverRow], order: str) -> list[TurnoverRow]:
    big = Decimal("1e30")
    keys = {
        TurnoverOrder.TURNOVER: lambda r: (-(r.turnover if r.turnover is not None else -big), r.label),
        TurnoverOrder.SLOWEST: lambda r: (r.turnover if r.turnover is not None else big, r.label),
        TurnoverOrder.DAYS: lambda r: (
            -(r.days_of_inventory if r.days_of_inventory is not None else big),
            r.label,
        ),
        TurnoverOrder.COGS: lambda r: (-r.cogs, r.label),
        TurnoverOrder.VALUE: lambda r: (-r.average_value, r.label),
    }
    return sorted(rows, key=keys.get(order, keys[TurnoverOrder.TURNOVER]))


def turnover(
    *,
    start: date,
    end: date,
    group: str = TurnoverGroup.CATEGORY,
    order: str = TurnoverOrder.TURNOVER,
    warehouse: Warehouse | None = None,
    category_ids: Iterable[int] | None = None,
) -> TurnoverReport:
    """Inventory turnover over ``[start, end]`` per category (the product's own) or per variant.

    turnover = cost of goods sold / average inventory value, average = (value at start + value at
    end) / 2, both from the ledger (physical stock: on hand + quarantined, at today's cost);
    days of inventory = average / COGS x days in the period. Two aggregate queries (levels now,
    movements since the start), merged per group.
    """
    since, until = local_range(start, end)
    days = (end - start).days + 1
    key = "variant_id" if group == TurnoverGroup.VARIANT else "variant__product__category_id"
    levels = StockLevel.objects.all()
    movements = StockMovement.objects.filter(created_at__gte=since)
    if warehouse is not None:
        levels, movements = levels.filter(warehouse=warehouse), movements.filter(warehouse=warehouse)
    if category_ids is not None:
        ids = list(category_ids)
        levels = levels.filter(variant__product__category_id__in=ids)
        movements = movements.filter(variant__product__category_id__in=ids)
    labels = ["variant__sku", "variant__product__name"] if group == TurnoverGroup.VARIANT else []
    cost = F("variant__cost_price")
    now_values = levels.values(key, *labels).annotate(
        value=Coalesce(Sum((F("on_hand") + F("quarantined")) * cost, output_field=MONEY), Value(ZERO))
    )
    physical = (F("on_hand_delta") + F("quarantined_delta")) * cost
    sold = Q(kind=MovementKind.SALE, created_at__lt=until)
    changes = movements.values(key, *labels).annotate(
        after_start=Coalesce(Sum(physical, output_field=MONEY), Value(ZERO)),
        after_end=Coalesce(Sum(physical, filter=Q(created_at__gte=until), output_field=MONEY), Value(ZERO)),
        units=Coalesce(Sum(-F("on_hand_delta"), filter=sold), 0),
        cogs=Coalesce(Sum(-F("on_hand_delta") * cost, filter=sold, output_field=MONEY), Value(ZERO)),
    )
    paths = _category_tree()[1] if group == TurnoverGroup.CATEGORY else {}

    rows: dict[int, TurnoverRow] = {}

    def row_for(record: dict) -> TurnoverRow:
        pk = record[key]
        if pk not in rows:
            if group == TurnoverGroup.VARIANT:
                rows[pk] = TurnoverRow(
                    pk, record["variant__sku"], record["variant__product__name"], days=days
                )
            else:
                rows[pk] = TurnoverRow(pk, paths.get(pk, "?"), days=days)
        return rows[pk]

    for record in now_values:
        line = row_for(record)
        line.start_value += record["value"]
        line.end_value += record["value"]
    for record in changes:
        line = row_for(record)
        line.start_value -= record["after_start"]
        line.end_value -= record["after_end"]
        line.units_sold += record["units"]
        line.cogs += record["cogs"]
    kept = [r for r in rows.values() if r.cogs or r.start_value or r.end_value]
    total = TurnoverRow(None, str(_("Total")), days=days)
    for line in kept:
        total.units_sold += line.units_sold
        total.cogs += line.cogs
        total.start_value += line.start_value
        total.end_value += line.end_value
    return TurnoverReport(start, end, days, group, _sort_turnover(kept, order), total)


# --- Dead stock -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadStockRow:
    variant_id: int
    sku: str
    product: str
    warehouse: str
    on_hand: int
    cost_price: Decimal
    value: Decimal
    last_outgoing: datetime | None  # last sale or transfer out, ever (None: never)
    last_movement: datetime | None  # last ledger row of any kind


@dataclass
class DeadStockReport:
    days: int
    cutoff: datetime
    rows: list[DeadStockRow]  # the largest values first, at most ``limit``
    count: int  # every dead level, not only the rows shown
    units: int
    value: Decimal


def dead_stock(
    *,
    days: int = 90,
    warehouse: Warehouse | None = None,
    category_ids: Iterable[int] | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> DeadStockReport:
    """Stock levels (a variant in a warehouse) with units on hand and no sale or transfer out in
    the last ``days`` days, by value tied up (on hand x cost).

    Per level rather than per variant: units that sell in Istanbul but sit still in Izmir are dead
    in Izmir, and a transfer is the cure. A movement exactly ``days`` days ago still counts as
    recent. Two queries: the rows (top ``limit``) and the totals.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    outgoing = StockMovement.objects.filter(
        variant_id=OuterRef("variant_id"), warehouse_id=OuterRef("warehouse_id"), kind__in=OUTGOING_KINDS
    )
    ledger = StockMovement.objects.filter(
        variant_id=OuterRef("variant_id"), warehouse_id=OuterRef("warehouse_id")
    )
    levels = StockLevel.objects.filter(on_hand__gt=0).filter(~Exists(outgoing.filter(created_at__gte=cutoff)))
    if warehouse is not None:
        levels = levels.filter(warehouse=warehouse)
    if category_ids is not None:
        levels = levels.filter(variant__product__category_id__in=list(category_ids))
    value = F("on_hand") * F("variant__cost_price")
    totals = levels.aggregate(
        count=Count("pk"),
        units=Coalesce(Sum("on_hand"), 0),
        value=Coalesce(Sum(value, output_field=MONEY), Value(ZERO)),
    )
    listed = (
        levels.annotate(
            value=value,
            last_outgoing=Subquery(outgoing.order_by("-created_at").values("created_at")[:1]),
            last_movement=Subquery(ledger.order_by("-created_at").values("created_at")[:1]),
        )
        .order_by("-value", "variant__sku", "warehouse__code")
        .values_list(
            "variant_id",
            "variant__sku",
            "variant__product__name",
            "warehouse__code",
            "on_hand",
            "variant__cost_price",
            "value",
            "last_outgoing",
            "last_movement",
        )
    )
    if limit is not None:
        listed = listed[:limit]
    return DeadStockReport(
        days=days,
        cutoff=cutoff,
        rows=[DeadStockRow(*row) for row in listed],
        count=totals["count"],
        units=totals["units"],
        value=totals["value"],
    )


# --- Movements ------------------------------------------------------------------------------------


class Period(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")


@dataclass
class MovementLine:
    kind: str
    label: str
    units_in: int = 0
    units_out: int = 0
    movements: int = 0

    @property
    def net(self) -> int:
        return self.units_in - self.units_out


@dataclass
class MovementBucket:
    start: date
    lines: list[MovementLine] = field(default_factory=list)

    @property
    def units_in(self) -> int:
        return sum(line.units_in for line in self.lines)

    @property
    def units_out(self) -> int:
        return sum(line.units_out for line in self.lines)

    @property
    def movements(self) -> int:
        return sum(line.movements for line in self.lines)


@dataclass
class MovementReport:
    start: date
    end: date
    period: str
    buckets: list[MovementBucket]  # every period of the range, empty ones too
    kinds: list[MovementLine]  # totals per kind

    @property
    def units_in(self) -> int:
        return sum(line.units_in for line in self.kinds)

    @property
    def units_out(self) -> int:
        return sum(line.units_out for line in self.kinds)

    @property
    def movements(self) -> int:
        return sum(line.movements for line in self.kinds)


def period_start(day: date, period: str) -> date:
    if period == Period.WEEK:
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday, as TruncWeek
    if period == Period.MONTH:
        return day.replace(day=1)
    return day


def _next_period(day: date, period: str) -> date:
    if period == Period.WEEK:
        return day + timedelta(days=7)
    if period == Period.MONTH:
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def movement_report(
    *,
    start: date,
    end: date,
    period: str = Period.DAY,
    warehouse: Warehouse | None = None,
    kind: str | None = None,
) -> MovementReport:
    """Units in and out per kind of movement, per day, week (from Monday) or month, in Istanbul time.

    A movement's units are its change of sellable stock; a movement that only touches quarantine
    (scrap) counts its quarantine change. So "into quarantine" is out of sellable stock and
    "out of quarantine" is back in. One aggregate query.
    """
    since, until = local_range(start, end)
    truncate = {Period.DAY: TruncDate, Period.WEEK: TruncWeek, Period.MONTH: TruncMonth}[period]
    rows = StockMovement.objects.filter(created_at__gte=since, created_at__lt=until)
    if warehouse is not None:
        rows = rows.filter(warehouse=warehouse)
    if kind:
        rows = rows.filter(kind=kind)
    units = Case(When(on_hand_delta=0, then=F("quarantined_delta")), default=F("on_hand_delta"))
    rows = (
        rows.alias(units=units)
        .annotate(bucket=truncate("created_at", tzinfo=REPORT_TZ))
        .values("bucket", "kind")
        .annotate(
            units_in=Coalesce(Sum("units", filter=Q(units__gt=0)), 0),
            units_out=Coalesce(Sum(-F("units"), filter=Q(units__lt=0)), 0),
            movements=Count("pk"),
        )
        .order_by("bucket", "kind")
    )
    labels = dict(MovementKind.choices)
    buckets: dict[date, MovementBucket] = {}
    day = period_start(start, period)
    while day <= end:
        buckets[day] = MovementBucket(day)
        day = _next_period(day, period)
    kinds: dict[str, MovementLine] = {}
    for row in rows:
        bucket = row["bucket"]
        if isinstance(bucket, datetime):
            bucket = bucket.astimezone(REPORT_TZ).date()
        line = MovementLine(row["kind"], str(labels.get(row["kind"], row["kind"])))
        line.units_in, line.units_out, line.movements = row["units_in"], row["units_out"], row["movements"]
        buckets.setdefault(bucket, MovementBucket(bucket)).lines.append(line)
        total = kinds.setdefault(line.kind, MovementLine(line.kind, line.label))
        total.units_in += line.units_in
        total.units_out += line.units_out
        total.movements += line.movements
    return MovementReport(
        start=start,
        end=end,
        period=period,
        buckets=[buckets[d] for d in sorted(buckets)],
        kinds=sorted(kinds.values(), key=lambda line: MovementKind.values.index(line.kind)),
    )


# --- Rebalancing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RebalanceSuggestion:
    variant_id: int
    sku: str
    product: str
    source_id: int
    source: str
    destination_id: int
    destination: str
    quantity: int
    source_available: int
    source_daily: Decimal
    source_keeps: int  # what the source keeps for itself (its own need)
    destination_available: int
    destination_incoming: int  # on open transfers (requested or in transit)
    destination_daily: Decimal
    destination_reorder_point: int

    @property
    def source_cover(self) -> Decimal | None:
        """Days the source's available stock lasts at its rate of sale (None: it sells nothing)."""
        return Decimal(self.source_available) / self.source_daily if self.source_daily else None

    @property
    def destination_cover(self) -> Decimal:
        return Decimal(self.destination_available + self.destination_incoming) / self.destination_daily


@dataclass
class _Place:
    warehouse_id: int
    code: str
    available: int
    daily: Decimal
    incoming: int
    reorder: replenishment.ReorderPoint | None

    @property
    def cover(self) -> Decimal | None:
        return Decimal(self.available + self.incoming) / self.daily if self.daily else None


@dataclass
class RebalancingReport:
    rows: list[RebalanceSuggestion]

    @property
    def quantity(self) -> int:
        return sum(s.quantity for s in self.rows)


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def incoming_transfers() -> dict[tuple[int, int], int]:
    """Units on transfers requested or in transit, per (variant id, destination warehouse id)."""
    lines = (
        TransferLine.objects.filter(transfer__status__in=[TransferStatus.REQUESTED, TransferStatus.SHIPPED])
        .values("variant_id", "transfer__destination_id")
        .annotate(units=Sum("quantity"))
    )
    return {(r["variant_id"], r["transfer__destination_id"]): r["units"] for r in lines}


def rebalancing_suggestions(
    *,
    window_days: int = replenishment.DEMAND_WINDOW_DAYS,
    surplus_days: int = 60,
    warehouse: Warehouse | None = None,
    category_ids: Iterable[int] | None = None,
) -> list[RebalanceSuggestion]:
    """Transfers that would move surplus stock to where it runs short, per variant.

    Rate of sale per warehouse: sale units over the last ``window_days`` days. A warehouse is
    short when it sells the variant and its available + incoming stock is below its reorder point
    (``replenishment.reorder_point``: lead time and reliability of the preferred supplier); it
    wants enough to reach reorder point + lead-time demand, like a purchase suggestion would. A
    warehouse has surplus when its available stock covers more than ``surplus_days`` days of its
    own sales (or it sells none); it keeps the larger of ``surplus_days`` of its own sales and its
    own reorder point + lead-time demand, and only the rest may leave. The most urgent
    destinations (fewest days of cover) are served first, from the source with most to spare.

    ``warehouse`` keeps the suggestions from or to that warehouse. A few queries: demand, levels,
    preferred suppliers, open transfers.
    """
    variant_ids = None
    if category_ids is not None:
        variant_ids = list(
            Variant.objects.filter(product__category_id__in=list(category_ids)).values_list("pk", flat=True)
        )
    demand = replenishment.daily_demand(variant_ids=variant_ids, days=window_days)
    selling = sorted({v for (v, _w), d in demand.items() if d > 0})
    if not selling:
        return []
    levels = (
        StockLevel.objects.filter(variant_id__in=selling, warehouse__is_active=True, variant__is_active=True)
        .order_by("variant_id", "warehouse__priority", "warehouse__code")
        .values_list(
            "variant_id",
            "warehouse_id",
            "warehouse__code",
            "on_hand",
            "reserved",
            "variant__sku",
            "variant__product__name",
        )
    )
    suppliers = {
        item.variant_id: item.supplier
        for item in SupplierItem.objects.filter(is_preferred=True, variant_id__in=selling).select_related(
            "supplier"
        )
    }
    incoming = incoming_transfers()
    places: dict[int, list[_Place]] = defaultdict(list)
    names: dict[int, tuple[str, str]] = {}
    for variant_id, warehouse_id, code, on_hand, reserved, sku, product in levels:
        names[variant_id] = (sku, product)
        daily = demand.get((variant_id, warehouse_id), ZERO)
        supplier = suppliers.get(variant_id)
        reorder = (
            replenishment.reorder_point(
                daily_demand=daily,
                lead_time_days=supplier.lead_time_days if supplier else replenishment.DEFAULT_LEAD_TIME_DAYS,
                reliability=supplier.reliability if supplier else replenishment.DEFAULT_RELIABILITY,
            )
            if daily > 0
            else None
        )
        places[variant_id].append(
            _Place(
                warehouse_id,
                code,
                on_hand - reserved,
                daily,
                incoming.get((variant_id, warehouse_id), 0),
                reorder,
            )
        )

    suggestions: list[RebalanceSuggestion] = []
    for variant_id, here in places.items():
        wants: list[tuple[_Place, int]] = []
        spares: list[tuple[_Place, int, int]] = []
        for place in here:
            reorder = place.reorder
            position = place.available + place.incoming
            if reorder is not None and position < reorder.reorder_point:
                wants.append((place, reorder.reorder_point + math.ceil(reorder.lead_time_demand) - position))
                continue
            cover = Decimal(place.available) / place.daily if place.daily else None
            if place.available > 0 and (cover is None or cover > surplus_days):
                own = _ceil(place.daily * surplus_days)
                if reorder is not None:
                    own = max(own, reorder.reorder_point + math.ceil(reorder.lead_time_demand))
                if place.available > own:
                    spares.append((place, place.available - own, own))
        if not wants or not spares:
            continue
        wants.sort(key=lambda w: (w[0].cover, w[0].code))
        spare_left = {place.warehouse_id: spare for place, spare, _own in spares}
        spares.sort(key=lambda s: (-s[1], s[0].code))
        for destination, want in wants:
            for source, _spare, keeps in spares:
                if want <= 0:
                    break
                quantity = min(want, spare_left[source.warehouse_id])
                if quantity <= 0:
                    continue
                spare_left[source.warehouse_id] -= quantity
                want -= quantity
                sku, product = names[variant_id]
                suggestions.append(
                    RebalanceSuggestion(
                        variant_id=variant_id,
                        sku=sku,
                        product=product,
                        source_id=source.warehouse_id,
                        source=source.code,
                        destination_id=destination.warehouse_id,
                        destination=destination.code,
                        quantity=quantity,
                        source_available=source.available,
                        source_daily=source.daily,
                        source_keeps=keeps,
                        destination_available=destination.available,
                        destination_incoming=destination.incoming,
                        destination_daily=destination.daily,
                        destination_reorder_point=destination.reorder.reorder_point,
                    )
                )
    if warehouse is not None:
        # Matched over every warehouse first, so a filtered view shows the same transfers.
        suggestions = [s for s in suggestions if warehouse.pk in (s.source_id, s.destination_id)]
    suggestions.sort(key=lambda s: (s.destination_cover, -s.quantity, s.sku, s.destination))
    return suggestions
