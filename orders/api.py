"""Orders JSON API: intake, lists for syncing, cancel and approve, and cart holds.

Every write goes through ``orders.services`` (the same intake as the panel and file imports), so the
schema here is deliberately lenient: it checks only types, and the business rules (unknown SKU,
price far from the price list, missing address fields, unknown channel ...) come back from
``create_order`` as one 422 problem whose ``errors`` name each field (``lines[0].sku``).

Amounts are accepted as strings or JSON numbers and handed on as text (``str(19.9) == "19.9"``), so
they become ``Decimal`` without binary float rounding; send strings to be exact beyond 15 digits.
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.db.models import F, Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictFloat, StrictInt, StrictStr

from inventory import selectors as stock_selectors
from inventory.errors import InsufficientStock
from inventory.models import ReservationReason, StockLevel
from inventory.services import reserve_one
from oms.apikeys import api_auth
from oms.errors import NotFound, NotPermitted
from oms.events import timeline_for
from oms.pagination import paginate
from orders import services
from orders.customers import CustomerData
from orders.models import Order, OrderAllocation, OrderLine, OrderSource, OrderStatus
from orders.services import AddressData, LineData, OrderData

READ_AUTH = api_auth("orders:read", "oms.access_orders")
WRITE_AUTH = api_auth("orders:write", "orders.manage_orders")
APPROVE_AUTH = api_auth("orders:approve", "orders.approve_order")
MAX_LIMIT = 200

router = Router(tags=["orders"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]
# Strict members: a JSON `true` is not the amount 1, and "12.50" is not re-parsed as a float.
Amount = StrictStr | StrictInt | StrictFloat


def _text(value: Amount | None) -> str | None:
    """An amount as text for the service (``Decimal(str(x))``: no float rounding on the way)."""
    return None if value is None else str(value)


def _user(request: HttpRequest):
    """The panel user behind a session request; None for an integration key."""
    return request.auth if isinstance(request.auth, get_user_model()) else None


# --- Input ----------------------------------------------------------------------------------------


class CustomerIn(Schema):
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    company: str = ""


class AddressIn(Schema):
    name: str = ""
    phone: str = ""
    line1: str = ""
    neighbourhood: str = ""
    district: str = ""
    city: str = Field("", description="Province name for Turkish addresses.")
    postal_code: str = ""
    country: str = Field("TR", description="ISO 3166 alpha-2.")


class BillingAddressIn(AddressIn):
    tax_number: str = Field("", description="VKN (10 digits) or TCKN (11 digits).")
    tax_office: str = ""


class LineIn(Schema):
    sku: str = ""
    quantity: StrictInt = Field(description="Whole units; must be above zero.")
    unit_price: Amount | None = Field(
        None, description="KDV included, as a string or number; omitted: the channel's price list."
    )
    discount: Amount = 0


class OrderIn(Schema):
    channel: str = Field("", description="Sales channel code.")
    channel_order_id: str = Field(
        "", description="The channel's order number; the same one twice is one order."
    )
    currency: str = Field("", description="Omitted: the channel's currency.")
    customer: CustomerIn = Field(default_factory=CustomerIn)
    shipping_address: AddressIn | None = None
    billing_address: BillingAddressIn | None = None
    payment_method: str = ""
    lines: list[LineIn] = Field(default_factory=list)
    notes: str = ""
    gift_message: str = ""
    gift_wrap: bool = Field(False, description="Wrap as a gift; a gift message implies it when packing.")
    shipping_fee: Amount = 0
    discount: Amount = Field(0, description="Order discount, spread over the lines.")
    special_kind: str = ""
    installments: StrictInt = 1
    placed_at: datetime | None = Field(None, description="When the customer ordered; default now.")
    hold_ids: list[StrictInt] = Field(
        default_factory=list, description="Cart holds to turn into the order's reservations."
    )


def _address(address: AddressIn | None) -> AddressData | None:
    return None if address is None else AddressData(**address.dict())


def _order_data(payload: OrderIn, request: HttpRequest) -> OrderData:
    return OrderData(
        channel=payload.channel,
        channel_order_id=payload.channel_order_id,
        currency=payload.currency,
        customer=CustomerData(**payload.customer.dict()),
        shipping_address=_address(payload.shipping_address),
        billing_address=_address(payload.billing_address),
        payment_method=payload.payment_method,
        lines=[
            LineData(
                sku=line.sku,
                quantity=line.quantity,
                unit_price=_text(line.unit_price),
                discount=_text(line.discount),
            )
            for line in payload.lines
        ],
        notes=payload.notes,
        gift_message=payload.gift_message,
        gift_wrap=payload.gift_wrap,
        shipping_fee=_text(payload.shipping_fee),
        discount=_text(payload.discount),
        special_kind=payload.special_kind,
        installments=payload.installments,
        placed_at=payload.placed_at,
        hold_ids=payload.hold_ids,
        ip_address=request.META.get("REMOTE_ADDR") or None,
    )


# --- Output ---------------------------------------------------------------------------------------


class CustomerOut(Schema):
    id: int
    email: str
    phone: str
    name: str


class ShippingAddressOut(Schema):
    name: str
    phone: str
    line1: str
    neighbourhood: str
    district: str
    city: str
    postal_code: str
    country: str


class LineOut(Schema):
    id: int
    sku: str
    name: str
    quantity: int
    unit_price: str
    discount: str
    tax_rate: int
    total: str
    quantity_allocated: int
    quantity_backordered: int
    quantity_shipped: int
    quantity_cancelled: int
    promise_date: date | None = Field(None, description="When a backordered line is promised.")


class AllocationOut(Schema):
    warehouse: str = Field(description="Warehouse code.")
    line_id: int
    sku: str
    quantity: int


class EventOut(Schema):
    name: str
    message: str
    actor: str | None
    created_at: datetime


class OrderOut(Schema):
    id: int
    number: str
    status: OrderStatus
    channel: str = Field(description="Sales channel code.")
    channel_order_id: str
    source: str
    currency: str
    subtotal: str = Field(description="Decimal amounts as strings, KDV included.")
    discount_total: str
    shipping_fee: str
    tax_total: str
    grand_total: str
    payment_method: str
    payment_status: str
    installments: int
    customer: CustomerOut
    shipping_address: ShippingAddressOut
    risk_score: int
    risk_reasons: list[dict[str, Any]]
    hold_reason: str
    needs_approval: bool
    special_kind: str
    special_code: str | None
    lines: list[LineOut]
    allocations: list[AllocationOut]
    allocation_summary: str
    placed_at: datetime
    created_at: datetime
    updated_at: datetime
    links: dict[str, str]


class OrderDetailOut(OrderOut):
    timeline: list[EventOut] = Field(description="What happened to the order, newest first.")


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


def _orders() -> QuerySet[Order]:
    """Orders with everything a row shows in a fixed number of queries (lines, allocations)."""
    return Order.objects.select_related("channel").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
        Prefetch(
            "allocations",
            queryset=OrderAllocation.objects.select_related("warehouse").order_by(
                "line_id", "warehouse__code"
            ),
        ),
    )


def _order_out(order: Order, *, lines=None, allocations=None) -> dict[str, Any]:
    """The order as the API shows it; ``lines`` and ``allocations`` when already in hand."""
    lines = list(order.lines.all()) if lines is None else lines
    allocations = order.allocations.all() if allocations is None else allocations
    skus = {line.pk: line.sku for line in lines}
    return {
        "id": order.pk,
        "number": order.number,
        "status": order.status,
        "channel": order.channel.code,
        "channel_order_id": order.channel_order_id,
        "source": order.source,
        "currency": order.currency,
        "subtotal": str(order.subtotal),
        "discount_total": str(order.discount_total),
        "shipping_fee": str(order.shipping_fee),
        "tax_total": str(order.tax_total),
        "grand_total": str(order.grand_total),
        "payment_method": order.payment_method,
        "payment_status": order.payment_status,
        "installments": order.installments,
        "customer": {
            "id": order.customer_id,
            "email": order.customer_email,
            "phone": order.customer_phone,
            "name": order.customer_name,
        },
        "shipping_address": {
            "name": order.ship_name,
            "phone": order.ship_phone,
            "line1": order.ship_line,
            "neighbourhood": order.ship_neighbourhood,
            "district": order.ship_district,
            "city": order.ship_city,
            "postal_code": order.ship_postal_code,
            "country": order.ship_country,
        },
        "risk_score": order.risk_score,
        "risk_reasons": order.risk_reasons,
        "hold_reason": order.hold_reason,
        "needs_approval": order.needs_approval,
        "special_kind": order.special_kind,
        "special_code": order.special_code,
        "lines": [
            {
                "id": line.pk,
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "discount": str(line.discount),
                "tax_rate": line.tax_rate,
                "total": str(line.total),
                "quantity_allocated": line.quantity_allocated,
                "quantity_backordered": line.quantity_backordered,
                "quantity_shipped": line.quantity_shipped,
                "quantity_cancelled": line.quantity_cancelled,
                "promise_date": line.promise_date,
            }
            for line in lines
        ],
        "allocations": [
            {
                "warehouse": allocation.warehouse.code,
                "line_id": allocation.line_id,
                "sku": skus.get(allocation.line_id, ""),
                "quantity": allocation.quantity,
            }
            for allocation in allocations
        ],
        "allocation_summary": order.allocation_summary,
        "placed_at": order.placed_at,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "links": _links(order.pk),
    }


def _links(pk: int) -> dict[str, str]:
    links = {"self": reverse("api:order_detail", kwargs={"order_id": pk})}
    with suppress(NoReverseMatch):  # the panel's order page, for people following a link
        links["panel"] = reverse("orders:detail", args=[pk])
    return links


def _detail_out(order_id: int) -> dict[str, Any]:
    order = _orders().filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("There is no order %(id)s.") % {"id": order_id}, code="unknown_order")
    out = _order_out(order)
    out["timeline"] = _timeline_out(timeline_for(order))
    return out


def _new_order_out(order: Order) -> dict[str, Any]:
    """A just-created order from what the intake wrote (its batch), without reading it back."""
    batch = order.intake
    allocations = sorted(batch.allocations, key=lambda a: (a.line_id, a.warehouse.code))
    out = _order_out(order, lines=sorted(batch.lines, key=lambda line: line.pk), allocations=allocations)
    out["timeline"] = _timeline_out(reversed(batch.entries))  # newest first
    return out


def _timeline_out(entries) -> list[dict[str, Any]]:
    return [
        {
            "name": entry.name,
            "message": entry.message,
            "actor": entry.actor.get_username() if entry.actor else None,
            "created_at": entry.created_at,
        }
        for entry in entries
    ]


# --- Orders ---------------------------------------------------------------------------------------


@router.post(
    "/orders",
    response={200: OrderDetailOut, 201: OrderDetailOut},
    auth=WRITE_AUTH,
    summary="Create an order",
)
def create_order(request: HttpRequest, payload: OrderIn):
    """Take in one order: validated, priced, risk-scored, then held or confirmed and allocated.

    201 with the new order; 200 with the existing one when the channel already sent this
    ``channel_order_id`` (nothing is duplicated). 422 ``order-invalid`` names every bad field in
    ``errors``; 409 ``out-of-stock`` lists the short ``items`` when the channel accepts no
    backorders. Send an ``Idempotency-Key`` header to make retries safe.
    """
    order, created = services.create_order(
        _order_data(payload, request), source=OrderSource.API, user=_user(request)
    )
    if created:
        return Status(201, _new_order_out(order))
    return Status(200, _detail_out(order.pk))


@router.get("/orders", response=OrderPage, auth=READ_AUTH, summary="List orders")
def order_list(
    request: HttpRequest,
    status: Annotated[OrderStatus | None, Query(description="Only orders in this status.")] = None,
    channel: Annotated[str | None, Query(description="Sales channel code.")] = None,
    updated_since: Annotated[
        datetime | None,
        Query(description="ISO datetime; orders changed at or after it, oldest change first."),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
):
    """Orders, newest first; with ``updated_since`` in order of their last change, so a sync can
    keep the ``updated_at`` of the last item it saw and ask again from there. Keyset paginated:
    pass ``next_cursor`` back as ``cursor``. Rows carry lines and allocations, not the timeline."""
    orders = _orders()
    if status:
        orders = orders.filter(status=status)
    if channel:
        orders = orders.filter(channel__code=channel)
    ordering: tuple[str, ...] = ("-created_at", "-pk")
    if updated_since:
        if timezone.is_naive(updated_since):
            updated_since = timezone.make_aware(updated_since, UTC)
        orders = orders.filter(updated_at__gte=updated_since)
        ordering = ("updated_at", "pk")
    page = paginate(request, orders, ordering=ordering, per_page=limit)
    return {"items": [_order_out(order) for order in page], "next_cursor": page.next_cursor}


@router.get(
    "/orders/{order_id}",
    response=OrderDetailOut,
    auth=READ_AUTH,
    summary="One order with its timeline",
    url_name="order_detail",
)
def order_detail(request: HttpRequest, order_id: int):
    return _detail_out(order_id)


class CancelIn(Schema):
    reason: str = Field(min_length=1, max_length=255)


@router.post("/orders/{order_id}/cancel", response=OrderDetailOut, auth=WRITE_AUTH, summary="Cancel an order")
def cancel_order(request: HttpRequest, order_id: int, payload: CancelIn):
    """Cancel an order that has not shipped; its reservations are released. A shipped order
    answers 409 ``illegal-transition`` and the refusal is kept on the order's timeline."""
    services.cancel(order_id, reason=payload.reason.strip(), user=_user(request))
    return _detail_out(order_id)


class ApproveIn(Schema):
    note: str = Field("", max_length=255)


@router.post(
    "/orders/{order_id}/approve",
    response=OrderDetailOut,
    auth=APPROVE_AUTH,
    summary="Approve an order on hold",
)
def approve_order(request: HttpRequest, order_id: int, payload: ApproveIn | None = None):
    """Approve an order held for approval or risk; it is then confirmed and allocated.

    Needs the ``orders:approve`` scope or the panel permission to approve. An API key approves on
    behalf of the person who created the key, who must be allowed to approve. Nobody approves an
    order they created (403 ``self-approval``).
    """
    user = _user(request)
    if user is None:
        user = request.auth.created_by
        if user is None or not user.is_active:
            raise NotPermitted(
                _("This API key has no active owner to approve on behalf of."), code="forbidden"
            )
    services.approve(order_id, user=user, note=payload.note if payload else "")
    return _detail_out(order_id)


# --- Cart holds -----------------------------------------------------------------------------------


class HoldIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    quantity: StrictInt = Field(gt=0)
    warehouse: str | None = Field(None, description="Warehouse code; omitted: the one with most free stock.")
    ttl_seconds: StrictInt = Field(1800, ge=60, le=86400, description="The hold lapses after this.")
    cart: str = Field("", max_length=58, description="Your cart or session id; omitted: a new one.")


class HoldOut(Schema):
    id: int = Field(description="Pass it in the order's `hold_ids`.")
    sku: str
    warehouse: str
    quantity: int
    cart: str
    expires_at: datetime


def _best_level(variant) -> StockLevel | None:
    """The active warehouse with the most free units of ``variant``; lower priority wins a tie."""
    return (
        StockLevel.objects.filter(variant=variant, warehouse__is_active=True)
        .select_related("warehouse")
        .annotate(free=F("on_hand") - F("reserved"))
        .order_by("-free", "warehouse__priority", "warehouse__code")
        .first()
    )


@router.post("/holds", response={201: HoldOut}, auth=WRITE_AUTH, summary="Hold stock for a cart")
def create_hold(request: HttpRequest, payload: HoldIn):
    """Reserve units while a customer checks out; the hold lapses after ``ttl_seconds``.

    An order that names the hold in ``hold_ids`` takes its units over. 409 ``insufficient-stock``
    when the warehouse (or, without one, every warehouse) has fewer free units.
    """
    variant = stock_selectors.variant_by_sku(payload.sku)
    if payload.warehouse:
        warehouse = stock_selectors.warehouse_by_code(payload.warehouse)
    else:
        level = _best_level(variant)
        if level is None:
            raise InsufficientStock(
                _("No warehouse has %(sku)s.") % {"sku": variant.sku},
                items=[{"sku": variant.sku, "wanted": payload.quantity, "available": 0}],
            )
        warehouse = level.warehouse
    cart = payload.cart.strip() or secrets.token_urlsafe(12)
    key = getattr(request, "api_key", None)
    owner = f"api:{key.name}" if key else request.auth.get_username()
    hold = reserve_one(
        variant=variant,
        warehouse=warehouse,
        quantity=payload.quantity,
        reference=f"cart:{cart}",
        reason=ReservationReason.CART_HOLD,
        expires_at=timezone.now() + timedelta(seconds=payload.ttl_seconds),
        owner=owner,
    )
    return Status(
        201,
        {
            "id": hold.pk,
            "sku": variant.sku,
            "warehouse": warehouse.code,
            "quantity": hold.quantity,
            "cart": cart,
            "expires_at": hold.expires_at,
        },
    )
