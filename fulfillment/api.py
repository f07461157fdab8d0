"""Fulfillment JSON API: shipments for syncing (ERP, shop, CRM) and the carriers' tracking webhook.

The webhook authenticates by signature, not by API key: ``X-OMS-Signature`` is the hex
HMAC-SHA256 of the raw request body with the carrier account's ``webhook_secret``, compared in
constant time before anything is parsed. Processing is synchronous (a few rows under one row
lock) and idempotent, so the carrier's retries are safe and the answer says what was new.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import date, datetime
from typing import Annotated, Any

from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from fulfillment.carriers import CarrierError, TrackingUpdate, connector_for
from fulfillment.models import CarrierAccount, Shipment, ShipmentStatus, TrackingEvent
from fulfillment.tracking import record_updates
from oms.apikeys import api_auth
from oms.errors import InvalidInput, NotAuthenticated, NotFound
from oms.events import emit
from oms.pagination import paginate
from orders.models import Order

logger = logging.getLogger(__name__)

# Shipments are order data for integrations; a separate ``fulfillment:read`` scope can replace it.
READ_AUTH = api_auth("orders:read", "oms.access_fulfillment")
MAX_LIMIT = 200
SIGNATURE_HEADER = "X-OMS-Signature"
UNMATCHED_BODY_LIMIT = 20_000  # characters of an unmatched webhook kept on the carrier's timeline

router = Router(tags=["fulfillment"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]


# --- Output ---------------------------------------------------------------------------------------


class TrackingEventOut(Schema):
    occurred_at: datetime
    status: ShipmentStatus
    description: str
    location: str
    exception: str = Field(description="Delivery problem code, or empty.")


class ShipmentOut(Schema):
    id: int
    number: str
    order_id: int
    order_number: str
    warehouse: str = Field(description="Warehouse code.")
    carrier: str | None = Field(description="Carrier account code.")
    carrier_name: str | None
    status: ShipmentStatus
    tracking_number: str
    parcels: int
    weight_kg: str
    desi: str
    cod_amount: str = Field(description="Cash on delivery amount; 0 when prepaid.")
    currency: str
    estimated_delivery: date | None
    created_at: datetime
    updated_at: datetime
    handed_over_at: datetime | None
    delivered_at: datetime | None
    last_tracked_at: datetime | None
    tracking: list[TrackingEventOut] = Field(description="Carrier scans, oldest first.")


class ShipmentPage(Schema):
    items: list[ShipmentOut]
    next_cursor: str | None


class WebhookOut(Schema):
    shipment: str
    status: ShipmentStatus
    received: int
    recorded: int
    duplicates: int
    moved: list[ShipmentStatus] = Field(description="Statuses the shipment moved through.")
    problems_opened: int
    order_delivered: bool


def _shipments() -> QuerySet[Shipment]:
    """Shipments with what a row shows in a fixed number of queries (one for the scans)."""
    return (
        Shipment.objects.select_related("order", "warehouse", "carrier")
        .annotate(parcel_count=Count("parcels"))
        .prefetch_related(
            Prefetch("tracking_events", queryset=TrackingEvent.objects.order_by("occurred_at", "pk"))
        )
    )


def _shipment_out(shipment: Shipment) -> dict[str, Any]:
    carrier = shipment.carrier
    return {
        "id": shipment.pk,
        "number": shipment.number,
        "order_id": shipment.order_id,
        "order_number": shipment.order.number,
        "warehouse": shipment.warehouse.code,
        "carrier": carrier.code if carrier else None,
        "carrier_name": carrier.name if carrier else None,
        "status": shipment.status,
        "tracking_number": shipment.tracking_number,
        "parcels": shipment.parcel_count,
        "weight_kg": str(shipment.weight_kg),
        "desi": str(shipment.desi),
        "cod_amount": str(shipment.cod_amount),
        "currency": shipment.currency,
        "estimated_delivery": shipment.estimated_delivery,
        "created_at": shipment.created_at,
        "updated_at": shipment.updated_at,
        "handed_over_at": shipment.handed_over_at,
        "delivered_at": shipment.delivered_at,
        "last_tracked_at": shipment.last_tracked_at,
        "tracking": [
            {
                "occurred_at": event.occurred_at,
                "status": event.status,
                "description": event.description,
                "location": event.location,
                "exception": event.exception,
            }
            for event in shipment.tracking_events.all()
        ],
    }


# --- Shipments ------------------------------------------------------------------------------------


@router.get("/shipments", response=ShipmentPage, auth=READ_AUTH, summary="List shipments")
def shipment_list(
    request: HttpRequest,
    status: Annotated[ShipmentStatus | None, Query(description="Only shipments in this status.")] = None,
    carrier: Annotated[str | None, Query(description="Carrier account code.")] = None,
    updated_since: Annotated[
        datetime | None,
        Query(description="ISO datetime; shipments changed at or after it, oldest change first."),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
):
    """Shipments, newest first; with ``updated_since`` in order of their last change, so a sync can
    keep the ``updated_at`` of the last item and ask again from there. Keyset paginated: pass
    ``next_cursor`` back as ``cursor``. Each row carries its tracking scans."""
    shipments = _shipments()
    if status:
        shipments = shipments.filter(status=status)
    if carrier:
        shipments = shipments.filter(carrier__code=carrier)
    ordering: tuple[str, ...] = ("-created_at", "-id")
    if updated_since:
        shipments = shipments.filter(updated_at__gte=updated_since)
        ordering = ("updated_at", "id")
    page = paginate(request, shipments, ordering=ordering, per_page=limit)
    return {"items": [_shipment_out(s) for s in page.object_list], "next_cursor": page.next_cursor}


@router.get(
    "/orders/{order_id}/shipments",
    response=list[ShipmentOut],
    auth=READ_AUTH,
    summary="Shipments of an order",
)
def order_shipments(request: HttpRequest, order_id: int):
    """Every shipment of the order (one per warehouse and parcel group), oldest first."""
    if not Order.objects.filter(pk=order_id).exists():
        raise NotFound(_("There is no order %(id)s.") % {"id": order_id}, code="unknown_order")
    return [_shipment_out(s) for s in _shipments().filter(order_id=order_id).order_by("created_at", "id")]


# --- Carrier webhook ------------------------------------------------------------------------------


def signature_for(secret: str, body: bytes) -> str:
    """The hex HMAC-SHA256 a carrier (or our own tests and bridges) signs a webhook body with."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _verify(account: CarrierAccount, request: HttpRequest) -> None:
    given = request.headers.get(SIGNATURE_HEADER, "").strip().lower().removeprefix("sha256=")
    secret = account.webhook_secret or ""
    # No secret configured means no webhook can be trusted; compare anyway so the timing is the same.
    expected = signature_for(secret or "-", request.body)
    if not hmac.compare_digest(expected, given) or not secret:
        logger.warning(
            "carrier webhook %s: bad signature from %s", account.code, request.META.get("REMOTE_ADDR")
        )
        raise NotAuthenticated(_("The webhook signature is not valid."), code="bad_signature")


def _when(value: Any, field: str, errors: list[dict]) -> datetime | None:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        errors.append({"field": field, "code": "invalid", "message": _("Not an ISO date and time.")})
    return parsed


def parse_webhook(body: bytes) -> tuple[str, list[TrackingUpdate], date | None]:
    """Our generic webhook body: ``{"tracking_number", "estimated_delivery"?, "events": [{"code",
    "status", "occurred_at", "description", "location", "exception"}]}``; statuses and problems
    already in our vocabulary. Raises ``InvalidInput`` naming each bad field."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(_("The request body is not valid JSON."), code="malformed_json") from None
    if not isinstance(data, dict):
        raise InvalidInput(_("The request body must be a JSON object."), code="malformed_json")
    errors: list[dict] = []
    tracking_number = data.get("tracking_number")
    if not isinstance(tracking_number, str) or not tracking_number.strip():
        errors.append(
            {"field": "tracking_number", "code": "required", "message": _("This field is required.")}
        )
        tracking_number = ""
    events = data.get("events")
    if not isinstance(events, list):
        errors.append({"field": "events", "code": "invalid", "message": _("A list of events is required.")})
        events = []
    estimated = data.get("estimated_delivery")
    estimated_date = parse_date(estimated) if isinstance(estimated, str) else None
    if estimated is not None and estimated_date is None:
        errors.append({"field": "estimated_delivery", "code": "invalid", "message": _("Not an ISO date.")})
    updates = []
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            errors.append({"field": f"events[{i}]", "code": "invalid", "message": _("Not an object.")})
            continue
        occurred_at = _when(event.get("occurred_at"), f"events[{i}].occurred_at", errors)
        texts = {k: event.get(k) or "" for k in ("status", "code", "description", "location", "exception")}
        for key, value in texts.items():
            if not isinstance(value, str):
                errors.append({"field": f"events[{i}].{key}", "code": "invalid", "message": _("Not a text.")})
        if occurred_at is None or any(not isinstance(v, str) for v in texts.values()):
            continue
        updates.append(
            TrackingUpdate(
                occurred_at=occurred_at,
                status=texts["status"],
                carrier_code=texts["code"],
                description=texts["description"],
                location=texts["location"],
                exception=texts["exception"],
                raw=event,
            )
        )
    if errors:
        raise InvalidInput(_("The webhook body is not valid."), code="webhook_invalid", errors=errors)
    return tracking_number.strip(), updates, estimated_date


def _parse(account: CarrierAccount, body: bytes) -> tuple[str, list[TrackingUpdate], date | None]:
    """The connector's own parser when it has one (a carrier's native payload), else ours."""
    try:
        connector = connector_for(account)
    except CarrierError:
        connector = None
    parser = getattr(connector, "parse_webhook", None)
    if parser is None:
        return parse_webhook(body)
    try:
        parsed = parser(body)
    except CarrierError as error:
        raise InvalidInput(error.message, code="webhook_invalid") from None
    tracking_number, updates = parsed[0], parsed[1]
    return tracking_number, updates, parsed[2] if len(parsed) > 2 else None


def _keep_unmatched(account: CarrierAccount, tracking_number: str, body: bytes) -> None:
    """A signed report for a shipment we do not know (yet) is not thrown away: the raw body goes on
    the carrier account's timeline (``carrier.webhook_unmatched``) for someone to look at or replay."""
    with transaction.atomic():
        emit(
            "carrier.webhook_unmatched",
            subject=account,
            message=tracking_number[:120],
            data={
                "tracking_number": tracking_number,
                "body": body.decode("utf-8", "replace")[:UNMATCHED_BODY_LIMIT],
                "truncated": len(body) > UNMATCHED_BODY_LIMIT,
            },
        )


@router.post(
    "/carriers/{code}/webhook",
    response=WebhookOut,
    auth=None,
    summary="Carrier tracking webhook",
    url_name="carrier_webhook",
)
def carrier_webhook(request: HttpRequest, code: str):
    """Tracking scans pushed by a carrier, signed with ``X-OMS-Signature`` (hex HMAC-SHA256 of the
    raw body with the account's webhook secret).

    401 ``bad-signature`` when the signature does not match; 404 ``unknown-carrier`` or
    ``unknown-shipment`` (the body is kept on the carrier's timeline, so nothing is lost);
    422 ``webhook-invalid`` naming each bad field; 200 with counts otherwise. A repeated delivery
    answers 200 with ``duplicates`` and records nothing twice.
    """
    account = CarrierAccount.objects.filter(code=code, is_active=True).first()
    if account is None:
        raise NotFound(_("There is no carrier “%(code)s”.") % {"code": code}, code="unknown_carrier")
    _verify(account, request)
    tracking_number, updates, estimated = _parse(account, request.body)
    shipment = (
        Shipment.objects.filter(carrier=account, tracking_number=tracking_number)
        .values_list("pk", "number")
        .first()
    )
    if shipment is None:
        _keep_unmatched(account, tracking_number, request.body)
        raise NotFound(
            _("There is no shipment with tracking number %(n)s at this carrier.") % {"n": tracking_number},
            code="unknown_shipment",
        )
    outcome = record_updates(shipment[0], updates, "webhook", estimated_delivery=estimated)
    return {"shipment": shipment[1], **outcome.as_dict()}
