"""The order list (filters, saved views, bulk acts, CSV export) and the order page with its acts."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.messages import constants as message_levels
from django.test import Client
from django.urls import reverse

from inventory.models import StockLevel
from inventory.services import add_stock
from oms.money import format_money
from orders import selectors, services
from orders.customers import CustomerData
from orders.models import ApprovalRule, Order, OrderAllocation, OrderEvent, SavedView
from tests.inventory.factories import make_variant, make_warehouse, stocked
from tests.orders.factories import make_channel, place

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
LIST = "/orders/"


@pytest.fixture
def ankara():
    return make_warehouse("ANK", province=6)


@pytest.fixture
def istanbul():
    return make_warehouse("IST", province=34)


@pytest.fixture
def web():
    return make_channel("web", name="Web shop")


@pytest.fixture
def market():
    return make_channel("mkt", name="Marketplace")


@pytest.fixture
def clerk(user_factory):
    return user_factory(role="operator", username="clerk", language="en")


@pytest.fixture
def clerk_client(clerk):
    client = Client()
    client.force_login(clerk)
    return client


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def numbers(response) -> set[str]:
    return {order.number for order in response.context["page"]}


def texts(response, level=None) -> list[str]:
    return [str(m) for m in response.context["messages"] if level is None or m.level == level]


def status(order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


def risky(channel, warehouse, **fields):
    """An order held for risk review (very high value, first order paid cash on delivery)."""
    variant, _w = stocked(5, warehouse=warehouse, variant=make_variant(list_price=Decimal("30000")))
    return place(channel, [(variant, 2)], payment_method="cash_on_delivery", **fields)


def shipped(channel, warehouse):
    variant, _w = stocked(3, warehouse=warehouse)
    order = place(channel, [(variant, 1)])
    services.mark_shipped(order)
    return order


# --- List and filters -----------------------------------------------------------------------------


def test_list_shows_the_columns(clerk_client, web, ankara):
    variant, _w = stocked(5, warehouse=ankara)
    order = place(web, [(variant, 2)], special_kind="gift")
    html = clerk_client.get(LIST).content.decode()
    assert order.number in html
    assert order.special_code in html
    assert "special-code" in html
    assert "Web shop" in html
    assert order.channel_order_id in html
    assert order.customer_name in html
    assert "status-allocated" in html
    assert format_money(order.grand_total, "TRY", language="en") in html
    assert "Credit / debit card" in html
    assert "ANK" in html
    assert "risk-low" in html


def test_htmx_filter_returns_only_the_results(clerk_client, web, ankara):
    variant, _w = stocked(5, warehouse=ankara)
    order = place(web, [(variant, 1)])
    response = clerk_client.get(LIST, {"status": "allocated"}, headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html
    assert order.number in html


def test_status_filter_takes_several(clerk_client, web, ankara):
    variant, _w = stocked(1, warehouse=ankara)
    allocated = place(web, [(variant, 1)])
    backordered = place(web, [(variant, 2)])
    held = risky(web, ankara)
    assert numbers(clerk_client.get(LIST, {"status": ["backordered"]})) == {backordered.number}
    both = clerk_client.get(LIST, {"status": ["backordered", "on_hold"]})
    assert numbers(both) == {backordered.number, held.number}
    assert allocated.number not in numbers(both)


def test_channel_filter(clerk_client, web, market, ankara):
    variant, _w = stocked(5, warehouse=ankara)
    place(web, [(variant, 1)])
    other = place(market, [(variant, 1)])
    assert numbers(clerk_client.get(LIST, {"channel": market.pk})) == {other.number}


def test_date_range_uses_istanbul_days(clerk_client, web, ankara):
    variant, _w = stocked(5, warehouse=ankara)
    late, early = place(web, [(variant, 1)]), place(web, [(variant, 1)])
    # 22:30 UTC on the 10th is 01:30 on the 11th in Istanbul.
    Order.objects.filter(pk=late.pk).update(created_at=datetime(2026, 1, 10, 22, 30, tzinfo=UTC))
    Order.objects.filter(pk=early.pk).update(created_at=datetime(2026, 1, 10, 12, 0, tzinfo=UTC))
    assert numbers(clerk_client.get(LIST, {"created_from": "2026-01-11"})) == {late.number}
    assert numbers(clerk_client.get(LIST, {"created_to": "2026-01-10"})) == {early.number}
    both = clerk_client.get(LIST, {"created_from": "2026-01-10", "created_to": "2026-01-11"})
    assert numbers(both) == {late.number, early.number}


def test_customer_search(clerk_client, web, ankara):
    variant, _w = stocked(10, warehouse=ankara)
    ayse = place(
        web,
        [(variant, 1)],
        channel_order_id="TY-777",
        customer=CustomerData(
            email="ayse@example.com", phone="0532 111 22 33", first_name="Ayşe", last_name="Demir"
        ),
    )
    mehmet = place(
        web,
        [(variant, 1)],
        customer=CustomerData(email="mehmet@example.com", first_name="Mehmet", last_name="Kaya"),
    )

    def found(text):
        return numbers(clerk_client.get(LIST, {"q": text}))

    assert found(ayse.number) == {ayse.number}
    assert found(ayse.number.lower()) == {ayse.number}
    assert found("TY-777") == {ayse.number}
    assert found("AYSE@Example.com ") == {ayse.number}
    assert found("+90 532 111 2233") == {ayse.number}
    assert found("Kay") == {mehmet.number}
    assert found("mehmet k") == {mehmet.number}
    assert found("Nobody") == set()


def test_sku_filter(clerk_client, web, ankara):
    shirt, _w = stocked(5, warehouse=ankara)
    socks, _w = stocked(5, warehouse=ankara)
    with_shirt = place(web, [(shirt, 1), (socks, 1)])
    place(web, [(socks, 1)])
    assert numbers(clerk_client.get(LIST, {"sku": shirt.sku})) == {with_shirt.number}
    assert numbers(clerk_client.get(LIST, {"sku": shirt.sku.lower()})) == {with_shirt.number}


def test_warehouse_filter(clerk_client, web, ankara, istanbul):
    from_ankara, _w = stocked(5, warehouse=ankara)
    from_istanbul, _w = stocked(5, warehouse=istanbul)
    a = place(web, [(from_ankara, 1)])
    i = place(web, [(from_istanbul, 1)])
    assert numbers(clerk_client.get(LIST, {"warehouse": istanbul.pk})) == {i.number}
    assert numbers(clerk_client.get(LIST, {"warehouse": ankara.pk})) == {a.number}


def test_flag_filters(clerk_client, web, ankara, user_factory):
    variant, _w = stocked(4, warehouse=ankara)
    repeat = CustomerData(email="repeat@example.com", first_name="Ali", last_name="Veli")
    first = place(web, [(variant, 1)], customer=repeat)
    second = place(web, [(variant, 1)], customer=repeat, special_kind="coupon", priority=2)
    short = place(web, [(variant, 3)])  # 2 left: one unit backordered
    ApprovalRule.objects.create(name="Big", min_total=Decimal("50000"))
    big = risky(web, ankara)

    def flagged(*flags):
        return numbers(clerk_client.get(LIST, {"flags": list(flags)}))

    assert flagged("special") == {second.number}
    assert flagged("priority") == {second.number}
    assert second.number not in flagged("first_order")
    assert first.number in flagged("first_order")
    assert flagged("backordered_lines") == {short.number}
    assert flagged("needs_approval") == {big.number}
    assert flagged("first_order", "backordered_lines") == {short.number}


def test_risk_queue_and_hold_reason_filters(clerk_client, web, ankara):
    variant, _w = stocked(5, warehouse=ankara)
    calm = place(web, [(variant, 1)])
    held = risky(web, ankara)
    services.raise_exception(calm, reason="lost_parcel")
    assert numbers(clerk_client.get(LIST, {"risk": 60})) == {held.number}
    assert numbers(clerk_client.get(LIST, {"queue": "exception"})) == {calm.number}
    assert numbers(clerk_client.get(LIST, {"hold_reason": "risk"})) == {held.number}


def test_keyset_pages(clerk_client, web, ankara, settings):
    settings.PANEL_PAGE_SIZE = 2
    variant, _w = stocked(10, warehouse=ankara)
    orders = [place(web, [(variant, 1)]) for _ in range(3)]
    first = clerk_client.get(LIST)
    assert numbers(first) == {orders[2].number, orders[1].number}
    second = clerk_client.get(LIST, {"cursor": first.context["page"].next_cursor})
    assert numbers(second) == {orders[0].number}


# --- Saved views ----------------------------------------------------------------------------------


def test_built_in_tabs_narrow_the_list(clerk_client, web, ankara):
    variant, _w = stocked(1, warehouse=ankara)
    backordered = place(web, [(variant, 2)])
    held = risky(web, ankara)
    ApprovalRule.objects.create(name="Big", min_total=Decimal("1000"))
    to_approve = place(web, [(stocked(20, warehouse=ankara)[0], 11)])
    assert to_approve.hold_reason == "approval"
    services.raise_exception(backordered, reason="lost_parcel")
    response = clerk_client.get(LIST)
    tabs = {tab["key"]: tab["url"] for tab in response.context["tabs"]}
    assert set(tabs) >= {"all", "on_hold", "to_approve", "backordered", "exceptions"}
    assert numbers(clerk_client.get(tabs["on_hold"])) == {held.number, to_approve.number}
    assert numbers(clerk_client.get(tabs["to_approve"])) == {to_approve.number}
    assert numbers(clerk_client.get(tabs["backordered"])) == {backordered.number}
    assert numbers(clerk_client.get(tabs["exceptions"])) == {backordered.number}
    active = clerk_client.get(tabs["to_approve"]).context["tabs"]
    assert [t["key"] for t in active if t["active"]] == ["to_approve"]


def test_save_a_view_and_see_it_as_a_tab(clerk_client, clerk, web, market, ankara, user_factory):
    response = clerk_client.post(
        reverse("orders:saved_view_create"),
        {"name": "Market COD", "query": f"channel={market.pk}&payment=&cursor=abc&status=on_hold"},
    )
    view = SavedView.objects.get()
    assert (view.name, view.owner, view.is_shared) == ("Market COD", clerk, False)
    assert view.query == f"channel={market.pk}&status=on_hold"  # no empties, no cursor
    assert response["Location"] == f"{LIST}?{view.query}"
    page = clerk_client.get(response["Location"])
    assert [t["label"] for t in page.context["tabs"] if t["active"]] == ["Market COD"]
    assert not page.context["can_save_view"]
    # Not shared: a colleague does not see it.
    colleague = client_for(user_factory(role="operator"))
    assert "Market COD" not in [t["label"] for t in colleague.get(LIST).context["tabs"]]


def test_shared_view_is_seen_by_others_but_only_the_owner_deletes_it(clerk_client, user_factory):
    clerk_client.post(
        reverse("orders:saved_view_create"), {"name": "Risky", "query": "risk=50", "is_shared": "on"}
    )
    view = SavedView.objects.get()
    colleague = client_for(user_factory(role="operator"))
    assert "Risky" in [t["label"] for t in colleague.get(LIST).context["tabs"]]
    assert colleague.post(reverse("orders:saved_view_delete", args=[view.pk])).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    assert clerk_client.post(reverse("orders:saved_view_delete", args=[view.pk])).status_code == 302
    assert not SavedView.objects.exists()


def test_a_view_needs_a_name(clerk_client):
    response = clerk_client.post(
        reverse("orders:saved_view_create"), {"name": " ", "query": "risk=1"}, follow=True
    )
    assert not SavedView.objects.exists()
    assert texts(response, message_levels.ERROR)


# --- Bulk actions ---------------------------------------------------------------------------------


def bulk(client, action, orders, **extra):
    return client.post(
        reverse("orders:order_bulk"),
        {"action": action, "ids": [o.pk for o in orders], "next": LIST, **extra},
        follow=True,
    )


def test_bulk_confirm_reports_each_failure(clerk_client, web, ankara):
    held = risky(web, ankara)
    allocated = place(web, [(stocked(5, warehouse=ankara)[0], 1)])
    response = bulk(clerk_client, "confirm", [held, allocated])
    assert status(held) == "allocated"
    assert status(allocated) == "allocated"
    [message] = texts(response)
    assert message.startswith("Confirm: 1 done, 1 failed: ")
    assert f"{allocated.number}: " in message
    assert held.number not in message


def test_bulk_cancel_skips_a_shipped_order(clerk_client, web, ankara):
    variant, _w = stocked(10, warehouse=ankara)
    open_order = place(web, [(variant, 4)])
    gone = shipped(web, ankara)
    response = bulk(clerk_client, "cancel", [open_order, gone], reason="customer asked")
    assert status(open_order) == "cancelled"
    assert Order.objects.get(pk=open_order.pk).cancelled_reason == "customer asked"
    assert StockLevel.objects.get(variant=variant, warehouse=ankara).reserved == 0
    assert status(gone) == "shipped"
    [message] = texts(response, message_levels.WARNING)
    assert "1 done, 1 failed" in message
    assert gone.number in message


def test_bulk_cancel_needs_a_reason(clerk_client, web, ankara):
    order = place(web, [(stocked(5, warehouse=ankara)[0], 1)])
    response = bulk(clerk_client, "cancel", [order], reason=" ")
    assert status(order) == "allocated"
    assert texts(response, message_levels.ERROR) == ["Give a reason for the cancellation."]


def test_bulk_reallocate_runs_the_rules_again(clerk_client, web, ankara, istanbul):
    variant, _w = stocked(1, warehouse=ankara)
    waiting = place(web, [(variant, 3)])
    assert status(waiting) == "backordered"
    add_stock(variant=variant, warehouse=istanbul, quantity=5, reference="test")
    assert status(waiting) == "backordered"  # the automatic fill runs after commit, not here
    cancelled = place(web, [(variant, 1)])
    services.cancel(cancelled, reason="x")
    response = bulk(clerk_client, "reallocate", [waiting, cancelled])
    assert status(waiting) == "allocated"
    assert set(OrderAllocation.objects.filter(order=waiting).values_list("warehouse__code", flat=True)) == {
        "IST"
    }
    assert status(cancelled) == "cancelled"
    [message] = texts(response, message_levels.WARNING)
    assert "1 done, 1 failed" in message
    assert cancelled.number in message


def test_bulk_whole_page_uses_the_page_ids(clerk_client, web, ankara):
    a, b = risky(web, ankara), risky(web, ankara)
    response = clerk_client.post(
        reverse("orders:order_bulk"),
        {"action": "confirm", "whole_page": "on", "page_ids": [a.pk, b.pk], "next": LIST},
        follow=True,
    )
    assert (status(a), status(b)) == ("allocated", "allocated")
    assert texts(response) == ["Confirm: 2 orders done."]


def test_bulk_without_orders_changes_nothing(clerk_client):
    response = clerk_client.post(reverse("orders:order_bulk"), {"action": "confirm"}, follow=True)
    assert texts(response, message_levels.ERROR) == ["Tick the orders first."]


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def test_export_selected_orders(clerk_client, web, ankara):
    variant, _w = stocked(5, warehouse=ankara)
    chosen = place(web, [(variant, 1, "99.50")], special_kind="gift")
    place(web, [(variant, 1)])
    response = clerk_client.post(reverse("orders:order_export"), {"ids": [chosen.pk]})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = read_csv(response)
    assert header[0] == "Number"
    assert "Total" in header
    assert [row[0] for row in rows] == [chosen.number]
    row = dict(zip(header, rows[0], strict=True))
    assert row["Total"] == "99,50"
    assert row["Special code"] == chosen.special_code
    assert row["Status"] == "Allocated"


def test_export_the_whole_filter(clerk_client, web, market, ankara):
    variant, _w = stocked(10, warehouse=ankara)
    mine = [place(market, [(variant, 1)]) for _ in range(3)]
    place(web, [(variant, 1)])
    response = clerk_client.get(reverse("orders:order_export"), {"channel": market.pk})
    _header, *rows = read_csv(response)
    assert [row[0] for row in rows] == [o.number for o in reversed(mine)]


def test_export_reads_in_keyset_chunks(web, ankara):
    variant, _w = stocked(10, warehouse=ankara)
    orders = [place(web, [(variant, 1)]) for _ in range(5)]
    same_moment = orders[0].created_at
    Order.objects.filter(pk__in=[o.pk for o in orders[1:3]]).update(created_at=same_moment)
    expected = list(Order.objects.order_by("-created_at", "-id").values_list("number", flat=True))
    found = [o.number for o in selectors.iter_orders(Order.objects.all(), chunk=2)]
    assert found == expected


def test_customer_names_cannot_smuggle_formulas(clerk_client, web, ankara):
    order = place(
        web,
        [(stocked(1, warehouse=ankara)[0], 1)],
        customer=CustomerData(email="x@example.com", first_name="=HYPERLINK(1)", last_name="Evil"),
    )
    rows = read_csv(clerk_client.post(reverse("orders:order_export"), {"ids": [order.pk]}))
    assert rows[1][6].startswith("'=")


# --- Order page -----------------------------------------------------------------------------------


def test_detail_shows_everything(clerk_client, web, ankara, istanbul, user_factory):
    ApprovalRule.objects.create(name="Big basket", min_total=Decimal("1000"))
    shirt, _w = stocked(20, warehouse=ankara)
    socks, _w = stocked(1, warehouse=istanbul)
    order = place(
        web,
        [(shirt, 11), (socks, 2)],
        special_kind="gift",
        notes="Leave at the door",
        gift_message="Happy birthday!",
        user=user_factory(role="operator"),
    )
    services.approve(order, user=user_factory(role="operator"), note="ok")
    order.refresh_from_db()
    assert order.status == "backordered"
    response = clerk_client.get(reverse("orders:detail", args=[order.pk]))
    html = response.content.decode()
    for text in (
        order.number,
        order.special_code,
        order.channel_order_id,
        "Web shop",
        order.customer_name,
        "Atatürk Bulvarı 1",
        "Çankaya",
        shirt.sku,
        socks.sku,
        "20%",  # KDV rate, as English writes it
        "Credit / debit card",
        "Awaiting payment",
        "Big basket",  # approval reason
        "Leave at the door",
        "Happy birthday!",
        "Latest decision",
        "Order received",  # timeline
        "Approved",
        "Backordered",
        "nobody has it yet",  # open backorder queue item
    ):
        assert text in html, text
    assert "status-backordered" in html
    for amount in (order.subtotal, order.shipping_fee, order.tax_total, order.grand_total):
        assert format_money(amount, order.currency, language="en") in html
    decision = response.context["detail"].latest_decision
    assert decision.plan["candidates"]
    for candidate in decision.plan["candidates"]:
        assert candidate["reason"] in html
    assert response.context["detail"].allocations  # a current allocation per warehouse


def test_detail_shows_risk_reasons_and_actions_for_a_hold(clerk_client, web, ankara):
    held = risky(web, ankara)
    response = clerk_client.get(reverse("orders:detail", args=[held.pk]))
    html = response.content.decode()
    assert response.context["actions"]["confirm"]
    assert response.context["actions"]["approve"]
    assert reverse("orders:order_approve", args=[held.pk]) in html
    assert reverse("orders:order_reject", args=[held.pk]) in html
    assert reverse("orders:order_reallocate", args=[held.pk]) not in html  # nothing allocated yet
    for reason in held.risk_reasons:
        assert reason["message"] in html
    assert "risk-high" in html


def test_shipped_order_offers_no_cancel(clerk_client, web, ankara):
    order = shipped(web, ankara)
    response = clerk_client.get(reverse("orders:detail", args=[order.pk]))
    assert reverse("orders:order_cancel", args=[order.pk]) not in response.content.decode()
    assert not any(v for k, v in response.context["actions"].items() if k != "note")


def test_confirm_from_the_page(clerk_client, web, ankara):
    held = risky(web, ankara)
    response = clerk_client.post(reverse("orders:order_confirm", args=[held.pk]), follow=True)
    assert status(held) == "allocated"
    assert texts(response) == [f"Order {held.number} confirmed: Allocated."]


def test_approve_from_the_page_and_not_ones_own(web, ankara, user_factory):
    ApprovalRule.objects.create(name="Big", min_total=Decimal("1000"))
    creator = user_factory(role="operator", language="en")
    order = place(web, [(stocked(20, warehouse=ankara)[0], 11)], user=creator)
    own = client_for(creator)
    page = own.get(reverse("orders:detail", args=[order.pk]))
    assert not page.context["actions"]["approve"]
    assert page.context["actions"]["approve_own"]
    refused = own.post(
        reverse("orders:order_approve", args=[order.pk]),
        HTTP_REFERER=reverse("orders:detail", args=[order.pk]),
        follow=True,
    )
    assert status(order) == "on_hold"
    assert texts(refused, message_levels.ERROR) == ["You created this order; someone else must approve it."]
    other = client_for(user_factory(role="operator", language="en"))
    other.post(reverse("orders:order_approve", args=[order.pk]), {"note": "fine"})
    assert status(order) == "allocated"
    assert OrderEvent.objects.filter(subject=order, name="order.approved", message="fine").exists()


def test_reject_needs_a_reason(clerk_client, web, ankara):
    held = risky(web, ankara)
    url = reverse("orders:order_reject", args=[held.pk])
    response = clerk_client.post(url, {"reason": ""}, follow=True)
    assert status(held) == "on_hold"
    assert texts(response, message_levels.ERROR)
    clerk_client.post(url, {"reason": "fraud"})
    assert status(held) == "cancelled"
    assert OrderEvent.objects.filter(subject=held, name="order.rejected", message="fraud").exists()


def test_cancel_from_the_page_releases_stock(clerk_client, web, ankara):
    variant, _w = stocked(5, warehouse=ankara)
    order = place(web, [(variant, 2)])
    response = clerk_client.post(
        reverse("orders:order_cancel", args=[order.pk]), {"reason": "changed mind"}, follow=True
    )
    assert status(order) == "cancelled"
    assert StockLevel.objects.get(variant=variant, warehouse=ankara).reserved == 0
    assert texts(response, message_levels.SUCCESS)


def test_cancelling_a_shipped_order_is_refused_with_a_message(clerk_client, web, ankara):
    order = shipped(web, ankara)
    detail = reverse("orders:detail", args=[order.pk])
    response = clerk_client.post(
        reverse("orders:order_cancel", args=[order.pk]),
        {"reason": "too late"},
        HTTP_REFERER=detail,
        follow=True,
    )
    assert response.redirect_chain[-1][0] == detail
    assert status(order) == "shipped"
    [message] = texts(response, message_levels.ERROR)
    assert "Shipped" in message
    assert OrderEvent.objects.filter(subject=order, name="order.cancel_refused").exists()


def test_cancel_needs_a_reason(clerk_client, web, ankara):
    order = place(web, [(stocked(5, warehouse=ankara)[0], 1)])
    response = clerk_client.post(
        reverse("orders:order_cancel", args=[order.pk]), {"reason": "  "}, follow=True
    )
    assert status(order) == "allocated"
    assert texts(response, message_levels.ERROR)


def test_reallocate_to_a_chosen_warehouse_and_by_the_rules(clerk_client, web, ankara, istanbul):
    variant, _w = stocked(5, warehouse=ankara)
    add_stock(variant=variant, warehouse=istanbul, quantity=5, reference="test")
    order = place(web, [(variant, 2)])  # Ankara address: Ankara is nearest
    assert order.warehouse_codes == "ANK"
    url = reverse("orders:order_reallocate", args=[order.pk])
    clerk_client.post(url, {"warehouse": istanbul.pk})
    order.refresh_from_db()
    assert order.warehouse_codes == "IST"
    assert StockLevel.objects.get(variant=variant, warehouse=ankara).reserved == 0
    assert StockLevel.objects.get(variant=variant, warehouse=istanbul).reserved == 2
    clerk_client.post(url, {"warehouse": ""})
    order.refresh_from_db()
    assert order.warehouse_codes == "ANK"
    assert order.decisions.filter(kind="reallocate").count() == 2


def test_reallocate_to_a_warehouse_without_the_stock_is_refused(clerk_client, web, ankara, istanbul):
    variant, _w = stocked(5, warehouse=ankara)
    order = place(web, [(variant, 2)])
    detail = reverse("orders:detail", args=[order.pk])
    response = clerk_client.post(
        reverse("orders:order_reallocate", args=[order.pk]),
        {"warehouse": istanbul.pk},
        HTTP_REFERER=detail,
        follow=True,
    )
    order.refresh_from_db()
    assert order.warehouse_codes == "ANK"
    assert StockLevel.objects.get(variant=variant, warehouse=ankara).reserved == 2
    assert texts(response, message_levels.ERROR)


def test_note_with_htmx_swaps_the_timeline(clerk_client, web, ankara):
    order = place(web, [(stocked(5, warehouse=ankara)[0], 1)])
    url = reverse("orders:order_note", args=[order.pk])
    response = clerk_client.post(url, {"text": "Called the customer"}, headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="panel order-timeline" id="timeline">')
    assert "Called the customer" in html
    assert "Note added" in html
    empty = clerk_client.post(url, {"text": ""}, headers=HX)
    assert empty.status_code == 422
    assert empty["HX-Retarget"] == "#messages"
    assert OrderEvent.objects.filter(subject=order, name="order.note_added").count() == 1


# --- Permissions ----------------------------------------------------------------------------------


def test_finance_can_view_and_export_but_not_change(user_factory, web, ankara):
    order = place(web, [(stocked(5, warehouse=ankara)[0], 1)])
    finance = client_for(user_factory(role="finance", language="en"))
    assert finance.get(LIST).status_code == 200
    page = finance.get(reverse("orders:detail", args=[order.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("orders:order_cancel", args=[order.pk]) not in html
    assert 'value="cancel"' not in finance.get(LIST).content.decode()  # no bulk changes offered
    assert finance.post(reverse("orders:order_cancel", args=[order.pk]), {"reason": "x"}).status_code == 403
    assert (
        finance.post(
            reverse("orders:order_bulk"), {"action": "cancel", "ids": [order.pk], "reason": "x"}
        ).status_code
        == 403
    )
    assert finance.post(reverse("orders:order_confirm", args=[order.pk])).status_code == 403
    assert status(order) == "allocated"
    assert finance.post(reverse("orders:order_export"), {"ids": [order.pk]}).status_code == 200


def test_customer_service_cannot_approve(user_factory, web, ankara):
    held = risky(web, ankara)
    service_desk = client_for(user_factory(role="customer_service"))
    assert service_desk.post(reverse("orders:order_approve", args=[held.pk])).status_code == 403
    assert (
        service_desk.post(reverse("orders:order_reject", args=[held.pk]), {"reason": "x"}).status_code == 403
    )
    assert status(held) == "on_hold"


def test_warehouse_staff_do_not_see_orders(user_factory, web, ankara):
    order = place(web, [(stocked(5, warehouse=ankara)[0], 1)])
    staff = client_for(user_factory(role="warehouse"))
    assert staff.get(LIST).status_code == 403
    assert staff.get(reverse("orders:detail", args=[order.pk])).status_code == 403


def test_pages_render_in_turkish(user_factory, web, ankara):
    order = place(web, [(stocked(5, warehouse=ankara)[0], 1)], special_kind="gift")
    turkish = client_for(user_factory(role="operator", language="tr"))
    assert "Siparişler" in turkish.get(LIST).content.decode()
    assert order.special_code in turkish.get(reverse("orders:detail", args=[order.pk])).content.decode()


# --- Query counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 30])
def test_list_query_count_is_constant(
    clerk_client, clerk, web, market, ankara, count, django_assert_max_num_queries
):
    variant, _w = stocked(100, warehouse=ankara)
    for i in range(count):
        place(web if i % 2 else market, [(variant, 1)], special_kind="gift" if i % 3 == 0 else "")
    SavedView.objects.create(name="Mine", query="risk=10", owner=clerk)
    with django_assert_max_num_queries(9):
        response = clerk_client.get(LIST, {"status": ["allocated", "backordered"], "flags": ["special"]})
    assert response.status_code == 200
    with django_assert_max_num_queries(9):
        response = clerk_client.get(LIST)
    assert len(response.context["page"]) == count


@pytest.mark.parametrize("lines", [1, 20])
def test_detail_query_count_is_constant(
    clerk_client, web, ankara, istanbul, lines, django_assert_max_num_queries
):
    variants = [stocked(3, warehouse=ankara if i % 2 else istanbul)[0] for i in range(lines)]
    order = place(web, [(v, 2) for v in variants], special_kind="vip")
    services.add_note(order, text="hello", user=None)
    with django_assert_max_num_queries(12):
        response = clerk_client.get(reverse("orders:detail", args=[order.pk]))
    assert response.status_code == 200
    assert len(response.context["detail"].lines) == lines
