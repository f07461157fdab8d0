"""Cycle counts: counting (blind) -> review -> posted, or cancelled.

A count snapshots what the system expects per lot when it starts; staff count blind (the screen
never shows the expectation); a reviewer sees the differences and posts them. Posting writes one
``count`` ledger row per differing lot: difference = counted - expected at the start. Posting twice
is an illegal transition, not a second correction.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import InvalidQuantity, TrackingDataMissing
from inventory.models import (
    Bin,
    CountStatus,
    MovementKind,
    StockCount,
    StockCountLine,
    StockLot,
    Tracking,
    Variant,
    Warehouse,
)
from inventory.services import add_to_lot, remove_stock
from oms.events import emit
from oms.sequences import next_number
from oms.states import check_transition

COUNT_TRANSITIONS = {
    CountStatus.COUNTING: {CountStatus.REVIEW, CountStatus.CANCELLED},
    CountStatus.REVIEW: {CountStatus.COUNTING, CountStatus.POSTED, CountStatus.CANCELLED},
}


def _move(count: StockCount, target: str, *, user, **fields) -> None:
    check_transition(current=count.status, target=target, allowed=COUNT_TRANSITIONS, choices=CountStatus)
    count.status = target
    for name, value in fields.items():
        setattr(count, name, value)
    count.save(update_fields=["status", *fields])
    emit(f"count.{target}", subject=count, actor=user, message=count.number)


def _locked(count: StockCount) -> StockCount:
    return StockCount.objects.select_for_update().get(pk=count.pk)


@transaction.atomic
def start_count(
    *,
    warehouse: Warehouse,
    bins: Sequence[Bin] = (),
    variants: Sequence[Variant] = (),
    user=None,
    note: str = "",
) -> StockCount:
    """Open a count of the given bins and/or SKUs (at least one), one line per lot in scope."""
    if not bins and not variants:
        raise InvalidQuantity(_("Choose the bins or products to count."), code="empty_count_scope")
    scope = Q()
    if bins:
        scope |= Q(bin__in=bins)
    if variants:
        scope |= Q(variant__in=variants)
    count = StockCount.objects.create(
        number=next_number("CNT"),
        warehouse=warehouse,
        note=note,
        created_by=user if getattr(user, "pk", None) else None,
    )
    lots = StockLot.objects.filter(scope, warehouse=warehouse).filter(Q(quantity__gt=0) | Q(serial=""))
    StockCountLine.objects.bulk_create(
        [
            StockCountLine(count=count, lot=lot, expected=lot.quantity)
            for lot in lots.order_by("bin__walk_sequence", "pk")
        ]
    )
    emit("count.started", subject=count, actor=user, message=count.number)
    return count


@transaction.atomic
def add_found_lot(
    *, count: StockCount, variant: Variant, bin: Bin, lot_number: str = "", serial: str = "", expiry_date=None
) -> StockCountLine:
    """Something is on the shelf that the count did not expect: a new line with expected 0."""
    count = _locked(count)
    check_transition(
        current=count.status, target=CountStatus.REVIEW, allowed=COUNT_TRANSITIONS, choices=CountStatus
    )
    if bin.warehouse_id != count.warehouse_id:
        raise InvalidQuantity(_("Bin %(bin)s is in another warehouse.") % {"bin": bin.code})
    product = variant.product
    if (product.tracking == Tracking.LOT and not lot_number) or (
        product.tracking == Tracking.SERIAL and not serial
    ):
        raise TrackingDataMissing(_("Enter the lot or serial number of what was found."))
    if product.tracks_expiry and expiry_date is None:
        raise TrackingDataMissing(_("%(product)s needs an expiry date.") % {"product": product.name})
    lot, _created = StockLot.objects.get_or_create(
        variant=variant,
        warehouse_id=count.warehouse_id,
        bin=bin,
        lot_number=lot_number,
        serial=serial,
        defaults={"expiry_date": expiry_date},
    )
    line, _created = StockCountLine.objects.get_or_create(
        count=count, lot=lot, defaults={"expected": lot.quantity}
    )
    return line


@transaction.atomic
def record_count(*, line: StockCountLine, counted: int, user=None) -> StockCountLine:
    """Enter what is on the shelf (recounting overwrites); only while the count is open."""
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        raise InvalidQuantity(_("The counted quantity must be zero or more."))
    line = (
        StockCountLine.objects.select_related("count", "lot").select_for_update(of=("self",)).get(pk=line.pk)
    )
    if line.count.status != CountStatus.COUNTING:
        raise InvalidQuantity(_("This count is no longer open for counting."), code="count_closed")
    if line.lot.serial and counted > 1:
        raise InvalidQuantity(_("A serial number is one unit: count 0 or 1."))
    line.counted, line.counted_by, line.counted_at = (
        counted,
        user if getattr(user, "pk", None) else None,
        timezone.now(),
    )
    line.save(update_fields=["counted", "counted_by", "counted_at"])
    return line


@transaction.atomic
def submit_count(*, count: StockCount, user=None) -> StockCount:
    """Counting is done: every line must have a number."""
    count = _locked(count)
    check_transition(
        current=count.status, target=CountStatus.REVIEW, allowed=COUNT_TRANSITIONS, choices=CountStatus
    )
    missing = count.lines.filter(counted__isnull=True).count()
    if missing:
        raise InvalidQuantity(
            _("%(n)s line(s) are not counted yet.") % {"n": missing},
            code="count_incomplete",
            uncounted=missing,
        )
    _move(count, CountStatus.REVIEW, user=user)
    return count


@transaction.atomic
def reopen_count(*, count: StockCount, user=None) -> StockCount:
    """Send back for a recount from review."""
    count = _locked(count)
    _move(count, CountStatus.COUNTING, user=user)
    return count


@transaction.atomic
def post_count(*, count: StockCount, user=None) -> StockCount:
    """Write the differences to the ledger. Shortages cannot eat reserved units: that line fails
    with ``StockBelowReserved`` and nothing is posted until the reservation is dealt with."""
    count = _locked(count)
    _move(
        count,
        CountStatus.POSTED,
        user=user,
        posted_by=user if getattr(user, "pk", None) else None,
        posted_at=timezone.now(),
    )
    lines = count.lines.select_related("lot", "lot__variant__product").exclude(counted=None).order_by("pk")
    for line in lines:
        difference = line.counted - line.expected
        if difference > 0:
            add_to_lot(
                lot=line.lot,
                quantity=difference,
                kind=MovementKind.COUNT,
                reason="count",
                reference=count.number,
                user=user,
            )
        elif difference < 0:
            remove_stock(
                variant=line.lot.variant,
                warehouse=count.warehouse,
                quantity=-difference,
                kind=MovementKind.COUNT,
                reason="count",
                reference=count.number,
                user=user,
                lots=[(line.lot, -difference)],
            )
    return count


@transaction.atomic
def cancel_count(*, count: StockCount, user=None) -> StockCount:
    count = _locked(count)
    _move(count, CountStatus.CANCELLED, user=user)
    return count
