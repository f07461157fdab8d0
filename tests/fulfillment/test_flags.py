"""Product and order flags: an explicit ``Product.oversize``, and ``Order.gift_wrap`` from the
intake API to the packer's instructions and the order page."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from fulfillment import packing
from fulfillment.selection import order_flags
from orders.models import Order
from tests.fulfillment.test_packing import packing_setup
from tests.inventory.factories import make_product, make_variant, make_warehouse, stocked
from tests.orders.factories import make_channel, place
from tests.orders.test_api import ORDERS, body, post


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the services speak the active language, Turkish by default)."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db

SMALL = {"length_cm": 10, "width_cm": 10, "height_cm": 5, "weight_kg": Decimal("0.5")}


def order_of(**product_fields):
    make_warehouse(province=6)
    return place(make_channel(), [(make_variant(make_product(**product_fields)), 1)])


# --- Oversize -------------------------------------------------------------------------------------


def test_product_marked_oversize_is_oversize_whatever_its_measures():
    assert order_flags(order_of(oversize=True, **SMALL)) == {"oversize"}


def test_small_product_not_marked_is_not_oversize():
    assert order_flags(order_of(**SMALL)) == set()


def test_unmarked_product_over_the_limits_is_still_oversize():
    assert order_flags(order_of(**{**SMALL, "weight_kg": Decimal(31)})) == {"oversize"}


# --- Gift wrap ------------------------------------------------------------------------------------


def gift_instruction(**order_fields):
    warehouse, _variants, order = packing_setup((1,))
    Order.objects.filter(pk=order.pk).update(**order_fields)
    shipment = packing.start_packing(order.number, warehouse)
    return [item["text"] for item in packing.instructions(shipment) if item["kind"] == "gift"]


def test_gift_wrap_without_a_message_asks_for_wrapping_and_no_card():
    [text] = gift_instruction(gift_wrap=True)
    assert "Gift wrap" in text
    assert "card" not in text


def test_gift_message_gives_wrapping_and_the_card():
    [text] = gift_instruction(gift_wrap=True, gift_message="İyi ki doğdun!")
    assert "card" in text
    assert "İyi ki doğdun!" in text


def test_no_gift_no_gift_instruction():
    assert gift_instruction() == []


@pytest.fixture
def write_key():
    from oms.apikeys import create_api_key

    _key, plaintext = create_api_key(name="Web shop", scopes=["orders:read", "orders:write"])
    return {"Authorization": f"Bearer {plaintext}"}


@pytest.mark.parametrize(("sent", "stored"), [({"gift_wrap": True}, True), ({}, False)])
def test_api_intake_stores_gift_wrap(client, write_key, sent, stored):
    make_channel("web")
    variant, _wh = stocked(10, warehouse=make_warehouse("ANK", province=6))
    response = post(client, ORDERS, body(variant, **sent), write_key)
    assert response.status_code == 201, response.content
    assert Order.objects.get().gift_wrap is stored


def test_api_intake_refuses_a_gift_wrap_that_is_not_a_boolean(client, write_key):
    make_channel("web")
    variant, _wh = stocked(10, warehouse=make_warehouse("ANK", province=6))
    response = post(client, ORDERS, body(variant, gift_wrap="perhaps"), write_key)
    assert response.status_code == 422
    assert not Order.objects.exists()


def test_order_page_shows_gift_wrap(client, user_factory):
    make_warehouse(province=6)
    wrapped = place(make_channel(), [(make_variant(), 1)], gift_wrap=True)
    plain = place(make_channel("mkt"), [(make_variant(), 1)])
    client.force_login(user_factory(role="operator", language="en"))
    page = client.get(reverse("orders:detail", args=[wrapped.pk]))
    assert page.status_code == 200
    assert "The customer asked for gift wrapping." in page.content.decode()
    assert "gift wrapping" not in client.get(reverse("orders:detail", args=[plain.pk])).content.decode()
