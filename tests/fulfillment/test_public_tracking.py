"""The customer's public tracking page: lookup form, signed link, no enumeration, languages."""

import itertools
import os
from datetime import date

import pytest
from django.core.cache import cache
from django.core.signing import TimestampSigner

from fulfillment import tracking
from fulfillment.public import ATTEMPTS_PER_WINDOW, TOKEN_SALT, tracking_token, tracking_url
from tests.fulfillment.test_tracking import make_carrier, make_shipment, scan, shipped_order
from tests.fulfillment.test_tracking_api import _urls  # noqa: F401 (autouse: mounts /track/)

pytestmark = pytest.mark.django_db

EMAIL = "ayse.yilmaz@example.com"
OTHER_ADDRESS = "192.0.2.9"  # TEST-NET-1, never a test client's own address


_addresses = itertools.count(1)


@pytest.fixture
def client(client):
    """Each test its own address: the attempt counter lives in the shared cache (Redis), where
    parallel test workers would otherwise count each other's wrong guesses."""
    n = next(_addresses)
    client.defaults["REMOTE_ADDR"] = f"10.{os.getpid() % 250}.{n // 250}.{n % 250 + 1}"
    for address in (client.defaults["REMOTE_ADDR"], OTHER_ADDRESS):
        cache.delete(f"public-tracking:fail:{address}")
    return client


@pytest.fixture
def order():
    order, warehouse = shipped_order(email=EMAIL)
    carrier = make_carrier("yurtici", name="Yurtiçi Kargo")
    shipment = make_shipment(order, warehouse, carrier, tracking_number="YK778899")
    tracking.record_updates(
        shipment.pk,
        [
            scan(10, "in_transit", location="Ankara Transfer Merkezi", description="Transfer merkezinde"),
            scan(70, "failed_attempt", exception="recipient_unreachable", description="Alıcıya ulaşılamadı"),
        ],
        "webhook",
        estimated_delivery=date(2026, 3, 5),
    )
    make_shipment(order, warehouse, carrier, status="cancelled", tracking_number="YK-CANCELLED")
    return order


def test_form_is_public_and_standalone(client):
    response = client.get("/track/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="number"' in html
    assert 'name="email"' in html
    assert "sidebar" not in html  # not the panel's layout
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    # The language switch names the other language in that language.
    assert '<button type="submit" name="language" value="en" lang="en">English</button>' in html


def test_right_pair_redirects_to_the_signed_page(client, order):
    response = client.post("/track/", {"number": order.number.lower(), "email": EMAIL.upper()})
    assert response.status_code == 302
    assert response["Location"] == tracking_url(order)
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert order.number in html
    assert "YK778899" in html
    assert "Yurtiçi Kargo" in html
    assert "Ankara Transfer Merkezi" in html
    assert "YK-CANCELLED" not in html  # cancelled shipments are not the customer's business
    assert 'datetime="2026-03-02T12:10:00+03:00"' in html  # scan times in the shop's time zone
    assert page["Referrer-Policy"] == "same-origin"
    # newest scan first
    assert html.index("Alıcıya ulaşılamadı") < html.index("Transfer merkezinde")
    # no personal data beyond the order number
    assert "Atatürk Bulvarı" not in html
    assert EMAIL not in html


def test_estimated_delivery_is_shown(client, order):
    html = client.get(tracking_url(order), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Estimated delivery" in html
    assert "March 5, 2026" in html


def test_wrong_pair_and_unknown_order_get_the_same_neutral_answer(client, order):
    wrong_email = client.post("/track/", {"number": order.number, "email": "someone@example.com"})
    unknown = client.post("/track/", {"number": "SIP-99999999", "email": EMAIL})
    assert wrong_email.status_code == unknown.status_code == 404
    assert "YK778899" not in wrong_email.content.decode()  # nothing of the order is shown

    def message(response):
        html = response.content.decode()
        start = html.index('class="notice"')
        return html[start : html.index("</p>", start)]

    assert message(wrong_email) == message(unknown)


def test_forged_or_tampered_link_is_not_found(client, order):
    token = tracking_token(order)
    assert client.get(f"/track/{token[:-2]}xx/").status_code == 404
    other_salt = TimestampSigner(salt="something-else").sign_object({"o": order.pk})
    assert client.get(f"/track/{other_salt}/").status_code == 404
    assert client.get("/track/not-a-token/").status_code == 404


def test_expired_link_is_not_found(client, order, monkeypatch):
    import fulfillment.public as public

    token = tracking_token(order)
    monkeypatch.setattr(public, "TOKEN_MAX_AGE", -1)
    response = client.get(f"/track/{token}/")
    assert response.status_code == 404


def test_token_carries_only_a_signed_order_id(order):
    token = tracking_token(order)
    assert TOKEN_SALT not in token
    assert EMAIL not in token


def test_too_many_wrong_guesses_are_throttled(client, order):
    for _ in range(ATTEMPTS_PER_WINDOW):
        assert client.post("/track/", {"number": "SIP-1", "email": EMAIL}).status_code == 404
    blocked = client.post("/track/", {"number": order.number, "email": EMAIL})
    assert blocked.status_code == 429
    # another address is not affected
    other = client.post("/track/", {"number": order.number, "email": EMAIL}, REMOTE_ADDR=OTHER_ADDRESS)
    assert other.status_code == 302


def test_invalid_form_shows_field_errors(client):
    response = client.post("/track/", {"number": "", "email": "not-an-email"})
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()


def test_turkish_by_default_and_english_on_request(client, order):
    url = tracking_url(order)
    turkish = client.get(url).content.decode()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="tr">' in turkish
    assert '<html lang="en">' in english
    assert "Order tracking" in english
    assert "Failed delivery attempt" in english


def test_order_without_shipments_says_it_is_being_prepared(client):
    order, _warehouse = shipped_order(email="x@example.com")
    html = client.get(tracking_url(order), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "being prepared" in html


def test_detail_query_count_is_fixed(client, order, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert client.get(tracking_url(order)).status_code == 200
