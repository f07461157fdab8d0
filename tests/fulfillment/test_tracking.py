"""Tracking through the services: idempotency, ordering, exceptions, delivery, polling."""

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest

from fulfillment import tracking
from fulfillment.carriers import CarrierError, TrackingResult, TrackingUpdate
from fulfillment.models import CarrierAccount, Problem, Shipment, ShipmentEvent, TrackingEvent
from oms.errors import InvalidInput
from orders import services
from orders.models import OrderEvent
from tests.inventory.factories import make_warehouse, stocked
from tests.orders.factories import make_channel, place

pytestmark = pytest.mark.django_db

_seq = count(1)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# --- Helpers shared by the fulfillment tracking tests (imported by the API and page tests) ----------


def make_carrier(
    code: str = "yk", connector: str = "manual", secret: str = "s3cret", **fields
) -> CarrierAccount:
    return CarrierAccount.objects.create(
        code=code,
        name=fields.pop("name", f"Carrier {code}"),
        connector=connector,
        webhook_secret=secret,
        **fields,
    )


def shipped_order(channel=None, warehouse=None, *, email: str = ""):
    """An order placed through the real intake and marked shipped (fulfillment's hand-over is not
    what these tests are about)."""
    warehouse = warehouse or make_warehouse()
    channel = channel or make_channel()
    variant, _wh = stocked(10, warehouse=warehouse)
    extra = {}
    if email:
        from orders.customers import CustomerData

        extra["customer"] = CustomerData(email=email, first_name="Ayşe", last_name="Yılmaz")
    order = place(channel, [(variant, 1)], **extra)
    services.mark_shipped(order)
    order.refresh_from_db()
    return order, warehouse


def make_shipment(order, warehouse, carrier, *, status: str = "handed_over", **fields) -> Shipment:
    n = next(_seq)
    return Shipment.objects.create(
        number=fields.pop("number", f"SHP-T{n}"),
        order=order,
        warehouse=warehouse,
        carrier=carrier,
        status=status,
        tracking_number=fields.pop("tracking_number", f"TRK{n:08d}"),
        handed_over_at=T0 - timedelta(hours=1),
        **fields,
    )


def scan(minutes: int, status: str, **fields) -> TrackingUpdate:
    return TrackingUpdate(occurred_at=T0 + timedelta(minutes=minutes), status=status, **fields)


@pytest.fixture
def carrier():
    return make_carrier()


@pytest.fixture
def shipment(carrier):
    order, warehouse = shipped_order()
    return make_shipment(order, warehouse, carrier)


# --- Idempotency and ordering ---------------------------------------------------------------------


def test_updates_are_recorded_and_move_the_shipment(shipment):
    outcome = tracking.record_updates(
        shipment.pk,
        [scan(10, "in_transit", location="Ankara HUB"), scan(60, "out_for_delivery", location="Çankaya")],
        "webhook",
        estimated_delivery=date(2026, 3, 3),
    )
    shipment.refresh_from_db()
    assert (outcome.received, outcome.recorded, outcome.duplicates) == (2, 2, 0)
    assert outcome.moved == ["in_transit", "out_for_delivery"]
    assert shipment.status == "out_for_delivery"
    assert shipment.estimated_delivery == date(2026, 3, 3)
    assert shipment.last_tracked_at is not None
    names = list(ShipmentEvent.objects.filter(subject=shipment).order_by("pk").values_list("name", flat=True))
    assert names == ["shipment.in_transit", "shipment.out_for_delivery"]


def test_the_same_updates_twice_add_nothing(shipment):
    updates = [scan(10, "in_transit", carrier_code="IND"), scan(20, "in_transit", carrier_code="ISR")]
    tracking.record_updates(shipment.pk, updates, "webhook")
    again = tracking.record_updates(shipment.pk, [*updates, updates[0]], "poll")
    assert (again.received, again.recorded, again.duplicates) == (3, 0, 3)
    assert again.moved == []
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 2
    assert ShipmentEvent.objects.filter(subject=shipment, name="shipment.in_transit").count() == 1


def test_one_instant_in_another_time_zone_is_the_same_scan(shipment):
    istanbul = T0.astimezone(UTC).replace(tzinfo=UTC) + timedelta(minutes=5)
    from zoneinfo import ZoneInfo

    tracking.record_updates(shipment.pk, [TrackingUpdate(occurred_at=istanbul, status="in_transit")], "poll")
    local = istanbul.astimezone(ZoneInfo("Europe/Istanbul"))
    again = tracking.record_updates(
        shipment.pk, [TrackingUpdate(occurred_at=local, status="in_transit")], "webhook"
    )
    assert again.duplicates == 1
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1


def test_updates_are_applied_in_time_order_whatever_order_they_arrive_in(shipment):
    outcome = tracking.record_updates(
        shipment.pk, [scan(90, "delivered"), scan(10, "in_transit"), scan(50, "out_for_delivery")], "poll"
    )
    shipment.refresh_from_db()
    assert outcome.moved == ["in_transit", "out_for_delivery", "delivered"]
    assert shipment.status == "delivered"


def test_a_stale_report_is_stored_but_does_not_move_the_shipment_back(shipment):
    tracking.record_updates(shipment.pk, [scan(60, "out_for_delivery")], "webhook")
    late = tracking.record_updates(shipment.pk, [scan(10, "in_transit", location="Hub")], "poll")
    shipment.refresh_from_db()
    assert late.recorded == 1
    assert late.moved == []
    assert shipment.status == "out_for_delivery"
    assert TrackingEvent.objects.filter(shipment=shipment, status="in_transit", location="Hub").exists()


def test_a_newer_return_to_the_hub_does_move_it(shipment):
    """out_for_delivery -> in_transit is allowed (the courier brought it back): only time decides."""
    tracking.record_updates(shipment.pk, [scan(60, "out_for_delivery")], "webhook")
    tracking.record_updates(shipment.pk, [scan(120, "in_transit")], "webhook")
    shipment.refresh_from_db()
    assert shipment.status == "in_transit"


def test_an_illegal_step_is_stored_without_moving(carrier):
    order, warehouse = shipped_order()
    printed = make_shipment(order, warehouse, carrier, status="label_printed")
    outcome = tracking.record_updates(printed.pk, [scan(10, "in_transit")], "webhook")
    printed.refresh_from_db()
    assert printed.status == "label_printed"  # only the warehouse hands over (stock is consumed there)
    assert outcome.recorded == 1
    assert outcome.moved == []
    # and a delivered shipment stays delivered whatever comes later
    done = make_shipment(order, warehouse, carrier, status="delivered")
    tracking.record_updates(done.pk, [scan(500, "failed_attempt")], "webhook")
    done.refresh_from_db()
    assert done.status == "delivered"


def test_unknown_status_or_problem_is_refused_and_nothing_is_stored(shipment):
    with pytest.raises(InvalidInput) as caught:
        tracking.record_updates(
            shipment.pk,
            [scan(10, "in_transit"), scan(20, "teleported"), scan(30, "failed_attempt", exception="x")],
            "webhook",
        )
    assert {e["field"] for e in caught.value.data["errors"]} == {"events[1].status", "events[2].exception"}
    assert not TrackingEvent.objects.filter(shipment=shipment).exists()


# --- Exceptions -----------------------------------------------------------------------------------


def test_exception_opens_one_delivery_problem_and_emits_an_event(shipment):
    outcome = tracking.record_updates(
        shipment.pk,
        [scan(30, "failed_attempt", exception="address_not_found", description="Adres bulunamadı")],
        "webhook",
    )
    problem = Problem.objects.get(shipment=shipment)
    assert outcome.problems == [problem.pk]
    assert (problem.kind, problem.code, problem.order_id) == (
        "delivery",
        "address_not_found",
        shipment.order_id,
    )
    assert "Adres bulunamadı" in problem.detail
    event = ShipmentEvent.objects.get(subject=shipment, name="shipment.exception")
    assert event.data["exception"] == "address_not_found"
    assert event.data["problem"] == problem.pk

    # the same kind again while open: no second problem, but the event is recorded
    tracking.record_updates(
        shipment.pk, [scan(90, "failed_attempt", exception="address_not_found")], "webhook"
    )
    assert Problem.objects.filter(shipment=shipment).count() == 1
    assert ShipmentEvent.objects.filter(subject=shipment, name="shipment.exception").count() == 2
    # a different kind is its own problem
    tracking.record_updates(shipment.pk, [scan(120, "returned_to_sender", exception="refused")], "webhook")
    assert set(Problem.objects.filter(shipment=shipment).values_list("code", flat=True)) == {
        "address_not_found",
        "refused",
    }
    shipment.refresh_from_db()
    assert shipment.status == "returned_to_sender"


def test_a_resolved_problem_is_opened_again_by_a_new_exception(shipment):
    from django.utils import timezone

    tracking.record_updates(
        shipment.pk, [scan(30, "failed_attempt", exception="recipient_unreachable")], "poll"
    )
    Problem.objects.filter(shipment=shipment).update(resolved_at=timezone.now())
    tracking.record_updates(
        shipment.pk, [scan(90, "failed_attempt", exception="recipient_unreachable")], "poll"
    )
    assert Problem.objects.filter(shipment=shipment, resolved_at__isnull=True).count() == 1
    assert Problem.objects.filter(shipment=shipment).count() == 2


def test_a_duplicate_exception_report_opens_nothing_new(shipment):
    update = scan(30, "in_transit", exception="damaged")
    tracking.record_updates(shipment.pk, [update], "webhook")
    tracking.record_updates(shipment.pk, [update], "poll")
    assert Problem.objects.filter(shipment=shipment).count() == 1
    assert ShipmentEvent.objects.filter(subject=shipment, name="shipment.exception").count() == 1


# --- Delivery -------------------------------------------------------------------------------------


def test_delivered_shipment_delivers_the_order(shipment):
    outcome = tracking.record_updates(
        shipment.pk, [scan(10, "in_transit"), scan(200, "delivered")], "webhook"
    )
    shipment.refresh_from_db()
    shipment.order.refresh_from_db()
    assert outcome.order_delivered is True
    assert shipment.status == "delivered"
    assert shipment.delivered_at is not None
    assert shipment.order.status == "delivered"
    assert OrderEvent.objects.filter(subject=shipment.order, name="order.delivered").count() == 1


def test_order_waits_for_all_its_shipments(carrier):
    order, warehouse = shipped_order()
    first = make_shipment(order, warehouse, carrier)
    second = make_shipment(order, warehouse, carrier)
    make_shipment(order, warehouse, carrier, status="cancelled", tracking_number="")  # does not count
    assert tracking.record_updates(first.pk, [scan(100, "delivered")], "webhook").order_delivered is False
    order.refresh_from_db()
    assert order.status == "shipped"
    assert tracking.record_updates(second.pk, [scan(150, "delivered")], "webhook").order_delivered is True
    order.refresh_from_db()
    assert order.status == "delivered"
    # a repeated delivered report changes nothing (and raises nothing)
    assert tracking.record_updates(second.pk, [scan(150, "delivered")], "webhook").recorded == 0


def test_partially_shipped_order_is_not_delivered_by_its_first_parcel(carrier):
    warehouse = make_warehouse()
    variant, _wh = stocked(10, warehouse=warehouse)
    order = place(make_channel(), [(variant, 2)])
    line = order.lines.get()
    services.mark_shipped(order, lines={line.pk: 1})
    shipment = make_shipment(order, warehouse, carrier)
    tracking.record_updates(shipment.pk, [scan(100, "delivered")], "webhook")
    order.refresh_from_db()
    assert order.status == "partially_shipped"


# --- Polling --------------------------------------------------------------------------------------


class ScriptedCarrier:
    """A test connector: answers ``track`` from ``SCRIPT`` by tracking number (no network)."""

    name = "scripted_test"
    label = "Scripted (tests)"
    SCRIPT: dict = {}

    def __init__(self, *, settings: dict, credentials: dict) -> None:
        pass

    def track(self, *, tracking_number: str, reference: str) -> TrackingResult:
        answer = self.SCRIPT.get(tracking_number)
        if isinstance(answer, Exception):
            raise answer
        return answer or TrackingResult(updates=[])


@pytest.fixture(autouse=True)
def _scripted_connector(monkeypatch):
    """Registered only for the test, so panels listing connectors elsewhere never see it."""
    from fulfillment import carriers

    carriers._load()
    monkeypatch.setitem(carriers._registry, ScriptedCarrier.name, ScriptedCarrier)


def test_poll_records_updates_skips_failures_and_marks_every_shipment_tracked(monkeypatch):
    carrier = make_carrier("scr", connector="scripted_test")
    order, warehouse = shipped_order()
    good = make_shipment(order, warehouse, carrier)
    broken = make_shipment(order, warehouse, carrier)
    done = make_shipment(order, warehouse, carrier, status="delivered")
    monkeypatch.setattr(
        ScriptedCarrier,
        "SCRIPT",
        {
            good.tracking_number: TrackingResult(
                updates=[scan(10, "in_transit"), scan(30, "out_for_delivery")],
                estimated_delivery=date(2026, 3, 4),
            ),
            broken.tracking_number: CarrierError("Servis yanıt vermiyor", retryable=True),
        },
    )
    from fulfillment.tasks import poll_tracking

    result = poll_tracking.delay(limit=10).get()
    assert result == {"polled": 2, "failed": 1, "recorded": 2, "moved": 2}
    good.refresh_from_db()
    broken.refresh_from_db()
    done.refresh_from_db()
    assert good.status == "out_for_delivery"
    assert good.estimated_delivery == date(2026, 3, 4)
    assert broken.last_tracked_at is not None
    assert broken.status == "handed_over"
    assert done.last_tracked_at is None  # delivered shipments are not polled
    again = tracking.poll_open_shipments(limit=10)
    assert again["recorded"] == 0
    assert TrackingEvent.objects.filter(shipment=good).count() == 2


def test_poll_takes_the_longest_untracked_first(monkeypatch):
    from django.utils import timezone

    carrier = make_carrier("scr2", connector="scripted_test")
    order, warehouse = shipped_order()
    recent = make_shipment(order, warehouse, carrier, last_tracked_at=timezone.now())
    never = make_shipment(order, warehouse, carrier)
    old = make_shipment(order, warehouse, carrier, last_tracked_at=timezone.now() - timedelta(hours=5))
    seen = []
    monkeypatch.setattr(
        ScriptedCarrier,
        "track",
        lambda self, *, tracking_number, reference: (
            seen.append(tracking_number) or TrackingResult(updates=[])
        ),
    )
    tracking.poll_open_shipments(limit=2)
    assert seen == [never.tracking_number, old.tracking_number]
    assert recent.tracking_number not in seen
