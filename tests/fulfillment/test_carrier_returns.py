"""Returns to the sender: Yurtiçi's return fields against recorded payloads (the local HTTP server of
``test_carriers``), and a returned_to_sender scan through ``tracking.record_updates``."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from fulfillment import tracking
from fulfillment.models import Problem, ShipmentEvent
from orders.models import OrderEvent
from tests.fulfillment.test_carriers import PAYLOADS, fake, yurtici  # noqa: F401 - fake is a fixture
from tests.fulfillment.test_tracking import make_carrier, make_shipment, scan, shipped_order

IST = ZoneInfo("Europe/Istanbul")


def test_yurtici_returned_shipment_reports_returned_to_sender(fake):  # noqa: F811
    fake.answer("queryShipment", "yurtici_query_return.xml")
    updates = yurtici(fake).track(tracking_number="SH2026000123", reference="SH-2026-000123").updates
    assert [u.status for u in updates] == ["in_transit"] * 5 + ["returned_to_sender"]
    returned = updates[-1]
    assert returned.occurred_at == datetime(2026, 3, 5, 11, 20, tzinfo=IST)  # the last scan's time
    assert returned.description == "Alıcı kargoyu kabul etmedi, göndericiye iade edildi."
    assert returned.raw["rejectStatus"] == "9"
    assert len({u.dedupe_key for u in updates}) == len(updates)


@pytest.mark.parametrize("operation", ["CNL", "ISC"])
def test_yurtici_cancelled_after_it_left_is_returned_to_sender(fake, tmp_path, operation):  # noqa: F811
    # the accepted-at-the-branch payload, then stopped: the parcel comes back to us
    text = (PAYLOADS / "yurtici_query_isr.xml").read_text(encoding="utf-8")
    payload = tmp_path / "left_then_cancelled.xml"
    payload.write_text(
        text.replace("<operationStatus>ISR<", f"<operationStatus>{operation}<"), encoding="utf-8"
    )
    fake.answer("queryShipment", str(payload))
    updates = yurtici(fake).track(tracking_number="SH2026000123", reference="").updates
    assert [u.status for u in updates] == ["in_transit", "returned_to_sender"]


def test_yurtici_cancelled_before_it_left_stays_cancelled(fake):  # noqa: F811
    fake.answer("queryShipment", "yurtici_query_cnl.xml")
    updates = yurtici(fake).track(tracking_number="SH2026000123", reference="").updates
    assert [u.status for u in updates] == ["cancelled"]


# --- Through the tracking service -----------------------------------------------------------------


@pytest.fixture
def on_the_way(db):
    order, warehouse = shipped_order()
    return make_shipment(order, warehouse, make_carrier(), status="in_transit")


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["handed_over", "in_transit"])
def test_returned_to_sender_moves_a_shipment_that_left(status):
    # given
    order, warehouse = shipped_order()
    shipment = make_shipment(order, warehouse, make_carrier(), status=status)
    # when
    outcome = tracking.record_updates(
        shipment.pk, [scan(30, "in_transit"), scan(600, "returned_to_sender", carrier_code="IND-RTN")], "poll"
    )
    # then
    shipment.refresh_from_db()
    assert shipment.status == "returned_to_sender"
    assert outcome.moved[-1] == "returned_to_sender"
    assert outcome.order_delivered is False
    event = ShipmentEvent.objects.get(subject=shipment, name="shipment.returned_to_sender")
    assert event.data["to"] == "returned_to_sender"
    order.refresh_from_db()
    assert order.status == "shipped"  # a return is not a delivery


@pytest.mark.django_db
def test_returned_to_sender_is_on_the_orders_timeline_and_in_the_problem_queue(on_the_way):
    outcome = tracking.record_updates(on_the_way.pk, [scan(600, "returned_to_sender")], "webhook")
    event = OrderEvent.objects.get(subject=on_the_way.order, name="order.shipment_returned")
    assert event.data["shipment"] == on_the_way.number
    problem = Problem.objects.get(shipment=on_the_way, resolved_at__isnull=True)
    assert (problem.kind, problem.code, outcome.problems) == ("delivery", "returned", [problem.pk])
    # The same return reported again (a poll after the webhook) adds nothing.
    tracking.record_updates(on_the_way.pk, [scan(600, "returned_to_sender")], "poll")
    assert OrderEvent.objects.filter(name="order.shipment_returned").count() == 1
    assert Problem.objects.filter(shipment=on_the_way).count() == 1
