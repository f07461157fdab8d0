"""Purchase orders and goods in.

Purchase order: draft -> sent -> partially received -> received, or cancelled before it is fully
received. A receipt books what physically arrived (against an order or free), through
``services.add_stock``; more or less than ordered is recorded as each line's ``variance``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import InvalidQuantity, UnknownVariant
from inventory.models import (
    Bin,
    MovementKind,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Receipt,
    ReceiptLine,
    Supplier,
    SupplierItem,
    Variant,
    Warehouse,
)
from inventory.services import _check_quantity, add_stock
from oms.errors import Conflict
from oms.events import emit
from oms.sequences import next_number
from oms.states import check_transition

PO_TRANSITIONS = {
    PurchaseOrderStatus.DRAFT: {PurchaseOrderStatus.SENT, PurchaseOrderStatus.CANCELLED},
    PurchaseOrderStatus.SENT: {
        PurchaseOrderStatus.PARTIALLY_RECEIVED,
        PurchaseOrderStatus.RECEIVED,
        PurchaseOrderStatus.CANCELLED,
    },
    PurchaseOrderStatus.PARTIALLY_RECEIVED: {
        PurchaseOrderStatus.PARTIALLY_RECEIVED,
        PurchaseOrderStatus.RECEIVED,
        PurchaseOrderStatus.CANCELLED,
    },
}


@dataclass(frozen=True)
class OrderLineInput:
    variant: Variant
    quantity: int
    unit_cost: object = None  # Decimal; default: the supplier's cost, else the variant's cost price


@transaction.atomic
def create_purchase_order(
    *,
    supplier: Supplier,
    warehouse: Warehouse,
    lines: Sequence[OrderLineInput],
    user=None,
    expected_date: date | None = None,
    note: str = "",
) -> PurchaseOrder:
    """A draft purchase order; the expected date defaults to today + the supplier's lead time."""
    if not lines:
        raise InvalidQuantity(_("A purchase order needs at least one line."))
    variants = [line.variant.pk for line in lines]
    if len(set(variants)) != len(variants):
        raise InvalidQuantity(_("Each product may appear once per purchase order."))
    costs = dict(
        SupplierItem.objects.filter(supplier=supplier, variant_id__in=variants).values_list(
            "variant_id", "cost"
        )
    )
    order = PurchaseOrder.objects.create(
        number=next_number("PO"),
        supplier=supplier,
        warehouse=warehouse,
        currency=supplier.currency,
        expected_date=expected_date or timezone.localdate() + timedelta(days=supplier.lead_time_days),
        note=note,
        created_by=user if getattr(user, "pk", None) else None,
    )
    PurchaseOrderLine.objects.bulk_create(
        [
            PurchaseOrderLine(
                order=order,
                variant=line.variant,
                quantity_ordered=_check_quantity(line.quantity),
                unit_cost=line.unit_cost
                if line.unit_cost is not None
                else costs.get(line.variant.pk, line.variant.cost_price),
            )
            for line in lines
        ]
    )
    emit("purchase_order.created", subject=order, actor=user, message=order.number)
    return order


def _set_status(order: PurchaseOrder, target: str, *, user, message: str = "") -> None:
    check_transition(current=order.status, target=target, allowed=PO_TRANSITIONS, choices=PurchaseOrderStatus)
    order.status = target
    fields = ["status"]
    if target == PurchaseOrderStatus.SENT:
        order.sent_at = timezone.now()
        fields.append("sent_at")
    order.save(update_fields=fields)
    emit(f"purchase_order.{target}", subject=order, actor=user, message=message)


@transaction.atomic
def send_purchase_order(*, order: PurchaseOrder, user=None) -> PurchaseOrder:
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    _set_status(order, PurchaseOrderStatus.SENT, user=user)
    return order


@transaction.atomic
def cancel_purchase_order(*, order: PurchaseOrder, user=None, reason: str = "") -> PurchaseOrder:
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    _set_status(order, PurchaseOrderStatus.CANCELLED, user=user, message=reason)
    return order


@dataclass(frozen=True)
class ReceiptInput:
    variant: Variant
    quantity: int
    bin: Bin | None = None
    lot_number: str = ""
    expiry_date: date | None = None
    serials: Sequence[str] = field(default_factory=tuple)


@transaction.atomic
def receive_goods(
    *,
    warehouse: Warehouse,
    lines: Sequence[ReceiptInput],
    purchase_order: PurchaseOrder | None = None,
    user=None,
    note: str = "",
) -> Receipt:
    """Book arrived goods into bins; against an open purchase order or free.

    Lot, serial and expiry rules of each product apply (see ``services.add_stock``); a bad line
    aborts the whole receipt. The order's received quantities and status follow.
    """
    if not lines:
        raise InvalidQuantity(_("A receipt needs at least one line."))
    po_lines: dict[int, PurchaseOrderLine] = {}
    if purchase_order is not None:
        purchase_order = PurchaseOrder.objects.select_for_update().get(pk=purchase_order.pk)
        if purchase_order.status not in (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED):
            raise Conflict(
                _("Purchase order %(number)s is %(status)s; only sent orders can be received.")
                % {"number": purchase_order.number, "status": purchase_order.get_status_display()},
                code="purchase_order_not_open",
            )
        if purchase_order.warehouse_id != warehouse.pk:
            raise InvalidQuantity(
                _("Purchase order %(number)s is for %(warehouse)s.")
                % {"number": purchase_order.number, "warehouse": purchase_order.warehouse}
            )
        po_lines = {line.variant_id: line for line in purchase_order.lines.select_for_update().order_by("pk")}
    receipt = Receipt.objects.create(
        number=next_number("GR"),
        warehouse=warehouse,
        purchase_order=purchase_order,
        note=note,
        received_by=user if getattr(user, "pk", None) else None,
    )
    for line in lines:
        if line.variant is None:
            raise UnknownVariant(_("Unknown product on the receipt."))
        movements = add_stock(
            variant=line.variant,
            warehouse=warehouse,
            quantity=line.quantity,
            kind=MovementKind.RECEIPT,
            bin=line.bin,
            lot_number=line.lot_number,
            serials=line.serials,
            expiry_date=line.expiry_date,
            reference=receipt.number,
            user=user,
        )
        po_line = po_lines.get(line.variant.pk)
        variance = line.quantity - (po_line.outstanding if po_line else 0)
        if po_line:
            PurchaseOrderLine.objects.filter(pk=po_line.pk).update(
                quantity_received=F("quantity_received") + line.quantity
            )
            po_line.quantity_received += line.quantity
        ReceiptLine.objects.create(
            receipt=receipt,
            variant=line.variant,
            purchase_order_line=po_line,
            quantity=line.quantity,
            bin=movements[0].lot.bin,
            lot_number=line.lot_number,
            expiry_date=line.expiry_date,
            serials=list(line.serials),
            variance=variance,
        )
    if purchase_order is not None:
        complete = all(po_line.quantity_received >= po_line.quantity_ordered for po_line in po_lines.values())
        target = PurchaseOrderStatus.RECEIVED if complete else PurchaseOrderStatus.PARTIALLY_RECEIVED
        _set_status(purchase_order, target, user=user, message=receipt.number)
    emit(
        "stock.received",
        subject=receipt,
        actor=user,
        message=receipt.number,
        data={"warehouse_id": warehouse.pk, "lines": [[line.variant.pk, line.quantity] for line in lines]},
    )
    return receipt
