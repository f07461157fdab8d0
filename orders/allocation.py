"""Which warehouses ship an order, and why (DESIGN.md, "Orders").

The rules, in order: one active warehouse that has every line, nearest to the shipping province
(priority breaks ties); else the split with the fewest shipments, then the shortest total distance;
when stock is short everywhere, as much as possible from as few warehouses as possible, the rest
backordered. ``plan`` only reads (the dry-run screen uses it as is); ``allocate`` reserves through
the inventory services and stores the decision with its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import combinations

from django.db import transaction
from django.db.models import F, Min, Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from inventory import services as stock
from inventory.errors import InsufficientStock
from inventory.models import (
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Reservation,
    ReservationReason,
    ReservationStatus,
    StockLevel,
    Warehouse,
)
from oms.address import province_distance_km
from oms.reference_cache import ReferenceCache
from orders.batch import open_batch, save_fields
from orders.models import AllocationDecision, Order, OrderAllocation, OrderLine

MAX_SPLIT = 4
_warehouses = ReferenceCache(
    lambda: list(Warehouse.objects.order_by("priority", "code")), models=["inventory.Warehouse"]
)  # more shipments than this for one order is never the cheapest answer


@dataclass(frozen=True)
class Need:
    key: int | str  # the order line id (or the row number on the dry-run screen)
    variant_id: int
    sku: str
    quantity: int


@dataclass
class Plan:
    assignments: list[tuple[int | str, int, int]] = field(default_factory=list)  # (key, warehouse_id, qty)
    short: dict[int | str, int] = field(default_factory=dict)  # key -> units no warehouse has
    candidates: list[dict] = field(default_factory=list)
    summary: str = ""

    @property
    def complete(self) -> bool:
        return not self.short

    @property
    def warehouse_ids(self) -> list[int]:
        return sorted({w for _k, w, _q in self.assignments})

    def as_json(self) -> dict:
        return {
            "assignments": [{"line": k, "warehouse": w, "quantity": q} for k, w, q in self.assignments],
            "short": [{"line": k, "quantity": q} for k, q in self.short.items()],
            "candidates": self.candidates,
            "summary": self.summary,
        }


def _km(warehouse: Warehouse, province_id: int | None) -> float | None:
    if not province_id or not warehouse.province_id:
        return None
    return round(province_distance_km(warehouse.province_id, province_id))


def plan(
    needs: list[Need],
    *,
    province_id: int | None,
    available: dict[tuple[int, int], int] | None = None,
    exclude: set[int] = frozenset(),
    only: int | None = None,
) -> Plan:
    """Choose warehouses for ``needs`` without reserving anything.

    ``available`` maps (variant_id, warehouse_id) to free units (read from stock levels when not
    given); ``only`` forces one warehouse (re-allocation by hand).
    """
    warehouses = _warehouses.get()
    needs = [n for n in needs if n.quantity > 0]
    if available is None:
        available = free_stock({n.variant_id for n in needs})
    active = [w for w in warehouses if w.is_active and w.pk not in exclude and (only is None or w.pk == only)]
    distance = {w.pk: _km(w, province_id) for w in warehouses}

    def full_lines(warehouse_id: int) -> int:
        return sum(1 for n in needs if available.get((n.variant_id, warehouse_id), 0) >= n.quantity)

    def nearness(warehouse: Warehouse) -> tuple:
        d = distance[warehouse.pk]
        return (d is None, d or 0, warehouse.priority, warehouse.code)

    result = Plan()
    single = [w for w in active if full_lines(w.pk) == len(needs)]
    if not needs:
        result.summary = _("Nothing to allocate.")
    elif single:
        best = min(single, key=nearness)
        result.assignments = [(n.key, best.pk, n.quantity) for n in needs]
    else:
        result = _split(needs, active, available, nearness) or _partial(needs, active, available, nearness)
    chosen = set(result.warehouse_ids)
    result.candidates = [
        _candidate(w, distance[w.pk], full_lines(w.pk), len(needs), chosen, active) for w in warehouses
    ]
    if needs:
        result.summary = plan_summary(result.as_json())
    return result


def _split(needs, active, available, nearness) -> Plan | None:
    """The covering set of warehouses with fewest members, then least total distance."""
    ordered = sorted(active, key=nearness)
    for size in range(2, min(MAX_SPLIT, len(ordered)) + 1):
        best: tuple | None = None
        for combo in combinations(ordered, size):
            ids = [w.pk for w in combo]
            if any(sum(available.get((n.variant_id, w), 0) for w in ids) < n.quantity for n in needs):
                continue
            assignments = _assign(needs, combo, available)
            used = {w for _k, w, _q in assignments}
            if len(used) < size:
                continue  # a smaller set would do; it was tried (or found) at its own size
            cost = tuple(sum(x) for x in zip(*(nearness(w)[:3] for w in combo), strict=False))
            if best is None or cost < best[0]:
                best = (cost, assignments)
        if best is not None:
            return Plan(assignments=best[1])
    return None


def _assign(needs, warehouses, available) -> list[tuple]:
    """Each line from the nearest warehouse of the set that has all of it, else split nearest first."""
    out = []
    for need in needs:
        whole = [w for w in warehouses if available.get((need.variant_id, w.pk), 0) >= need.quantity]
        if whole:
            out.append((need.key, whole[0].pk, need.quantity))
            continue
        remaining = need.quantity
        for w in warehouses:
            take = min(remaining, available.get((need.variant_id, w.pk), 0))
            if take > 0:
                out.append((need.key, w.pk, take))
                remaining -= take
            if not remaining:
                break
    return out


def _partial(needs, active, available, nearness) -> Plan:
    """Stock is short somewhere: greedily take the warehouse covering the most units (nearest on a
    tie) until nothing more can be had; what is left is short."""
    free = dict(available)
    remaining = {n.key: n.quantity for n in needs}
    result = Plan()
    pool = list(active)
    while pool and any(remaining.values()):

        def units(w):
            return sum(min(remaining[n.key], free.get((n.variant_id, w.pk), 0)) for n in needs)

        best = min(pool, key=lambda w: (-units(w), *nearness(w)))
        if units(best) == 0:
            break
        pool.remove(best)
        for need in needs:
            take = min(remaining[need.key], free.get((need.variant_id, best.pk), 0))
            if take > 0:
                result.assignments.append((need.key, best.pk, take))
                remaining[need.key] -= take
                free[(need.variant_id, best.pk)] -= take
    result.short = {k: q for k, q in remaining.items() if q > 0}
    return result


def _candidate(w: Warehouse, km: float | None, full: int, total: int, chosen: set[int], active) -> dict:
    candidate = {
        "warehouse": w.pk,
        "code": w.code,
        "name": w.name,
        "distance_km": km,
        "priority": w.priority,
        "lines_full": full,
        "lines_total": total,
        "active": w.is_active,
        "excluded": w.is_active and w not in active,
        "chosen": w.pk in chosen,
    }
    candidate["reason"] = candidate_reason(candidate)
    return candidate


def candidate_reason(c: dict) -> str:
    """Why a warehouse was (not) chosen, in the reader's language, from the stored candidate."""
    if not c["active"]:
        return _("%(name)s: inactive, not considered") % {"name": c["name"]}
    if c.get("excluded"):
        return _("%(name)s: excluded") % {"name": c["name"]}
    if c["lines_full"] == c["lines_total"]:
        return ngettext(
            "%(name)s: has the line, %(km)s",
            "%(name)s: has all %(n)s lines, %(km)s",
            c["lines_total"],
        ) % {"name": c["name"], "n": c["lines_total"], "km": _distance(c["distance_km"])}
    return _("%(name)s: has %(full)s of %(n)s lines, %(km)s") % {
        "name": c["name"],
        "full": c["lines_full"],
        "n": c["lines_total"],
        "km": _distance(c["distance_km"]),
    }


def _distance(km: float | None) -> str:
    return _("distance unknown") if km is None else _("%(km)s km") % {"km": int(km)}


def decision_summary(plan: dict) -> str:
    """A stored decision in the reader's language: the plan, cart holds used, stock that went."""
    text = plan_summary(plan)
    if plan.get("from_holds"):
        text = _("%(n)s unit(s) from cart holds; %(rest)s") % {"n": plan["from_holds"], "rest": text}
    if plan.get("raced"):
        text += " " + _("(stock went meanwhile; the rest is backordered)")
    return text


def plan_summary(plan: dict) -> str:
    """One sentence for a stored plan (decision rows keep the plan, so any language can read it)."""
    candidates = {c["warehouse"]: c for c in plan.get("candidates", [])}
    assignments = plan.get("assignments", [])
    used = sorted({a["warehouse"] for a in assignments})
    short_units = sum(s["quantity"] for s in plan.get("short", []))
    if not assignments and not short_units:
        return _("Nothing to allocate.")
    if len(used) == 1 and not short_units:
        return candidate_reason(candidates[used[0]])
    text = ""
    if len(used) > 1:
        parts = []
        for w in used:
            lines = len({a["line"] for a in assignments if a["warehouse"] == w})
            parts.append(
                ngettext("%(name)s (%(n)s line)", "%(name)s (%(n)s lines)", lines)
                % {"name": candidates[w]["name"], "n": lines}
            )
        total_km = sum(candidates[w]["distance_km"] or 0 for w in used)
        text = ngettext(
            "Split into %(n)s shipment: %(parts)s, %(km)s km in total",
            "Split into %(n)s shipments: %(parts)s, %(km)s km in total",
            len(used),
        ) % {"n": len(used), "parts": ", ".join(parts), "km": int(total_km)}
    elif used:
        text = candidate_reason(candidates[used[0]])
    if short_units:
        backorder = ngettext(
            "%(n)s unit backordered (no warehouse has it)",
            "%(n)s units backordered (no warehouse has them)",
            short_units,
        ) % {"n": short_units}
        text = f"{text}; {backorder}" if text else backorder
    return text


def free_stock(variant_ids: set[int]) -> dict[tuple[int, int], int]:
    """Free units per (variant, warehouse): on hand minus reserved."""
    return {
        (v, w): free
        for v, w, free in StockLevel.objects.filter(variant_id__in=variant_ids)
        .annotate(free=F("on_hand") - F("reserved"))
        .values_list("variant_id", "warehouse_id", "free")
    }


# --- Reserving ------------------------------------------------------------------------------------


def open_needs(order: Order) -> list[Need]:
    """What each line still needs reserved: neither cancelled, shipped nor already allocated."""
    return open_needs_from({line.pk: line for line in order.lines.all()})


def allocate(
    order: Order,
    *,
    kind: str = "auto",
    user=None,
    hold_ids: list[int] | None = None,
    only_warehouse: int | None = None,
    quiet_if_nothing: bool = False,
) -> AllocationDecision | None:
    """Reserve what the order's lines still need and record the decision.

    Reserves with ``partial=True``: stock that went between planning and reserving is simply
    backordered (the plan is advice, the conditional UPDATE is the truth). Cart holds named in
    ``hold_ids`` are turned into the line's reservation first, in the same warehouse. With
    ``quiet_if_nothing`` (backorder filling) a run that reserved nothing leaves no trace.
    Returns the decision, or None when nothing was needed or, quietly, nothing was reserved.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate() runs inside the caller's transaction")
    batch = open_batch(order)
    fresh = batch.lines if batch is not None else None  # inserted by intake in this transaction
    if fresh is not None:
        lines = {line.pk: line for line in fresh}
    else:
        lines = {line.pk: line for line in order.lines.select_for_update().order_by("pk")}
    for line in lines.values():
        line.quantity_backordered = 0  # recomputed below from what is still missing
    needs = open_needs_from(lines)
    from_holds = _consume_holds(order, lines, needs, hold_ids or [])
    if from_holds:
        needs = open_needs_from(lines)
    if not needs and not from_holds:
        OrderLine.objects.bulk_update(lines.values(), ["quantity_backordered"])
        return None
    result = plan(needs, province_id=order.ship_province_id, only=only_warehouse)
    requests = [
        stock.StockRequest(lines[key].variant_id, warehouse_id, quantity, lines[key].reference)
        for key, warehouse_id, quantity in result.assignments
    ]
    reserved = _reserve(requests, owner=order.number) if requests else None
    made = list(reserved.reservations) if reserved else []
    _link(order, lines, made)
    for need in needs:
        got = sum(r.quantity for r in made if r.reference == lines[need.key].reference)
        lines[need.key].quantity_backordered = need.quantity - got
    quiet = quiet_if_nothing and not made and not from_holds
    short_lines = [line for line in lines.values() if line.quantity_backordered]
    fields = ["quantity_allocated", "quantity_backordered"]
    if not quiet:  # a backordered line is promised for the earliest open purchase order bringing it
        dates = promise_dates_for({line.variant_id for line in short_lines}) if short_lines else {}
        for line in lines.values():
            line.promise_date = dates.get(line.variant_id) if line.quantity_backordered else None
        fields.append("promise_date")
    OrderLine.objects.bulk_update(lines.values(), fields)
    if quiet:
        return None
    stored = result.as_json()
    stored["from_holds"] = from_holds
    stored["raced"] = bool(reserved and reserved.shortfalls and result.complete)
    decision = AllocationDecision.objects.create(
        order=order,
        kind=kind,
        complete=not short_lines,
        summary=decision_summary(stored)[:255],
        plan=stored,
        actor=user if getattr(user, "pk", None) else None,
    )
    codes = None
    if fresh is not None:  # no earlier allocations: the warehouses are the ones just used
        by_id = {c["warehouse"]: c["code"] for c in result.candidates}
        codes = sorted({by_id[r.warehouse_id] for r in made if r.warehouse_id in by_id})
    refresh_allocation_fields(order, lines.values(), summary=decision.summary, codes=codes)
    return decision


def _reserve(requests: list, *, owner: str):
    """All-or-nothing first (one conditional UPDATE per level, the short lock); only when stock
    went short since planning, the partial path that locks each row and takes what is free."""
    try:
        return stock.reserve(requests=requests, owner=owner)
    except InsufficientStock:
        return stock.reserve(requests=requests, partial=True, owner=owner)


def open_needs_from(lines: dict[int, OrderLine]) -> list[Need]:
    needs = []
    for line in lines.values():
        wanted = line.quantity - line.quantity_cancelled - line.quantity_shipped - line.quantity_allocated
        if wanted > 0:
            needs.append(Need(line.pk, line.variant_id, line.sku, wanted))
    return needs


def _link(order: Order, lines: dict[int, OrderLine], reservations: list[Reservation]) -> None:
    by_reference = {line.reference: line for line in lines.values()}
    rows = []
    for reservation in reservations:
        line = by_reference[reservation.reference]
        line.quantity_allocated += reservation.quantity
        rows.append(
            OrderAllocation(
                order=order,
                line=line,
                warehouse_id=reservation.warehouse_id,
                quantity=reservation.quantity,
                reservation=reservation,
            )
        )
    OrderAllocation.objects.bulk_create(rows)
    batch = open_batch(order)
    if batch is not None:  # the API's answer shows them with their warehouse codes, read from memory
        warehouses = {w.pk: w for w in _warehouses.get()}
        for row in rows:
            if row.warehouse_id in warehouses:
                row.warehouse = warehouses[row.warehouse_id]
        batch.allocations.extend(rows)


def _consume_holds(order: Order, lines: dict[int, OrderLine], needs: list[Need], hold_ids: list[int]) -> int:
    """Turn the customer's cart holds into this order's reservations (same warehouse, same units)."""
    if not hold_ids:
        return 0
    from orders.errors import OrderInvalid

    holds = list(
        Reservation.objects.select_for_update()
        .filter(pk__in=hold_ids, reason=ReservationReason.CART_HOLD, status=ReservationStatus.ACTIVE)
        .order_by("pk")
    )
    missing = sorted(set(hold_ids) - {h.pk for h in holds})
    if missing:
        raise OrderInvalid(
            _("Cart holds %(ids)s do not exist, have expired or were used.")
            % {"ids": ", ".join(map(str, missing))},
            errors=[{"field": "hold_ids", "code": "hold_unavailable", "message": str(missing)}],
        )
    wanted = {n.key: n.quantity for n in needs}
    made = []
    for hold in holds:
        key = next((n.key for n in needs if n.variant_id == hold.variant_id and wanted[n.key] > 0), None)
        if key is None:
            raise OrderInvalid(
                _("Cart hold %(id)s is for a product that is not on the order.") % {"id": hold.pk},
                errors=[{"field": "hold_ids", "code": "hold_not_on_order", "message": str(hold.pk)}],
            )
        take = min(wanted[key], hold.quantity)
        stock.release(reservation=hold)  # and at once, in this transaction, reserve it for the line
        made.append(
            stock.reserve_one(
                variant=hold.variant_id,
                warehouse=hold.warehouse_id,
                quantity=take,
                reference=lines[key].reference,
                owner=order.number,
            )
        )
        wanted[key] -= take
    _link(order, lines, made)
    return sum(r.quantity for r in made)


def refresh_allocation_fields(
    order: Order, lines=None, *, summary: str | None = None, codes: list[str] | None = None
) -> None:
    """Denormalised list columns: warehouse codes, the latest summary, the latest promise date."""
    lines = list(lines if lines is not None else order.lines.all())
    if codes is None:
        codes = sorted(
            set(
                OrderAllocation.objects.filter(order=order)
                .order_by()
                .values_list("warehouse__code", flat=True)
            )
        )
    order.warehouse_codes = ",".join(codes)[:64]
    if summary is None:
        summary = order.decisions.order_by("-created_at", "-id").values_list("summary", flat=True).first()
    order.allocation_summary = (summary or "")[:255]
    promised = [line.promise_date for line in lines if line.quantity_backordered and line.promise_date]
    order.promise_date = max(promised) if promised else None
    save_fields(order, ["warehouse_codes", "allocation_summary", "promise_date"])


def release_allocations(order: Order, *, lines: list[OrderLine] | None = None) -> int:
    """Give back every reservation of the order (or of ``lines``); returns units released."""
    allocations = OrderAllocation.objects.filter(order=order).select_related("reservation")
    if lines is not None:
        allocations = allocations.filter(line__in=lines)
    released = 0
    touched: dict[int, int] = {}
    for allocation in allocations.order_by("reservation_id"):
        if allocation.reservation.status == ReservationStatus.ACTIVE and allocation.reservation.quantity:
            released += allocation.reservation.quantity
            stock.release(reservation=allocation.reservation)
        touched[allocation.line_id] = touched.get(allocation.line_id, 0) + allocation.quantity
    allocations.delete()
    for line_id, quantity in touched.items():
        OrderLine.objects.filter(pk=line_id).update(quantity_allocated=F("quantity_allocated") - quantity)
    return released


def promise_dates_for(variant_ids: set[int]) -> dict[int, date]:
    """Earliest expected date of an open purchase order per variant (the dry-run screen shows it)."""
    return dict(
        PurchaseOrderLine.objects.filter(
            variant_id__in=variant_ids,
            order__status__in=[PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED],
            order__expected_date__isnull=False,
            quantity_received__lt=F("quantity_ordered"),
        )
        .values("variant_id")
        .annotate(first=Min("order__expected_date"))
        .values_list("variant_id", "first")
    )


def backordered_variant_ids() -> set[int]:
    return set(
        OrderLine.objects.filter(quantity_backordered__gt=0, order__status="backordered")
        .order_by()
        .values_list("variant_id", flat=True)
        .distinct()
    )


def backorder_queue(variant_ids: set[int], *, limit: int = 200) -> list[int]:
    """Backordered orders waiting for these variants: highest priority first, then oldest."""
    return list(
        Order.objects.filter(
            status="backordered",
            pk__in=OrderLine.objects.filter(variant_id__in=variant_ids, quantity_backordered__gt=0).values(
                "order_id"
            ),
        )
        .order_by("-priority", "created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def units_backordered(variant_ids: set[int]) -> int:
    return (
        OrderLine.objects.filter(variant_id__in=variant_ids, quantity_backordered__gt=0).aggregate(
            n=Sum("quantity_backordered")
        )["n"]
        or 0
    )


def free_stock_left(variant_ids: set[int]) -> bool:
    """Is any unit of these variants free in an active warehouse? (Filling stops when none is.)"""
    return StockLevel.objects.filter(
        variant_id__in=variant_ids, warehouse__is_active=True, on_hand__gt=F("reserved")
    ).exists()
