"""The fulfillment dashboard: per warehouse, how much work waits at each step, with links.

Five grouped counts (one query each, whatever the number of warehouses): orders to pick
(allocated here and on no live pick list of this warehouse), lists being picked, picked lists
still to pack, shipments waiting for the carrier and open problems.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from fulfillment.models import (
    PickList,
    PickListOrder,
    PickListStatus,
    Problem,
    Shipment,
    ShipmentStatus,
)
from inventory.models import Warehouse
from oms.access import role_required
from orders.models import OrderAllocation, OrderStatus

ACCESS = "oms.access_fulfillment"
LIVE_PICK_LIST = [PickListStatus.OPEN, PickListStatus.PICKING, PickListStatus.PICKED]
TO_SHIP = [ShipmentStatus.CREATED, ShipmentStatus.LABEL_PRINTED]
# Shipments that took an order's units out of packing: the order needs no more packing here.
PACKED = [s for s in ShipmentStatus.values if s not in (ShipmentStatus.PACKING, ShipmentStatus.CANCELLED)]
PICKING_URL = "fulfillment:picking"
PACKING_URL = "fulfillment:packing"


def _url(name: str, **query) -> str:
    base = reverse(name)
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{base}?{urlencode(query, doseq=True)}" if query else base


def _by_warehouse(queryset, field: str = "warehouse_id", count: str = "pk") -> dict[int, int]:
    rows = queryset.order_by().values(field).annotate(n=Count(count, distinct=True))
    return {row[field]: row["n"] for row in rows}


def dashboard_counts() -> dict[str, dict[int, int]]:
    """{step: {warehouse_id: count}}."""
    on_live_list = PickListOrder.objects.filter(
        order_id=OuterRef("order_id"),
        pick_list__warehouse_id=OuterRef("warehouse_id"),
        pick_list__status__in=LIVE_PICK_LIST,
    )
    shipped_here = Shipment.objects.filter(
        order_id=OuterRef("order_id"), warehouse_id=OuterRef("warehouse_id")
    ).exclude(status=ShipmentStatus.CANCELLED)
    to_pick = OrderAllocation.objects.filter(
        order__status__in=[OrderStatus.ALLOCATED, OrderStatus.IN_FULFILLMENT]
    ).filter(~Exists(on_live_list), ~Exists(shipped_here))
    unpacked_order = PickListOrder.objects.filter(pick_list_id=OuterRef("pk")).filter(
        ~Exists(
            Shipment.objects.filter(
                order_id=OuterRef("order_id"),
                warehouse_id=OuterRef("pick_list__warehouse_id"),
                status__in=PACKED,
            )
        )
    )
    return {
        "to_pick": _by_warehouse(to_pick, count="order_id"),
        "picking": _by_warehouse(
            PickList.objects.filter(status__in=[PickListStatus.OPEN, PickListStatus.PICKING])
        ),
        "to_pack": _by_warehouse(
            PickList.objects.filter(Q(status=PickListStatus.PICKED), Exists(unpacked_order))
        ),
        "to_ship": _by_warehouse(Shipment.objects.filter(status__in=TO_SHIP)),
        "exceptions": _by_warehouse(Problem.objects.filter(resolved_at__isnull=True)),
    }


@role_required(ACCESS)
def index(request: HttpRequest) -> HttpResponse:
    counts = dashboard_counts()
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("code"))
    rows = []
    for warehouse in warehouses:
        wid = warehouse.pk
        rows.append(
            {
                "warehouse": warehouse,
                "steps": [
                    ("to_pick", counts["to_pick"].get(wid, 0), _url(PICKING_URL, warehouse=wid)),
                    ("picking", counts["picking"].get(wid, 0), _url(PICKING_URL, warehouse=wid)),
                    ("to_pack", counts["to_pack"].get(wid, 0), _url(PACKING_URL, warehouse=wid)),
                    (
                        "to_ship",
                        counts["to_ship"].get(wid, 0),
                        _url("fulfillment:handover", warehouse=wid),
                    ),
                    (
                        "exceptions",
                        counts["exceptions"].get(wid, 0),
                        _url("fulfillment:problems", warehouse=wid),
                    ),
                ],
            }
        )
    totals = {step: sum(by_wh.get(w.pk, 0) for w in warehouses) for step, by_wh in counts.items()}
    return render(request, "fulfillment/dashboard.html", {"rows": rows, "totals": totals})
