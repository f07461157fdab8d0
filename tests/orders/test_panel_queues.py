"""Work queues page: tabs with counts, the SLA timer, filters, take/release/resolve, dashboard figures."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

import oms.dashboard
from oms.dashboard import panels_for
from orders import queues, services
from orders.models import OrderEvent, Queue, QueueItem
from tests.inventory.factories import make_warehouse, stocked
from tests.orders.factories import make_channel, place

pytestmark = pytest.mark.django_db

URL = reverse("orders:queues")


@pytest.fixture
def ankara():
    return make_warehouse("ANK", province=6)


@pytest.fixture
def channel():
    return make_channel("web")


@pytest.fixture
def me(user_factory):
    return user_factory(role="operator", username="kuyruk", language="en")


@pytest.fixture
def op_client(client, me):
    client.force_login(me)
    return client


def held(channel, warehouse, *, age: timedelta = timedelta(minutes=10), queue=Queue.ON_HOLD, reason="risk"):
    """An order waiting in ``queue`` whose item was opened ``age`` ago."""
    variant, _wh = stocked(5, warehouse=warehouse)
    order = place(channel, [(variant, 1)])
    services.hold(order, reason=reason, detail=f"detail of {order.number}", queue=queue)
    item = QueueItem.objects.get(order=order, queue=queue, resolved_at__isnull=True)
    QueueItem.objects.filter(pk=item.pk).update(opened_at=timezone.now() - age)
    item.refresh_from_db()
    return item


def numbers(response) -> list[str]:
    return [item.order.number for item in response.context["page"]]


# --- The list -------------------------------------------------------------------------------------


def test_open_items_are_listed_oldest_first_with_their_sla_colour(op_client, channel, ankara):
    # given: on_hold target 4 h -> 1 h is green, 3.5 h amber (87 %), 5 h red
    fresh = held(channel, ankara, age=timedelta(hours=1))
    late = held(channel, ankara, age=timedelta(hours=5))
    amber = held(channel, ankara, age=timedelta(hours=3, minutes=30))
    resolved = held(channel, ankara, age=timedelta(hours=9))
    services.resolve_queue_item(resolved, user=None, resolution="done elsewhere")

    response = op_client.get(URL)

    assert response.status_code == 200
    assert numbers(response) == [late.order.number, amber.order.number, fresh.order.number]
    tones = {item.order.number: item.sla.tone for item in response.context["page"]}
    assert tones == {late.order.number: "late", amber.order.number: "warn", fresh.order.number: "ok"}
    html = response.content.decode()
    assert "sla-late" in html
    assert "sla-warn" in html
    assert "sla-ok" in html
    assert f"detail of {late.order.number}" in html
    assert "Risk score" in html  # the reason code as people read it


def test_tabs_switch_queue_and_count_open_and_late_items(op_client, channel, ankara):
    held(channel, ankara, age=timedelta(hours=5))
    held(channel, ankara, age=timedelta(minutes=5))
    approval = held(channel, ankara, queue=Queue.TO_APPROVE, reason="approval", age=timedelta(minutes=30))

    response = op_client.get(URL, {"queue": "to_approve"})

    assert numbers(response) == [approval.order.number]
    tabs = {tab["key"]: (tab["open"], tab["late"]) for tab in response.context["tabs"]}
    assert tabs == {"on_hold": (2, 1), "to_approve": (1, 0), "backordered": (0, 0), "exception": (0, 0)}
    assert "1 late" in response.content.decode()


def test_backordered_and_exception_queues_come_from_the_services(op_client, channel, ankara):
    short, _wh = stocked(1, warehouse=ankara)
    backordered = place(channel, [(short, 3)])
    variant, _wh = stocked(5, warehouse=ankara)
    problem = place(channel, [(variant, 1)])
    services.raise_exception(problem, reason="carrier_lost", detail="Parcel lost by the carrier")

    assert numbers(op_client.get(URL, {"queue": "backordered"})) == [backordered.number]
    response = op_client.get(URL, {"queue": "exception"})
    assert numbers(response) == [problem.number]
    assert "carrier_lost" in response.content.decode()


def test_sla_targets_can_be_tuned_in_settings(op_client, channel, ankara, settings):
    settings.ORDER_QUEUE_SLA_MINUTES = {"on_hold": 60}
    item = held(channel, ankara, age=timedelta(minutes=50))
    assert queues.sla_for(item).tone == "warn"
    assert queues.sla_minutes("to_approve") == 120  # the others keep their defaults
    QueueItem.objects.filter(pk=item.pk).update(opened_at=timezone.now() - timedelta(minutes=61))
    response = op_client.get(URL)
    assert response.context["page"].object_list[0].sla.tone == "late"
    assert response.context["tabs"][0]["late"] == 1


def test_filters_mine_unassigned_and_reason(op_client, me, channel, ankara, user_factory):
    mine = held(channel, ankara, reason="risk")
    theirs = held(channel, ankara, reason="risk")
    nobody = held(channel, ankara, reason="manual_check")
    services.take_queue_item(mine, user=me)
    services.take_queue_item(theirs, user=user_factory(role="operator"))

    assert numbers(op_client.get(URL, {"assigned": "mine"})) == [mine.order.number]
    assert numbers(op_client.get(URL, {"assigned": "unassigned"})) == [nobody.order.number]
    assert numbers(op_client.get(URL, {"reason": "manual_check"})) == [nobody.order.number]
    assert len(numbers(op_client.get(URL))) == 3


def test_htmx_filter_returns_only_the_results(op_client, channel, ankara):
    held(channel, ankara)
    response = op_client.get(URL, {"assigned": "unassigned"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html


def test_list_costs_the_same_queries_however_many_items(
    op_client, channel, ankara, django_assert_max_num_queries
):
    held(channel, ankara)
    with CaptureQueriesContext(connection) as few:
        op_client.get(URL)
    for _n in range(6):
        held(channel, ankara)
    held(channel, ankara, queue=Queue.EXCEPTION, reason="x")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = op_client.get(URL)
    assert len(response.context["page"]) == 7


# --- Actions --------------------------------------------------------------------------------------


def test_take_release_and_resolve_swap_the_row(op_client, me, channel, ankara):
    item = held(channel, ankara)
    hx = {"HX-Request": "true"}

    taken = op_client.post(reverse("orders:queue_take", args=[item.pk]), headers=hx)
    assert taken.status_code == 200
    html = taken.content.decode()
    assert html.lstrip().startswith(f'<tr id="queue-item-{item.pk}"')
    assert 'id="queue-tabs" aria-label="Work queues" hx-swap-oob="true"' in html
    item.refresh_from_db()
    assert item.assignee == me

    released = op_client.post(reverse("orders:queue_release", args=[item.pk]), headers=hx)
    assert released.status_code == 200
    item.refresh_from_db()
    assert item.assignee is None

    resolved = op_client.post(
        reverse("orders:queue_resolve", args=[item.pk]), {"resolution": "Called the customer"}, headers=hx
    )
    assert resolved.status_code == 200
    assert "Resolved" in resolved.content.decode()
    item.refresh_from_db()
    assert (item.resolution, item.resolved_by) == ("Called the customer", me)
    names = set(OrderEvent.objects.filter(subject=item.order).values_list("name", flat=True))
    assert {"order.queue_taken", "order.queue_released", "order.queue_resolved"} <= names
    assert numbers(op_client.get(URL)) == []


def test_resolving_without_a_note_is_refused_and_the_item_stays_open(op_client, channel, ankara):
    item = held(channel, ankara)
    response = op_client.post(
        reverse("orders:queue_resolve", args=[item.pk]), {"resolution": "  "}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "Say how it was resolved." in response.content.decode()
    item.refresh_from_db()
    assert item.resolved_at is None


def test_without_javascript_actions_redirect_back_to_the_list(op_client, me, channel, ankara):
    item = held(channel, ankara)
    back = f"{URL}?queue=on_hold&assigned=unassigned"
    response = op_client.post(reverse("orders:queue_take", args=[item.pk]), {"next": back})
    assert response.status_code == 302
    assert response["Location"] == back
    item.refresh_from_db()
    assert item.assignee == me
    evil = op_client.post(reverse("orders:queue_release", args=[item.pk]), {"next": "https://evil.example/"})
    assert evil["Location"] == URL


def test_actions_need_a_post(op_client, channel, ankara):
    item = held(channel, ankara)
    assert op_client.get(reverse("orders:queue_take", args=[item.pk])).status_code == 405
    item.refresh_from_db()
    assert item.assignee is None


def test_finance_sees_the_queues_but_cannot_act(client, user_factory, channel, ankara):
    item = held(channel, ankara)
    client.force_login(user_factory(role="finance", language="en"))
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["may_act"] is False
    assert reverse("orders:queue_take", args=[item.pk]) not in response.content.decode()
    assert client.post(reverse("orders:queue_take", args=[item.pk])).status_code == 403
    assert (
        client.post(reverse("orders:queue_resolve", args=[item.pk]), {"resolution": "x"}).status_code == 403
    )
    item.refresh_from_db()
    assert item.assignee is None
    assert item.resolved_at is None


def test_warehouse_staff_get_403(client, user_factory):
    client.force_login(user_factory(role="warehouse"))
    assert client.get(URL).status_code == 403


# --- Dashboard ------------------------------------------------------------------------------------


def test_dashboard_figures_count_queues_late_items_today_and_waiting_for_stock(
    channel, ankara, user_factory, django_assert_max_num_queries, monkeypatch
):
    # Registering here must not leak into other tests' dashboards (OrdersConfig.ready does it in the app).
    monkeypatch.setattr(oms.dashboard, "_providers", list(oms.dashboard._providers))
    import orders.dashboard

    held(channel, ankara, age=timedelta(hours=5))
    held(channel, ankara, age=timedelta(hours=1))
    short, _wh = stocked(0, warehouse=ankara)
    place(channel, [(short, 2)])  # backordered: waiting for stock

    with django_assert_max_num_queries(2), translation.override("en"):
        figures = {str(f.label): f for f in orders.dashboard.order_figures()}

    assert figures["On hold · 1 over SLA"].value == 2
    assert figures["On hold · 1 over SLA"].tone == "error"
    assert figures["Backordered"].value == 1
    assert figures["Orders today"].value == 3
    assert figures["Waiting for stock"].value == 1
    assert figures["Waiting for stock"].url == f"{URL}?queue=backordered"
    operator, storeman = user_factory(role="operator"), user_factory(role="warehouse")
    with translation.override("en"):
        assert "Orders" in [str(title) for title, _f in panels_for(operator)]
        assert "Orders" not in [str(title) for title, _f in panels_for(storeman)]
