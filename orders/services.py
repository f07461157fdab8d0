"""Orders: intake (one service for the panel, the API and file imports), the status machine (one
function per transition, each checked against ``ALLOWED_TRANSITIONS`` and recorded on the order's
timeline) and the work queues.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import ChannelPrice, SalesChannel, ShortagePolicy
from inventory.models import Variant
from oms.address import find_province
from oms.errors import IllegalTransition, InvalidInput, NotFound, NotPermitted
from oms.events import domain_event, emit
from oms.money import CURRENCIES, round_money, to_decimal
from oms.reference_cache import ReferenceCache
from oms.sequences import next_number_unlocked
from oms.states import check_transition
from orders import allocation, customers, risk
from orders.batch import IntakeBatch, open_batch, record, save_fields
from orders.errors import OrderInvalid, OutOfStock, SelfApproval
from orders.models import (
    ALLOWED_TRANSITIONS,
    Customer,
    Order,
    OrderEvent,
    OrderLine,
    OrderSource,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Priority,
    Queue,
    QueueItem,
    SpecialKind,
)
from orders.pricing import TotalsLine, order_totals

S = OrderStatus
NUMBER_SERIES = "SIP"  # sipariş: SIP-2026-000042
SPECIAL_PREFIX = {
    SpecialKind.EXCHANGE: "DEG",
    SpecialKind.GIFT: "HED",
    SpecialKind.VIP: "VIP",
    SpecialKind.COUPON: "KUP",
}
MAX_LINES = 200


# --- Intake ---------------------------------------------------------------------------------------


@dataclass
class AddressData:
    name: str = ""
    phone: str = ""
    line1: str = ""
    neighbourhood: str = ""
    district: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = "TR"
    tax_number: str = ""
    tax_office: str = ""


@dataclass
class LineData:
    sku: str
    quantity: int
    unit_price: Decimal | str | int | None = None  # None: the channel's price list
    discount: Decimal | str | int = 0


@dataclass
class OrderData:
    """An order as any intake path delivers it, before validation."""

    channel: str
    lines: list[LineData]
    customer: customers.CustomerData
    shipping_address: AddressData
    payment_method: str
    channel_order_id: str = ""
    currency: str = ""
    billing_address: AddressData | None = None
    shipping_fee: Decimal | str | int = 0
    discount: Decimal | str | int = 0  # order-level, spread over the lines
    notes: str = ""
    gift_message: str = ""
    gift_wrap: bool = False
    special_kind: str = ""
    installments: int = 1
    priority: int | None = None
    placed_at: datetime | None = None
    hold_ids: list[int] = field(default_factory=list)
    ip_address: str | None = None


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, field_name: str, message: str, code: str = "invalid") -> None:
        self.items.append({"field": field_name, "code": code, "message": str(message)})

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]
            summary = (
                first["message"]
                if len(self.items) == 1
                else _("%(n)s problems, first: %(m)s")
                % {
                    "n": len(self.items),
                    "m": first["message"],
                }
            )
            raise OrderInvalid(summary, errors=self.items)


def _amount(value, errors: _Errors, field_name: str) -> Decimal:
    try:
        amount = round_money(to_decimal(value if value not in (None, "") else 0))
    except (InvalidInput, TypeError):
        errors.add(field_name, _("“%(v)s” is not an amount.") % {"v": value}, "invalid_amount")
        return Decimal(0)
    if amount < 0:
        errors.add(field_name, _("The amount cannot be negative."), "negative_amount")
    return amount


@dataclass
class _CleanLine:
    variant: Variant
    quantity: int
    unit_price: Decimal
    list_price: Decimal
    discount: Decimal


def _clean_lines(data: OrderData, channel: SalesChannel, errors: _Errors) -> list[_CleanLine]:
    if not data.lines:
        errors.add("lines", _("The order has no lines."), "no_lines")
        return []
    if len(data.lines) > MAX_LINES:
        errors.add("lines", _("At most %(n)s lines per order.") % {"n": MAX_LINES}, "too_many_lines")
        return []
    skus = {(line.sku or "").strip() for line in data.lines}
    variants = {v.sku: v for v in Variant.objects.select_related("product").filter(sku__in=skus)}
    missing = {s for s in skus if s and s not in variants}
    if missing:  # SKUs typed in another case still count (as the scan stations do)
        any_case = Q()
        for sku in missing:
            any_case |= Q(sku__iexact=sku)
        for variant in Variant.objects.select_related("product").filter(any_case):
            variants.setdefault(variant.sku.upper(), variant)
    prices = dict(
        ChannelPrice.objects.filter(channel=channel, variant__in=list(variants.values())).values_list(
            "variant_id", "price"
        )
    )
    out = []
    for i, line in enumerate(data.lines):
        where = f"lines[{i}]"
        sku = (line.sku or "").strip()
        variant = variants.get(sku) or variants.get(sku.upper())
        if not sku:
            errors.add(f"{where}.sku", _("Give the SKU."), "required")
            continue
        if variant is None:
            errors.add(f"{where}.sku", _("Unknown SKU “%(sku)s”.") % {"sku": sku}, "unknown_sku")
            continue
        if not (variant.is_active and variant.product.is_active):
            errors.add(f"{where}.sku", _("“%(sku)s” is not for sale.") % {"sku": variant.sku}, "not_sellable")
            continue
        quantity = line.quantity
        if isinstance(quantity, str) and quantity.strip().isdigit():
            quantity = int(quantity.strip())
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            errors.add(
                f"{where}.quantity", _("Quantity must be a whole number above zero."), "invalid_quantity"
            )
            continue
        list_price = prices.get(variant.pk, variant.list_price)
        unit_price = (
            list_price
            if line.unit_price in (None, "")
            else _amount(line.unit_price, errors, f"{where}.unit_price")
        )
        discount = _amount(line.discount, errors, f"{where}.discount")
        if list_price and channel.price_tolerance is not None:
            drift = abs(unit_price - list_price) / list_price * 100
            if drift > channel.price_tolerance:
                errors.add(
                    f"{where}.unit_price",
                    _("Price %(p)s for %(sku)s is %(d)s%% off the price list (%(l)s); %(t)s%% allowed.")
                    % {
                        "p": unit_price,
                        "sku": variant.sku,
                        "d": round(drift, 1),
                        "l": list_price,
                        "t": channel.price_tolerance,
                    },
                    "price_out_of_tolerance",
                )
                continue
        if discount > unit_price * quantity:
            errors.add(f"{where}.discount", _("The discount is larger than the line."), "discount_too_large")
            continue
        out.append(_CleanLine(variant, quantity, unit_price, list_price, discount))
    return out


def _clean_address(address: AddressData | None, errors: _Errors, prefix: str, *, required: bool):
    """Returns (address, province) with the province found from the city for Turkish addresses."""
    if address is None:
        if required:
            errors.add(prefix, _("Give the shipping address."), "required")
        return None, None
    address.country = (address.country or "TR").strip().upper()[:2]
    for name in ("line1", "district", "city"):
        setattr(address, name, (getattr(address, name) or "").strip())
        if required and not getattr(address, name):
            errors.add(f"{prefix}.{name}", _("This field is required."), "required")
    province = None
    if address.country == "TR" and address.city:
        province = find_province(address.city)
        if province is None:
            errors.add(
                f"{prefix}.city",
                _("“%(c)s” is not a Turkish province.") % {"c": address.city},
                "unknown_city",
            )
    address.postal_code = (address.postal_code or "").strip()
    if address.country == "TR" and address.postal_code and province is not None:
        if not (address.postal_code.isdigit() and len(address.postal_code) == 5):
            errors.add(
                f"{prefix}.postal_code", _("A Turkish postal code has five digits."), "invalid_postal_code"
            )
        elif int(address.postal_code[:2]) != province.code:
            errors.add(
                f"{prefix}.postal_code",
                _("Postal code %(p)s is not in %(c)s.") % {"p": address.postal_code, "c": province.name},
                "postal_code_mismatch",
            )
    if address.phone:
        from django.core.exceptions import ValidationError

        from oms.address import normalize_phone

        try:
            address.phone = normalize_phone(address.phone)
        except ValidationError as exc:
            errors.add(f"{prefix}.phone", exc.messages[0], "invalid_phone")
    if address.tax_number:
        from django.core.exceptions import ValidationError

        from oms.identity import validate_tax_number

        try:
            address.tax_number = validate_tax_number(address.tax_number)
        except ValidationError as exc:
            errors.add(f"{prefix}.tax_number", exc.messages[0], "invalid_tax_number")
    return address, province


_channels = ReferenceCache(
    lambda: {c.code: c for c in SalesChannel.objects.all()}, models=["channels.SalesChannel"]
)


def _channel(code: str) -> SalesChannel:
    channel = _channels.get().get((code or "").strip())
    if channel is None:
        raise OrderInvalid(
            _("Unknown sales channel “%(c)s”.") % {"c": code},
            errors=[{"field": "channel", "code": "unknown_channel", "message": str(code)}],
        )
    if not channel.is_active:
        raise OrderInvalid(
            _("Sales channel “%(c)s” is switched off.") % {"c": channel.name},
            errors=[{"field": "channel", "code": "inactive_channel", "message": channel.code}],
        )
    return channel


def existing_order(channel: SalesChannel | str, channel_order_id: str) -> Order | None:
    if not channel_order_id:
        return None
    if isinstance(channel, str):
        return Order.objects.filter(channel__code=channel, channel_order_id=channel_order_id).first()
    return Order.objects.filter(channel=channel, channel_order_id=channel_order_id).first()


def create_order(data: OrderData, *, source: str = OrderSource.API, user=None) -> tuple[Order, bool]:
    """Take in one order from any channel; returns ``(order, created)``.

    The same channel order again returns the first one (``created`` False), nothing duplicated,
    also when two copies arrive at once (the unique index decides, the loser reads the winner).
    Invalid input raises ``OrderInvalid`` naming every bad field; nothing is written.
    """
    channel = _channel(data.channel)
    channel_order_id = (data.channel_order_id or "").strip()[:64]
    found = existing_order(channel, channel_order_id)
    if found:
        return found, False
    errors = _Errors()
    cleaned_customer, customer_errors = customers.clean_customer(data.customer)
    for name, message in customer_errors.items():
        errors.add(f"customer.{name}", message, "invalid")
    ship, ship_province = _clean_address(data.shipping_address, errors, "shipping_address", required=True)
    bill, _bill_province = _clean_address(data.billing_address, errors, "billing_address", required=False)
    if data.payment_method not in PaymentMethod.values:
        errors.add(
            "payment_method",
            _("Unknown payment method “%(m)s”.") % {"m": data.payment_method},
            "invalid_choice",
        )
    currency = (data.currency or channel.currency).upper()
    if currency not in CURRENCIES:
        errors.add("currency", _("Unknown currency “%(c)s”.") % {"c": data.currency}, "invalid_currency")
    if data.special_kind and data.special_kind not in SpecialKind.values:
        errors.add("special_kind", _("Unknown special order kind."), "invalid_choice")
    installments = data.installments or 1
    if not isinstance(installments, int) or not 1 <= installments <= 24:
        errors.add("installments", _("Installments must be between 1 and 24."), "invalid_installments")
    shipping_fee = _amount(data.shipping_fee, errors, "shipping_fee")
    order_discount = _amount(data.discount, errors, "discount")
    lines = _clean_lines(data, channel, errors)
    errors.raise_if_any()
    if sum(line.unit_price * line.quantity - line.discount for line in lines) < order_discount:
        errors.add("discount", _("The discount is larger than the order."), "discount_too_large")
        errors.raise_if_any()
    try:
        with transaction.atomic():
            order = _write(
                data,
                channel,
                channel_order_id,
                cleaned_customer,
                ship,
                ship_province,
                bill,
                currency,
                shipping_fee,
                order_discount,
                lines,
                source,
                user,
                installments,
            )
    except IntegrityError:
        # The same channel order committed meanwhile by a concurrent request.
        found = existing_order(channel, channel_order_id)
        if found:
            return found, False
        raise
    return order, True


def _write(
    data,
    channel,
    channel_order_id,
    cust,
    ship,
    province,
    bill,
    currency,
    shipping_fee,
    order_discount,
    lines,
    source,
    user,
    installments,
) -> Order:
    customer, _created = customers.match_or_create(cust)
    now = timezone.now()
    number = next_number_unlocked(NUMBER_SERIES, width=6)
    totals = order_totals(
        [
            TotalsLine(line.unit_price, line.quantity, line.discount, line.variant.product.tax_rate)
            for line in lines
        ],
        discount=order_discount,
        shipping_fee=shipping_fee,
        currency=currency,
    )
    rows = [
        OrderLine(
            variant=line.variant,
            sku=line.variant.sku,
            name=_line_name(line.variant),
            quantity=line.quantity,
            unit_price=line.unit_price,
            list_price=line.list_price,
            discount=discount,
            tax_rate=line.variant.product.tax_rate,
            tax_amount=tax,
            total=total,
        )
        for line, discount, tax, total in zip(
            lines, totals.line_discounts, totals.line_taxes, totals.line_totals, strict=True
        )
    ]
    is_first = customer.orders_count == 0
    is_vip = customer.is_vip or customer.segment == "vip"
    order = Order(
        number=number,
        channel=channel,
        channel_order_id=channel_order_id or number,
        source=source,
        customer=customer,
        customer_name=(cust.company or f"{cust.first_name} {cust.last_name}").strip()[:160],
        customer_email=cust.email,
        customer_phone=cust.phone,
        is_first_order=is_first,
        ship_name=(ship.name or f"{cust.first_name} {cust.last_name}").strip()[:120],
        ship_phone=ship.phone or cust.phone,
        ship_line=ship.line1[:255],
        ship_neighbourhood=ship.neighbourhood[:80],
        ship_district=ship.district[:80],
        ship_province=province,
        ship_city=(province.name if province else ship.city)[:80],
        ship_postal_code=ship.postal_code[:10],
        ship_country=ship.country,
        currency=currency,
        subtotal=totals.subtotal,
        discount_total=totals.discount_total,
        shipping_fee=shipping_fee,
        tax_total=totals.tax_total,
        grand_total=totals.grand_total,
        payment_method=data.payment_method,
        installments=installments,
        notes=(data.notes or "").strip(),
        gift_message=(data.gift_message or "").strip()[:500],
        gift_wrap=bool(data.gift_wrap),
        priority=data.priority
        if data.priority is not None
        else (Priority.HIGH if is_vip else Priority.NORMAL),
        ip_address=data.ip_address or None,
        created_by=user if getattr(user, "pk", None) else None,
        placed_at=data.placed_at or now,
        created_at=now,
    )
    if bill is not None:
        order.bill_name = (bill.name or order.customer_name)[:160]
        order.bill_line = bill.line1[:255]
        order.bill_district = bill.district[:80]
        order.bill_city = bill.city[:80]
        order.bill_postal_code = bill.postal_code[:10]
        order.bill_country = bill.country
        order.bill_tax_number = bill.tax_number
        order.bill_tax_office = bill.tax_office[:80]
    special = data.special_kind or (SpecialKind.VIP if is_vip else "")
    if special:
        order.special_kind = special
        order.special_code = _special_code(special)
    order.risk_score, order.risk_reasons = risk.score(
        risk.RiskInput(
            total=order.grand_total,
            currency=currency,
            payment_method=order.payment_method,
            is_first_order=is_first,
            ship_country=order.ship_country,
            ship_city=order.ship_city,
            bill_country=order.bill_country,
            bill_city=order.bill_city,
            email=order.customer_email,
            phone=order.customer_phone,
            ip_address=order.ip_address,
            customer=customer,
        )
    )
    order.approval_reasons = risk.approval_reasons(
        channel_id=channel.pk,
        total=order.grand_total,
        currency=currency,
        category_ids={line.variant.product.category_id for line in lines if line.variant.product.category_id},
    )
    order.approval_reasons += risk.extra_approval_reasons(order)
    order.needs_approval = bool(order.approval_reasons)
    order.save(force_insert=True)
    for row in rows:
        row.order = order
    OrderLine.objects.bulk_create(rows)
    # The row and timeline are written once at the end; allocation takes these lines as they are.
    order.intake = IntakeBatch(lines=rows)
    customers.record_order(customer, order)
    customers.remember_address(customer, order, new_customer=_created)
    record(
        order,
        "order.created",
        actor=user,
        message=_("%(channel)s order %(id)s, %(n)s line(s), %(total)s %(cur)s")
        % {
            "channel": channel.name,
            "id": order.channel_order_id,
            "n": len(rows),
            "total": order.grand_total,
            "cur": currency,
        },
        data={"source": source, "risk_score": order.risk_score},
    )
    _route_new(order, user=user, hold_ids=data.hold_ids, at_intake=True)
    order.intake.flush(order)
    return order


def _line_name(variant: Variant) -> str:
    label = variant.option_label
    return f"{variant.product.name} ({label})"[:255] if label else variant.product.name[:255]


def _special_code(kind: str) -> str:
    """A short unique code for a special order (``HED-7K3Q9``); letters people can read aloud."""
    alphabet = "ABCDEFGHJKLMNPRSTUVYZ23456789"
    for _attempt in range(5):
        code = f"{SPECIAL_PREFIX[kind]}-{''.join(secrets.choice(alphabet) for _ in range(5))}"
        if not Order.objects.filter(special_code=code).exists():
            return code
    raise RuntimeError("could not draw a free special code")  # pragma: no cover


def _route_new(order: Order, *, user, hold_ids=None, at_intake: bool = False) -> None:
    """After intake: hold for risk or approval, else confirm and allocate."""
    channel = order.channel
    if order.risk_score >= channel.risk_threshold:
        reasons = "; ".join(r["message"] for r in order.risk_reasons)
        _hold(order, reason="risk", detail=reasons, user=user, queue=Queue.ON_HOLD)
        return
    if order.needs_approval:
        _hold(
            order,
            reason="approval",
            detail="; ".join(r["message"] for r in order.approval_reasons),
            user=user,
            queue=Queue.TO_APPROVE,
        )
        return
    _confirm(order, user=user, hold_ids=hold_ids, at_intake=at_intake)


# --- Transitions ----------------------------------------------------------------------------------


def _lock(order: Order | int) -> Order:
    pk = order if isinstance(order, int) else order.pk
    locked = Order.objects.select_for_update().select_related("channel", "customer").filter(pk=pk).first()
    if locked is None:
        raise NotFound(_("There is no order %(id)s.") % {"id": pk})
    return locked


def _move(
    order: Order, target: str, *, user, event: str, message: str = "", data: dict | None = None
) -> Order:
    check_transition(current=order.status, target=target, allowed=ALLOWED_TRANSITIONS, choices=OrderStatus)
    previous = order.status
    order.status = target
    save_fields(order, ["status"])
    record(order, event, actor=user, message=message, data={"from": previous, "to": target, **(data or {})})
    return order


@transaction.atomic
def hold(
    order: Order | int, *, reason: str, detail: str = "", user=None, queue: str = Queue.ON_HOLD
) -> Order:
    """Stop an order for a person to look at it; it joins a work queue with the reason."""
    return _hold(_lock(order), reason=reason, detail=detail, user=user, queue=queue)


def _hold(order: Order, *, reason: str, detail: str, user, queue: str) -> Order:
    order.hold_reason = reason[:32]
    save_fields(order, ["hold_reason"])
    _move(order, S.ON_HOLD, user=user, event="order.held", message=detail or reason, data={"reason": reason})
    open_queue_item(order, queue=queue, reason=reason, detail=detail)
    return order


@transaction.atomic
def confirm(order: Order | int, *, user=None, hold_ids=None, at_intake: bool = False) -> Order:
    """Confirm (leaving hold if it was held) and allocate stock at once."""
    return _confirm(_lock(order), user=user, hold_ids=hold_ids, at_intake=at_intake)


def _confirm(order: Order, *, user, hold_ids, at_intake: bool) -> Order:
    if order.needs_approval and not order.approved_at:  # also when it was held for risk first
        raise NotPermitted(_("This order needs an approval first."), code="approval_required")
    _move(order, S.CONFIRMED, user=user, event="order.confirmed")
    if order.hold_reason:
        order.hold_reason = ""
        save_fields(order, ["hold_reason"])
        resolve_queue_items(
            order, queues=[Queue.ON_HOLD, Queue.TO_APPROVE], user=user, resolution=_("Confirmed")
        )
    return _allocate(order, user=user, hold_ids=hold_ids, at_intake=at_intake, kind="auto")


@transaction.atomic
def allocate(
    order: Order | int, *, user=None, hold_ids=None, at_intake: bool = False, kind: str = "auto"
) -> Order:
    """Reserve stock by the allocation rules: allocated, backordered, or (channel says reject) refused."""
    return _allocate(_lock(order), user=user, hold_ids=hold_ids, at_intake=at_intake, kind=kind)


def _allocate(order: Order, *, user, hold_ids, at_intake: bool, kind: str) -> Order:
    """``order`` is locked by the caller (or was inserted in this transaction)."""
    if order.status not in (S.CONFIRMED, S.BACKORDERED, S.ALLOCATED):
        check_transition(
            current=order.status, target=S.ALLOCATED, allowed=ALLOWED_TRANSITIONS, choices=OrderStatus
        )
    decision = allocation.allocate(order, kind=kind, user=user, hold_ids=hold_ids)
    if decision is not None:
        complete = decision.complete
    else:
        complete = not order.lines.filter(quantity_backordered__gt=0).exists()
    if complete:
        if order.status != S.ALLOCATED:
            _move(
                order,
                S.ALLOCATED,
                user=user,
                event="order.allocated",
                message=decision.summary if decision else "",
            )
        if not at_intake:  # a new order has no queue items yet
            resolve_queue_items(order, queues=[Queue.BACKORDERED], user=user, resolution=_("Allocated"))
        return order
    if order.channel.shortage_policy == ShortagePolicy.REJECT:
        if at_intake:
            items = [
                {"sku": line.sku, "wanted": line.quantity, "short": line.quantity_backordered}
                for line in order.lines.filter(quantity_backordered__gt=0)
            ]
            raise OutOfStock(
                _("%(channel)s accepts no backorders and %(n)s line(s) cannot be reserved.")
                % {"channel": order.channel.name, "n": len(items)},
                items=items,
            )
        return cancel(
            order,
            reason=_("Out of stock; the channel accepts no backorders."),
            user=user,
            refusal_code="out_of_stock",
        )
    if order.status != S.BACKORDERED:
        _move(
            order,
            S.BACKORDERED,
            user=user,
            event="order.backordered",
            message=decision.summary if decision else "",
        )
    open_queue_item(
        order, queue=Queue.BACKORDERED, reason="no_stock", detail=decision.summary if decision else ""
    )
    return order


@transaction.atomic
def fill_backorder(order_id: int) -> bool:
    """Try again to reserve a backordered order's missing units (stock arrived); True if it moved on."""
    order = (
        Order.objects.select_for_update(skip_locked=True)
        .select_related("channel")
        .filter(pk=order_id)
        .first()
    )
    if order is None or order.status != S.BACKORDERED:
        return False
    decision = allocation.allocate(order, kind="backorder_fill", quiet_if_nothing=True)
    if decision is None:
        return False
    if order.lines.filter(quantity_backordered__gt=0).exists():
        emit("order.backordered", subject=order, message=decision.summary, data={"partial_fill": True})
        return False
    _move(
        order,
        S.ALLOCATED,
        user=None,
        event="order.allocated",
        message=_("Backorder filled: %(s)s") % {"s": decision.summary},
    )
    resolve_queue_items(order, queues=[Queue.BACKORDERED], user=None, resolution=_("Stock arrived"))
    return True


@transaction.atomic
def reallocate(order: Order | int, *, warehouse_id: int | None = None, user=None) -> Order:
    """Move an order's allocation: to ``warehouse_id``, or wherever the rules now say."""
    from orders.errors import AllocationFailed

    order = _lock(order)
    if order.status not in (S.ALLOCATED, S.BACKORDERED, S.CONFIRMED):
        raise AllocationFailed(
            _("Only orders that are allocated or backordered can be re-allocated (this one is %(s)s).")
            % {"s": order.get_status_display()}
        )
    before = order.warehouse_codes
    allocation.release_allocations(order)
    decision = allocation.allocate(order, kind="reallocate", user=user, only_warehouse=warehouse_id)
    short = order.lines.filter(quantity_backordered__gt=0).exists()
    if warehouse_id is not None and short:
        raise AllocationFailed(
            _("The chosen warehouse cannot supply the whole order: %(s)s")
            % {"s": decision.summary if decision else ""}
        )
    target = S.BACKORDERED if short else S.ALLOCATED
    message = _("From %(a)s: %(s)s") % {"a": before or "-", "s": decision.summary if decision else ""}
    if order.status != target:
        _move(order, target, user=user, event="order.reallocated", message=message)
    else:
        emit("order.reallocated", subject=order, actor=user, message=message)
    if short:
        open_queue_item(
            order, queue=Queue.BACKORDERED, reason="no_stock", detail=decision.summary if decision else ""
        )
    else:
        resolve_queue_items(order, queues=[Queue.BACKORDERED], user=user, resolution=_("Re-allocated"))
    return order


def approve(order: Order | int, *, user, note: str = "") -> Order:
    """One approval by someone allowed to give it, who did not create the order; then confirm.

    A refused self-approval is kept on the timeline (written before the error is raised).
    """
    if user is None or not user.has_perm("orders.approve_order"):
        raise NotPermitted(_("Your role cannot approve orders."), code="forbidden")
    creator = Order.objects.filter(pk=_pk(order)).values_list("created_by_id", flat=True).first()
    if creator and creator == user.pk:
        record_refusal(
            _pk(order),
            name="order.approval_refused",
            message=_("Tried to approve their own order."),
            user=user,
        )
        raise SelfApproval(_("You created this order; someone else must approve it."))
    with transaction.atomic():
        order = _lock(order)
        if order.status != S.ON_HOLD:
            raise IllegalTransition(
                _("Only orders on hold can be approved (this one is %(s)s).")
                % {"s": order.get_status_display()},
                current=order.get_status_display(),
                target=str(S.CONFIRMED.label),
            )
        order.approved_by, order.approved_at = user, timezone.now()
        order.save(update_fields=["approved_by", "approved_at", "updated_at"])
        emit("order.approved", subject=order, actor=user, message=note[:255])
        return confirm(order, user=user)


def record_refusal(order_id: int, *, name: str, message: str, user=None) -> None:
    """Write a refusal to the timeline in its own transaction (the act itself was rolled back)."""
    with transaction.atomic():
        order = Order.objects.filter(pk=order_id).first()
        if order is not None:
            emit(name, subject=order, actor=user, message=message[:255])


@transaction.atomic
def reject(order: Order | int, *, user, reason: str) -> Order:
    """Turn down an order on hold (fraud, approval refused): it is cancelled with the reason."""
    order = _lock(order)
    if not (reason or "").strip():
        raise InvalidInput(_("Give a reason for the rejection."), code="reason_required")
    if order.status != S.ON_HOLD:
        raise IllegalTransition(
            _("Only orders on hold can be rejected."),
            current=order.get_status_display(),
            target=str(S.CANCELLED.label),
        )
    emit("order.rejected", subject=order, actor=user, message=reason[:255])
    if order.hold_reason == "risk":
        from orders.models import Customer

        Customer.objects.filter(pk=order.customer_id).update(problem_orders=F("problem_orders") + 1)
    return cancel(order, reason=reason, user=user)


def cancel(order: Order | int, *, reason: str, user=None, refusal_code: str = "") -> Order:
    """Cancel an order that has not shipped: reservations released, queues closed, history updated.

    Refusing to cancel a shipped order is kept on the timeline, as someone asked for it.
    """
    status = Order.objects.filter(pk=_pk(order)).values_list("status", flat=True).first()
    if status is not None and S.CANCELLED not in ALLOWED_TRANSITIONS[status]:
        label = OrderStatus(status).label
        record_refusal(
            _pk(order),
            name="order.cancel_refused",
            message=_("Cannot cancel: the order is %(s)s. %(r)s") % {"s": label, "r": reason or ""},
            user=user,
        )
        raise IllegalTransition(current=str(label), target=str(S.CANCELLED.label))
    with transaction.atomic():
        return _cancel(order, reason=reason, user=user, refusal_code=refusal_code)


def _cancel(order: Order | int, *, reason: str, user, refusal_code: str) -> Order:
    order = _lock(order)
    released = allocation.release_allocations(order)
    OrderLine.objects.filter(order=order).update(
        quantity_cancelled=F("quantity") - F("quantity_shipped"), quantity_backordered=0, promise_date=None
    )
    order.cancelled_reason = (reason or "")[:255]
    order.save(update_fields=["cancelled_reason", "updated_at"])
    _move(
        order,
        S.CANCELLED,
        user=user,
        event="order.cancelled",
        message=reason,
        data={"released_units": released, "code": refusal_code},
    )
    resolve_queue_items(order, queues=None, user=user, resolution=_("Cancelled"))
    customers.forget_order(order)
    return order


@transaction.atomic
def start_fulfillment(order: Order | int, *, user=None) -> Order:
    return _move(_lock(order), S.IN_FULFILLMENT, user=user, event="order.in_fulfillment")


def start_fulfillment_many(order_ids: list[int], *, user=None) -> None:
    """``start_fulfillment`` for many allocated orders at once (a wave's pick lists): the same
    transition check, status change, timeline rows and domain events, in a few statements instead
    of a few per order. The caller holds the orders' row locks (it has just planned their picks)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("start_fulfillment_many() runs inside the caller's transaction")
    if not order_ids:
        return
    check_transition(
        current=S.ALLOCATED, target=S.IN_FULFILLMENT, allowed=ALLOWED_TRANSITIONS, choices=OrderStatus
    )
    Order.objects.filter(pk__in=order_ids).update(status=S.IN_FULFILLMENT, updated_at=timezone.now())
    actor = user if getattr(user, "pk", None) else None
    data = {"from": S.ALLOCATED.value, "to": S.IN_FULFILLMENT.value}
    entries = OrderEvent.objects.bulk_create(
        OrderEvent(subject_id=pk, name="order.in_fulfillment", actor=actor, data=data) for pk in order_ids
    )
    if domain_event.receivers:
        by_order = {entry.subject_id: entry for entry in entries}
        for order in Order.objects.filter(pk__in=order_ids):
            domain_event.send(
                sender=Order,
                name="order.in_fulfillment",
                subject=order,
                entry=by_order[order.pk],
                actor=actor,
            )


@transaction.atomic
def mark_shipped(order: Order | int, *, user=None, lines: dict[int, int] | None = None) -> Order:
    """Record shipped units (``{line_id: quantity}``, default: everything allocated); the order is
    partially shipped or shipped. Fulfillment consumes the stock; this only moves the order on."""
    order = _lock(order)
    all_lines = list(order.lines.select_for_update().order_by("pk"))
    shipped = lines or {line.pk: line.quantity_allocated for line in all_lines}
    for line in all_lines:
        quantity = shipped.get(line.pk, 0)
        if quantity:
            if quantity > line.quantity_allocated:
                raise InvalidInput(
                    _("Line %(sku)s has only %(n)s allocated.")
                    % {"sku": line.sku, "n": line.quantity_allocated}
                )
            line.quantity_allocated -= quantity
            line.quantity_shipped += quantity
    OrderLine.objects.bulk_update(all_lines, ["quantity_allocated", "quantity_shipped"])
    done = all(line.quantity_shipped + line.quantity_cancelled >= line.quantity for line in all_lines)
    target = S.SHIPPED if done else S.PARTIALLY_SHIPPED
    if order.status == target:
        emit("order.partially_shipped", subject=order, actor=user, data={"lines": shipped})
        return order
    if order.status in (S.ALLOCATED, S.BACKORDERED):
        _move(order, S.IN_FULFILLMENT, user=user, event="order.in_fulfillment")
    return _move(
        order,
        target,
        user=user,
        event=f"order.{target}",
        data={"lines": {str(k): v for k, v in shipped.items()}},
    )


@transaction.atomic
def mark_delivered(order: Order | int, *, user=None) -> Order:
    return _move(_lock(order), S.DELIVERED, user=user, event="order.delivered")


@transaction.atomic
def complete(order: Order | int, *, user=None) -> Order:
    return _move(_lock(order), S.COMPLETED, user=user, event="order.completed")


@transaction.atomic
def mark_returned(order: Order | int, *, lines: dict[int, int], user=None) -> Order:
    """Record returned units per line; the order is partially or fully returned."""
    order = _lock(order)
    all_lines = list(order.lines.select_for_update().order_by("pk"))
    for line in all_lines:
        quantity = lines.get(line.pk, 0)
        if quantity:
            if line.quantity_returned + quantity > line.quantity_shipped:
                raise InvalidInput(_("More returned than shipped for %(sku)s.") % {"sku": line.sku})
            line.quantity_returned += quantity
    OrderLine.objects.bulk_update(all_lines, ["quantity_returned"])
    everything = all(line.quantity_returned >= line.quantity_shipped for line in all_lines)
    target = S.RETURNED if everything else S.PARTIALLY_RETURNED
    if order.status == target:
        emit(
            f"order.{target}",
            subject=order,
            actor=user,
            data={"lines": {str(k): v for k, v in lines.items()}},
        )
        return order
    if everything:
        Customer.objects.filter(pk=order.customer_id).update(returned_orders=F("returned_orders") + 1)
    return _move(
        order,
        target,
        user=user,
        event=f"order.{target}",
        data={"lines": {str(k): v for k, v in lines.items()}},
    )


# Payment status the billing ledger reports -> the event on the order's timeline.
PAYMENT_EVENTS = {
    PaymentStatus.AUTHORIZED: "order.payment_authorized",
    PaymentStatus.PAID: "order.paid",
    PaymentStatus.REFUNDED: "order.refunded",
    PaymentStatus.FAILED: "order.payment_failed",
    PaymentStatus.PENDING: "order.payment_pending",
}


@transaction.atomic
def set_payment_status(
    order: Order | int, status: str, *, user=None, message: str = "", data: dict | None = None
) -> Order:
    """Billing's word on the order's money (captured, refunded ...): the status and a timeline
    event. Unchanged status: nothing happens, so a replayed callback adds no event."""
    if status not in PaymentStatus.values:
        raise InvalidInput(_("Unknown payment status “%(s)s”.") % {"s": status})
    order = _lock(order)
    if order.payment_status == status:
        return order
    previous = order.payment_status
    order.payment_status = status
    order.save(update_fields=["payment_status", "updated_at"])
    emit(
        PAYMENT_EVENTS[status],
        subject=order,
        actor=user,
        message=message[:255],
        data={"from": previous, "to": status, **(data or {})},
    )
    return order


@transaction.atomic
def add_note(order: Order | int, *, text: str, user) -> Order:
    order = _lock(order)
    if not (text or "").strip():
        raise InvalidInput(_("Write the note first."), code="empty_note")
    emit("order.note_added", subject=order, actor=user, message=text.strip()[:255])
    return order


# --- Work queues ----------------------------------------------------------------------------------


def open_queue_item(order: Order, *, queue: str, reason: str, detail: str = "") -> QueueItem:
    """Put the order in ``queue`` (once: an open item is reused and its detail refreshed)."""
    new_order = open_batch(order) is not None  # at intake: no items yet
    item = None if new_order else order.queue_items.filter(queue=queue, resolved_at__isnull=True).first()
    if item is not None:
        if detail and item.detail != detail[:255]:
            item.detail = detail[:255]
            item.save(update_fields=["detail"])
        return item
    item = QueueItem.objects.create(order=order, queue=queue, reason=reason[:32], detail=detail[:255])
    record(order, "order.queue_opened", message=f"{Queue(queue).label}: {reason}", data={"queue": queue})
    return item


def resolve_queue_items(order: Order, *, queues: list[str] | None, user, resolution: str) -> int:
    items = QueueItem.objects.filter(order=order, resolved_at__isnull=True)
    if queues is not None:
        items = items.filter(queue__in=queues)
    return items.update(
        resolved_at=timezone.now(),
        resolved_by=user if getattr(user, "pk", None) else None,
        resolution=resolution[:255],
    )


@transaction.atomic
def take_queue_item(item: QueueItem | int, *, user) -> QueueItem:
    """Assign an open item to ``user`` (taking it over from someone else is allowed and recorded)."""
    item = QueueItem.objects.select_for_update().select_related("order").get(pk=_pk(item))
    if item.resolved_at:
        raise InvalidInput(_("This item is already resolved."), code="queue_item_resolved")
    previous = item.assignee_id
    item.assignee = user
    item.save(update_fields=["assignee"])
    emit(
        "order.queue_taken", subject=item.order, actor=user, data={"queue": item.queue, "from_user": previous}
    )
    return item


@transaction.atomic
def release_queue_item(item: QueueItem | int, *, user) -> QueueItem:
    item = QueueItem.objects.select_for_update().select_related("order").get(pk=_pk(item))
    if item.resolved_at:
        raise InvalidInput(_("This item is already resolved."), code="queue_item_resolved")
    item.assignee = None
    item.save(update_fields=["assignee"])
    emit("order.queue_released", subject=item.order, actor=user, data={"queue": item.queue})
    return item


@transaction.atomic
def resolve_queue_item(item: QueueItem | int, *, user, resolution: str) -> QueueItem:
    """Close an item by hand (e.g. an exception dealt with outside the system) with a note."""
    item = QueueItem.objects.select_for_update().select_related("order").get(pk=_pk(item))
    if item.resolved_at:
        raise InvalidInput(_("This item is already resolved."), code="queue_item_resolved")
    if not (resolution or "").strip():
        raise InvalidInput(_("Say how it was resolved."), code="resolution_required")
    item.resolved_at, item.resolved_by, item.resolution = timezone.now(), user, resolution.strip()[:255]
    item.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    emit(
        "order.queue_resolved",
        subject=item.order,
        actor=user,
        message=item.resolution,
        data={"queue": item.queue},
    )
    return item


def raise_exception(order: Order | int, *, reason: str, detail: str = "") -> QueueItem:
    """Other apps (fulfillment, returns) put an order in the exception queue through this."""
    with transaction.atomic():
        return open_queue_item(_lock(order), queue=Queue.EXCEPTION, reason=reason, detail=detail)


def _pk(obj) -> int:
    return obj if isinstance(obj, int) else obj.pk
