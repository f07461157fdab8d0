"""Transfers between warehouses: requested -> shipped (in transit) -> received, or cancelled.

Requesting reserves the units at the source (reason ``transfer``), so nobody sells them meanwhile.
Shipping consumes the reservations (``transfer_out`` ledger rows) and remembers which lots left;
receiving books those lots in at the destination (``transfer_in``). Units that never arrive stay
visible as the line's shortfall.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from django.db import transaction
from django.db.models import Count, DecimalField, F, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import InvalidQuantity
from inventory.models import (
    Bin,
    MovementKind,
    Reservation,
    ReservationReason,
    ReservationStatus,
    StockLevel,
    Transfer,
    TransferLine,
    TransferStatus,
    Variant,
    Warehouse,
)
from inventory.services import StockRequest, _check_quantity, add_stock, consume, release_reference, reserve
from oms.errors import IllegalTransition
from oms.events import emit
from oms.sequences import next_number
from oms.states import check_transition

TRANSFER_TRANSITIONS = {
    TransferStatus.REQUESTED: {TransferStatus.SHIPPED, TransferStatus.CANCELLED},
    TransferStatus.SHIPPED: {TransferStatus.RECEIVED},
}


def _move(transfer: Transfer, target: str, *, user, **fields) -> None:
    if transfer.status == target:
        raise IllegalTransition(
            _("Transfer %(number)s is already %(status)s.")
            % {"number": transfer.number, "status": transfer.get_status_display().lower()},
            current=transfer.get_status_display(),
            target=TransferStatus(target).label,
        )
    if target == TransferStatus.CANCELLED and transfer.status != TransferStatus.REQUESTED:
        raise IllegalTransition(
            _("Transfer %(number)s is %(status)s: only a transfer that has not shipped can be cancelled.")
            % {"number": transfer.number, "status": transfer.get_status_display().lower()},
            current=transfer.get_status_display(),
            target=TransferStatus(target).label,
        )
    check_transition(
        current=transfer.status, target=target, allowed=TRANSFER_TRANSITIONS, choices=TransferStatus
    )
    transfer.status = target
    for name, value in fields.items():
        setattr(transfer, name, value)
    transfer.save(update_fields=["status", *fields])
    emit(f"transfer.{target}", subject=transfer, actor=user, message=transfer.number)


@transaction.atomic
def request_transfer(
    *,
    source: Warehouse,
    destination: Warehouse,
    lines: Sequence[tuple[Variant, int]],
    user=None,
    note: str = "",
) -> Transfer:
    """Create a transfer and reserve its units at the source, all or nothing (``InsufficientStock``)."""
    if source.pk == destination.pk:
        raise InvalidQuantity(_("A transfer needs two different warehouses."), code="same_warehouse")
    if not lines:
        raise InvalidQuantity(_("A transfer needs at least one line."))
    if len({variant.pk for variant, _q in lines}) != len(lines):
        raise InvalidQuantity(_("Each product may appear once per transfer."))
    transfer = Transfer.objects.create(
        number=next_number("TR"),
        source=source,
        destination=destination,
        note=note,
        created_by=user if getattr(user, "pk", None) else None,
    )
    created = TransferLine.objects.bulk_create(
        [
            TransferLine(transfer=transfer, variant=variant, quantity=_check_quantity(qty))
            for variant, qty in lines
        ]
    )
    reserve(
        requests=[
            StockRequest(line.variant_id, source.pk, line.quantity, line.reference) for line in created
        ],
        reason=ReservationReason.TRANSFER,
        owner=transfer.number,
    )
    emit("transfer.requested", subject=transfer, actor=user, message=transfer.number)
    return transfer


@transaction.atomic
def ship_transfer(*, transfer: Transfer, user=None) -> Transfer:
    """The goods leave the source: reservations are consumed and the lots that left are recorded."""
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    _move(transfer, TransferStatus.SHIPPED, user=user, shipped_at=timezone.now())
    for line in transfer.lines.order_by("pk"):
        shipped = []
        for reservation in Reservation.objects.filter(
            reference=line.reference, status=ReservationStatus.ACTIVE
        ):
            for movement in consume(
                reservation=reservation, kind=MovementKind.TRANSFER_OUT, reference=transfer.number, user=user
            ):
                lot = movement.lot
                shipped.append(
                    {
                        "lot_number": lot.lot_number,
                        "serial": lot.serial,
                        "quantity": -movement.on_hand_delta,
                        "expiry_date": lot.expiry_date.isoformat() if lot.expiry_date else None,
                    }
                )
        line.shipped_lots = shipped
        line.save(update_fields=["shipped_lots"])
    return transfer


@transaction.atomic
def receive_transfer(
    *, transfer: Transfer, received: Mapping[int, int] | None = None, user=None, bin: Bin | None = None
) -> Transfer:
    """Book the shipped lots in at the destination. ``received`` maps line id -> units that arrived
    (default: everything shipped); fewer is recorded as the line's shortfall, more is refused.

    The units go into ``bin`` (a bin of the destination), else its receiving location
    (``services.default_bin``). A shortfall is not booked anywhere: those units left the source
    with the ``transfer_out`` rows and stay visible as ``quantity - quantity_received`` on the line
    until someone finds them (an adjustment at the destination) or writes them off."""
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if bin is not None and bin.warehouse_id != transfer.destination_id:
        raise InvalidQuantity(
            _("Bin %(bin)s is not in %(warehouse)s.")
            % {"bin": bin.code, "warehouse": transfer.destination.code}
        )
    _move(transfer, TransferStatus.RECEIVED, user=user, received_at=timezone.now())
    for line in transfer.lines.select_related("variant__product").order_by("pk"):
        arrived = line.quantity if received is None else received.get(line.pk, 0)
        if arrived < 0 or arrived > line.quantity:
            raise InvalidQuantity(
                _("Line %(sku)s: between 0 and %(q)s units can arrive.")
                % {"sku": line.variant.sku, "q": line.quantity}
            )
        remaining = arrived
        for shipped in line.shipped_lots:
            take = min(remaining, shipped["quantity"])
            if take <= 0:
                break
            expiry = date.fromisoformat(shipped["expiry_date"]) if shipped["expiry_date"] else None
            add_stock(
                variant=line.variant,
                warehouse=transfer.destination,
                quantity=take,
                kind=MovementKind.TRANSFER_IN,
                lot_number=shipped["lot_number"],
                serials=[shipped["serial"]] if shipped["serial"] else (),
                expiry_date=expiry,
                reference=transfer.number,
                user=user,
                bin=bin,
            )
            remaining -= take
        TransferLine.objects.filter(pk=line.pk).update(quantity_received=F("quantity_received") + arrived)
    return transfer


@transaction.atomic
def cancel_transfer(*, transfer: Transfer, user=None) -> Transfer:
    """Only before shipping: the reservations at the source are released."""
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    _move(transfer, TransferStatus.CANCELLED, user=user)
    for line in transfer.lines.order_by("pk"):
        release_reference(reference=line.reference)
    return transfer


def in_transit(*, destination: Warehouse | None = None) -> dict[tuple[int, int], int]:
    """Units shipped and not yet received, per (variant id, destination warehouse id)."""
    lines = TransferLine.objects.filter(transfer__status=TransferStatus.SHIPPED)
    if destination is not None:
        lines = lines.filter(transfer__destination=destination)
    rows = lines.values("variant_id", "transfer__destination_id").annotate(units=Sum("quantity"))
    return {(r["variant_id"], r["transfer__destination_id"]): r["units"] for r in rows}


# --- Reads for the panel --------------------------------------------------------------------------


def transfer_list() -> QuerySet[Transfer]:
    """Transfers with their warehouses and per-transfer line figures (one query per page)."""
    return Transfer.objects.select_related("source", "destination", "created_by").annotate(
        line_count=Count("lines"),
        units=Coalesce(Sum("lines__quantity"), 0),
        units_received=Coalesce(Sum("lines__quantity_received"), 0),
    )


def in_transit_summary() -> list[dict]:
    """Shipped, not yet received: units and cost value per destination (and currency)."""
    rows = (
        TransferLine.objects.filter(transfer__status=TransferStatus.SHIPPED)
        .values(
            "transfer__destination_id",
            "transfer__destination__code",
            "transfer__destination__name",
            "variant__currency",
        )
        .annotate(
            units=Sum("quantity"),
            value=Sum(F("quantity") * F("variant__cost_price"), output_field=DecimalField()),
            transfers=Count("transfer", distinct=True),
        )
        .order_by("transfer__destination__priority", "transfer__destination__code", "variant__currency")
    )
    return [
        {
            "id": r["transfer__destination_id"],
            "code": r["transfer__destination__code"],
            "name": r["transfer__destination__name"],
            "currency": r["variant__currency"],
            "units": r["units"],
            "value": r["value"],
            "transfers": r["transfers"],
        }
        for r in rows
    ]


def available_at(warehouse: Warehouse | int, variant_ids: Sequence[int]) -> dict[int, int]:
    """Variant id -> units available (on hand - reserved) in ``warehouse``."""
    warehouse_id = warehouse if isinstance(warehouse, int) else warehouse.pk
    rows = StockLevel.objects.filter(warehouse_id=warehouse_id, variant_id__in=list(variant_ids)).values_list(
        "variant_id", "on_hand", "reserved"
    )
    return {variant_id: on_hand - reserved for variant_id, on_hand, reserved in rows}
