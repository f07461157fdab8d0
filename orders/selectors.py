"""Read queries of the order pages (list, detail, CSV export); the views and reports share them.

Each returns a bounded, fixed number of queries whatever the size of the order: the list joins its
channel and customer, the detail reads lines, allocations, decisions, queue items and the timeline
once each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from inventory.models import Warehouse
from oms.events import timeline_for
from orders.models import (
    AllocationDecision,
    Order,
    OrderAllocation,
    OrderLine,
    QueueItem,
    SavedView,
)

LIST_ORDERING = ("-created_at", "-id")
EXPORT_CHUNK = 1000
TIMELINE_LIMIT = 200
DECISIONS_LIMIT = 20


def order_list() -> QuerySet[Order]:
    """Orders as the list shows them, with the channel and customer joined in (no per-row queries)."""
    return Order.objects.select_related("channel", "customer").defer(
        "risk_reasons", "approval_reasons", "notes", "gift_message", "allocation_summary"
    )


def orders_by_ids(ids: list[int]) -> list[Order]:
    return list(Order.objects.select_related("channel").filter(pk__in=ids).order_by("pk"))


def iter_orders(queryset: QuerySet[Order], *, chunk: int = EXPORT_CHUNK) -> Iterator[Order]:
    """Every order of ``queryset`` newest first, read in keyset chunks (a constant memory export)."""
    last: Order | None = None
    while True:
        page = queryset
        if last is not None:
            page = page.filter(
                Q(created_at__lt=last.created_at) | Q(created_at=last.created_at, id__lt=last.id),
                created_at__lte=last.created_at,
            )
        rows = list(page.order_by(*LIST_ORDERING)[:chunk])
        yield from rows
        if len(rows) < chunk:
            return
        last = rows[-1]


def saved_views_for(user) -> list[SavedView]:
    """The user's own views and those others share, own first."""
    views = SavedView.objects.filter(Q(owner=user) | Q(is_shared=True)).select_related("owner")
    return sorted(views, key=lambda v: (v.owner_id != user.pk, v.name.casefold()))


@dataclass
class WarehouseAllocation:
    warehouse: Warehouse
    rows: list[OrderAllocation] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(row.quantity for row in self.rows)


@dataclass
class OrderDetail:
    order: Order
    lines: list[OrderLine]
    allocations: list[WarehouseAllocation]
    decisions: list[AllocationDecision]
    queue_items: list[QueueItem]
    timeline: list

    @property
    def latest_decision(self) -> AllocationDecision | None:
        return self.decisions[0] if self.decisions else None

    @property
    def earlier_decisions(self) -> list[AllocationDecision]:
        return self.decisions[1:]

    @property
    def units(self) -> dict[str, int]:
        keys = (
            "quantity",
            "quantity_allocated",
            "quantity_backordered",
            "quantity_shipped",
            "quantity_cancelled",
        )
        return {key: sum(getattr(line, key) for line in self.lines) for key in keys}


def order_detail(pk: int) -> OrderDetail:
    """Everything the order page shows, in a fixed number of queries (404 when there is no order)."""
    order = get_object_or_404(
        Order.objects.select_related("channel", "customer", "ship_province", "approved_by", "created_by"),
        pk=pk,
    )
    lines = list(OrderLine.objects.filter(order=order).order_by("pk"))
    by_warehouse: dict[int, WarehouseAllocation] = {}
    line_by_id = {line.pk: line for line in lines}
    for row in (
        OrderAllocation.objects.filter(order=order)
        .select_related("warehouse")
        .order_by("warehouse__priority", "warehouse__code", "line_id")
    ):
        row.line = line_by_id[row.line_id]  # the lines are read already: no query per row
        by_warehouse.setdefault(row.warehouse_id, WarehouseAllocation(row.warehouse)).rows.append(row)
    decisions = list(
        AllocationDecision.objects.filter(order=order)
        .select_related("actor")
        .order_by("-created_at", "-id")[:DECISIONS_LIMIT]
    )
    queue_items = list(
        QueueItem.objects.filter(order=order, resolved_at__isnull=True)
        .select_related("assignee")
        .order_by("opened_at", "id")
    )
    timeline = order_timeline(order)
    return OrderDetail(
        order=order,
        lines=lines,
        allocations=list(by_warehouse.values()),
        decisions=decisions,
        queue_items=queue_items,
        timeline=timeline,
    )


def order_timeline(order: Order) -> list:
    """The order's timeline, newest first (the latest ``TIMELINE_LIMIT`` rows)."""
    return list(timeline_for(order).order_by("-created_at", "-id")[:TIMELINE_LIMIT])


def active_warehouses() -> list[Warehouse]:
    return list(Warehouse.objects.filter(is_active=True).order_by("priority", "code"))
