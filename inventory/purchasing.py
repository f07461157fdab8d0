"""Purchase orders and goods in.

Purchase order: draft -> sent -> partially received -> received, or cancelled before it is fully
received. A receipt books what physically arrived (against an order or free), through
``services.add_stock``; more or less than ordered is recorded as each line's ``variance``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

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
from oms.address import validate_postal_code_for_province
from oms.errors import Conflict, InvalidInput
from oms.events import EVENT_LABELS, emit, enqueue_on_commit, timeline_for
from oms.identity import validate_tax_number
from oms.models import Province
from oms.money import check_currency, round_money, to_decimal
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
def send_purchase_order(*, order: PurchaseOrder, user=None, notify_supplier: bool = True) -> PurchaseOrder:
    """Draft -> sent: the order is now the supplier's to deliver. When the supplier has an e-mail
    address (and ``notify_supplier``), ``inventory.tasks.email_purchase_order`` mails it the PDF
    after commit. Raises ``IllegalTransition`` for anything but a draft."""
    order = PurchaseOrder.objects.select_for_update(of=("self",)).select_related("supplier").get(pk=order.pk)
    _set_status(order, PurchaseOrderStatus.SENT, user=user)
    if notify_supplier and order.supplier.email:
        from inventory.tasks import email_purchase_order as email_task

        enqueue_on_commit(email_task, order_id=order.pk)
    return order


@transaction.atomic
def cancel_purchase_order(*, order: PurchaseOrder, user=None, reason: str = "") -> PurchaseOrder:
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    _set_status(order, PurchaseOrderStatus.CANCELLED, user=user, message=reason)
    return order


# --- Draft lines, order details, e-mail to the supplier -----------------------------------------

# Orders that still bring stock (replenishment counts their outstanding units as on order).
OPEN_STATUSES = (
    PurchaseOrderStatus.DRAFT,
    PurchaseOrderStatus.SENT,
    PurchaseOrderStatus.PARTIALLY_RECEIVED,
)
# Orders the supplier has and has not completed: late once their expected date has passed.
AWAITED_STATUSES = (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED)

EVENT_LABELS.update(
    {
        "purchase_order.created": _lazy("Created"),
        "purchase_order.updated": _lazy("Details changed"),
        "purchase_order.line_added": _lazy("Line added"),
        "purchase_order.line_changed": _lazy("Line changed"),
        "purchase_order.line_removed": _lazy("Line removed"),
        "purchase_order.sent": _lazy("Sent to the supplier"),
        "purchase_order.emailed": _lazy("E-mailed to the supplier"),
        "purchase_order.partially_received": _lazy("Partially received"),
        "purchase_order.received": _lazy("Received"),
        "purchase_order.cancelled": _lazy("Cancelled"),
        "supplier.created": _lazy("Supplier created"),
        "supplier.updated": _lazy("Supplier changed"),
        "supplier.item_added": _lazy("Item added"),
        "supplier.item_changed": _lazy("Item changed"),
        "supplier.item_removed": _lazy("Item removed"),
    }
)


def default_unit_cost(*, supplier: Supplier, variant: Variant) -> Decimal:
    """What a line costs unless told otherwise: the supplier's price, else the variant's cost price."""
    cost = (
        SupplierItem.objects.filter(supplier=supplier, variant=variant).values_list("cost", flat=True).first()
    )
    return cost if cost is not None else variant.cost_price


def _check_cost(value) -> Decimal:
    cost = round_money(value)
    if cost < 0:
        raise InvalidInput(_("A cost cannot be negative."), code="negative_cost")
    return cost


def _lock_draft(order: PurchaseOrder) -> PurchaseOrder:
    """The order, locked; refused unless it is still a draft (sent orders are the supplier's)."""
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if order.status != PurchaseOrderStatus.DRAFT:
        raise Conflict(
            _("Purchase order %(number)s is %(status)s; only drafts can be changed.")
            % {"number": order.number, "status": order.get_status_display()},
            code="purchase_order_not_draft",
        )
    return order


@transaction.atomic
def add_purchase_order_line(
    *, order: PurchaseOrder, variant: Variant, quantity: int, unit_cost=None, user=None
) -> PurchaseOrderLine:
    """Add a product to a draft order; a product already on it gets the quantity added to its line
    (and the new cost, when one is given). Raises ``Conflict`` unless the order is a draft."""
    order = _lock_draft(order)
    quantity = _check_quantity(quantity)
    line = PurchaseOrderLine.objects.select_for_update().filter(order=order, variant=variant).first()
    if line is None:
        if unit_cost is None:
            unit_cost = default_unit_cost(supplier=order.supplier, variant=variant)
        line = PurchaseOrderLine.objects.create(
            order=order, variant=variant, quantity_ordered=quantity, unit_cost=_check_cost(unit_cost)
        )
    else:
        line.quantity_ordered += quantity
        if unit_cost is not None:
            line.unit_cost = _check_cost(unit_cost)
        line.save(update_fields=["quantity_ordered", "unit_cost"])
    emit(
        "purchase_order.line_added",
        subject=order,
        actor=user,
        message=f"{variant.sku} ×{quantity}",
        data={"variant_id": variant.pk, "quantity": quantity},
    )
    return line


@transaction.atomic
def change_purchase_order_line(
    *, line: PurchaseOrderLine, quantity: int, unit_cost=None, user=None
) -> PurchaseOrderLine:
    """Set a draft line's quantity (at least 1) and, when given, its unit cost."""
    order = _lock_draft(line.order)
    line = (
        PurchaseOrderLine.objects.select_for_update().select_related("variant").get(pk=line.pk, order=order)
    )
    line.quantity_ordered = _check_quantity(quantity)
    if unit_cost is not None:
        line.unit_cost = _check_cost(unit_cost)
    line.save(update_fields=["quantity_ordered", "unit_cost"])
    emit(
        "purchase_order.line_changed",
        subject=order,
        actor=user,
        message=f"{line.variant.sku} ×{line.quantity_ordered}",
        data={
            "variant_id": line.variant_id,
            "quantity": line.quantity_ordered,
            "unit_cost": str(line.unit_cost),
        },
    )
    return line


@transaction.atomic
def remove_purchase_order_line(*, line: PurchaseOrderLine, user=None) -> None:
    """Take a line off a draft order; the last line stays (cancel the order instead)."""
    order = _lock_draft(line.order)
    line = PurchaseOrderLine.objects.select_related("variant").get(pk=line.pk, order=order)
    if not PurchaseOrderLine.objects.filter(order=order).exclude(pk=line.pk).exists():
        raise InvalidQuantity(_("A purchase order needs at least one line; cancel the order instead."))
    line.delete()
    emit(
        "purchase_order.line_removed",
        subject=order,
        actor=user,
        message=line.variant.sku,
        data={"variant_id": line.variant_id},
    )


@transaction.atomic
def update_purchase_order(
    *,
    order: PurchaseOrder,
    expected_date: date | None,
    note: str = "",
    warehouse: Warehouse | None = None,
    user=None,
) -> PurchaseOrder:
    """Change an open order's expected date and note (suppliers move dates); the delivery
    warehouse only while it is a draft. Closed orders (received, cancelled) stay as they are."""
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if order.status not in OPEN_STATUSES:
        raise Conflict(
            _("Purchase order %(number)s is %(status)s and can no longer be changed.")
            % {"number": order.number, "status": order.get_status_display()},
            code="purchase_order_closed",
        )
    changed = {}
    if warehouse is not None and warehouse.pk != order.warehouse_id:
        if order.status != PurchaseOrderStatus.DRAFT:
            raise Conflict(
                _("Purchase order %(number)s has been sent; its warehouse cannot change.")
                % {"number": order.number},
                code="purchase_order_not_draft",
            )
        order.warehouse = warehouse
        changed["warehouse"] = warehouse.code
    if expected_date != order.expected_date:
        order.expected_date = expected_date
        changed["expected_date"] = expected_date.isoformat() if expected_date else None
    note = (note or "").strip()
    if note != order.note:
        order.note = note
        changed["note"] = note
    if changed:
        order.save(update_fields=["warehouse", "expected_date", "note"])
        emit("purchase_order.updated", subject=order, actor=user, data=changed)
    return order


def purchase_order_pdf(order: PurchaseOrder) -> bytes:
    """The order as the supplier gets it (PDF, in the shop's language)."""
    from inventory.selectors import purchase_order_document
    from oms.pdf import render_pdf

    with translation.override(settings.LANGUAGE_CODE):
        return render_pdf("inventory/purchasing/purchase_order_pdf.html", purchase_order_document(order))


def email_purchase_order(*, order_id: int) -> bool:
    """E-mail a sent order's PDF to its supplier, once (idempotent: the ``purchase_order.emailed``
    event on the order's timeline is the record). Returns whether a message went out.

    Nothing is sent for an order that is no longer awaited (cancelled, received) or a supplier
    without an e-mail address. The order row stays locked while the message is sent, so two
    workers cannot both send it; a failed send rolls back and the task retries.
    """
    with transaction.atomic():
        order = (
            PurchaseOrder.objects.select_for_update(of=("self",))
            .select_related("supplier", "warehouse")
            .filter(pk=order_id)
            .first()
        )
        if order is None or order.status not in AWAITED_STATUSES or not order.supplier.email:
            return False
        if timeline_for(order).filter(name="purchase_order.emailed").exists():
            return False
        from oms.pdf import company

        pdf = purchase_order_pdf(order)
        with translation.override(settings.LANGUAGE_CODE):
            context = {
                "order": order,
                "supplier": order.supplier,
                "warehouse": order.warehouse,
                "company": company(),
            }
            subject = render_to_string("inventory/purchasing/purchase_order_email_subject.txt", context)
            body = render_to_string("inventory/purchasing/purchase_order_email.txt", context)
        message = EmailMessage(" ".join(subject.split()), body, to=[order.supplier.email])
        message.attach(f"{order.number}.pdf", pdf, "application/pdf")
        message.send()
        emit(
            "purchase_order.emailed",
            subject=order,
            message=order.supplier.email,
            data={"to": order.supplier.email},
        )
    return True


# --- Suppliers ------------------------------------------------------------------------------------

# Address and tax identity (printed on purchase orders); all optional.
SUPPLIER_ADDRESS_FIELDS = (
    "contact_name",
    "address_line",
    "district",
    "province",
    "postal_code",
    "tax_office",
    "tax_number",
)

SUPPLIER_TERMS = (
    "name",
    "email",
    "phone",
    "lead_time_days",
    "minimum_order_quantity",
    "pack_size",
    "reliability",
    "currency",
    "is_active",
    *SUPPLIER_ADDRESS_FIELDS,
)
MAX_LEAD_TIME_DAYS = 365
# Free-text fields and their lengths (the columns'), said in words rather than a database error.
_SUPPLIER_TEXT_LIMITS = {
    "contact_name": (120, _lazy("The contact person's name is at most 120 characters.")),
    "address_line": (255, _lazy("The address is at most 255 characters.")),
    "district": (80, _lazy("The district is at most 80 characters.")),
    "tax_office": (80, _lazy("The tax office is at most 80 characters.")),
}


def _whole_number(value, *, minimum: int, maximum: int | None = None, message: str, code: str) -> int:
    if isinstance(value, bool):
        raise InvalidInput(message, code=code)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(message, code=code) from None
    if number < minimum or (maximum is not None and number > maximum):
        raise InvalidInput(message, code=code)
    return number


def _clean_supplier_fields(fields: dict) -> dict:
    """Validate supplier terms (the database constraints, said in words); returns clean values."""
    clean = {}
    for name, value in fields.items():
        if name == "code":
            value = str(value or "").strip().upper()
            if not value or len(value) > 20 or any(c.isspace() for c in value):
                raise InvalidInput(
                    _("A supplier code is 1 to 20 characters without spaces."), code="invalid_supplier_code"
                )
        elif name == "name":
            value = str(value or "").strip()
            if not value:
                raise InvalidInput(_("A supplier needs a name."), code="supplier_name_missing")
        elif name == "email":
            value = str(value or "").strip()
            if value:
                try:
                    validate_email(value)
                except ValidationError:
                    raise InvalidInput(
                        _("“%(email)s” is not an e-mail address.") % {"email": value}, code="invalid_email"
                    ) from None
        elif name == "phone":
            value = str(value or "").strip()
        elif name in _SUPPLIER_TEXT_LIMITS:
            value = " ".join(str(value or "").split())
            limit, message = _SUPPLIER_TEXT_LIMITS[name]
            if len(value) > limit:
                raise InvalidInput(str(message), code=f"{name}_too_long")
        elif name == "province":
            value = _province(value)
        elif name == "postal_code":
            value = str(value or "").strip()
            if value and not re.fullmatch(r"\d{5}", value):
                raise InvalidInput(_("A Turkish postal code has five digits."), code="invalid_postal_code")
        elif name == "tax_number":
            value = str(value or "").strip()
            if value:
                try:
                    value = validate_tax_number(value)
                except ValidationError as error:
                    raise InvalidInput(error.messages[0], code="invalid_tax_number") from None
        elif name == "lead_time_days":
            value = _whole_number(
                value,
                minimum=0,
                maximum=MAX_LEAD_TIME_DAYS,
                message=_("The lead time is 0 to %(max)s days.") % {"max": MAX_LEAD_TIME_DAYS},
                code="invalid_lead_time",
            )
        elif name == "minimum_order_quantity":
            value = _whole_number(
                value, minimum=1, message=_("The minimum order quantity is at least 1."), code="invalid_moq"
            )
        elif name == "pack_size":
            value = _whole_number(
                value, minimum=1, message=_("The pack size is at least 1."), code="invalid_pack_size"
            )
        elif name == "reliability":
            value = to_decimal(value)
            if not Decimal(0) <= value <= Decimal(1):
                raise InvalidInput(
                    _("Reliability is a share between 0 and 1 (e.g. 0.85)."), code="invalid_reliability"
                )
            value = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        elif name == "currency":
            value = check_currency(value)
        elif name == "is_active":
            value = bool(value)
        else:
            raise TypeError(f"unknown supplier field {name!r}")
        clean[name] = value
    return clean


def _province(value) -> Province | None:
    """A province given as the row, its plate code or nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, Province):
        return value
    province = Province.objects.filter(code=value).first() if str(value).strip().isdigit() else None
    if province is None:
        raise InvalidInput(_("“%(value)s” is not a province.") % {"value": value}, code="unknown_province")
    return province


def _check_postal_code(postal_code: str, province: Province | None) -> None:
    """A Turkish postal code starts with its province's plate code (34xxx is İstanbul)."""
    try:
        validate_postal_code_for_province(postal_code, province.code if province else None)
    except ValidationError as error:
        raise InvalidInput(error.messages[0], code="postal_code_province_mismatch") from None


def _code_taken(code: str) -> Conflict:
    return Conflict(
        _("There is already a supplier with code “%(code)s”.") % {"code": code},
        code="supplier_code_taken",
        supplier=code,
    )


@transaction.atomic
def create_supplier(
    *,
    code: str,
    name: str,
    email: str = "",
    phone: str = "",
    lead_time_days: int = 7,
    minimum_order_quantity: int = 1,
    pack_size: int = 1,
    reliability: Decimal | str = Decimal("0.90"),
    currency: str = "TRY",
    is_active: bool = True,
    contact_name: str = "",
    address_line: str = "",
    district: str = "",
    province: Province | int | None = None,
    postal_code: str = "",
    tax_office: str = "",
    tax_number: str = "",
    user=None,
) -> Supplier:
    """A new supplier with its terms, address and tax identity. Raises ``InvalidInput`` for bad
    terms (reliability outside 0-1, pack size or MOQ below 1 ...), a postal code that is not the
    province's, a tax number (VKN or TCKN) with a wrong check digit, and ``Conflict`` for a code
    already in use. ``province`` is the row or its plate code."""
    fields = _clean_supplier_fields(
        {
            "code": code,
            "name": name,
            "email": email,
            "phone": phone,
            "lead_time_days": lead_time_days,
            "minimum_order_quantity": minimum_order_quantity,
            "pack_size": pack_size,
            "reliability": reliability,
            "currency": currency,
            "is_active": is_active,
            "contact_name": contact_name,
            "address_line": address_line,
            "district": district,
            "province": province,
            "postal_code": postal_code,
            "tax_office": tax_office,
            "tax_number": tax_number,
        }
    )
    _check_postal_code(fields["postal_code"], fields["province"])
    if Supplier.objects.filter(code=fields["code"]).exists():
        raise _code_taken(fields["code"])
    try:
        with transaction.atomic():
            supplier = Supplier.objects.create(**fields)
    except IntegrityError:  # created concurrently under the same code
        raise _code_taken(fields["code"]) from None
    emit("supplier.created", subject=supplier, actor=user, message=supplier.code)
    return supplier


@transaction.atomic
def update_supplier(*, supplier: Supplier, user=None, **changes) -> Supplier:
    """Change a supplier's code, name, contact, terms, address or tax identity (keyword arguments
    named like the fields); the same rules as ``create_supplier``. Open orders keep the currency
    they were placed in."""
    unknown = set(changes) - {"code", *SUPPLIER_TERMS}
    if unknown:
        raise TypeError(f"unknown supplier fields: {sorted(unknown)}")
    clean = _clean_supplier_fields(changes)
    supplier = Supplier.objects.select_for_update().get(pk=supplier.pk)
    if "postal_code" in clean or "province" in clean:
        _check_postal_code(
            clean.get("postal_code", supplier.postal_code), clean.get("province", supplier.province)
        )
    code = clean.get("code", supplier.code)
    if code != supplier.code and Supplier.objects.filter(code=code).exclude(pk=supplier.pk).exists():
        raise _code_taken(code)
    changed = {name: value for name, value in clean.items() if getattr(supplier, name) != value}
    if changed:
        for name, value in changed.items():
            setattr(supplier, name, value)
        try:
            with transaction.atomic():
                supplier.save(update_fields=list(changed))
        except IntegrityError:
            raise _code_taken(code) from None
        emit(
            "supplier.updated",
            subject=supplier,
            actor=user,
            message=", ".join(sorted(changed)),
            data={name: "" if value is None else str(value) for name, value in changed.items()},
        )
    return supplier


def _preferred_conflict(current: SupplierItem, variant: Variant) -> Conflict:
    return Conflict(
        _(
            "%(supplier)s is already the preferred supplier of %(sku)s. Switch the preference "
            "explicitly to make this supplier preferred instead."
        )
        % {"supplier": current.supplier.name, "sku": variant.sku},
        code="preferred_supplier_exists",
        supplier=current.supplier.code,
        sku=variant.sku,
    )


def _make_room_for_preferred(*, variant: Variant, keep: SupplierItem | None, switch: bool) -> None:
    """Before an item becomes the variant's preferred source: refuse while another supplier is
    preferred, or (``switch``) take the preference from it. One preferred supplier per variant is
    also a database constraint; the lock makes concurrent switches wait for each other."""
    others = SupplierItem.objects.select_for_update(of=("self",)).filter(variant=variant, is_preferred=True)
    if keep is not None:
        others = others.exclude(pk=keep.pk)
    current = others.select_related("supplier").order_by("pk").first()
    if current is None:
        return
    if not switch:
        raise _preferred_conflict(current, variant)
    SupplierItem.objects.filter(pk=current.pk).update(is_preferred=False)


def _save_item(item: SupplierItem, variant: Variant, **kwargs) -> None:
    try:
        with transaction.atomic():
            item.save(**kwargs)
    except IntegrityError:  # another preferred source was set meanwhile
        current = (
            SupplierItem.objects.select_related("supplier").filter(variant=variant, is_preferred=True).first()
        )
        if current is None:
            raise
        raise _preferred_conflict(current, variant) from None


@transaction.atomic
def add_supplier_item(
    *,
    supplier: Supplier,
    variant: Variant,
    cost=None,
    supplier_sku: str = "",
    is_preferred: bool = False,
    switch_preferred: bool = False,
    user=None,
) -> SupplierItem:
    """Record that ``supplier`` sells us ``variant`` (cost defaults to the variant's cost price).

    ``is_preferred`` makes it the variant's preferred source; if another supplier is preferred that
    raises ``Conflict`` unless ``switch_preferred`` moves the preference here."""
    if SupplierItem.objects.filter(supplier=supplier, variant=variant).exists():
        raise Conflict(
            _("%(supplier)s already supplies %(sku)s; change that item instead.")
            % {"supplier": supplier.name, "sku": variant.sku},
            code="supplier_item_exists",
        )
    item = SupplierItem(
        supplier=supplier,
        variant=variant,
        cost=_check_cost(cost if cost is not None else variant.cost_price),
        supplier_sku=(supplier_sku or "").strip()[:64],
        is_preferred=bool(is_preferred),
    )
    if item.is_preferred:
        _make_room_for_preferred(variant=variant, keep=None, switch=switch_preferred)
    _save_item(item, variant)
    emit(
        "supplier.item_added",
        subject=supplier,
        actor=user,
        message=variant.sku,
        data={"variant_id": variant.pk, "cost": str(item.cost), "preferred": item.is_preferred},
    )
    return item


@transaction.atomic
def update_supplier_item(
    *,
    item: SupplierItem,
    cost,
    supplier_sku: str = "",
    is_preferred: bool = False,
    switch_preferred: bool = False,
    user=None,
) -> SupplierItem:
    """Change an item's cost, the supplier's SKU and whether it is the preferred source (the same
    preference rule as ``add_supplier_item``)."""
    item = (
        SupplierItem.objects.select_for_update(of=("self",))
        .select_related("variant", "supplier")
        .get(pk=item.pk)
    )
    item.cost = _check_cost(cost)
    item.supplier_sku = (supplier_sku or "").strip()[:64]
    if is_preferred and not item.is_preferred:
        _make_room_for_preferred(variant=item.variant, keep=item, switch=switch_preferred)
    item.is_preferred = bool(is_preferred)
    _save_item(item, item.variant, update_fields=["cost", "supplier_sku", "is_preferred"])
    emit(
        "supplier.item_changed",
        subject=item.supplier,
        actor=user,
        message=item.variant.sku,
        data={"variant_id": item.variant_id, "cost": str(item.cost), "preferred": item.is_preferred},
    )
    return item


@transaction.atomic
def remove_supplier_item(*, item: SupplierItem, user=None) -> None:
    """The supplier no longer sells us the variant (orders already placed are not affected)."""
    item = SupplierItem.objects.select_related("variant", "supplier").get(pk=item.pk)
    item.delete()
    emit(
        "supplier.item_removed",
        subject=item.supplier,
        actor=user,
        message=item.variant.sku,
        data={"variant_id": item.variant_id, "was_preferred": item.is_preferred},
    )


# --- Goods in -------------------------------------------------------------------------------------


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
    aborts the whole receipt. Bins must be active, non-quarantine bins of the warehouse. The order's
    received quantities and status follow.

    A variant may come on several lines (two lots, two bins). Its ``variance`` - everything of it
    on this receipt minus what was still outstanding before (nothing, without an order line) - is
    recorded once, on its last line, so a receipt's variances add up per variant.
    """
    if not lines:
        raise InvalidQuantity(_("A receipt needs at least one line."))
    for line in lines:
        if line.variant is None:
            raise UnknownVariant(_("Unknown product on the receipt."))
        if line.bin is not None and (line.bin.is_quarantine or not line.bin.is_active):
            raise InvalidQuantity(
                _("Bin %(bin)s does not take received goods (quarantine area or inactive).")
                % {"bin": line.bin.code}
            )
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
    outstanding = {variant_id: po_line.outstanding for variant_id, po_line in po_lines.items()}
    received: dict[int, int] = {}
    last_line: dict[int, int] = {}
    for index, line in enumerate(lines):
        received[line.variant.pk] = received.get(line.variant.pk, 0) + line.quantity
        last_line[line.variant.pk] = index
    receipt = Receipt.objects.create(
        number=next_number("GR"),
        warehouse=warehouse,
        purchase_order=purchase_order,
        note=note,
        received_by=user if getattr(user, "pk", None) else None,
    )
    for index, line in enumerate(lines):
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
        variant_id = line.variant.pk
        po_line = po_lines.get(variant_id)
        variance = 0
        if last_line[variant_id] == index:
            variance = received[variant_id] - outstanding.get(variant_id, 0)
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
