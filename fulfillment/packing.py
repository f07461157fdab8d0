"""The packing station: from a tote (or an order number) to a labelled shipment.

``start_packing`` turns the picked units of one order in one warehouse into a ``Shipment`` in
status ``packing`` with one ``ShipmentLine`` per allocation (carrying the picked lots and serials,
which hand-over consumes). Every unit is scanned again (``verify_item``: quality control against
wrong items), parcels are weighed and measured (``add_parcel``), and ``close_packing`` asks the
carrier for a tracking number: a refusal leaves the shipment packing and opens a ``label`` problem.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from fulfillment.carriers import Address, CarrierError, ParcelSpec, ShipmentRequest, connector_for
from fulfillment.models import (
    Box,
    CarrierAccount,
    Parcel,
    PickTask,
    PickTaskStatus,
    ProblemKind,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    desi_of,
)
from fulfillment.problems import open_problem
from fulfillment.shipments import lock_shipment, move_shipment
from inventory.models import StockLot, Variant, Warehouse
from oms.errors import Conflict, DomainError, InvalidInput, NotFound
from oms.events import emit
from oms.sequences import next_number_unlocked
from orders.models import Order, OrderAllocation, OrderStatus, PaymentMethod

SHIPMENT_SERIES = "GND"  # gönderi
FILL_FACTOR = Decimal("1.15")  # room for padding around the goods
ZERO = Decimal(0)


class PackingError(DomainError):
    code = "packing_refused"
    status = 422


class WrongItem(PackingError):
    code = "wrong_item"


class LabelRefused(DomainError):
    code = "label_refused"
    status = 502


# --- Starting ---------------------------------------------------------------------------------------


def _warehouse_id(warehouse: Warehouse | int) -> int:
    return warehouse if isinstance(warehouse, int) else warehouse.pk


def _open_shipment(order_id: int, warehouse_id: int) -> Shipment | None:
    return (
        Shipment.objects.filter(order_id=order_id, warehouse_id=warehouse_id, status=ShipmentStatus.PACKING)
        .order_by("pk")
        .first()
    )


def _already_shipping(allocation_ids) -> dict[int, int]:
    """Units of each allocation already on a shipment that is not cancelled."""
    rows = (
        ShipmentLine.objects.filter(allocation_id__in=list(allocation_ids))
        .exclude(shipment__status=ShipmentStatus.CANCELLED)
        .values("allocation_id")
        .annotate(n=Sum("quantity"))
    )
    return {row["allocation_id"]: row["n"] for row in rows}


@transaction.atomic
def start_packing(code: str, warehouse: Warehouse | int, *, user=None) -> Shipment:
    """Open (or resume) the shipment for a scanned tote code or order number.

    Units come from the order's picked tasks in this warehouse (with their lots and serials); an
    order that was never put on a pick list is packed straight from its allocations here (a small
    shop picks by hand), the lots then chosen by the removal strategy at hand-over.
    """
    code = (code or "").strip()
    if not code:
        raise InvalidInput(_("Scan a tote or type an order number."))
    warehouse_id = _warehouse_id(warehouse)
    tasks = PickTask.objects.filter(
        pick_list__warehouse_id=warehouse_id, tote=code, quantity_picked__gt=0
    ).exclude(status=PickTaskStatus.CANCELLED)
    order_ids = set(tasks.values_list("order_id", flat=True))
    if len(order_ids) > 1:
        raise PackingError(
            _("Tote %(tote)s holds several orders; scan the order number instead.") % {"tote": code}
        )
    if order_ids:
        order = Order.objects.select_for_update().get(pk=order_ids.pop())
    else:
        order = Order.objects.select_for_update().filter(number__iexact=code).first()
        if order is None:
            raise NotFound(_("No tote or order %(code)s in this warehouse.") % {"code": code})
    existing = _open_shipment(order.pk, warehouse_id)
    if existing is not None:
        return existing
    if order.status not in (OrderStatus.ALLOCATED, OrderStatus.IN_FULFILLMENT, OrderStatus.PARTIALLY_SHIPPED):
        raise PackingError(
            _("Order %(number)s is %(status)s; it cannot be packed.")
            % {"number": order.number, "status": order.get_status_display()}
        )
    allocations = {
        a.pk: a
        for a in OrderAllocation.objects.filter(order=order, warehouse_id=warehouse_id).select_related("line")
    }
    taken = _already_shipping(allocations)
    all_tasks = PickTask.objects.filter(order=order, pick_list__warehouse_id=warehouse_id).exclude(
        status=PickTaskStatus.CANCELLED
    )
    units: dict[int, dict] = {}  # allocation id -> quantity, lots, serials
    if all_tasks.exists():
        for task in all_tasks.filter(quantity_picked__gt=0).order_by("pk"):
            allocation_id = task.allocation_id or _allocation_for(allocations, task.line_id)
            if allocation_id is None:
                continue
            entry = units.setdefault(allocation_id, {"quantity": 0, "lots": defaultdict(int), "serials": []})
            entry["quantity"] += task.quantity_picked
            if task.lot_id:
                entry["lots"][task.lot_id] += task.quantity_picked
            entry["serials"] += list(task.serials or [])
    else:
        for allocation in allocations.values():
            units[allocation.pk] = {"quantity": allocation.quantity, "lots": {}, "serials": []}
    lines = []
    for allocation_id, entry in sorted(units.items()):
        allocation = allocations[allocation_id]
        left = min(entry["quantity"], allocation.quantity) - taken.get(allocation_id, 0)
        if left <= 0:
            continue
        lots = [[lot_id, qty] for lot_id, qty in sorted(entry["lots"].items())]
        if sum(q for _l, q in lots) != left:
            lots = []  # part of the picked units already left: let hand-over choose the lots
        lines.append(
            ShipmentLine(
                line_id=allocation.line_id,
                allocation=allocation,
                quantity=left,
                lots=lots,
                serials=entry["serials"][:left],
            )
        )
    if not lines:
        raise PackingError(
            _("Nothing of order %(number)s is waiting to be packed here.") % {"number": order.number}
        )
    if order.status == OrderStatus.ALLOCATED:
        from orders.services import start_fulfillment

        start_fulfillment(order, user=user)
    shipment = Shipment.objects.create(
        number=next_number_unlocked(SHIPMENT_SERIES),
        order=order,
        warehouse_id=warehouse_id,
        currency=order.currency,
        packed_by=user,
    )
    for line in lines:
        line.shipment = shipment
    ShipmentLine.objects.bulk_create(lines)
    emit("shipment.packing", subject=shipment, actor=user, data={"order": order.number, "code": code})
    return shipment


def _allocation_for(allocations: dict[int, OrderAllocation], line_id: int) -> int | None:
    for allocation in allocations.values():
        if allocation.line_id == line_id:
            return allocation.pk
    return None


# --- Verifying --------------------------------------------------------------------------------------


def _variant_for_code(code: str) -> tuple[Variant | None, str]:
    """The product a scanned code names (barcode, SKU or a unit's serial number) and the serial."""
    variant = Variant.objects.filter(barcode=code).first() or Variant.objects.filter(sku__iexact=code).first()
    if variant is not None:
        return variant, ""
    lot = StockLot.objects.filter(serial=code).exclude(serial="").select_related("variant").first()
    if lot is not None:
        return lot.variant, code
    return None, ""


@transaction.atomic
def verify_item(shipment: Shipment | int, code: str, *, user=None) -> ShipmentLine:
    """Check one scanned unit against the shipment (quality control before the box is closed)."""
    shipment = lock_shipment(shipment)
    if shipment.status != ShipmentStatus.PACKING:
        raise PackingError(_("Shipment %(number)s is already closed.") % {"number": shipment.number})
    code = (code or "").strip()
    if not code:
        raise InvalidInput(_("Scan the item's barcode."))
    variant, serial = _variant_for_code(code)
    if variant is None:
        raise WrongItem(_("Unknown code %(code)s: no product has this barcode or SKU.") % {"code": code})
    lines = list(
        ShipmentLine.objects.select_for_update()
        .filter(shipment=shipment, line__variant=variant)
        .select_related("line")
        .order_by("pk")
    )
    if not lines:
        raise WrongItem(
            _("%(sku)s is not on order %(number)s. Put it aside.")
            % {"sku": variant.sku, "number": shipment.order.number}
        )
    open_lines = [line for line in lines if line.quantity_verified < line.quantity]
    if not open_lines:
        raise WrongItem(
            _("All %(n)s of %(sku)s are already verified; this one is extra.")
            % {"n": sum(line.quantity for line in lines), "sku": variant.sku}
        )
    line = open_lines[0]
    if serial and line.serials and serial not in line.serials:
        raise WrongItem(_("Serial number %(serial)s was not picked for this order.") % {"serial": serial})
    line.quantity_verified += 1
    line.save(update_fields=["quantity_verified"])
    return line


def verification(shipment: Shipment) -> dict:
    """How far the scan-check is: lines with their variant, units verified and to go."""
    lines = list(shipment.lines.select_related("line__variant__product").order_by("pk"))
    total = sum(line.quantity for line in lines)
    done = sum(line.quantity_verified for line in lines)
    return {"lines": lines, "total": total, "verified": done, "left": total - done, "complete": total == done}


# --- Box suggestion and instructions ----------------------------------------------------------------


@dataclass
class BoxSuggestion:
    box: Box | None
    volume_cm3: Decimal
    weight_kg: Decimal
    fragile: bool
    by_volume: bool  # False: some products have no dimensions, chosen by weight only
    missing_dimensions: list[str] = field(default_factory=list)  # SKUs without dimensions
    missing_weight: list[str] = field(default_factory=list)
    note: str = ""


def _items_of(items) -> list[tuple[Variant, int]]:
    if isinstance(items, Shipment):
        return [
            (line.line.variant, line.quantity)
            for line in items.lines.select_related("line__variant__product").order_by("pk")
        ]
    return list(items)


def suggest_box(items, *, boxes=None) -> BoxSuggestion:
    """The smallest active box that holds ``items`` ((variant, quantity) pairs or a shipment).

    By volume (with room for padding) and the longest side when every product has dimensions;
    otherwise by weight alone. Fragile goods get a padded box when one exists.
    """
    pairs = _items_of(items)
    volume, weight, fragile, longest = ZERO, ZERO, False, ZERO
    no_dims, no_weight = [], []
    for variant, quantity in pairs:
        product = variant.product
        dims = [product.length_cm, product.width_cm, product.height_cm]
        if all(d for d in dims):
            volume += dims[0] * dims[1] * dims[2] * quantity
            longest = max(longest, *dims)
        else:
            no_dims.append(variant.sku)
        if product.weight_kg:
            weight += product.weight_kg * quantity
        else:
            no_weight.append(variant.sku)
        fragile = fragile or product.fragile
    by_volume = not no_dims
    candidates = list(boxes if boxes is not None else Box.objects.filter(is_active=True))
    candidates.sort(key=lambda b: (b.volume_cm3, b.code))

    def fits(box: Box) -> bool:
        if box.max_weight_kg < weight + box.tare_weight_kg:
            return False
        if by_volume:
            sides = max(box.length_cm, box.width_cm, box.height_cm)
            return box.volume_cm3 >= volume * FILL_FACTOR and sides >= longest
        return True

    note = ""
    chosen = None
    if fragile:
        chosen = next((b for b in candidates if b.for_fragile and fits(b)), None)
        if chosen is None:
            note = _("No padded box fits: pad the goods by hand.")
    if chosen is None:
        chosen = next((b for b in candidates if fits(b)), None)
    if chosen is None and candidates:
        note = _("Nothing fits in one box: use several parcels.")
    if not by_volume and chosen is not None:
        note = note or _("Some products have no dimensions; chosen by weight only.")
    return BoxSuggestion(
        box=chosen,
        volume_cm3=volume,
        weight_kg=weight,
        fragile=fragile,
        by_volume=by_volume,
        missing_dimensions=no_dims,
        missing_weight=no_weight,
        note=note,
    )


def instructions(shipment: Shipment) -> list[dict]:
    """What the packer must do beyond boxing: gift wrap (and the message card), special-order code
    label, cold chain, fragile goods. Each item: ``kind`` and ``text``."""
    order = shipment.order
    out = []
    if order.gift_message:  # a message is always a gift, whether or not wrapping was asked for
        out.append(
            {
                "kind": "gift",
                "text": _("Gift wrap; add a card with the message: %(m)s") % {"m": order.gift_message},
            }
        )
    elif order.gift_wrap:
        out.append({"kind": "gift", "text": _("Gift wrap.")})
    if order.special_code:
        out.append(
            {
                "kind": "special",
                "text": _("Stick the special-order label %(code)s (%(kind)s) on the parcel.")
                % {"code": order.special_code, "kind": order.get_special_kind_display() or "-"},
            }
        )
    products = [line.line.variant.product for line in shipment.lines.select_related("line__variant__product")]
    if any(p.cold_chain for p in products):
        out.append({"kind": "cold", "text": _("Cold chain: pack with ice packs in an insulated box.")})
    if any(p.fragile for p in products):
        out.append({"kind": "fragile", "text": _("Fragile: pad every item and mark the parcel fragile.")})
    if order.payment_method == PaymentMethod.CASH_ON_DELIVERY:
        out.append(
            {
                "kind": "cod",
                "text": _("Cash on delivery: %(amount)s %(currency)s")
                % {"amount": order.grand_total, "currency": order.currency},
            }
        )
    return out


# --- Parcels ----------------------------------------------------------------------------------------


def _positive(value, label: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except Exception:
        number = None
    if number is None or not number.is_finite() or number <= 0:
        raise InvalidInput(_("%(what)s must be greater than zero.") % {"what": label})
    return number


def _refresh_totals(shipment: Shipment) -> None:
    parcels = list(shipment.parcels.all())
    shipment.weight_kg = sum((p.weight_kg for p in parcels), ZERO)
    shipment.desi = sum((p.desi for p in parcels), ZERO)
    shipment.chargeable_weight = sum((p.chargeable_weight for p in parcels), ZERO)
    shipment.save(update_fields=["weight_kg", "desi", "chargeable_weight", "updated_at"])


@transaction.atomic
def add_parcel(
    shipment: Shipment | int, *, weight_kg, box: Box | int | None = None, dims=None, user=None
) -> Parcel:
    """Add a weighed parcel: a standard ``box`` or measured ``dims`` (length, width, height in cm).

    desi = L x W x H / 3000; the carrier bills the larger of desi and kg (``chargeable_weight``).
    """
    shipment = lock_shipment(shipment)
    if shipment.status != ShipmentStatus.PACKING:
        raise PackingError(_("Shipment %(number)s is already closed.") % {"number": shipment.number})
    weight = _positive(weight_kg, _("Weight"))
    if box is not None:
        box = box if isinstance(box, Box) else Box.objects.filter(pk=box).first()
        if box is None:
            raise NotFound(_("There is no such box."))
        length, width, height = box.length_cm, box.width_cm, box.height_cm
    elif dims:
        if len(dims) != 3:
            raise InvalidInput(_("Give length, width and height."))
        length = _positive(dims[0], _("Length"))
        width = _positive(dims[1], _("Width"))
        height = _positive(dims[2], _("Height"))
    else:
        raise InvalidInput(_("Choose a box or enter the parcel's dimensions."))
    number = (shipment.parcels.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    parcel = Parcel.objects.create(
        shipment=shipment,
        number=number,
        box=box,
        weight_kg=weight.quantize(Decimal("0.001")),
        length_cm=length,
        width_cm=width,
        height_cm=height,
        desi=desi_of(length, width, height),
        barcode=f"{shipment.number}-{number}",
    )
    _refresh_totals(shipment)
    return parcel


@transaction.atomic
def remove_parcel(parcel: Parcel | int) -> None:
    parcel = parcel if isinstance(parcel, Parcel) else Parcel.objects.get(pk=parcel)
    shipment = lock_shipment(parcel.shipment_id)
    if shipment.status != ShipmentStatus.PACKING:
        raise PackingError(_("Shipment %(number)s is already closed.") % {"number": shipment.number})
    parcel.delete()
    _refresh_totals(shipment)


# --- Closing: carrier, tracking number, label --------------------------------------------------------


def _sender(warehouse: Warehouse) -> Address:
    from oms.pdf import company

    return Address(
        name=warehouse.full_name or company().get("name") or warehouse.name,
        phone=warehouse.phone or company().get("phone", ""),
        line=warehouse.address_line,
        district=warehouse.district,
        city=warehouse.province.name if warehouse.province_id else "",
        postal_code=warehouse.postal_code,
        country=warehouse.country,
    )


def _recipient(order: Order) -> Address:
    city = order.ship_city or (order.ship_province.name if order.ship_province_id else "")
    line = ", ".join(part for part in [order.ship_neighbourhood, order.ship_line] if part)
    return Address(
        name=order.ship_name,
        phone=order.ship_phone or order.customer_phone,
        line=line,
        district=order.ship_district,
        city=city,
        postal_code=order.ship_postal_code,
        country=order.ship_country,
        email=order.customer_email,
    )


def cod_amount_for(shipment: Shipment) -> Decimal:
    """Cash on delivery: the order's total, collected with its first shipment only."""
    order = shipment.order
    if order.payment_method != PaymentMethod.CASH_ON_DELIVERY:
        return ZERO
    earlier = (
        Shipment.objects.filter(order=order, cod_amount__gt=0)
        .exclude(pk=shipment.pk)
        .exclude(status=ShipmentStatus.CANCELLED)
    )
    return ZERO if earlier.exists() else order.grand_total


def shipment_request(shipment: Shipment) -> ShipmentRequest:
    order = shipment.order
    return ShipmentRequest(
        reference=shipment.number,
        sender=_sender(shipment.warehouse),
        recipient=_recipient(order),
        parcels=[
            ParcelSpec(
                weight_kg=p.weight_kg,
                length_cm=p.length_cm,
                width_cm=p.width_cm,
                height_cm=p.height_cm,
                desi=p.desi,
            )
            for p in shipment.parcels.order_by("number")
        ],
        cod_amount=shipment.cod_amount,
        currency=shipment.currency,
        order_number=order.number,
        description=", ".join(sorted({line.line.sku for line in shipment.lines.select_related("line")}))[
            :120
        ],
    )


def _default_chooser(shipment: Shipment):
    """``fulfillment.selection.choose_carrier`` for the packed parcels (their chargeable desi)."""
    try:
        from fulfillment.selection import choose_carrier, order_flags
    except ImportError:  # selection not installed: the packer picks the carrier
        raise PackingError(_("Automatic carrier selection is not available; choose a carrier.")) from None
    return choose_carrier(
        order=shipment.order,
        warehouse=shipment.warehouse,
        parcels_desi=[p.chargeable_weight for p in shipment.parcels.all()],
        flags=order_flags(shipment.order),
    )


def close_packing(
    shipment: Shipment | int,
    user=None,
    *,
    carrier: CarrierAccount | int | None = None,
    tracking_number: str = "",
    choose=None,
) -> Shipment:
    """Close the box: every unit verified, at least one parcel; pick the carrier (``carrier``
    overrides the selection, recorded as the user's choice), ask it for the tracking number and
    label, and move the shipment to ``created``.

    ``choose(shipment) -> (account, reason)`` is the carrier selection (default
    ``fulfillment.selection.choose_carrier``). The carrier is called outside the row lock's
    transaction; a ``CarrierError`` leaves the shipment packing, opens a ``label`` problem and
    raises ``LabelRefused`` with the carrier's message.
    """
    with transaction.atomic():
        shipment = lock_shipment(shipment)
        if shipment.status != ShipmentStatus.PACKING:
            raise PackingError(_("Shipment %(number)s is already closed.") % {"number": shipment.number})
        state = verification(shipment)
        if not state["complete"]:
            raise PackingError(
                _("%(n)s unit(s) are not verified yet; scan every item before closing.")
                % {"n": state["left"]}
            )
        if not shipment.parcels.exists():
            raise PackingError(_("Add at least one weighed parcel before closing."))
        if carrier is not None:
            account = (
                carrier if isinstance(carrier, CarrierAccount) else CarrierAccount.objects.get(pk=carrier)
            )
            if not account.is_active:
                raise PackingError(_("Carrier %(name)s is not active.") % {"name": account.name})
            reason = _("Chosen at the packing station by %(user)s.") % {"user": user or "-"}
            shipment.carrier_overridden_by = user if user is not None and user.pk else None
        else:
            account, reason = (choose or _default_chooser)(shipment)
            if account is None:
                raise PackingError(reason or _("No carrier can take this shipment."))
        shipment.carrier = account
        shipment.carrier_reason = str(reason)[:255]
        shipment.cod_amount = cod_amount_for(shipment)
        shipment.save(
            update_fields=["carrier", "carrier_reason", "carrier_overridden_by", "cod_amount", "updated_at"]
        )
        request = shipment_request(shipment)
    try:
        connector = connector_for(account)
        # Only the manual connector takes the number the operator typed in.
        kwargs = {"tracking_number": tracking_number} if account.connector == "manual" else {}
        label = connector.create_shipment(request, **kwargs)
    except CarrierError as error:
        with transaction.atomic():
            open_problem(
                kind=ProblemKind.LABEL,
                warehouse_id=shipment.warehouse_id,
                order_id=shipment.order_id,
                shipment=shipment,
                code=error.code,
                detail=f"{account.name}: {error.message}",
            )
        raise LabelRefused(
            _("%(carrier)s refused the label: %(message)s")
            % {"carrier": account.name, "message": error.message},
            carrier_code=error.code,
        ) from error
    with transaction.atomic():
        shipment = lock_shipment(shipment.pk)
        if shipment.status != ShipmentStatus.PACKING:
            raise Conflict(_("Shipment %(number)s changed meanwhile.") % {"number": shipment.number})
        shipment.tracking_number = label.tracking_number
        shipment.carrier_reference = label.carrier_reference or shipment.number
        shipment.label_format = label.label_format or "ours"
        shipment.label_data = label.label_data or None
        shipment.estimated_delivery = timezone.localdate() + timedelta(days=account.transit_days)
        shipment.shipping_cost = label.price
        if user is not None and user.pk:
            shipment.packed_by = user
        shipment.save(
            update_fields=[
                "tracking_number",
                "carrier_reference",
                "label_format",
                "label_data",
                "estimated_delivery",
                "shipping_cost",
                "packed_by",
                "updated_at",
            ]
        )
        barcodes = list(label.parcel_barcodes or [])
        for parcel, barcode in zip(shipment.parcels.order_by("number"), barcodes, strict=False):
            parcel.barcode = barcode[:64]
            parcel.save(update_fields=["barcode"])
        move_shipment(
            shipment,
            ShipmentStatus.CREATED,
            user=user,
            data={"carrier": account.code, "tracking_number": label.tracking_number},
        )
    return shipment
