"""Cycle counts: counting (blind) -> review -> posted, or cancelled.

A count snapshots what the system expects per lot when it starts; staff count blind (the screen
never shows the expectation); a reviewer sees the differences and posts them. Posting writes one
``count`` ledger row per differing lot: difference = counted - expected at the start. Posting twice
is an illegal transition, not a second correction.

How "expected" is frozen, and what that means for stock that moves during a count:
``StockCountLine.expected`` is the lot's ``quantity`` copied when the line is created (at
``start_count``, at ``add_found_lot``, and again when a line is sent back for a recount with
``reopen_count(lines=...)``). Nothing locks the bins meanwhile: a sale, receipt or quarantine in a
counted lot changes ``StockLot.quantity`` but not ``expected``, and posting applies
``counted - expected`` to the *current* stock. ``count_drift`` reports every line whose lot no
longer holds ``expected`` (and ``moves_since_start`` the ledger rows in the counted bins since the
count started), so the reviewer can send those lines back; the recount freezes the expectation again.

Separation of duties: when a ``user`` is given, counting needs ``inventory.count_stock`` and
reviewing (reopen, post, cancel) ``inventory.post_count``; warehouse staff count, operators post.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from django.db import models, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory.errors import DuplicateSerial, InvalidQuantity, TrackingDataMissing
from inventory.models import (
    Bin,
    CountStatus,
    MovementKind,
    StockCount,
    StockCountLine,
    StockLot,
    StockMovement,
    Tracking,
    Variant,
    Warehouse,
)
from inventory.services import add_to_lot, remove_stock
from oms.errors import IllegalTransition, NotPermitted
from oms.events import emit
from oms.sequences import next_number
from oms.states import check_transition

COUNT_TRANSITIONS = {
    CountStatus.COUNTING: {CountStatus.REVIEW, CountStatus.CANCELLED},
    CountStatus.REVIEW: {CountStatus.COUNTING, CountStatus.POSTED, CountStatus.CANCELLED},
}

COUNT_PERMISSION = "inventory.count_stock"
REVIEW_PERMISSION = "inventory.post_count"


class ScopeKind(models.TextChoices):
    """What a count covers, as chosen when it was started (kept on the ``count.started`` event)."""

    BINS = "bins", gettext_lazy("Bins")
    ZONE = "zone", gettext_lazy("Whole zone")
    SKUS = "skus", gettext_lazy("Products (SKUs)")
    EXPIRING = "expiring", gettext_lazy("Lots expiring")


def _require(user, permission: str) -> None:
    """A named user must hold ``permission`` (no user = a system act: seeds, tasks, tests)."""
    if getattr(user, "pk", None) and not user.has_perm(permission):
        if permission == REVIEW_PERMISSION:
            message = _("Only a reviewer may do this: your role counts stock but does not post counts.")
        else:
            message = _("Your role does not allow counting stock.")
        raise NotPermitted(message, code="count_permission", permission=permission)


def _move(count: StockCount, target: str, *, user, **fields) -> None:
    if count.status == target:
        raise IllegalTransition(
            _("Count %(number)s is already %(status)s.")
            % {"number": count.number, "status": count.get_status_display().lower()},
            current=count.get_status_display(),
            target=CountStatus(target).label,
        )
    check_transition(current=count.status, target=target, allowed=COUNT_TRANSITIONS, choices=CountStatus)
    count.status = target
    for name, value in fields.items():
        setattr(count, name, value)
    count.save(update_fields=["status", *fields])
    emit(f"count.{target}", subject=count, actor=user, message=count.number)


def _locked(count: StockCount) -> StockCount:
    return StockCount.objects.select_for_update().get(pk=count.pk)


def _actor(user):
    return user if getattr(user, "pk", None) else None


# --- Scope ----------------------------------------------------------------------------------------


def bins_matching(
    *, warehouse: Warehouse, prefix: str = "", first: str = "", last: str = ""
) -> QuerySet[Bin]:
    """Sellable shelf bins of ``warehouse`` by code: a prefix on whole code parts (``A`` is zone A,
    ``A-01`` its first aisle, ``A-01-02`` one shelf) or a range ``first``..``last`` (inclusive;
    codes are zero-padded, so text order is shelf order). Quarantine areas are never counted."""
    bins = Bin.objects.filter(warehouse=warehouse, is_quarantine=False, is_active=True)
    if prefix:
        prefix = prefix.strip().upper().rstrip("-")
        bins = bins.filter(Q(code__iexact=prefix) | Q(code__istartswith=f"{prefix}-"))
    if first or last:
        first, last = first.strip().upper(), (last or first).strip().upper()
        if first > last:
            first, last = last, first
        # The last code also covers what lies below it (``A-02`` includes ``A-02-05-1``).
        bins = bins.filter(Q(code__gte=first), Q(code__lte=last) | Q(code__istartswith=f"{last}-"))
    return bins.order_by("walk_sequence", "pk")


def expiring_lots(*, warehouse: Warehouse, by: date) -> QuerySet[StockLot]:
    """Lots of ``warehouse`` holding sellable units that expire on or before ``by``."""
    return StockLot.objects.filter(
        warehouse=warehouse, quantity__gt=0, expiry_date__isnull=False, expiry_date__lte=by
    )


def scope_label(scope: Mapping[str, Any] | None) -> str:
    """The scope a count was started with, as people read it (``Zone A``, ``Bins A-01 … A-02``)."""
    if not scope:
        return ""
    kind, value = scope.get("kind"), scope.get("value") or ""
    if kind == ScopeKind.ZONE:
        return _("Zone %(zone)s") % {"zone": value}
    if kind == ScopeKind.BINS:
        first, last = scope.get("first") or "", scope.get("last") or ""
        if first and last and first != last:
            return _("Bins %(first)s … %(last)s") % {"first": first, "last": last}
        return _("Bins %(prefix)s") % {"prefix": value or first}
    if kind == ScopeKind.SKUS:
        skus = list(value) if isinstance(value, list) else [value]
        shown = ", ".join(skus[:3]) + (" …" if len(skus) > 3 else "")
        return _("SKUs: %(skus)s") % {"skus": shown}
    if kind == ScopeKind.EXPIRING:
        return _("Lots expiring by %(date)s") % {"date": value}
    return str(value)


# --- Counting -------------------------------------------------------------------------------------


@transaction.atomic
def start_count(
    *,
    warehouse: Warehouse,
    bins: Sequence[Bin] = (),
    variants: Sequence[Variant] = (),
    user=None,
    note: str = "",
    expiring_by: date | None = None,
    scope: Mapping[str, Any] | None = None,
) -> StockCount:
    """Open a count of the given bins and/or SKUs and/or lots expiring by ``expiring_by`` (at least
    one), one line per lot in scope. ``scope`` describes the choice for people (see ``ScopeKind``)
    and is kept on the ``count.started`` event."""
    _require(user, COUNT_PERMISSION)
    if not bins and not variants and expiring_by is None:
        raise InvalidQuantity(_("Choose the bins or products to count."), code="empty_count_scope")
    scope_q = Q()
    if bins:
        scope_q |= Q(bin__in=bins)
    if variants:
        scope_q |= Q(variant__in=variants)
    if expiring_by is not None:
        scope_q |= Q(quantity__gt=0, expiry_date__isnull=False, expiry_date__lte=expiring_by)
    lots = StockLot.objects.filter(scope_q, warehouse=warehouse).filter(Q(quantity__gt=0) | Q(serial=""))
    if not bins and not variants and not lots.exists():
        raise InvalidQuantity(
            _("No lot in %(warehouse)s expires by %(date)s.")
            % {"warehouse": warehouse.code, "date": expiring_by},
            code="empty_count_scope",
        )
    count = StockCount.objects.create(
        number=next_number("CNT"), warehouse=warehouse, note=note, created_by=_actor(user)
    )
    StockCountLine.objects.bulk_create(
        [
            StockCountLine(count=count, lot=lot, expected=lot.quantity)
            for lot in lots.order_by("bin__walk_sequence", "pk")
        ]
    )
    emit(
        "count.started",
        subject=count,
        actor=user,
        message=count.number,
        data={"scope": dict(scope)} if scope else None,
    )
    return count


@transaction.atomic
def add_found_lot(
    *,
    count: StockCount,
    variant: Variant,
    bin: Bin,
    lot_number: str = "",
    serial: str = "",
    expiry_date=None,
    user=None,
) -> StockCountLine:
    """Something is on the shelf that the count did not expect: a new line with expected 0.

    A serial number that the system holds elsewhere (and that this count does not cover) is
    refused: it would be in stock twice; count its bin too, or correct it on the variant's card.
    """
    _require(user, COUNT_PERMISSION)
    count = _locked(count)
    if count.status != CountStatus.COUNTING:
        raise InvalidQuantity(_("This count is no longer open for counting."), code="count_closed")
    if bin.warehouse_id != count.warehouse_id:
        raise InvalidQuantity(_("Bin %(bin)s is in another warehouse.") % {"bin": bin.code})
    product = variant.product
    lot_number, serial = lot_number.strip(), serial.strip()
    if (product.tracking == Tracking.LOT and not lot_number) or (
        product.tracking == Tracking.SERIAL and not serial
    ):
        raise TrackingDataMissing(_("Enter the lot or serial number of what was found."))
    if product.tracks_expiry and expiry_date is None:
        raise TrackingDataMissing(_("%(product)s needs an expiry date.") % {"product": product.name})
    if serial:
        elsewhere = (
            StockLot.objects.filter(variant=variant, serial=serial)
            .filter(Q(quantity__gt=0) | Q(quarantined__gt=0))
            .exclude(warehouse_id=count.warehouse_id, bin=bin)
            .select_related("warehouse", "bin")
            .first()
        )
        if elsewhere and not count.lines.filter(lot=elsewhere).exists():
            raise DuplicateSerial(
                _("Serial number %(serial)s is in stock in %(warehouse)s, bin %(bin)s: count that bin too.")
                % {"serial": serial, "warehouse": elsewhere.warehouse.code, "bin": elsewhere.bin.code},
                serial=serial,
            )
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
def report_found(
    *,
    count: StockCount,
    variant: Variant,
    bin: Bin,
    quantity: int = 1,
    lot_number: str = "",
    serial: str = "",
    expiry_date=None,
    user=None,
) -> StockCountLine:
    """The counter reports units that are not on the list: a found line (``add_found_lot``) with
    ``quantity`` counted on it, in one act (a second report of the same lot adds to it)."""
    line = add_found_lot(
        count=count,
        variant=variant,
        bin=bin,
        lot_number=lot_number,
        serial=serial,
        expiry_date=expiry_date,
        user=user,
    )
    return add_to_count(line=line, quantity=quantity, user=user)


def _open_line(line: StockCountLine) -> StockCountLine:
    line = (
        StockCountLine.objects.select_related("count", "lot").select_for_update(of=("self",)).get(pk=line.pk)
    )
    if line.count.status != CountStatus.COUNTING:
        raise InvalidQuantity(_("This count is no longer open for counting."), code="count_closed")
    return line


def _save_counted(line: StockCountLine, counted: int, user) -> StockCountLine:
    line.counted, line.counted_by, line.counted_at = counted, _actor(user), timezone.now()
    line.save(update_fields=["counted", "counted_by", "counted_at"])
    return line


@transaction.atomic
def record_count(*, line: StockCountLine, counted: int, user=None) -> StockCountLine:
    """Enter what is on the shelf (recounting overwrites); only while the count is open."""
    _require(user, COUNT_PERMISSION)
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        raise InvalidQuantity(_("The counted quantity must be zero or more."))
    line = _open_line(line)
    if line.lot.serial and counted > 1:
        raise InvalidQuantity(_("A serial number is one unit: count 0 or 1."))
    return _save_counted(line, counted, user)


@transaction.atomic
def add_to_count(*, line: StockCountLine, quantity: int = 1, user=None) -> StockCountLine:
    """One more scanned unit (or ``quantity`` more) on a line: the line is locked, so two counters
    scanning the same shelf never lose a unit."""
    _require(user, COUNT_PERMISSION)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidQuantity(_("Quantity must be a whole number above zero (got %(q)s).") % {"q": quantity})
    line = _open_line(line)
    counted = (line.counted or 0) + quantity
    if line.lot.serial and counted > 1:
        raise InvalidQuantity(
            _("Serial number %(serial)s is already counted.") % {"serial": line.lot.serial},
            code="serial_counted",
        )
    return _save_counted(line, counted, user)


@transaction.atomic
def submit_count(*, count: StockCount, user=None) -> StockCount:
    """Counting is done: every line must have a number."""
    _require(user, COUNT_PERMISSION)
    count = _locked(count)
    if count.status == CountStatus.COUNTING:
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
def reopen_count(
    *, count: StockCount, user=None, lines: Iterable[StockCountLine | int] | None = None
) -> StockCount:
    """Send back for a recount from review.

    Without ``lines`` the counted figures stay (the counter corrects what is wrong). With ``lines``
    those lines are counted again from scratch: their figure is cleared and their expectation is
    frozen anew from the lot as it is now (stock that moved since the start no longer skews them).
    """
    _require(user, REVIEW_PERMISSION)
    count = _locked(count)
    _move(count, CountStatus.COUNTING, user=user)
    if lines is not None:
        ids = {line if isinstance(line, int) else line.pk for line in lines}
        chosen = list(
            count.lines.filter(pk__in=ids)
            .select_related("lot")
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        for line in chosen:
            line.expected = line.lot.quantity
            line.counted = line.counted_by = line.counted_at = None
        StockCountLine.objects.bulk_update(chosen, ["expected", "counted", "counted_by", "counted_at"])
    return count


@transaction.atomic
def post_count(*, count: StockCount, user=None) -> StockCount:
    """Write the differences to the ledger. Shortages cannot eat reserved units: that line fails
    with ``StockBelowReserved`` and nothing is posted until the reservation is dealt with.
    Shortages are posted before surpluses, so a serial found in another bin of the same count
    leaves its old place before it arrives in the new one."""
    _require(user, REVIEW_PERMISSION)
    count = _locked(count)
    if count.status == CountStatus.COUNTING:
        missing = count.lines.filter(counted__isnull=True).count()
        raise InvalidQuantity(
            _("%(n)s line(s) are not counted yet: the count must be counted and submitted before posting.")
            % {"n": missing}
            if missing
            else _("Submit the count for review before posting it."),
            code="count_incomplete",
            uncounted=missing,
        )
    _move(count, CountStatus.POSTED, user=user, posted_by=_actor(user), posted_at=timezone.now())
    lines = list(
        count.lines.select_related("lot", "lot__variant__product").exclude(counted=None).order_by("pk")
    )
    for line in [x for x in lines if x.counted < x.expected] + [x for x in lines if x.counted > x.expected]:
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
        else:
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
    _require(user, REVIEW_PERMISSION)
    count = _locked(count)
    _move(count, CountStatus.CANCELLED, user=user)
    return count


# --- Reads for the review -------------------------------------------------------------------------


def count_drift(count: StockCount) -> dict[int, int]:
    """Line id -> units the lot gained (+) or lost (-) since its expectation was frozen, for every
    line of an unposted count whose lot moved meanwhile (net; one query)."""
    if count.status in (CountStatus.POSTED, CountStatus.CANCELLED):
        return {}
    rows = (
        count.lines.exclude(lot__quantity=F("expected"))
        .annotate(now=F("lot__quantity"))
        .values_list("pk", "now", "expected")
    )
    return {pk: now - expected for pk, now, expected in rows}


def moves_since_start(count: StockCount) -> int:
    """Ledger rows in the counted bins since the count started, except the count's own posting."""
    if count.status in (CountStatus.POSTED, CountStatus.CANCELLED):
        return 0
    bins = count.lines.values("lot__bin_id")
    return (
        StockMovement.objects.filter(
            warehouse_id=count.warehouse_id, lot__bin_id__in=bins, created_at__gt=count.created_at
        )
        .exclude(reference=count.number)
        .aggregate(n=Count("pk"))["n"]
    )


def count_list() -> QuerySet[StockCount]:
    """Counts with their warehouse, people and line figures (one query per page; paginate by ``-pk``)."""
    counted = Q(lines__counted__isnull=False)
    return StockCount.objects.select_related("warehouse", "created_by", "posted_by").annotate(
        line_total=Count("lines"),
        line_counted=Count("lines", filter=counted),
        line_differences=Count("lines", filter=counted & ~Q(lines__counted=F("lines__expected"))),
    )


def attach_scopes(counts: Sequence[StockCount]) -> None:
    """Give each count a ``scope_label`` from its ``count.started`` event (one query for all)."""
    from django.contrib.contenttypes.models import ContentType

    from oms.models import Event

    if not counts:
        return
    events = Event.objects.filter(
        content_type=ContentType.objects.get_for_model(StockCount),
        object_id__in=[str(c.pk) for c in counts],
        name="count.started",
    ).values_list("object_id", "data")
    scopes = {object_id: (data or {}).get("scope") for object_id, data in events}
    for count in counts:
        count.scope_label = scope_label(scopes.get(str(count.pk)))


def count_lines(count: StockCount, *, blind: bool) -> QuerySet[StockCountLine]:
    """The count's lines in walk order with everything a row shows. ``blind`` leaves the expected
    figure out of the query altogether, so a counting screen cannot show it by mistake."""
    lines = count.lines.select_related("lot__bin", "lot__variant__product", "counted_by").order_by(
        "lot__bin__walk_sequence", "lot__bin__code", "pk"
    )
    return lines.defer("expected") if blind else lines
