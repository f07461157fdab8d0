"""Customer list (search, filters, keyset pages), customer page, VIP mark and merging from the panel."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oms.models import Event
from orders.customers import CustomerData
from orders.models import Customer, Order
from tests.inventory.factories import make_warehouse, stocked
from tests.orders.factories import make_channel, place

pytestmark = pytest.mark.django_db

LIST = reverse("orders:customers")


@pytest.fixture
def ankara():
    return make_warehouse("ANK", province=6)


@pytest.fixture
def channel():
    return make_channel("web")


@pytest.fixture
def op_client(client, user_factory):
    client.force_login(user_factory(role="operator", username="musteri", language="en"))
    return client


def customer(**fields) -> Customer:
    return Customer.objects.create(**{"first_name": "Ayşe", "last_name": "Yılmaz", **fields})


def order_for(channel, warehouse, email: str, phone: str = "", **names) -> Order:
    variant, _wh = stocked(5, warehouse=warehouse)
    data = CustomerData(
        email=email, phone=phone, first_name=names.get("first", "Ali"), last_name=names.get("last", "Kaya")
    )
    return place(channel, [(variant, 1)], customer=data)


def listed(response) -> list[int]:
    return [c.pk for c in response.context["page"]]


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- List -----------------------------------------------------------------------------------------


def test_list_shows_contact_segment_flags_and_history(op_client):
    vip = customer(
        email="vip@example.com",
        phone="+905321234567",
        is_vip=True,
        segment="vip",
        orders_count=7,
        lifetime_value=Decimal("61000"),
        problem_orders=1,
    )
    response = op_client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "vip@example.com" in html
    assert "+905321234567" in html
    assert "flag-vip" in html
    assert "flag-problem_orders" in html
    assert reverse("orders:customer", args=[vip.pk]) in html
    assert "61,000.00" in html or "61.000,00" in html


def test_search_normalises_email_and_phone_and_matches_names(op_client):
    ayse = customer(email="ayse@example.com", phone="+905321234567")
    mehmet = customer(first_name="Mehmet", last_name="Demir", email="m@example.com", phone="+905339998877")

    assert listed(op_client.get(LIST, {"q": "  AYSE@Example.COM "})) == [ayse.pk]
    assert listed(op_client.get(LIST, {"q": "0532 123 45 67"})) == [ayse.pk]
    assert listed(op_client.get(LIST, {"q": "+90 (533) 999 88 77"})) == [mehmet.pk]
    assert listed(op_client.get(LIST, {"q": "999 88"})) == [mehmet.pk]  # part of a number
    assert listed(op_client.get(LIST, {"q": "mehmet dem"})) == [mehmet.pk]
    assert listed(op_client.get(LIST, {"q": "nobody@example.com"})) == []


def test_segment_and_flag_filters(op_client):
    vip = customer(email="a@example.com", segment="vip", orders_count=5)
    repeat = customer(email="b@example.com", segment="repeat", orders_count=4, returned_orders=2)
    first = customer(email="c@example.com", orders_count=1, failed_deliveries=1)

    assert listed(op_client.get(LIST, {"segment": "repeat"})) == [repeat.pk]
    assert listed(op_client.get(LIST, {"flag": "vip"})) == [vip.pk]
    assert listed(op_client.get(LIST, {"flag": "high_returns"})) == [repeat.pk]
    assert listed(op_client.get(LIST, {"flag": "failed_deliveries"})) == [first.pk]
    assert listed(op_client.get(LIST, {"flag": "first_order"})) == [first.pk]


def test_merged_customers_are_not_listed(op_client):
    kept = customer(email="kept@example.com")
    customer(email="gone@example.com", merged_into=kept)
    assert listed(op_client.get(LIST)) == [kept.pk]


def test_keyset_pages_newest_first(op_client, settings):
    settings.PANEL_PAGE_SIZE = 2
    made = [customer(email=f"c{n}@example.com").pk for n in range(5)]
    first = op_client.get(LIST)
    assert listed(first) == made[::-1][:2]
    second = op_client.get(LIST, {"cursor": first.context["page"].next_cursor})
    assert listed(second) == made[::-1][2:4]


def test_list_query_count_is_constant(op_client, django_assert_max_num_queries):
    customer(email="one@example.com")
    with CaptureQueriesContext(connection) as few:
        op_client.get(LIST)
    for n in range(10):
        customer(email=f"more{n}@example.com", orders_count=n, problem_orders=n % 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = op_client.get(LIST, {"q": "Yılmaz"})
    assert len(listed(response)) == 11


def test_htmx_search_returns_only_the_results(op_client):
    customer(email="x@example.com")
    html = op_client.get(LIST, {"q": "x@example.com"}, headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<div id="results"')


def test_warehouse_staff_get_403(client, user_factory):
    client.force_login(user_factory(role="warehouse"))
    assert client.get(LIST).status_code == 403


# --- Detail ---------------------------------------------------------------------------------------


def test_detail_shows_contact_history_addresses_orders_and_timeline(op_client, channel, ankara):
    order = order_for(channel, ankara, "ali@example.com", "05321112233")
    person = order.customer
    Customer.objects.filter(pk=person.pk).update(consent_sms=True, returned_orders=1, failed_deliveries=2)

    response = op_client.get(reverse("orders:customer", args=[person.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "ali@example.com" in html
    assert "+905321112233" in html
    assert order.number in html
    assert reverse("orders:detail", args=[order.pk]) in html
    assert "Atatürk Bulvarı 1" in html  # the address remembered from the order
    assert "100 %" in html  # return rate: 1 of 1 order
    assert response.context["customer"].failed_deliveries == 2
    assert "Preferred notification channel" in html


def test_detail_query_count_does_not_grow_with_orders(
    op_client, channel, ankara, django_assert_max_num_queries
):
    first = order_for(channel, ankara, "many@example.com")
    url = reverse("orders:customer", args=[first.customer_id])
    with CaptureQueriesContext(connection) as few:
        op_client.get(url)
    for _n in range(5):
        order_for(channel, ankara, "many@example.com")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = op_client.get(url)
    assert len(response.context["orders"]) == 6


def test_a_merged_customers_page_leads_to_the_survivor(op_client):
    kept = customer(email="kept@example.com", first_name="Kalan")
    gone = customer(email="gone@example.com", merged_into=kept)
    response = op_client.get(reverse("orders:customer", args=[gone.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:customer", args=[kept.pk])
    assert any("was merged into" in m for m in flashed(response))


def test_vip_mark_by_an_operator_changes_segment_and_timeline(op_client):
    person = customer(email="v@example.com")
    url = reverse("orders:customer_vip", args=[person.pk])

    response = op_client.post(url, {"vip": "1"})

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.is_vip, person.segment) == (True, "vip")
    assert Event.objects.filter(name="customer.vip_changed", object_id=str(person.pk)).count() == 1
    op_client.post(url, {"vip": "0"})
    person.refresh_from_db()
    assert (person.is_vip, person.segment) == (False, "new")


def test_vip_mark_needs_manage_orders(client, user_factory):
    person = customer(email="v@example.com")
    client.force_login(user_factory(role="finance", language="en"))
    page = client.get(reverse("orders:customer", args=[person.pk]))
    assert page.status_code == 200
    assert reverse("orders:customer_vip", args=[person.pk]) not in page.content.decode()
    assert client.post(reverse("orders:customer_vip", args=[person.pk]), {"vip": "1"}).status_code == 403
    person.refresh_from_db()
    assert person.is_vip is False


# --- Merge ----------------------------------------------------------------------------------------


def test_merge_search_finds_others_by_phone_but_not_itself(op_client):
    person = customer(email="a@example.com", phone="+905321234567")
    twin = customer(email="a.other@example.com", phone="+905321234568")
    url = reverse("orders:customer_merge_search", args=[person.pk])
    response = op_client.get(url, {"q": "0532 123 45 68"})
    assert [c.pk for c in response.context["candidates"]] == [twin.pk]
    assert reverse("orders:customer_merge", args=[person.pk, twin.pk]) in response.content.decode()
    assert op_client.get(url, {"q": "0532 123 45 67"}).context["candidates"] == []


def test_merge_preview_shows_both_side_by_side(op_client, channel, ankara):
    keep = order_for(channel, ankara, "keep@example.com", first="Kalan").customer
    gone = order_for(channel, ankara, "gone@example.com", first="Giden").customer
    response = op_client.get(reverse("orders:customer_merge", args=[keep.pk, gone.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "keep@example.com" in html
    assert "gone@example.com" in html
    assert response.context["keep"].address_count == 1
    assert Customer.objects.get(pk=gone.pk).merged_into_id is None  # a preview changes nothing


def test_merge_keeps_every_order_and_redirects_to_the_survivor(op_client, channel, ankara):
    keep_order = order_for(channel, ankara, "keep@example.com")
    gone_orders = [order_for(channel, ankara, "gone@example.com") for _n in range(2)]
    keep, gone = keep_order.customer, gone_orders[0].customer

    response = op_client.post(reverse("orders:customer_merge", args=[keep.pk, gone.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("orders:customer", args=[keep.pk])
    assert set(Order.objects.filter(customer=keep).values_list("pk", flat=True)) == {
        keep_order.pk,
        *(o.pk for o in gone_orders),
    }
    assert not Order.objects.filter(customer=gone).exists()
    keep.refresh_from_db()
    gone.refresh_from_db()
    assert keep.orders_count == 3
    assert gone.merged_into_id == keep.pk
    followed = op_client.get(reverse("orders:customer", args=[gone.pk]), follow=True)
    assert followed.redirect_chain[-1][0] == reverse("orders:customer", args=[keep.pk])
    assert "Customers merged" in followed.content.decode()  # the timeline event


def test_merging_a_customer_with_itself_is_refused(op_client, channel, ankara):
    order = order_for(channel, ankara, "self@example.com")
    person = order.customer
    url = reverse("orders:customer_merge", args=[person.pk, person.pk])

    preview = op_client.get(url)
    assert preview.status_code == 302
    assert "Choose two different customers." in flashed(preview)

    response = op_client.post(
        url, HTTP_REFERER=f"http://testserver{reverse('orders:customer', args=[person.pk])}"
    )
    assert response.status_code == 302
    assert "Choose two different customers." in flashed(response)
    person.refresh_from_db()
    assert person.merged_into_id is None
    assert person.orders_count == 1
    assert Order.objects.get(pk=order.pk).customer_id == person.pk


def test_merging_needs_the_merge_permission(client, user_factory):
    a, b = customer(email="a@example.com"), customer(email="b@example.com")
    client.force_login(user_factory(role="finance"))
    assert client.get(reverse("orders:customer_merge_search", args=[a.pk])).status_code == 403
    assert client.post(reverse("orders:customer_merge", args=[a.pk, b.pk])).status_code == 403
    b.refresh_from_db()
    assert b.merged_into_id is None
