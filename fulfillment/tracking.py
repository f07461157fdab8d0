"""Tracking: carrier scans (webhooks, the polling beat job, the panel) recorded on shipments.

``record_updates`` is the one way in. It is idempotent (``TrackingEvent`` is unique per shipment and
``dedupe_key``, so the same webhook twice or a poll seeing what a webhook brought adds nothing) and
tolerant of carriers that report late, out of order or nonsense: every new scan is stored, but
only one newer than everything seen before moves the shipment, and only along
``SHIPMENT_TRANSITIONS``. Delivery exceptions open one customer-service problem per shipment and
kind and emit ``shipment.exception``; the last delivered shipment of a shipped order delivers the
order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, date

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fulfillment.carriers import CarrierError, TrackingUpdate, connector_for
from fulfillment.models import (
    OPEN_SHIPMENT_STATUSES,
    SHIPMENT_TRANSITIONS,
    Problem,
    ProblemKind,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
    TrackingException,
)
from fulfillment.problems import open_problem
from fulfillment.shipments import lock_shipment, move_shipment
from oms.errors import DomainError, InvalidInput
from oms.events import emit

logger = logging.getLogger(__name__)

SOURCES = ("webhook", "poll", "panel")


@dataclass
class TrackingOutcome:
    """What one batch of updates did: shown in webhook answers and job results."""

    shipment_id: int
    received: int = 0
    recorded: int = 0
    duplicates: int = 0
    status: str = ""
    moved: list[str] = field(default_factory=list)
    problems: list[int] = field(default_factory=list)
    order_delivered: bool = False

    def as_dict(self) -> dict:
        return {
            "received": self.received,
            "recorded": self.recorded,
            "duplicates": self.duplicates,
            "status": self.status,
            "moved": self.moved,
            "problems_opened": len(self.problems),
            "order_delivered": self.order_delivered,
        }


def _normalised(update: TrackingUpdate) -> TrackingUpdate:
    """The same scan must give the same key whichever path brought it: times in UTC (``+03:00``
    and ``Z`` spellings of one instant would otherwise be two keys); naive times are local."""
    occurred_at = update.occurred_at
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    return replace(update, occurred_at=occurred_at.astimezone(UTC))


def _check(updates: list[TrackingUpdate]) -> None:
    errors = []
    for i, update in enumerate(updates):
        if update.status not in ShipmentStatus.values:
            errors.append(
                {
                    "field": f"events[{i}].status",
                    "code": "invalid_choice",
                    "message": _("Unknown shipment status “%(s)s”.") % {"s": update.status},
                }
            )
        if update.exception and update.exception not in TrackingException.values:
            errors.append(
                {
                    "field": f"events[{i}].exception",
                    "code": "invalid_choice",
                    "message": _("Unknown delivery problem “%(s)s”.") % {"s": update.exception},
                }
            )
    if errors:
        raise InvalidInput(_("Some tracking events are not valid."), code="tracking_invalid", errors=errors)


@transaction.atomic
def record_updates(
    shipment_id: int,
    updates: list[TrackingUpdate],
    source: str,
    *,
    estimated_delivery: date | None = None,
    user=None,
) -> TrackingOutcome:
    """Store the new scans of one shipment and move it on; see the module docstring.

    Runs under the shipment's row lock, so a webhook and a poll of the same shipment at once
    serialise and the second one sees the first one's rows as duplicates.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown tracking source {source!r}")
    updates = [_normalised(u) for u in updates]
    _check(updates)
    shipment = lock_shipment(shipment_id)
    outcome = TrackingOutcome(shipment_id=shipment.pk, received=len(updates))

    keys = {u.dedupe_key for u in updates}
    known = set(
        TrackingEvent.objects.filter(shipment=shipment, dedupe_key__in=keys).values_list(
            "dedupe_key", flat=True
        )
    )
    latest = (
        TrackingEvent.objects.filter(shipment=shipment)
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    fresh: dict[str, TrackingUpdate] = {}
    for update in sorted(updates, key=lambda u: u.occurred_at):
        if update.dedupe_key not in known and update.dedupe_key not in fresh:
            fresh[update.dedupe_key] = update
    outcome.duplicates = outcome.received - len(fresh)
    TrackingEvent.objects.bulk_create(
        [
            TrackingEvent(
                shipment=shipment,
                occurred_at=u.occurred_at,
                status=u.status,
                carrier_code=u.carrier_code[:32],
                description=u.description[:255],
                location=u.location[:120],
                exception=u.exception,
                source=source,
                dedupe_key=key,
                raw=u.raw or {},
            )
            for key, u in fresh.items()
        ]
    )
    outcome.recorded = len(fresh)

    for update in fresh.values():  # oldest first
        stale = latest is not None and update.occurred_at < latest
        if not stale:
            latest = update.occurred_at
            _advance(shipment, update, user=user, outcome=outcome)
        if update.exception:
            _raise_exception(shipment, update, stale=stale, user=user, outcome=outcome)

    shipment.last_tracked_at = timezone.now()
    if estimated_delivery and estimated_delivery != shipment.estimated_delivery:
        shipment.estimated_delivery = estimated_delivery  # a real change: updated_at moves for syncs
        shipment.save(update_fields=["estimated_delivery", "last_tracked_at", "updated_at"])
    else:
        Shipment.objects.filter(pk=shipment.pk).update(last_tracked_at=shipment.last_tracked_at)
    if ShipmentStatus.DELIVERED in outcome.moved:
        outcome.order_delivered = _deliver_order(shipment, user=user)
    if ShipmentStatus.RETURNED_TO_SENDER in outcome.moved:
        _note_return(shipment, user=user, outcome=outcome)
    outcome.status = shipment.status
    return outcome


def _advance(shipment: Shipment, update: TrackingUpdate, *, user, outcome: TrackingOutcome) -> None:
    """Move to the scan's status when the status machine allows it; otherwise keep the scan only.

    A carrier's "picked up" after we marked the shipment handed over, or "in transit" for one that
    was never handed over (hand-over consumes stock: only the warehouse does it), are such scans.
    """
    if update.status == shipment.status:
        return
    if update.status not in SHIPMENT_TRANSITIONS.get(shipment.status, set()):
        logger.info(
            "shipment %s: %s scan kept without moving it from %s", shipment.pk, update.status, shipment.status
        )
        return
    move_shipment(
        shipment,
        update.status,
        user=user,
        message=update.description or update.location,
        data={"occurred_at": update.occurred_at.isoformat(), "location": update.location},
    )
    outcome.moved.append(update.status)


def _raise_exception(
    shipment: Shipment, update: TrackingUpdate, *, stale: bool, user, outcome: TrackingOutcome
) -> None:
    """A delivery problem for customer service (one open per shipment and kind) and an event."""
    if shipment.status == ShipmentStatus.DELIVERED and stale:
        return  # an old "recipient unreachable" arriving after the delivery needs nobody
    open_already = Problem.objects.filter(
        kind=ProblemKind.DELIVERY, shipment=shipment, code=update.exception, resolved_at__isnull=True
    ).first()
    problem = open_already
    if problem is None:
        label = TrackingException(update.exception).label
        detail = " - ".join(p for p in [str(label), update.description, update.location] if p)
        problem = open_problem(
            kind=ProblemKind.DELIVERY,
            warehouse_id=shipment.warehouse_id,
            order_id=shipment.order_id,
            shipment=shipment,
            code=update.exception,
            detail=detail,
        )
        outcome.problems.append(problem.pk)
    emit(
        "shipment.exception",
        subject=shipment,
        actor=user,
        message=str(TrackingException(update.exception).label),
        data={
            "exception": update.exception,
            "occurred_at": update.occurred_at.isoformat(),
            "description": update.description,
            "location": update.location,
            "problem": problem.pk,
            "new_problem": open_already is None,
        },
    )


RETURNED_CODE = "returned"


def _note_return(shipment: Shipment, *, user, outcome: TrackingOutcome) -> None:
    """A parcel coming back is the order desk's business (refund or ship again): the order's
    timeline says so and customer service gets a problem (unless one is open for the parcel). The
    order's status stays: the goods are not back in stock until the returns desk receives them."""
    emit(
        "order.shipment_returned",
        subject=shipment.order,
        actor=user,
        message=shipment.number,
        data={
            "shipment": shipment.number,
            "shipment_id": shipment.pk,
            "tracking_number": shipment.tracking_number,
        },
    )
    # One open delivery problem per parcel is enough: a refusal that caused the return has one.
    if not Problem.objects.filter(
        shipment=shipment, kind=ProblemKind.DELIVERY, resolved_at__isnull=True
    ).exists():
        problem = open_problem(
            kind=ProblemKind.DELIVERY,
            warehouse_id=shipment.warehouse_id,
            order_id=shipment.order_id,
            shipment=shipment,
            code=RETURNED_CODE,
            detail=_("Returned to sender: refund the customer or ship again."),
        )
        outcome.problems.append(problem.pk)


def _deliver_order(shipment: Shipment, *, user) -> bool:
    """The order is delivered once it is fully shipped and none of its shipments is still on the
    way (cancelled ones do not count). A partially shipped order waits for the rest."""
    from orders import services
    from orders.models import OrderStatus

    order = shipment.order
    if order.status != OrderStatus.SHIPPED:
        return False
    pending = (
        Shipment.objects.filter(order_id=order.pk)
        .exclude(status__in=[ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED])
        .exists()
    )
    if pending:
        return False
    services.mark_delivered(order, user=user)
    return True


# --- Polling --------------------------------------------------------------------------------------


def poll_open_shipments(limit: int = 200) -> dict:
    """Ask the carriers about the open shipments tracked longest ago (never-tracked first).

    The carrier calls run outside any transaction; one failing carrier or shipment is logged and
    skipped, and its ``last_tracked_at`` still moves so it goes to the back of the queue.
    """
    shipments = list(
        Shipment.objects.filter(
            status__in=OPEN_SHIPMENT_STATUSES, carrier__isnull=False, carrier__is_active=True
        )
        .exclude(tracking_number="")
        .select_related("carrier")
        .order_by(F("last_tracked_at").asc(nulls_first=True), "pk")[:limit]
    )
    result = {"polled": 0, "failed": 0, "recorded": 0, "moved": 0}
    connectors: dict[int, object] = {}
    for shipment in shipments:
        result["polled"] += 1
        try:
            connector = connectors.get(shipment.carrier_id) or connector_for(shipment.carrier)
            connectors[shipment.carrier_id] = connector
            tracked = connector.track(
                tracking_number=shipment.tracking_number,
                reference=shipment.carrier_reference or shipment.number,
            )
            outcome = record_updates(
                shipment.pk, tracked.updates, "poll", estimated_delivery=tracked.estimated_delivery
            )
        except (CarrierError, DomainError) as error:
            result["failed"] += 1
            logger.warning("tracking %s (%s) failed: %s", shipment.number, shipment.carrier.code, error)
            Shipment.objects.filter(pk=shipment.pk).update(last_tracked_at=timezone.now())
            continue
        result["recorded"] += outcome.recorded
        result["moved"] += len(outcome.moved)
    return result
