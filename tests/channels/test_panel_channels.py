"""Sales channels page: the registry list for the channels section, create/edit for administrators."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from channels.models import SalesChannel
from tests.inventory.factories import make_warehouse, stocked
from tests.orders.factories import make_channel, place

pytestmark = pytest.mark.django_db

LIST = reverse("channels:index")
CREATE = reverse("channels:create")


@pytest.fixture
def boss(client, user_factory):
    client.force_login(user_factory(role="admin", language="en"))
    return client


@pytest.fixture
def op_client(client, user_factory):
    client.force_login(user_factory(role="operator", language="en"))
    return client


def valid(**fields) -> dict:
    return {
        "code": "trendyol",
        "name": "Trendyol mağaza",
        "type": "marketplace",
        "currency": "TRY",
        "commission_rate": "18.50",
        "shortage_policy": "reject",
        "price_tolerance": "5",
        "risk_threshold": "70",
        "invoice_trigger": "shipment",
        "is_active": "on",
        **fields,
    }


def test_list_shows_every_channel_with_its_rules_and_order_count(op_client):
    web = make_channel("web", name="Web mağaza", commission_rate=Decimal("2.5"), shortage_policy="reject")
    make_channel("b2b", name="Bayi", type="b2b", is_active=False)
    variant, _w = stocked(10, warehouse=make_warehouse("ANK", province=6))
    for _n in range(3):
        place(web, [(variant, 1)])

    response = op_client.get(LIST)

    assert response.status_code == 200
    counts = {c.code: c.order_count for c in response.context["channels"]}
    assert counts == {"web": 3, "b2b": 0}
    html = response.content.decode()
    assert "Web mağaza" in html
    assert "2.50 %" in html
    assert "Reject the order" in html
    assert "Inactive" in html


def test_list_is_one_query_for_any_number_of_channels(op_client, django_assert_max_num_queries):
    make_channel("one")
    with CaptureQueriesContext(connection) as few:
        op_client.get(LIST)
    for n in range(6):
        make_channel(f"more{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = op_client.get(LIST)
    assert len(response.context["channels"]) == 7


def test_operators_see_the_list_but_cannot_create_or_edit(op_client):
    channel = make_channel("web", commission_rate=Decimal("1"))
    response = op_client.get(LIST)
    assert response.context["may_change"] is False
    assert reverse("channels:edit", args=[channel.pk]) not in response.content.decode()
    assert op_client.get(CREATE).status_code == 403
    assert op_client.post(CREATE, valid()).status_code == 403
    assert op_client.post(reverse("channels:edit", args=[channel.pk]), valid(code="web")).status_code == 403
    channel.refresh_from_db()
    assert channel.commission_rate == Decimal("1")
    assert not SalesChannel.objects.filter(code="trendyol").exists()


def test_roles_without_the_channels_section_get_403(client, user_factory):
    client.force_login(user_factory(role="warehouse"))
    assert client.get(LIST).status_code == 403


def test_admin_creates_a_channel(boss):
    assert boss.get(CREATE).status_code == 200
    response = boss.post(CREATE, valid(invoice_trigger="payment"))
    assert response.status_code == 302
    assert response["Location"] == LIST
    channel = SalesChannel.objects.get(code="trendyol")
    assert channel.invoice_trigger == "payment"
    assert (channel.type, channel.commission_rate, channel.shortage_policy, channel.risk_threshold) == (
        "marketplace",
        Decimal("18.50"),
        "reject",
        70,
    )
    assert "Channel Trendyol mağaza created." in boss.get(LIST).content.decode()


def test_admin_edits_a_channel_but_not_its_code(boss):
    channel = make_channel("web", name="Web")
    url = reverse("channels:edit", args=[channel.pk])
    assert 'name="code"' in boss.get(url).content.decode()

    response = boss.post(url, valid(code="hacked", name="Web shop", commission_rate="3", is_active=""))

    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.code, channel.name, channel.commission_rate, channel.is_active) == (
        "web",
        "Web shop",
        Decimal("3.00"),
        False,
    )


@pytest.mark.parametrize("commission", ["100.01", "150", "-1"])
def test_commission_must_be_between_0_and_100(boss, commission):
    response = boss.post(CREATE, valid(commission_rate=commission))
    assert response.status_code == 200
    assert "commission_rate" in response.context["form"].errors
    assert not SalesChannel.objects.filter(code="trendyol").exists()


@pytest.mark.parametrize("commission", ["0", "100"])
def test_commission_bounds_are_allowed(boss, commission):
    assert boss.post(CREATE, valid(commission_rate=commission)).status_code == 302
    assert SalesChannel.objects.get(code="trendyol").commission_rate == Decimal(commission)


def test_duplicate_code_and_bad_values_are_refused(boss):
    make_channel("trendyol")
    response = boss.post(CREATE, valid(risk_threshold="101", price_tolerance="-5"))
    errors = response.context["form"].errors
    assert {"code", "risk_threshold", "price_tolerance"} <= set(errors)
    assert SalesChannel.objects.filter(code="trendyol").count() == 1


def test_edit_of_a_missing_channel_is_404(boss):
    assert boss.get(reverse("channels:edit", args=[999999])).status_code == 404
