"""Shipments: the status machine every part of fulfillment moves a shipment through.

Packing creates shipments, hand-over consumes stock, tracking moves them on; each calls
``move_shipment`` so every change is checked against ``SHIPMENT_TRANSITIONS`` and lands on the
shipment's timeline (``ShipmentEvent``) as a domain event ``shipment.<status>``.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fulfillment.models import SHIPMENT_TRANSITIONS, Manifest, Parcel, Shipment, ShipmentStatus
from oms.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from oms.events import emit
from oms.sequences import next_number
from oms.states import check_transition


def lock_shipment(shipment: Shipment | int) -> Shipment:
    pk = shipment if isinstance(shipment, int) else shipment.pk
    locked = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("order", "carrier")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise NotFound(f"There is no shipment {pk}.")
    return locked


def move_shipment(
    shipment: Shipment, target: str, *, user=None, message: str = "", data: dict | None = None
) -> Shipment:
    """Move a (locked) shipment to ``target``; raises ``IllegalTransition`` when not allowed."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("move_shipment() runs inside the caller's transaction")
    check_transition(
        current=shipment.status, target=target, allowed=SHIPMENT_TRANSITIONS, choices=ShipmentStatus
    )
    previous = shipment.status
    shipment.status = target
    fields = ["status", "updated_at"]
    now = timezone.now()
    if target == ShipmentStatus.HANDED_OVER and not shipment.handed_over_at:
        shipment.handed_over_at = now
        fields.append("handed_over_at")
    if target == ShipmentStatus.DELIVERED and not shipment.delivered_at:
        shipment.delivered_at = now
        fields.append("delivered_at")
    shipment.save(update_fields=fields)
    emit(
        f"shipment.{target}",
        subject=shipment,
        actor=user,
        message=message,
        data={"from": previous, "to": target, **(data or {})},
    )
    return shipment


# --- Hand-over, cancellation, manifests --------------------------------------------------------------

HANDOVER_FROM = (ShipmentStatus.CREATED, ShipmentStatus.LABEL_PRINTED)
CANCELLABLE = (ShipmentStatus.PACKING, ShipmentStatus.CREATED, ShipmentStatus.LABEL_PRINTED)
MANIFEST_SERIES = "MNF"


@transaction.atomic
def label_printed(shipment: Shipment | int, *, user=None) -> None:
    """The label came out of the printer: a created shipment becomes label printed. Printing again
    (a jammed printer, a second parcel) changes nothing, so the label view may call it each time."""
    pk = shipment if isinstance(shipment, int) else shipment.pk
    if Shipment.objects.filter(pk=pk, status=ShipmentStatus.CREATED).exists():  # no lock for reprints
        locked = lock_shipment(pk)
        if locked.status == ShipmentStatus.CREATED:
            move_shipment(locked, ShipmentStatus.LABEL_PRINTED, user=user)


@transaction.atomic
def hand_over(shipment_ids, user=None) -> list[Shipment]:
    """The driver takes the parcels: stock leaves (each line's reservation consumed with the picked
    lots, one ledger row per lot), the shipment is handed over and the order (partially) shipped.

    All or nothing: a shipment that cannot go names itself and nothing is handed over.
    """
    from inventory.services import consume
    from orders.services import mark_shipped

    ids = sorted({int(pk) for pk in shipment_ids})
    if not ids:
        raise InvalidInput(_("Choose the shipments to hand over."))
    done = []
    for pk in ids:
        shipment = lock_shipment(pk)
        if shipment.status not in HANDOVER_FROM:
            raise IllegalTransition(
                _("Shipment %(number)s is %(status)s; only labelled shipments are handed over.")
                % {"number": shipment.number, "status": shipment.get_status_display()},
                current=shipment.status,
                target=ShipmentStatus.HANDED_OVER,
            )
        shipped: dict[int, int] = {}
        for line in shipment.lines.select_related("allocation").order_by("pk"):
            if line.allocation is None or line.allocation.reservation_id is None:
                raise Conflict(
                    _("Shipment %(number)s has a line without reserved stock; reallocate the order.")
                    % {"number": shipment.number}
                )
            consume(
                reservation=line.allocation.reservation_id,
                quantity=line.quantity,
                reference=shipment.number,
                user=user,
                lots=[(lot_id, qty) for lot_id, qty in line.lots] or None,
            )
            shipped[line.line_id] = shipped.get(line.line_id, 0) + line.quantity
        move_shipment(shipment, ShipmentStatus.HANDED_OVER, user=user)
        mark_shipped(shipment.order_id, user=user, lines=shipped)
        done.append(shipment)
    return done


@transaction.atomic
def cancel_shipment(shipment: Shipment | int, *, user=None, reason: str = "") -> Shipment:
    """Cancel a shipment that has not left: the carrier is told (if it issued a number) and the
    order's units stay reserved for a new shipment."""
    from fulfillment.carriers import CarrierError, connector_for

    shipment = lock_shipment(shipment)
    if shipment.status not in CANCELLABLE:
        check_transition(
            current=shipment.status,
            target=ShipmentStatus.CANCELLED,
            allowed=SHIPMENT_TRANSITIONS,
            choices=ShipmentStatus,
        )
    if shipment.carrier_id and shipment.tracking_number:
        try:
            connector_for(shipment.carrier).cancel(
                tracking_number=shipment.tracking_number, reference=shipment.carrier_reference
            )
        except CarrierError as error:
            raise Conflict(
                _("%(carrier)s did not cancel: %(message)s")
                % {"carrier": shipment.carrier.name, "message": error.message}
            ) from error
    return move_shipment(shipment, ShipmentStatus.CANCELLED, user=user, message=reason)


@transaction.atomic
def close_manifest(carrier, warehouse, day, user=None) -> Manifest:
    """The day's hand-over list for one carrier and warehouse: every handed-over shipment not on a
    manifest yet (handed over on ``day`` or before), with its parcel count and COD total."""
    carrier_id = carrier if isinstance(carrier, int) else carrier.pk
    warehouse_id = warehouse if isinstance(warehouse, int) else warehouse.pk
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    shipments = list(
        Shipment.objects.select_for_update()
        .filter(
            carrier_id=carrier_id,
            warehouse_id=warehouse_id,
            manifest__isnull=True,
            handed_over_at__lt=end,
        )
        .exclude(status=ShipmentStatus.CANCELLED)
        .order_by("pk")
    )
    if not shipments:
        raise InvalidInput(_("No handed-over shipments are waiting for a manifest."))
    manifest = Manifest.objects.create(
        number=next_number(MANIFEST_SERIES),
        carrier_id=carrier_id,
        warehouse_id=warehouse_id,
        day=day,
        closed_by=user,
        parcel_count=Parcel.objects.filter(shipment__in=shipments).count(),
        cod_total=sum((s.cod_amount for s in shipments), Decimal(0)),
    )
    Shipment.objects.filter(pk__in=[s.pk for s in shipments]).update(manifest=manifest)
    return manifest
