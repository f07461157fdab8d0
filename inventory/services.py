"""Every change of stock: receipts, reservations, consumption, adjustments, quarantine, scrap.

Rules kept here (see DESIGN.md, "Stock model and reservation"):
- quantities change in the database with conditional UPDATEs (``... WHERE on_hand - reserved >= q``),
  never read-modify-write in Python;
- when one act touches several stock levels it takes them in primary-key order, so two acts
  never wait on each other in opposite orders (no deadlocks);
- every change of ``on_hand`` or ``quarantined`` writes a ``StockMovement`` row with the same
  delta, in the same transaction;
- reservations are rows; a level's ``reserved`` is the sum of its active reservations.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import (
    DuplicateSerial,
    InsufficientStock,
    InvalidQuantity,
    ReservationClosed,
    StockBelowReserved,
    TrackingDataMissing,
)
from inventory.models import (
    Bin,
    MovementKind,
    RemovalStrategy,
    Reservation,
    ReservationReason,
    ReservationStatus,
    StockLevel,
    StockLot,
    StockMovement,
    Tracking,
    Variant,
    Warehouse,
)
from oms import audit

logger = logging.getLogger(__name__)

CART_HOLD_MINUTES = 30


# --- Levels ---------------------------------------------------------------------------------------


def _check_quantity(quantity: int) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise InvalidQuantity(_("Quantity must be a whole number above zero (got %(q)s).") % {"q": quantity})
    return quantity


def ensure_levels(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Make sure a StockLevel row exists for each (variant_id, warehouse_id); return their ids.

    Existing rows are only read: an ``INSERT ... ON CONFLICT`` on a hot row would wait for every
    transaction that holds it (measured in bench/RESULTS.md). Missing rows are inserted with
    ``ON CONFLICT DO NOTHING``, so concurrent callers may create the same row safely.
    """
    wanted = set(pairs)

    def existing() -> dict[tuple[int, int], int]:
        query = Q()
        for variant_id, warehouse_id in wanted:
            query |= Q(variant_id=variant_id, warehouse_id=warehouse_id)
        rows = StockLevel.objects.filter(query).values_list("variant_id", "warehouse_id", "pk")
        return {(v, w): pk for v, w, pk in rows}

    found = existing()
    missing = wanted - set(found)
    if missing:
        StockLevel.objects.bulk_create(
            [StockLevel(variant_id=v, warehouse_id=w) for v, w in sorted(missing)], ignore_conflicts=True
        )
        found = existing()
    return found


def _record(
    *,
    variant_id: int,
    warehouse_id: int,
    kind: str,
    on_hand: int = 0,
    quarantined: int = 0,
    lot: StockLot | None = None,
    reason: str = "",
    note: str = "",
    reference: str = "",
    user=None,
) -> StockMovement:
    _stock_changed([(variant_id, warehouse_id)])
    actor = audit.current_actor()
    return StockMovement.objects.create(
        source="" if getattr(user, "pk", None) or actor is None else actor.label[:150],
        variant_id=variant_id,
        warehouse_id=warehouse_id,
        kind=kind,
        on_hand_delta=on_hand,
        quarantined_delta=quarantined,
        lot=lot,
        reason=reason,
        note=note[:255],
        reference=reference[:64],
        user=user if getattr(user, "pk", None) else None,
    )


_pending = threading.local()


def _stock_changed(pairs: Iterable[tuple[int, int]], *, freed: bool = True) -> None:
    """After commit, re-evaluate low-stock alerts of the touched levels: one Celery task per
    transaction, by ids (the first commit callback takes every pair collected so far).

    ``freed=False`` for acts that only take stock away from availability (reserving): listeners
    of ``stock_changed`` (orders waiting for stock) have nothing to gain from those.
    """
    collected = getattr(_pending, "pairs", None)
    if collected is None:
        collected = _pending.pairs = set()
        _pending.freed = set()
    pairs = {(int(v), int(w)) for v, w in pairs}
    collected.update(pairs)
    if freed:
        _pending.freed.update(pairs)
    # robust: a broker hiccup must not fail the stock act; the beat job re-evaluates every level.
    transaction.on_commit(_flush_stock_changes, robust=True)


def _flush_stock_changes() -> None:
    from inventory.signals import stock_changed
    from inventory.tasks import evaluate_stock_alerts

    pairs, _pending.pairs = getattr(_pending, "pairs", set()), set()
    freed, _pending.freed = getattr(_pending, "freed", set()), set()
    if pairs:
        evaluate_stock_alerts.delay(pairs=[list(p) for p in sorted(pairs)])
    if freed:
        stock_changed.send(sender=None, pairs=sorted(freed))


# --- Reservations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockRequest:
    """One line of a reservation: this many of a variant from a warehouse, for this reference."""

    variant_id: int
    warehouse_id: int
    quantity: int
    reference: str


@dataclass
class ReservationResult:
    reservations: list[Reservation] = field(default_factory=list)
    shortfalls: list[dict] = field(
        default_factory=list
    )  # {variant_id, warehouse_id, reference, wanted, reserved}

    @property
    def complete(self) -> bool:
        return not self.shortfalls


def reserve(
    *,
    requests: Sequence[StockRequest],
    reason: str = ReservationReason.ORDER_LINE,
    owner: str = "",
    expires_at: datetime | None = None,
    partial: bool = False,
) -> ReservationResult:
    """Reserve stock for several lines at once.

    All-or-nothing by default: if any line is short, nothing is reserved and ``InsufficientStock``
    lists every short line. With ``partial=True`` each line takes what is free (the rest is reported
    in ``shortfalls``), which is how allocation backorders the remainder.
    """
    if not requests:
        return ReservationResult()
    for request in requests:
        _check_quantity(request.quantity)
    if reason not in ReservationReason.values:
        raise InvalidQuantity(_("Unknown reservation reason %(reason)s.") % {"reason": reason})
    short: list[dict] = []
    now = timezone.now()
    if not partial and connection.vendor == "postgresql":
        return _reserve_together(requests, reason=reason, owner=owner, expires_at=expires_at, now=now)
    with transaction.atomic():
        level_ids = ensure_levels((r.variant_id, r.warehouse_id) for r in requests)
        # Fixed lock order: by level id (then reference, for two lines on one level).
        ordered = sorted(requests, key=lambda r: (level_ids[(r.variant_id, r.warehouse_id)], r.reference))
        if not partial:
            # Rows first, the conditional UPDATEs last: a hot level stays locked only from its
            # UPDATE to COMMIT. A short line rolls all of it back.
            result = ReservationResult(
                Reservation.objects.bulk_create(
                    [_reservation(r, r.quantity, reason, owner, expires_at) for r in ordered]
                )
            )
        else:
            result = ReservationResult()
        for request in ordered:
            taken = _take(
                level_ids[(request.variant_id, request.warehouse_id)],
                request.quantity,
                partial=partial,
                now=now,
            )
            if taken < request.quantity:
                short.append(
                    {
                        "variant_id": request.variant_id,
                        "warehouse_id": request.warehouse_id,
                        "reference": request.reference,
                        "wanted": request.quantity,
                        "reserved": taken,
                    }
                )
            if partial and taken:
                result.reservations.append(_reservation(request, taken, reason, owner, expires_at))
        if short and not partial:
            transaction.set_rollback(True)
        else:
            if partial:
                Reservation.objects.bulk_create(result.reservations)
            result.shortfalls = short
            _stock_changed(((r.variant_id, r.warehouse_id) for r in result.reservations), freed=False)
    if short and not partial:
        # Outside the rolled-back block, so availability is reported as it really is.
        raise InsufficientStock(
            _("Not enough stock for %(count)s line(s).") % {"count": len(short)}, items=_with_available(short)
        )
    return result


# The highest alert threshold a level's variant can have (the beat job's bound, its own minimum or
# its category's, times the seasonal factor): only levels taken to or below it need the low-stock
# alerts looked at. Both reservation statements below compute it the same way from these joins.
_ALERT_JOINS = """
    LEFT JOIN inventory_variant variant ON variant.id = level.variant_id
    LEFT JOIN inventory_product product ON product.id = variant.product_id
    LEFT JOIN inventory_category category ON category.id = product.category_id"""
_ALERT_BOUND = "COALESCE(variant.alert_minimum, category.alert_minimum, 0) * %(seasonal)s"

# Every level of an all-or-nothing reservation in one statement. The MATERIALIZED CTE locks the
# levels in id order (the same fixed order as the one-row-at-a-time path, so no deadlock); the
# UPDATE's condition is then checked on the locked, latest rows. Two lines on one level count
# together. A level without a row has no stock: it is simply not returned, i.e. short. Each level
# also says whether it is now at or below the highest alert threshold its variant can have (the
# beat job's bound): only those need the low-stock alerts looked at.
_TAKE_TOGETHER = f"""
WITH wanted AS (
    SELECT variant_id, warehouse_id, SUM(quantity)::integer AS quantity
    FROM unnest(%(variants)s::bigint[], %(warehouses)s::bigint[], %(quantities)s::integer[])
        AS w (variant_id, warehouse_id, quantity)
    GROUP BY variant_id, warehouse_id
), locked AS MATERIALIZED (
    SELECT level.id, wanted.quantity, {_ALERT_BOUND} AS alert_bound
    FROM inventory_stocklevel level
    JOIN wanted ON level.variant_id = wanted.variant_id AND level.warehouse_id = wanted.warehouse_id
    {_ALERT_JOINS}
    ORDER BY level.id
    FOR UPDATE OF level
)
UPDATE inventory_stocklevel level
SET reserved = level.reserved + locked.quantity, updated_at = %(now)s
FROM locked
WHERE level.id = locked.id AND level.on_hand >= level.reserved + locked.quantity
RETURNING level.variant_id, level.warehouse_id, level.on_hand - level.reserved <= locked.alert_bound
"""  # noqa: S608 - only the constant fragments above are interpolated


def _reserve_together(
    requests: Sequence[StockRequest], *, reason: str, owner: str, expires_at, now: datetime
) -> ReservationResult:
    """All-or-nothing ``reserve`` on PostgreSQL: the rows, then one conditional UPDATE of the levels.

    Rows first, the UPDATE last: a hot level stays locked only from the UPDATE to COMMIT. A short
    level rolls all of it back (the savepoint) and ``InsufficientStock`` lists every short line.
    """
    from inventory.replenishment import SEASONAL_FACTOR

    ordered = sorted(requests, key=lambda r: (r.variant_id, r.warehouse_id, r.reference))
    with transaction.atomic():
        result = ReservationResult(
            Reservation.objects.bulk_create(
                [_reservation(r, r.quantity, reason, owner, expires_at) for r in ordered]
            )
        )
        with connection.cursor() as cursor:
            cursor.execute(
                _TAKE_TOGETHER,
                {
                    "variants": [r.variant_id for r in ordered],
                    "warehouses": [r.warehouse_id for r in ordered],
                    "quantities": [r.quantity for r in ordered],
                    "seasonal": SEASONAL_FACTOR,
                    "now": now,
                },
            )
            rows = cursor.fetchall()
            taken = {(v, w) for v, w, _low in rows}
            low = [(v, w) for v, w, is_low in rows if is_low]
        short = [
            {
                "variant_id": r.variant_id,
                "warehouse_id": r.warehouse_id,
                "reference": r.reference,
                "wanted": r.quantity,
                "reserved": 0,
            }
            for r in ordered
            if (r.variant_id, r.warehouse_id) not in taken
        ]
        if short:
            transaction.set_rollback(True)
        elif low:
            _stock_changed(low, freed=False)
    if short:
        raise InsufficientStock(
            _("Not enough stock for %(count)s line(s).") % {"count": len(short)}, items=_with_available(short)
        )
    return result


def _reservation(request: StockRequest, quantity: int, reason: str, owner: str, expires_at) -> Reservation:
    return Reservation(
        variant_id=request.variant_id,
        warehouse_id=request.warehouse_id,
        quantity=quantity,
        original_quantity=quantity,
        reason=reason,
        reference=request.reference,
        owner=owner[:120],
        expires_at=expires_at,
    )


def _take(level_id: int, quantity: int, *, partial: bool, now: datetime) -> int:
    """Reserve on one level; return how many units were reserved."""
    if not partial:
        updated = StockLevel.objects.filter(pk=level_id, on_hand__gte=F("reserved") + quantity).update(
            reserved=F("reserved") + quantity, updated_at=now
        )
        return quantity if updated else 0
    # Partial: lock the row, then take what is free (still guarded by the same condition).
    level = StockLevel.objects.select_for_update().only("on_hand", "reserved").get(pk=level_id)
    take = min(quantity, level.on_hand - level.reserved)
    if take <= 0:
        return 0
    StockLevel.objects.filter(pk=level_id, on_hand__gte=F("reserved") + take).update(
        reserved=F("reserved") + take, updated_at=now
    )
    return take


def _with_available(short: list[dict]) -> list[dict]:
    levels = {
        (lv.variant_id, lv.warehouse_id): lv.on_hand - lv.reserved
        for lv in StockLevel.objects.filter(
            variant_id__in={s["variant_id"] for s in short},
            warehouse_id__in={s["warehouse_id"] for s in short},
        )
    }
    return [{**s, "available": levels.get((s["variant_id"], s["warehouse_id"]), 0)} for s in short]


def reserve_one(
    *,
    variant: Variant | int,
    warehouse: Warehouse | int,
    quantity: int,
    reference: str,
    reason: str = ReservationReason.ORDER_LINE,
    expires_at: datetime | None = None,
    owner: str = "",
) -> Reservation:
    """Reserve one line, all or nothing; raises ``InsufficientStock``.

    Outside any transaction on PostgreSQL this is one statement (see ``_reserve_in_one_statement``).
    """
    request = StockRequest(_id(variant), _id(warehouse), _check_quantity(quantity), reference)
    connection = transaction.get_connection()
    if (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and reason in ReservationReason.values
    ):
        reservation = _reserve_in_one_statement(request, reason=reason, owner=owner, expires_at=expires_at)
        if reservation is not None:
            return reservation
    # Inside a caller's transaction, on SQLite, or short of stock (to report it): the general path.
    return reserve(requests=[request], reason=reason, expires_at=expires_at, owner=owner).reservations[0]


_RESERVE_ONE_SQL = f"""
WITH level AS (
    UPDATE inventory_stocklevel SET reserved = reserved + %(q)s, updated_at = %(now)s
    WHERE variant_id = %(variant)s AND warehouse_id = %(warehouse)s AND on_hand - reserved >= %(q)s
    RETURNING variant_id, on_hand - reserved AS available
), reservation AS (
    INSERT INTO inventory_reservation
        (variant_id, warehouse_id, quantity, original_quantity, reason, reference, owner, status, expires_at,
         created_at)
    SELECT variant_id, %(warehouse)s, %(q)s, %(q)s, %(reason)s, %(reference)s, %(owner)s, 'active',
           %(expires)s, %(now)s
    FROM level
    RETURNING id
)
SELECT reservation.id, level.available <= {_ALERT_BOUND} AS low
FROM reservation, level
    {_ALERT_JOINS}
"""  # noqa: S608 - only the constant fragments above are interpolated


def _reserve_in_one_statement(
    request: StockRequest, *, reason: str, owner: str, expires_at: datetime | None
) -> Reservation | None:
    """The hot path: conditional UPDATE and reservation INSERT in one autocommitted statement.

    A hot level is then locked only inside PostgreSQL, never across a round trip to Python
    (bench/RESULTS.md). Returns None when the level is short or missing. The alert check rides
    along: only a level that is now low enqueues an alert evaluation.
    """
    from inventory.replenishment import SEASONAL_FACTOR

    now = timezone.now()
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(
            _RESERVE_ONE_SQL,
            {
                "q": request.quantity,
                "now": now,
                "variant": request.variant_id,
                "warehouse": request.warehouse_id,
                "reason": reason,
                "reference": request.reference[:64],
                "owner": owner[:120],
                "expires": expires_at,
                "seasonal": SEASONAL_FACTOR,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    reservation_id, low = row
    if low:
        _stock_changed([(request.variant_id, request.warehouse_id)], freed=False)
    return Reservation(
        pk=reservation_id,
        variant_id=request.variant_id,
        warehouse_id=request.warehouse_id,
        quantity=request.quantity,
        original_quantity=request.quantity,
        reason=reason,
        reference=request.reference[:64],
        owner=owner[:120],
        status=ReservationStatus.ACTIVE,
        expires_at=expires_at,
        created_at=now,
    )


def hold_for_cart(
    *,
    variant: Variant | int,
    warehouse: Warehouse | int,
    quantity: int,
    cart: str,
    minutes: int = CART_HOLD_MINUTES,
) -> Reservation:
    """A checkout hold that lapses by itself after ``minutes`` (released by ``expire_holds``)."""
    return reserve_one(
        variant=variant,
        warehouse=warehouse,
        quantity=quantity,
        reference=f"cart:{cart}",
        reason=ReservationReason.CART_HOLD,
        expires_at=timezone.now() + timedelta(minutes=minutes),
    )


def _id(obj) -> int:
    return obj if isinstance(obj, int) else obj.pk


def _lock_reservations(queryset: QuerySet[Reservation]) -> list[Reservation]:
    return list(queryset.select_for_update().order_by("variant_id", "warehouse_id", "pk"))


def _give_back(reservation: Reservation, quantity: int, *, status: str, now: datetime) -> None:
    """Lower a reservation and its level's ``reserved`` by ``quantity`` (rows already locked)."""
    updated = StockLevel.objects.filter(
        variant_id=reservation.variant_id, warehouse_id=reservation.warehouse_id, reserved__gte=quantity
    ).update(reserved=F("reserved") - quantity, updated_at=now)
    if not updated:  # the level disagrees with its reservations: refuse rather than guess
        raise ReservationClosed(
            _("Stock level does not hold this reservation; run the stock check."), reservation=reservation.pk
        )
    reservation.quantity -= quantity
    fields = ["quantity"]
    if reservation.quantity == 0:
        reservation.status, reservation.closed_at = status, now
        fields += ["status", "closed_at"]
    reservation.save(update_fields=fields)
    _stock_changed([(reservation.variant_id, reservation.warehouse_id)])


@transaction.atomic
def release(*, reservation: Reservation | int, quantity: int | None = None) -> Reservation:
    """Give back all (or ``quantity``) of a reservation to available stock."""
    locked = _lock_reservations(Reservation.objects.filter(pk=_id(reservation)))[0]
    if locked.status != ReservationStatus.ACTIVE:
        raise ReservationClosed(
            _("This reservation is already %(status)s.") % {"status": locked.get_status_display()}
        )
    quantity = locked.quantity if quantity is None else _check_quantity(quantity)
    if quantity > locked.quantity:
        raise InvalidQuantity(
            _("Only %(held)s are reserved; cannot release %(q)s.") % {"held": locked.quantity, "q": quantity}
        )
    _give_back(locked, quantity, status=ReservationStatus.RELEASED, now=timezone.now())
    return locked


@transaction.atomic
def release_reference(*, reference: str, status: str = ReservationStatus.RELEASED) -> int:
    """Release every active reservation of ``reference`` (e.g. a cancelled order line); returns units."""
    now = timezone.now()
    total = 0
    for reservation in _lock_reservations(Reservation.objects.filter(reference=reference, status="active")):
        total += reservation.quantity
        _give_back(reservation, reservation.quantity, status=status, now=now)
    return total


def expire_holds(*, now: datetime | None = None, batch: int = 500) -> int:
    """Release reservations whose ``expires_at`` has passed (cart holds); returns how many."""
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            rows = _lock_reservations(
                Reservation.objects.filter(
                    pk__in=Reservation.objects.filter(
                        status=ReservationStatus.ACTIVE, expires_at__lte=now
                    ).values("pk")[:batch]
                )
            )
            for reservation in rows:
                _give_back(reservation, reservation.quantity, status=ReservationStatus.EXPIRED, now=now)
        expired += len(rows)
        if len(rows) < batch:
            return expired


# --- Lots -----------------------------------------------------------------------------------------


def default_bin(warehouse: Warehouse | int) -> Bin:
    """The warehouse's receiving location: its first active, non-quarantine bin by walk order."""
    warehouse_id = _id(warehouse)
    found = (
        Bin.objects.filter(warehouse_id=warehouse_id, is_active=True, is_quarantine=False)
        .order_by("walk_sequence", "pk")
        .first()
    )
    if found:
        return found
    found, _created = Bin.objects.get_or_create(
        warehouse_id=warehouse_id, code="RECEIVING", defaults={"zone": "R", "walk_sequence": 0}
    )
    return found


def _lot_order(strategy: str) -> list[str]:
    if strategy == RemovalStrategy.FEFO:
        return ["expiry_date", "received_at", "pk"]
    if strategy == RemovalStrategy.LIFO:
        return ["-received_at", "-pk"]
    return ["received_at", "pk"]


def _take_from_lots(
    *,
    variant: Variant,
    warehouse_id: int,
    quantity: int,
    field_name: str = "quantity",
    lots: Sequence[tuple[StockLot | int, int]] | None = None,
) -> list[tuple[StockLot, int]]:
    """Choose and decrement lots for ``quantity`` units (given lots, or by the removal strategy)."""
    if lots:
        chosen = []
        by_id = {
            lot.pk: lot
            for lot in StockLot.objects.select_for_update()
            .filter(pk__in=[_id(lot) for lot, _q in lots], variant=variant, warehouse_id=warehouse_id)
            .order_by("pk")
        }
        for lot_ref, qty in lots:
            lot = by_id.get(_id(lot_ref))
            if lot is None:
                raise InvalidQuantity(
                    _("Lot %(lot)s does not hold this product here.") % {"lot": _id(lot_ref)}
                )
            chosen.append((lot, _check_quantity(qty)))
        if sum(q for _lot, q in chosen) != quantity:
            raise InvalidQuantity(_("Lot quantities must add up to %(q)s.") % {"q": quantity})
    else:
        candidates = (
            StockLot.objects.select_for_update()
            .filter(variant=variant, warehouse_id=warehouse_id, **{f"{field_name}__gt": 0})
            .order_by(*_lot_order(variant.product.removal_strategy))
        )
        chosen, needed = [], quantity
        for lot in candidates:
            take = min(needed, getattr(lot, field_name))
            chosen.append((lot, take))
            needed -= take
            if not needed:
                break
    for lot, qty in chosen:
        updated = StockLot.objects.filter(pk=lot.pk, **{f"{field_name}__gte": qty}).update(
            **{field_name: F(field_name) - qty}
        )
        if not updated:
            raise InsufficientStock(
                _("Lot %(lot)s does not hold %(q)s units.") % {"lot": lot, "q": qty}, lot=lot.pk, wanted=qty
            )
    if sum(q for _lot, q in chosen) != quantity:
        raise InsufficientStock(
            _("The lots here do not hold %(q)s units.") % {"q": quantity}, wanted=quantity
        )
    return chosen


# --- Consumption (shipment) -----------------------------------------------------------------------


@transaction.atomic
def consume(
    *,
    reservation: Reservation | int,
    quantity: int | None = None,
    reference: str = "",
    user=None,
    lots: Sequence[tuple[StockLot | int, int]] | None = None,
    kind: str = MovementKind.SALE,
) -> list[StockMovement]:
    """Stock leaves the building (shipment handed over): on_hand and reserved drop together.

    Lots are the picked ones when given, otherwise chosen by the product's removal strategy.
    """
    locked = _lock_reservations(Reservation.objects.filter(pk=_id(reservation)))[0]
    if locked.status != ReservationStatus.ACTIVE:
        raise ReservationClosed(
            _("This reservation is already %(status)s.") % {"status": locked.get_status_display()}
        )
    quantity = locked.quantity if quantity is None else _check_quantity(quantity)
    if quantity > locked.quantity:
        raise InvalidQuantity(
            _("Only %(held)s are reserved; cannot ship %(q)s.") % {"held": locked.quantity, "q": quantity}
        )
    now = timezone.now()
    updated = StockLevel.objects.filter(
        variant_id=locked.variant_id,
        warehouse_id=locked.warehouse_id,
        reserved__gte=quantity,
        on_hand__gte=quantity,
    ).update(on_hand=F("on_hand") - quantity, reserved=F("reserved") - quantity, updated_at=now)
    if not updated:
        raise ReservationClosed(_("Stock level does not hold this reservation; run the stock check."))
    variant = Variant.objects.select_related("product").get(pk=locked.variant_id)
    taken = _take_from_lots(variant=variant, warehouse_id=locked.warehouse_id, quantity=quantity, lots=lots)
    locked.quantity -= quantity
    fields = ["quantity"]
    if locked.quantity == 0:
        locked.status, locked.closed_at = ReservationStatus.CONSUMED, now
        fields += ["status", "closed_at"]
    locked.save(update_fields=fields)
    return [
        _record(
            variant_id=locked.variant_id,
            warehouse_id=locked.warehouse_id,
            kind=kind,
            on_hand=-qty,
            lot=lot,
            reference=reference or locked.reference,
            user=user,
        )
        for lot, qty in taken
    ]


# --- Receipts and positive changes ----------------------------------------------------------------


def _check_tracking(
    variant: Variant, quantity: int, lot_number: str, serials: Sequence[str], expiry_date: date | None
) -> list[str]:
    product = variant.product
    serials = [s.strip() for s in serials if s and s.strip()]
    if product.tracking == Tracking.SERIAL:
        if len(serials) != quantity:
            raise TrackingDataMissing(
                _("%(product)s is tracked by serial number: scan %(q)s serial numbers (got %(n)s).")
                % {"product": product.name, "q": quantity, "n": len(serials)}
            )
        duplicates = sorted({s for s in serials if serials.count(s) > 1})
        if duplicates:
            raise DuplicateSerial(_("Serial number scanned twice: %(s)s.") % {"s": ", ".join(duplicates)})
        existing = sorted(
            StockLot.objects.filter(variant=variant, serial__in=serials)
            .filter(Q(quantity__gt=0) | Q(quarantined__gt=0))
            .values_list("serial", flat=True)
        )
        if existing:
            raise DuplicateSerial(
                _("Serial number already received: %(s)s.") % {"s": ", ".join(existing)}, serials=existing
            )
    elif serials:
        raise TrackingDataMissing(
            _("%(product)s is not tracked by serial number.") % {"product": product.name}
        )
    if product.tracking == Tracking.LOT and not lot_number.strip():
        raise TrackingDataMissing(
            _("%(product)s is tracked by lot: enter the lot number.") % {"product": product.name}
        )
    if product.tracks_expiry and expiry_date is None:
        raise TrackingDataMissing(_("%(product)s needs an expiry date.") % {"product": product.name})
    return serials


@transaction.atomic
def add_stock(
    *,
    variant: Variant | int,
    warehouse: Warehouse | int,
    quantity: int,
    kind: str = MovementKind.RECEIPT,
    bin: Bin | None = None,
    lot_number: str = "",
    serials: Sequence[str] = (),
    expiry_date: date | None = None,
    reason: str = "",
    note: str = "",
    reference: str = "",
    user=None,
) -> list[StockMovement]:
    """Units arrive in a bin (receipt, return restock, found in a count, transfer in).

    Lot-tracked products need a lot number, serial-tracked ones one serial per unit (never seen
    before), expiry-tracked ones an expiry date; anything missing raises and nothing is written.
    """
    _check_quantity(quantity)
    variant = (
        variant if isinstance(variant, Variant) else Variant.objects.select_related("product").get(pk=variant)
    )
    warehouse_id = _id(warehouse)
    serials = _check_tracking(variant, quantity, lot_number, serials, expiry_date)
    place = bin or default_bin(warehouse_id)
    if place.warehouse_id != warehouse_id:
        raise InvalidQuantity(_("Bin %(bin)s is in another warehouse.") % {"bin": place.code})
    level_id = ensure_levels([(variant.pk, warehouse_id)])[(variant.pk, warehouse_id)]
    StockLevel.objects.filter(pk=level_id).update(on_hand=F("on_hand") + quantity, updated_at=timezone.now())
    movements = []
    try:
        with transaction.atomic():
            if serials:
                for serial in serials:
                    # A serial that was here before (sold and returned) reuses its row.
                    lot, _created = StockLot.objects.get_or_create(
                        variant=variant,
                        warehouse_id=warehouse_id,
                        bin=place,
                        lot_number=lot_number.strip(),
                        serial=serial,
                        defaults={"expiry_date": expiry_date},
                    )
                    StockLot.objects.filter(pk=lot.pk).update(quantity=F("quantity") + 1)
                    movements.append(
                        _record(
                            variant_id=variant.pk,
                            warehouse_id=warehouse_id,
                            kind=kind,
                            on_hand=1,
                            lot=lot,
                            reason=reason,
                            note=note,
                            reference=reference,
                            user=user,
                        )
                    )
            else:
                lot = _lot_for(variant, warehouse_id, place, lot_number.strip(), expiry_date)
                StockLot.objects.filter(pk=lot.pk).update(quantity=F("quantity") + quantity)
                movements.append(
                    _record(
                        variant_id=variant.pk,
                        warehouse_id=warehouse_id,
                        kind=kind,
                        on_hand=quantity,
                        lot=lot,
                        reason=reason,
                        note=note,
                        reference=reference,
                        user=user,
                    )
                )
    except IntegrityError:
        # A concurrent receipt took the same serial between our check and insert.
        raise DuplicateSerial(_("Serial number already received.")) from None
    return movements


def _lot_for(
    variant: Variant, warehouse_id: int, place: Bin, lot_number: str, expiry_date: date | None
) -> StockLot:
    lot, created = StockLot.objects.get_or_create(
        variant=variant,
        warehouse_id=warehouse_id,
        bin=place,
        lot_number=lot_number,
        serial="",
        defaults={"expiry_date": expiry_date},
    )
    if not created and lot_number and expiry_date and lot.expiry_date and lot.expiry_date != expiry_date:
        raise TrackingDataMissing(
            _("Lot %(lot)s already has expiry date %(date)s.") % {"lot": lot_number, "date": lot.expiry_date}
        )
    return lot


# --- Adjustments, quarantine, scrap ---------------------------------------------------------------


@transaction.atomic
def remove_stock(
    *,
    variant: Variant | int,
    warehouse: Warehouse | int,
    quantity: int,
    kind: str = MovementKind.ADJUSTMENT,
    reason: str = "",
    note: str = "",
    reference: str = "",
    user=None,
    lots: Sequence[tuple[StockLot | int, int]] | None = None,
) -> list[StockMovement]:
    """Unreserved units leave sellable stock (adjustment down, count shortage, transfer out).

    Refuses to touch reserved units: ``StockBelowReserved`` names how many are promised.
    """
    _check_quantity(quantity)
    variant = (
        variant if isinstance(variant, Variant) else Variant.objects.select_related("product").get(pk=variant)
    )
    warehouse_id = _id(warehouse)
    updated = StockLevel.objects.filter(
        variant=variant, warehouse_id=warehouse_id, on_hand__gte=F("reserved") + quantity
    ).update(on_hand=F("on_hand") - quantity, updated_at=timezone.now())
    if not updated:
        level = StockLevel.objects.filter(variant=variant, warehouse_id=warehouse_id).first()
        on_hand, reserved = (level.on_hand, level.reserved) if level else (0, 0)
        raise StockBelowReserved(
            _("Cannot remove %(q)s: %(on_hand)s on hand, %(reserved)s of them reserved.")
            % {"q": quantity, "on_hand": on_hand, "reserved": reserved},
            on_hand=on_hand,
            reserved=reserved,
            wanted=quantity,
        )
    taken = _take_from_lots(variant=variant, warehouse_id=warehouse_id, quantity=quantity, lots=lots)
    return [
        _record(
            variant_id=variant.pk,
            warehouse_id=warehouse_id,
            kind=kind,
            on_hand=-qty,
            lot=lot,
            reason=reason,
            note=note,
            reference=reference,
            user=user,
        )
        for lot, qty in taken
    ]


@transaction.atomic
def adjust(
    *,
    variant: Variant | int,
    warehouse: Warehouse | int,
    delta: int,
    reason: str,
    note: str = "",
    user=None,
    bin: Bin | None = None,
    lot_number: str = "",
    serials: Sequence[str] = (),
    expiry_date: date | None = None,
    reference: str = "",
) -> list[StockMovement]:
    """A stock correction with a reason code; positive adds, negative removes (never reserved units)."""
    if not reason:
        raise InvalidQuantity(_("An adjustment needs a reason."), code="reason_required")
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise InvalidQuantity(_("The adjustment must change the quantity."))
    if delta > 0:
        return add_stock(
            variant=variant,
            warehouse=warehouse,
            quantity=delta,
            kind=MovementKind.ADJUSTMENT,
            bin=bin,
            lot_number=lot_number,
            serials=serials,
            expiry_date=expiry_date,
            reason=reason,
            note=note,
            reference=reference,
            user=user,
        )
    return remove_stock(
        variant=variant,
        warehouse=warehouse,
        quantity=-delta,
        kind=MovementKind.ADJUSTMENT,
        reason=reason,
        note=note,
        reference=reference,
        user=user,
    )


@transaction.atomic
def quarantine(
    *, lot: StockLot | int, quantity: int, reason: str, note: str = "", reference: str = "", user=None
) -> StockMovement:
    """Move unreserved units of a lot out of sellable stock (damaged, failed QC, awaiting QC)."""
    _check_quantity(quantity)
    lot = StockLot.objects.select_for_update().get(pk=_id(lot))
    updated = StockLevel.objects.filter(
        variant_id=lot.variant_id, warehouse_id=lot.warehouse_id, on_hand__gte=F("reserved") + quantity
    ).update(
        on_hand=F("on_hand") - quantity, quarantined=F("quarantined") + quantity, updated_at=timezone.now()
    )
    if not updated:
        raise StockBelowReserved(
            _("Cannot quarantine %(q)s: those units are reserved or not here.") % {"q": quantity}
        )
    if not StockLot.objects.filter(pk=lot.pk, quantity__gte=quantity).update(
        quantity=F("quantity") - quantity, quarantined=F("quarantined") + quantity
    ):
        raise InsufficientStock(_("Lot %(lot)s does not hold %(q)s units.") % {"lot": lot, "q": quantity})
    return _record(
        variant_id=lot.variant_id,
        warehouse_id=lot.warehouse_id,
        kind=MovementKind.QUARANTINE_IN,
        on_hand=-quantity,
        quarantined=quantity,
        lot=lot,
        reason=reason,
        note=note,
        reference=reference,
        user=user,
    )


@transaction.atomic
def release_quarantine(
    *, lot: StockLot | int, quantity: int, note: str = "", reference: str = "", user=None
) -> StockMovement:
    """Quarantined units passed QC: back to sellable stock."""
    _check_quantity(quantity)
    lot = StockLot.objects.select_for_update().get(pk=_id(lot))
    if not StockLot.objects.filter(pk=lot.pk, quarantined__gte=quantity).update(
        quantity=F("quantity") + quantity, quarantined=F("quarantined") - quantity
    ):
        raise InsufficientStock(
            _("Lot %(lot)s has fewer than %(q)s units in quarantine.") % {"lot": lot, "q": quantity}
        )
    StockLevel.objects.filter(variant_id=lot.variant_id, warehouse_id=lot.warehouse_id).update(
        on_hand=F("on_hand") + quantity, quarantined=F("quarantined") - quantity, updated_at=timezone.now()
    )
    return _record(
        variant_id=lot.variant_id,
        warehouse_id=lot.warehouse_id,
        kind=MovementKind.QUARANTINE_OUT,
        on_hand=quantity,
        quarantined=-quantity,
        lot=lot,
        note=note,
        reference=reference,
        user=user,
    )


@transaction.atomic
def scrap(
    *, lot: StockLot | int, quantity: int, reason: str, note: str = "", reference: str = "", user=None
) -> StockMovement:
    """Destroy quarantined units of a lot (write-off)."""
    _check_quantity(quantity)
    lot = StockLot.objects.select_for_update().get(pk=_id(lot))
    if not StockLot.objects.filter(pk=lot.pk, quarantined__gte=quantity).update(
        quarantined=F("quarantined") - quantity
    ):
        raise InsufficientStock(
            _("Lot %(lot)s has fewer than %(q)s units in quarantine.") % {"lot": lot, "q": quantity}
        )
    StockLevel.objects.filter(variant_id=lot.variant_id, warehouse_id=lot.warehouse_id).update(
        quarantined=F("quarantined") - quantity, updated_at=timezone.now()
    )
    return _record(
        variant_id=lot.variant_id,
        warehouse_id=lot.warehouse_id,
        kind=MovementKind.SCRAP,
        quarantined=-quantity,
        lot=lot,
        reason=reason,
        note=note,
        reference=reference,
        user=user,
    )


@transaction.atomic
def add_to_lot(
    *,
    lot: StockLot | int,
    quantity: int,
    kind: str,
    reason: str = "",
    note: str = "",
    reference: str = "",
    user=None,
) -> StockMovement:
    """Units turn up in an existing lot (a count finds more, a serial comes back)."""
    _check_quantity(quantity)
    lot = StockLot.objects.select_for_update().get(pk=_id(lot))
    if lot.serial and lot.quantity + lot.quarantined + quantity > 1:
        raise DuplicateSerial(_("Serial number %(s)s is already in stock.") % {"s": lot.serial})
    level_id = ensure_levels([(lot.variant_id, lot.warehouse_id)])[(lot.variant_id, lot.warehouse_id)]
    StockLot.objects.filter(pk=lot.pk).update(quantity=F("quantity") + quantity)
    StockLevel.objects.filter(pk=level_id).update(on_hand=F("on_hand") + quantity, updated_at=timezone.now())
    return _record(
        variant_id=lot.variant_id,
        warehouse_id=lot.warehouse_id,
        kind=kind,
        on_hand=quantity,
        lot=lot,
        reason=reason,
        note=note,
        reference=reference,
        user=user,
    )
