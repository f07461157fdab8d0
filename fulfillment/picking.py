"""Pick lists from allocated orders, and the scans that work them off (DESIGN.md, "Fulfillment").

``build_pick_lists`` turns the still-unpicked allocations of one warehouse into pick lists (single,
batch, zone or wave) in a handful of statements: one task per (order line, bin, lot), lots chosen
by the product's removal strategy among the units not already promised to another open task, tasks
in the bins' walk order. A picker then works a list one task at a time: scan the bin, then the item
(serial numbers one by one), or tap a quantity; anything wrong is refused before it is recorded.
A short pick records the shortfall, takes the missing units out of sellable stock, opens a problem
for the stock team and re-allocates (or backorders) the order's missing units.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from fulfillment.models import (
    PICK_LIST_TRANSITIONS,
    PickList,
    PickListOrder,
    PickListStatus,
    PickMethod,
    PickTask,
    PickTaskStatus,
    Problem,
    ProblemKind,
    Wave,
)
from fulfillment.problems import open_problem
from inventory.models import Bin, QuarantineReason, RemovalStrategy, StockLot, Tracking, Variant
from oms.errors import Conflict, DomainError, InvalidInput, NotFound
from oms.sequences import next_number_unlocked
from oms.states import check_transition
from orders.models import Order, OrderAllocation, OrderStatus
from orders.services import start_fulfillment_many

PICK_LIST_SERIES = "PL"
WAVE_SERIES = "WV"
ACTIVE_LIST_STATUSES = [PickListStatus.OPEN, PickListStatus.PICKING]


class PickRefused(InvalidInput):
    """A scan or tap the current task does not accept (wrong bin, wrong item, bad serial ...)."""

    code = "pick_refused"


class NothingToPick(DomainError):
    code = "nothing_to_pick"
    status = 409


# --- Building pick lists --------------------------------------------------------------------------


def _vip_rank():
    """1 for VIP customers' and VIP special orders, else 0: they go first, before priority."""
    return Case(
        When(
            Q(customer__is_vip=True) | Q(customer__segment="vip") | Q(special_kind="vip"),
            then=Value(1),
        ),
        default=Value(0),
        output_field=IntegerField(),
    )


def _pickable_allocations(warehouse_id: int):
    """Allocations of the warehouse still held (active reservation) and not on a live pick task."""
    on_lists = (
        PickTask.objects.filter(pick_list__warehouse_id=warehouse_id, allocation__isnull=False)
        .exclude(pick_list__status=PickListStatus.CANCELLED)
        .exclude(status=PickTaskStatus.CANCELLED)
        .values("allocation_id")
    )
    return OrderAllocation.objects.filter(
        warehouse_id=warehouse_id, reservation__status="active", reservation__quantity__gt=0
    ).exclude(pk__in=on_lists)


@dataclass
class _Lot:
    pk: int | None
    bin_id: int
    bin_zone: str
    walk: int
    bin_code: str
    free: int
    serial: str = ""


@dataclass
class _Task:
    order_id: int
    line_id: int
    allocation_id: int
    variant_id: int
    sku: str
    lot: _Lot
    quantity: int


def _sort_lots(lots: list[dict], strategy: str) -> list[dict]:
    far = datetime.max.date()
    if strategy == RemovalStrategy.FEFO:
        return sorted(lots, key=lambda r: (r["expiry_date"] or far, r["received_at"], r["pk"]))
    if strategy == RemovalStrategy.LIFO:
        return sorted(lots, key=lambda r: (r["received_at"], r["pk"]), reverse=True)
    return sorted(lots, key=lambda r: (r["received_at"], r["pk"]))


def _lot_pools(warehouse_id: int, variants: dict[int, Variant]) -> dict[int, list[_Lot]]:
    """Per variant, the places to take units from, in removal order, net of units already promised
    to tasks of live lists (planned or picked but not yet shipped) and leaving out bins with an open
    short-pick problem for it. Serial-tracked variants are pooled per bin (the picker scans
    whichever serials sit there)."""
    rows = list(
        StockLot.objects.filter(
            warehouse_id=warehouse_id,
            variant_id__in=list(variants),
            quantity__gt=0,
            bin__is_quarantine=False,
            bin__is_active=True,
        ).values(
            "pk",
            "variant_id",
            "bin_id",
            "bin__zone",
            "bin__walk_sequence",
            "bin__code",
            "expiry_date",
            "received_at",
            "quantity",
        )
    )
    promised: dict[tuple, int] = {}
    for lot_id, variant_id, bin_id, quantity in (
        PickTask.objects.filter(
            pick_list__warehouse_id=warehouse_id,
            variant_id__in=list(variants),
            allocation__reservation__status="active",
        )
        .exclude(pick_list__status=PickListStatus.CANCELLED)
        .exclude(status=PickTaskStatus.CANCELLED)
        .values("lot_id", "variant_id", "bin_id")
        .annotate(q=Sum(F("quantity") - F("quantity_short")))
        .values_list("lot_id", "variant_id", "bin_id", "q")
    ):
        key = ("lot", lot_id) if lot_id else ("bin", variant_id, bin_id)
        promised[key] = promised.get(key, 0) + (quantity or 0)
    # A bin reported short for a product is not trusted for it until the problem is resolved.
    doubted = set(
        Problem.objects.filter(
            kind=ProblemKind.SHORT_PICK,
            warehouse_id=warehouse_id,
            resolved_at__isnull=True,
            variant_id__in=list(variants),
        ).values_list("variant_id", "bin_id")
    )
    by_variant: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        if (row["variant_id"], row["bin_id"]) not in doubted:
            by_variant[row["variant_id"]].append(row)
    pools: dict[int, list[_Lot]] = {}
    for variant_id, lots in by_variant.items():
        product = variants[variant_id].product
        ordered = _sort_lots(lots, product.removal_strategy)
        pool: list[_Lot] = []
        if product.tracking == Tracking.SERIAL:
            per_bin: dict[int, _Lot] = {}
            for row in ordered:
                place = per_bin.get(row["bin_id"])
                if place is None:
                    place = per_bin[row["bin_id"]] = _Lot(
                        None, row["bin_id"], row["bin__zone"], row["bin__walk_sequence"], row["bin__code"], 0
                    )
                    pool.append(place)
                place.free += row["quantity"]
            for place in pool:
                place.free -= promised.get(("bin", variant_id, place.bin_id), 0)
        else:
            for row in ordered:
                free = row["quantity"] - promised.get(("lot", row["pk"]), 0)
                pool.append(
                    _Lot(
                        row["pk"],
                        row["bin_id"],
                        row["bin__zone"],
                        row["bin__walk_sequence"],
                        row["bin__code"],
                        free,
                    )
                )
        pools[variant_id] = pool
    return pools


def _plan_tasks(allocations: list[dict], variants, pools, warehouse_id: int) -> list[_Task]:
    """Split each allocation over the pool's places; units no place holds any more are planned at
    the last place seen (or the receiving bin) so the picker reports them short: nothing vanishes."""
    tasks: list[_Task] = []
    fallback: _Lot | None = None
    for row in allocations:
        variant = variants[row["variant_id"]]
        needed = row["quantity"]
        pool = pools.get(variant.pk, [])
        for place in pool:
            if place.free <= 0:
                continue
            take = min(needed, place.free)
            place.free -= take
            tasks.append(
                _Task(row["order_id"], row["line_id"], row["pk"], variant.pk, variant.sku, place, take)
            )
            needed -= take
            if not needed:
                break
        if needed:
            last = pool[-1] if pool else None
            if last is None:
                if fallback is None:
                    from inventory.services import default_bin

                    place = default_bin(warehouse_id)
                    fallback = _Lot(None, place.pk, place.zone, place.walk_sequence, place.code, 0)
                last = fallback
            tasks.append(
                _Task(row["order_id"], row["line_id"], row["pk"], variant.pk, variant.sku, last, needed)
            )
    return tasks


def _walk_key(task: _Task, position: dict[int, int]):
    return (task.lot.walk, task.lot.bin_code, task.sku, position[task.order_id], task.line_id)


def build_pick_lists(
    *,
    warehouse,
    method: str,
    order_ids: list[int] | None = None,
    batch_size: int = 8,
    cutoff: datetime | None = None,
    carrier=None,
    user=None,
    max_orders: int | None = None,
    consolidation_point: str = "",
) -> list[PickList]:
    """Pick lists for the warehouse's allocated orders not yet on a live list, VIP and high
    priority first, then oldest. ``single``: one list per order; ``batch``: up to ``batch_size``
    orders per list, one tote each; ``zone``: one list per zone (consolidated after); ``wave``: a
    ``Wave`` (orders placed until ``cutoff``, for ``carrier``) with one list per zone.

    Orders move to in_fulfillment. Raises ``NothingToPick`` when no order qualifies.
    """
    if method not in PickMethod.values:
        raise InvalidInput(_("Unknown picking method %(m)s.") % {"m": method})
    if method == PickMethod.BATCH and batch_size < 1:
        raise InvalidInput(_("A batch holds at least one order."))
    warehouse_id = warehouse if isinstance(warehouse, int) else warehouse.pk
    with transaction.atomic():
        return _build(
            warehouse_id=warehouse_id,
            method=method,
            order_ids=order_ids,
            batch_size=batch_size,
            cutoff=cutoff,
            carrier=carrier,
            user=user,
            max_orders=max_orders,
            consolidation_point=consolidation_point,
        )


def _build(
    *, warehouse_id, method, order_ids, batch_size, cutoff, carrier, user, max_orders, consolidation_point
) -> list[PickList]:
    pickable = _pickable_allocations(warehouse_id)
    orders = Order.objects.filter(
        status__in=[OrderStatus.ALLOCATED, OrderStatus.IN_FULFILLMENT],
        pk__in=pickable.values("order_id"),
    )
    if order_ids is not None:
        orders = orders.filter(pk__in=order_ids)
    if cutoff is not None:
        orders = orders.filter(placed_at__lte=cutoff)
    if carrier is not None and not carrier.supports_cod:
        orders = orders.exclude(payment_method="cash_on_delivery")
    # Locked, skipping orders another builder holds right now: each order lands on one list.
    orders = (
        orders.annotate(vip=_vip_rank())
        .order_by("-vip", "-priority", "placed_at", "pk")
        .select_for_update(of=("self",), skip_locked=True)
        .values_list("pk", "status", "vip", "priority")
    )
    if max_orders:
        orders = orders[:max_orders]
    chosen = list(orders)
    if not chosen:
        raise NothingToPick(_("No allocated order of this warehouse is waiting to be picked."))
    rank = {pk: (vip, priority) for pk, _s, vip, priority in chosen}
    position = {pk: i for i, (pk, *_rest) in enumerate(chosen)}
    allocations = list(
        pickable.filter(order_id__in=list(rank))
        .values("pk", "order_id", "line_id", "line__variant_id", "reservation__quantity")
        .order_by("order_id", "line_id", "pk")
    )
    for row in allocations:
        row["variant_id"] = row.pop("line__variant_id")
        row["quantity"] = row.pop("reservation__quantity")
    allocations.sort(key=lambda r: (position[r["order_id"]], r["line_id"], r["pk"]))
    variants = {
        v.pk: v
        for v in Variant.objects.filter(pk__in={r["variant_id"] for r in allocations})
        .select_related("product")
        .only("pk", "sku", "product__removal_strategy", "product__tracking")
    }
    pools = _lot_pools(warehouse_id, variants)
    tasks = _plan_tasks(allocations, variants, pools, warehouse_id)
    order_list = [pk for pk, *_rest in chosen]

    # Group: (zone or "", [order ids]) per list.
    groups: list[tuple[str, list[int], list[_Task]]] = []
    by_order: dict[int, list[_Task]] = defaultdict(list)
    for task in tasks:
        by_order[task.order_id].append(task)
    order_list = [pk for pk in order_list if by_order.get(pk)]
    if method == PickMethod.SINGLE:
        groups = [("", [pk], by_order[pk]) for pk in order_list]
    elif method == PickMethod.BATCH:
        for start in range(0, len(order_list), batch_size):
            chunk = order_list[start : start + batch_size]
            groups.append(("", chunk, [t for pk in chunk for t in by_order[pk]]))
    else:
        by_zone: dict[str, list[_Task]] = defaultdict(list)
        for task in tasks:
            by_zone[task.lot.bin_zone].append(task)
        for zone in sorted(by_zone):
            zone_tasks = by_zone[zone]
            zone_orders = sorted({t.order_id for t in zone_tasks}, key=position.__getitem__)
            groups.append((zone, zone_orders, zone_tasks))

    wave = None
    if method == PickMethod.WAVE:
        number = next_number_unlocked(WAVE_SERIES, width=5)
        wave = Wave.objects.create(
            number=number,
            warehouse_id=warehouse_id,
            cutoff=cutoff,
            carrier=carrier,
            consolidation_point=(consolidation_point or f"K-{number.rsplit('-', 1)[-1]}")[:32],
            created_by=user if getattr(user, "pk", None) else None,
        )
    creator = user if getattr(user, "pk", None) else None
    lists = []
    for zone, group_orders, _group_tasks in groups:
        vip, priority = max(rank[pk] for pk in group_orders)
        lists.append(
            PickList(
                number=next_number_unlocked(PICK_LIST_SERIES, width=6),
                warehouse_id=warehouse_id,
                method=method,
                zone=zone,
                wave=wave,
                priority=priority + 10 * vip,
                created_by=creator,
                lines_total=len(_group_tasks),
            )
        )
    PickList.objects.bulk_create(lists)
    list_orders, task_rows = [], []
    for pick_list, (_zone, group_orders, group_tasks) in zip(lists, groups, strict=True):
        slot = {}
        for n, order_id in enumerate(group_orders, start=1):
            tote = f"{pick_list.number.rsplit('-', 1)[-1]}-{n:02d}"
            slot[order_id] = tote
            list_orders.append(PickListOrder(pick_list=pick_list, order_id=order_id, tote=tote, position=n))
        for sequence, task in enumerate(sorted(group_tasks, key=lambda t: _walk_key(t, position)), start=1):
            task_rows.append(
                (
                    pick_list.pk,
                    sequence,
                    task.order_id,
                    task.line_id,
                    task.allocation_id,
                    task.variant_id,
                    task.lot.bin_id,
                    task.lot.pk,
                    task.lot.bin_zone,
                    slot[task.order_id],
                    task.quantity,
                )
            )
    PickListOrder.objects.bulk_create(list_orders)
    _insert_tasks(task_rows)
    start_fulfillment_many(
        [pk for pk, status, *_r in chosen if status == OrderStatus.ALLOCATED and by_order.get(pk)], user=user
    )
    return lists


_TASK_COLUMNS = [
    ("pick_list_id", "bigint"),
    ("sequence", "integer"),
    ("order_id", "bigint"),
    ("line_id", "bigint"),
    ("allocation_id", "bigint"),
    ("variant_id", "bigint"),
    ("bin_id", "bigint"),
    ("lot_id", "bigint"),
    ("zone", "varchar"),
    ("tote", "varchar"),
    ("quantity", "integer"),
]


def _insert_tasks(rows: list[tuple]) -> None:
    """Insert the tasks in one statement of column arrays: a wave's 1,500 tasks as model instances
    cost more in Python than the INSERT itself. The other columns are their model defaults."""
    if not rows:
        return
    if connection.vendor != "postgresql":  # the embedded demo database: plain model inserts
        names = [name for name, _type in _TASK_COLUMNS]
        PickTask.objects.bulk_create(PickTask(**dict(zip(names, row, strict=True))) for row in rows)
        return
    table = PickTask._meta.db_table
    names = ", ".join(f'"{name}"' for name, _type in _TASK_COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for _name, kind in _TASK_COLUMNS)
    sql = (
        f'INSERT INTO "{table}" ({names}, "quantity_picked", "quantity_short", "serials", "status") '  # noqa: S608
        f"SELECT *, 0, 0, '[]'::jsonb, %s FROM unnest({arrays})"
    )
    columns = [list(column) for column in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [PickTaskStatus.OPEN.value, *columns])


# --- Working a list -------------------------------------------------------------------------------


@dataclass
class ScanResult:
    """What a scan did: ``kind`` is bin, item or serial; ``at_bin`` the bin the picker stands at;
    ``task`` the task it counted for; ``done`` whether the list is now picked."""

    kind: str
    message: str
    task: PickTask | None
    at_bin: int | None
    done: bool = False
    pick_list: PickList | None = None


def _lock_list(pick_list: PickList | int) -> PickList:
    pk = pick_list if isinstance(pick_list, int) else pick_list.pk
    locked = PickList.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise NotFound(_("There is no pick list %(id)s.") % {"id": pk})
    return locked


def _move_list(pick_list: PickList, target: str) -> None:
    check_transition(
        current=pick_list.status, target=target, allowed=PICK_LIST_TRANSITIONS, choices=PickListStatus
    )
    pick_list.status = target


def _begin(pick_list: PickList, user) -> None:
    if pick_list.status == PickListStatus.OPEN:
        _move_list(pick_list, PickListStatus.PICKING)
        pick_list.started_at = timezone.now()
        if getattr(user, "pk", None):
            pick_list.assigned_to = user
        pick_list.save(update_fields=["status", "started_at", "assigned_to"])
    elif pick_list.status != PickListStatus.PICKING:
        raise Conflict(
            _("Pick list %(n)s is %(s)s: nothing more to pick.")
            % {"n": pick_list.number, "s": pick_list.get_status_display()}
        )


@transaction.atomic
def start_pick_list(pick_list: PickList | int, user=None) -> PickList:
    """The picker takes the list (open -> picking); taking a list already being picked is fine."""
    locked = _lock_list(pick_list)
    _begin(locked, user)
    return locked


def next_task(pick_list: PickList | int) -> PickTask | None:
    pk = pick_list if isinstance(pick_list, int) else pick_list.pk
    return (
        PickTask.objects.filter(pick_list_id=pk, status=PickTaskStatus.OPEN)
        .select_related("bin", "lot", "variant__product")
        .order_by("sequence")
        .first()
    )


def _locked_task(target, task_id: int | None = None) -> tuple[PickList, PickTask]:
    """Lock the list and its current task (``task_id``, or the next open one in walk order)."""
    if isinstance(target, PickTask):
        task_id, list_id = target.pk, target.pick_list_id
    elif isinstance(target, PickList):
        list_id = target.pk
    elif task_id is None:  # a bare id names a task
        task_id = int(target)
        list_id = PickTask.objects.filter(pk=task_id).values_list("pick_list_id", flat=True).first()
        if list_id is None:
            raise NotFound(_("There is no pick task %(id)s.") % {"id": task_id})
    else:
        list_id = int(target)
    pick_list = _lock_list(list_id)
    tasks = PickTask.objects.select_for_update(of=("self",)).select_related("bin", "lot", "variant__product")
    if task_id is not None:
        task = tasks.filter(pk=task_id, pick_list_id=list_id).first()
        if task is None:
            raise NotFound(_("There is no pick task %(id)s on this list.") % {"id": task_id})
    else:
        task = tasks.filter(pick_list_id=list_id, status=PickTaskStatus.OPEN).order_by("sequence").first()
        if task is None:
            raise Conflict(_("Every line of pick list %(n)s is done.") % {"n": pick_list.number})
    if task.status != PickTaskStatus.OPEN:
        raise Conflict(_("This line is already done (%(s)s).") % {"s": task.get_status_display()})
    return pick_list, task


def _remaining(task: PickTask) -> int:
    return task.quantity - task.quantity_picked - task.quantity_short


def _finish_task(pick_list: PickList, task: PickTask, user, status: str) -> bool:
    """Close the task; the list is picked when no open task is left. Returns whether it is."""
    task.status = status
    task.picked_at = timezone.now()
    task.picked_by = user if getattr(user, "pk", None) else None
    pick_list.lines_done += 1  # the list row is locked: the figure is exact
    fields = ["lines_done"]
    left = (
        PickTask.objects.filter(pick_list=pick_list, status=PickTaskStatus.OPEN).exclude(pk=task.pk).exists()
    )
    if not left:
        _move_list(pick_list, PickListStatus.PICKED)
        pick_list.finished_at = task.picked_at
        fields += ["status", "finished_at"]
    pick_list.save(update_fields=fields)
    return not left


def _record(pick_list: PickList, task: PickTask, quantity: int, user, serial: str = "") -> bool:
    task.quantity_picked += quantity
    fields = ["quantity_picked"]
    if serial:
        task.serials = [*task.serials, serial]
        fields.append("serials")
    done = False
    if _remaining(task) == 0:
        done = _finish_task(pick_list, task, user, PickTaskStatus.PICKED)
        fields += ["status", "picked_at", "picked_by"]
    task.save(update_fields=fields)
    return done


@transaction.atomic
def pick(task: PickTask | int, quantity: int, user=None) -> ScanResult:
    """Quantity tap: ``quantity`` more units of the task's item are in the tote."""
    pick_list, task = _locked_task(task)
    _begin(pick_list, user)
    if task.variant.product.tracking == Tracking.SERIAL:
        raise PickRefused(_("This product is tracked by serial number: scan each serial number."))
    if quantity < 1:
        raise PickRefused(_("Enter a quantity of at least 1."))
    if quantity > _remaining(task):
        raise PickRefused(
            _("Only %(n)s more are wanted on this line, not %(q)s.") % {"n": _remaining(task), "q": quantity}
        )
    done = _record(pick_list, task, quantity, user)
    return ScanResult(
        "item",
        _("%(q)s × %(sku)s picked.") % {"q": quantity, "sku": task.variant.sku},
        task,
        task.bin_id,
        done,
        pick_list,
    )


@transaction.atomic
def scan(target, code: str, user=None, *, at_bin: int | None = None) -> ScanResult:
    """One scan at the current task (``target``: a task, its id, or the list for its next task).

    A bin code confirms the place (wrong bin refused); after it, an item's barcode or SKU picks one
    unit, or for serial-tracked products a serial number that must sit in that bin (and lot) and
    not be on another live task. Refusals raise ``PickRefused`` and record nothing.
    """
    code = (code or "").strip()
    if not code:
        raise PickRefused(_("Nothing was scanned."))
    pick_list, task = _locked_task(target)
    _begin(pick_list, user)
    product = task.variant.product
    own_item = product.tracking != Tracking.SERIAL and (
        code == task.variant.barcode or code.upper() == task.variant.sku.upper()
    )
    if code.upper() == task.bin.code.upper():
        place = task.bin
    elif own_item:  # the usual item scan answers without looking anything up
        place = None
    else:
        place = (
            Bin.objects.filter(warehouse_id=pick_list.warehouse_id, code__iexact=code)
            .only("pk", "code")
            .first()
        )
    if place is not None:
        if place.pk != task.bin_id:
            raise PickRefused(
                _("Wrong bin: this is %(scanned)s, the line is in %(bin)s.")
                % {"scanned": place.code, "bin": task.bin.code},
                code="wrong_bin",
            )
        return ScanResult(
            "bin",
            _("Bin %(bin)s: now scan the item.") % {"bin": place.code},
            task,
            place.pk,
            False,
            pick_list,
        )
    if at_bin != task.bin_id:
        raise PickRefused(_("Scan bin %(bin)s first.") % {"bin": task.bin.code}, code="bin_first")
    if product.tracking == Tracking.SERIAL:
        return _scan_serial(pick_list, task, code, user)
    if own_item:
        done = _record(pick_list, task, 1, user)
        return ScanResult(
            "item", _("%(sku)s picked.") % {"sku": task.variant.sku}, task, task.bin_id, done, pick_list
        )
    from inventory.selectors import variant_for_code

    variant = variant_for_code(code)
    if variant is None:
        raise PickRefused(
            _("No product, bin or serial has the code “%(code)s”.") % {"code": code}, code="unknown_code"
        )
    if variant.pk != task.variant_id:
        raise PickRefused(
            _("Wrong item: this is %(sku)s (%(name)s); the line wants %(want)s.")
            % {"sku": variant.sku, "name": variant.product.name, "want": task.variant.sku},
            code="wrong_item",
        )
    done = _record(pick_list, task, 1, user)
    return ScanResult("item", _("%(sku)s picked.") % {"sku": variant.sku}, task, task.bin_id, done, pick_list)


def _scan_serial(pick_list: PickList, task: PickTask, code: str, user) -> ScanResult:
    lots = StockLot.objects.filter(
        variant_id=task.variant_id, warehouse_id=pick_list.warehouse_id, serial=code, quantity__gt=0
    )
    lot = lots.filter(bin_id=task.bin_id).first()
    if lot is None:
        if task.variant.barcode == code or task.variant.sku.lower() == code.lower():
            raise PickRefused(
                _("%(sku)s is tracked by serial number: scan the serial numbers, one by one.")
                % {"sku": task.variant.sku},
                code="serial_needed",
            )
        elsewhere = lots.select_related("bin").first()
        if elsewhere is not None:
            message = _("Serial number %(serial)s is in bin %(other)s, not in %(bin)s.") % {
                "serial": code,
                "other": elsewhere.bin.code,
                "bin": task.bin.code,
            }
        else:
            message = _("Serial number %(serial)s of %(sku)s is not in stock in bin %(bin)s.") % {
                "serial": code,
                "sku": task.variant.sku,
                "bin": task.bin.code,
            }
        raise PickRefused(message, code="wrong_serial")
    if task.lot_id and task.lot.lot_number and lot.lot_number != task.lot.lot_number:
        raise PickRefused(
            _("Serial number %(serial)s is of lot %(lot)s; the line wants lot %(want)s.")
            % {"serial": code, "lot": lot.lot_number, "want": task.lot.lot_number},
            code="wrong_serial",
        )
    taken = (
        code in task.serials
        or PickTask.objects.filter(variant_id=task.variant_id, serials__contains=[code])
        .exclude(pk=task.pk)
        .exclude(status=PickTaskStatus.CANCELLED)
        .exclude(pick_list__status=PickListStatus.CANCELLED)
        .exists()
    )
    if taken:
        raise PickRefused(
            _("Serial number %(serial)s is already picked.") % {"serial": code}, code="serial_taken"
        )
    done = _record(pick_list, task, 1, user, serial=code)
    return ScanResult(
        "serial", _("Serial number %(serial)s picked.") % {"serial": code}, task, task.bin_id, done, pick_list
    )


@transaction.atomic
def short_pick(task: PickTask | int, found: int, user=None) -> ScanResult:
    """The bin holds fewer than the task wants: ``found`` units (in total, for this task) are all
    there is. The task closes with the shortfall; the missing units leave the order's reservation
    and sellable stock (quarantined in that lot until the stock team counts the bin); a
    ``short_pick`` problem is opened; the order's missing units are re-allocated through the order
    services (from another bin or warehouse), or backordered."""
    from inventory import services as stock
    from orders import services as order_services
    from orders.models import OrderLine

    pick_list, task = _locked_task(task)
    _begin(pick_list, user)
    if found < task.quantity_picked:
        raise PickRefused(
            _("%(n)s are already in the tote: found cannot be less.") % {"n": task.quantity_picked}
        )
    if found >= task.quantity:
        raise PickRefused(_("All %(q)s were found: that is not a short pick.") % {"q": task.quantity})
    if task.variant.product.tracking == Tracking.SERIAL and found != len(task.serials):
        raise PickRefused(_("Scan the serial numbers of the units found first; then report the rest short."))
    missing = task.quantity - found
    task.quantity_picked = found
    task.quantity_short = missing
    _finish_task(pick_list, task, user, PickTaskStatus.SHORT)
    task.save(update_fields=["quantity_picked", "quantity_short", "status", "picked_at", "picked_by"])
    problem = open_problem(
        kind=ProblemKind.SHORT_PICK,
        warehouse_id=pick_list.warehouse_id,
        order_id=task.order_id,
        pick_task=task,
        variant_id=task.variant_id,
        bin_id=task.bin_id,
        quantity=missing,
        code=task.variant.sku,
        detail=_("%(n)s × %(sku)s missing in bin %(bin)s (pick list %(list)s).")
        % {"n": missing, "sku": task.variant.sku, "bin": task.bin.code, "list": pick_list.number},
    )
    allocation = (
        OrderAllocation.objects.select_for_update()
        .select_related("reservation")
        .filter(pk=task.allocation_id)
        .first()
    )
    if allocation is not None and allocation.reservation.status == "active":
        give_back = min(missing, allocation.reservation.quantity)
        stock.release(reservation=allocation.reservation, quantity=give_back)
        _quarantine_missing(task, give_back, user, stock)
        if give_back >= allocation.quantity:
            allocation.delete()
        else:
            OrderAllocation.objects.filter(pk=allocation.pk).update(quantity=F("quantity") - give_back)
        OrderLine.objects.filter(pk=task.line_id).update(
            quantity_allocated=F("quantity_allocated") - give_back
        )
        order = Order.objects.get(pk=task.order_id)
        if order.status in (OrderStatus.ALLOCATED, OrderStatus.IN_FULFILLMENT, OrderStatus.BACKORDERED):
            order_services.allocate(order, user=user, kind="short_pick")
    return ScanResult(
        "short",
        _("%(n)s × %(sku)s reported short; problem #%(p)s opened.")
        % {"n": missing, "sku": task.variant.sku, "p": problem.pk},
        task,
        task.bin_id,
        pick_list.status == PickListStatus.PICKED,
        pick_list,
    )


def _quarantine_missing(task: PickTask, quantity: int, user, stock) -> None:
    """Take the missing units out of sellable stock so no other order is promised them: from the
    task's lot, else from the variant's lots in that bin. Units the records do not show there are
    left alone (the stock count sorts them out)."""
    lots = StockLot.objects.filter(variant_id=task.variant_id, bin_id=task.bin_id, quantity__gt=0)
    if task.lot_id:
        lots = lots.filter(pk=task.lot_id)
    elif task.serials:
        lots = lots.exclude(serial__in=task.serials)
    left = quantity
    for lot in lots.order_by("pk"):
        take = min(left, lot.quantity)
        try:
            stock.quarantine(
                lot=lot,
                quantity=take,
                reason=QuarantineReason.OTHER,
                note=_("Not found at picking"),
                reference=f"pick_task:{task.pk}",
                user=user if getattr(user, "pk", None) else None,
            )
        except DomainError:
            break
        left -= take
        if not left:
            break
