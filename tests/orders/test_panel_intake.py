"""The panel's new-order form (phone / customer-service orders): search, live totals, submit."""

import re
import secrets
from decimal import Decimal

import pytest
from django.urls import reverse

from channels.models import ChannelPrice
from inventory.models import StockLevel
from orders.models import Customer, CustomerAddress, Order, OrderSource
from tests.inventory.factories import make_product, make_variant, make_warehouse, stocked
from tests.orders.factories import make_channel

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def ankara():
    return make_warehouse("ANK", province=6)


@pytest.fixture
def phone_channel():
    make_channel("web", name="Web", type="web_shop")
    return make_channel("phone", name="Telefon", type="phone", price_tolerance=Decimal("20"))


@pytest.fixture
def clerk(client, user_factory):
    client.force_login(user_factory(role="customer_service", language="en"))
    return client


def _variant(tax_rate: int, price: str, *, sku: str, stock: int = 0, warehouse=None, **product):
    variant = make_variant(
        make_product(tax_rate=tax_rate, name=product.pop("name", f"Product {sku}")),
        sku=sku,
        list_price=Decimal(price),
        barcode=product.pop("barcode", None),
    )
    if stock:
        stocked(stock, variant=variant, warehouse=warehouse)
    return variant


def _form(channel, lines, **fields) -> dict:
    """A new-order POST: ``lines`` as (sku, quantity[, unit_price[, discount]])."""
    data = {
        "channel": channel.pk,
        "phone": "0532 111 22 33",
        "email": "ayse@example.com",
        "first_name": "Ayşe",
        "last_name": "Yılmaz",
        "ship_line1": "Atatürk Bulvarı 1",
        "ship_district": "Çankaya",
        "ship_province": 6,
        "ship_postal_code": "06100",
        "payment_method": "card",
        "installments": "1",
        "shipping_fee": "",
        "discount": "",
        "line_uid": [],
        "line_sku": [],
        "line_quantity": [],
        "line_price": [],
        "line_discount": [],
    }
    for i, line in enumerate(lines):
        data["line_uid"].append(f"{i:08x}")
        data["line_sku"].append(line[0])
        data["line_quantity"].append(str(line[1]))
        data["line_price"].append(line[2] if len(line) > 2 else "")
        data["line_discount"].append(line[3] if len(line) > 3 else "")
    data.update(fields)
    return data


def test_form_renders_with_the_phone_channel_preselected(clerk, phone_channel, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = clerk.get(reverse("orders:new"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{phone_channel.pk}" selected>' in html
    assert 'id="order-lines"' in html
    assert 'hx-post="/orders/new/totals/"' in html
    assert 'name="ship_province"' in html
    assert "Ankara" in html


def test_sku_search_shows_matches_with_channel_price_and_free_stock(clerk, phone_channel, ankara):
    kettle = _variant(20, "100.00", sku="KTL-01", stock=7, warehouse=ankara, name="Çaydanlık")
    _variant(20, "50.00", sku="KTL-02", name="Çaydanlık mini")
    _variant(20, "50.00", sku="MUG-01", name="Kupa")
    ChannelPrice.objects.create(channel=phone_channel, variant=kettle, price=Decimal("95.00"))
    response = clerk.get(reverse("orders:new_variants"), {"q": "KTL", "channel": phone_channel.pk}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "KTL-01" in html
    assert "KTL-02" in html
    assert "MUG-01" not in html
    assert "95.00" in html  # the channel's price list, not the list price
    assert "7 free" in html
    assert "0 free" in html
    assert "<html" not in html


def test_enter_on_an_exact_barcode_adds_the_line_at_once(clerk, phone_channel, ankara):
    _variant(10, "40.00", sku="TEA-01", stock=3, warehouse=ankara, barcode="8690000000017")
    response = clerk.get(
        reverse("orders:new_variants"),
        {"q": "8690000000017", "enter": "1", "channel": phone_channel.pk},
        **HTMX,
    )
    assert response["HX-Retarget"] == "#order-lines"
    assert response["HX-Trigger-After-Swap"] == "lines-changed"
    html = response.content.decode()
    assert 'name="line_sku" value="TEA-01"' in html
    assert 'name="line_price" value="40.00"' in html  # English user: dot decimals


def test_picking_a_result_adds_a_row_priced_from_the_channel(clerk, phone_channel):
    variant = _variant(20, "100.00", sku="KTL-01")
    ChannelPrice.objects.create(channel=phone_channel, variant=variant, price=Decimal("89.90"))
    response = clerk.get(
        reverse("orders:new_line"), {"variant": variant.pk, "channel": phone_channel.pk}, **HTMX
    )
    html = response.content.decode()
    assert 'name="line_price" value="89.90"' in html
    assert 'id="variant-results"' in html
    assert 'hx-swap-oob="true"' in html


def test_totals_compute_kdv_per_rate_and_spread_the_order_discount(clerk, phone_channel):
    # given a 10 % KDV product at 110 and a 20 % one at 120, a 23 order discount and 30 shipping
    _variant(10, "110.00", sku="BOOK-1")
    _variant(20, "120.00", sku="LAMP-1")
    data = _form(phone_channel, [("BOOK-1", 1), ("LAMP-1", 1)], discount="23", shipping_fee="30")
    # when
    response = clerk.post(reverse("orders:new_totals"), data, **HTMX)
    # then the discount splits 11 / 12 by value: KDV 99*10/110 = 9 + 108*20/120 = 18 + 30*20/120 = 5
    html = response.content.decode()
    assert 'data-tax="32.00"' in html
    assert 'data-total="237.00"' in html
    assert re.search(r'id="line-total-00000000" hx-swap-oob="true">[^<]*99', html)
    assert re.search(r'id="line-total-00000001" hx-swap-oob="true">[^<]*108', html)


def test_totals_take_the_same_queries_for_any_number_of_lines(
    clerk, phone_channel, django_assert_max_num_queries
):
    for n in range(6):
        _variant(20, "10.00", sku=f"SKU-X{n}", stock=0)
    data = _form(phone_channel, [(f"SKU-X{n}", 1) for n in range(6)])
    with django_assert_max_num_queries(8):  # session, user, 2 perms, channel, variants, prices, stock
        html = clerk.post(reverse("orders:new_totals"), data, **HTMX).content.decode()
    assert 'data-total="60.00"' in html


def test_totals_match_what_create_order_stores(clerk, phone_channel, ankara):
    _variant(10, "110.00", sku="BOOK-1", stock=5, warehouse=ankara)
    _variant(20, "33.33", sku="PEN-1", stock=5, warehouse=ankara)
    data = _form(
        phone_channel,
        [("BOOK-1", 3, "", "7,50"), ("PEN-1", 2, "33,33")],
        discount="17,77",
        shipping_fee="29,90",
    )
    html = clerk.post(reverse("orders:new_totals"), data, **HTMX).content.decode()
    tax = re.search(r'data-tax="([\d.]+)"', html).group(1)
    total = re.search(r'data-total="([\d.]+)"', html).group(1)
    clerk.post(reverse("orders:new"), data)
    order = Order.objects.get()
    assert (order.tax_total, order.grand_total) == (Decimal(tax), Decimal(total))


def test_totals_name_lines_they_cannot_count(clerk, phone_channel):
    _variant(20, "120.00", sku="LAMP-1")
    data = _form(phone_channel, [("LAMP-1", 2), ("NOPE", 1), ("LAMP-1", "x")])
    html = clerk.post(reverse("orders:new_totals"), data, **HTMX).content.decode()
    assert 'data-total="240.00"' in html
    assert "Line 2: unknown SKU" in html
    assert "Line 3: the quantity" in html


def test_submit_creates_the_order_through_intake_and_allocates_it(clerk, phone_channel, ankara):
    _variant(20, "120.00", sku="LAMP-1", stock=5, warehouse=ankara)
    response = clerk.post(reverse("orders:new"), _form(phone_channel, [("LAMP-1", 2)], notes="Kapıda arayın"))
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] in (reverse("orders:index"), f"/orders/{order.pk}/")
    assert order.status == "allocated"
    assert order.source == OrderSource.PANEL
    assert order.created_by.username.startswith("user")
    assert (order.channel.code, order.customer_phone, order.ship_city) == ("phone", "+905321112233", "Ankara")
    assert order.notes == "Kapıda arayın"
    assert StockLevel.objects.get(warehouse=ankara).reserved == 2
    page = clerk.get(response["Location"]).content.decode()
    assert f"Order {order.number} created and allocated." in page


def test_sending_the_same_form_twice_creates_one_order(clerk, phone_channel, ankara):
    _variant(20, "120.00", sku="LAMP-1", stock=5, warehouse=ankara)
    token = secrets.token_hex(8)  # the cache (Redis) outlives the test database
    data = _form(phone_channel, [("LAMP-1", 1)], submission=token)
    first = clerk.post(reverse("orders:new"), data)
    second = clerk.post(reverse("orders:new"), data)
    order = Order.objects.get()
    assert first["Location"] == second["Location"] == f"/orders/{order.pk}/"
    assert StockLevel.objects.get(warehouse=ankara).reserved == 1
    clerk.post(reverse("orders:new"), {**data, "submission": token + "-2"})
    assert Order.objects.count() == 2


def test_submit_without_stock_reports_backorder(clerk, phone_channel, ankara):
    _variant(20, "120.00", sku="LAMP-1")
    response = clerk.post(reverse("orders:new"), _form(phone_channel, [("LAMP-1", 1)]), follow=True)
    order = Order.objects.get()
    assert order.status == "backordered"
    assert f"Order {order.number} created as backordered" in response.content.decode()


def test_invalid_submit_keeps_the_input_and_shows_field_errors(clerk, phone_channel, ankara):
    _variant(20, "120.00", sku="LAMP-1", stock=5, warehouse=ankara)
    data = _form(
        phone_channel,
        [("LAMP-1", 2, "999"), ("NOPE-9", 1)],
        email="not-an-email",
        ship_district="",
        notes="Akşam teslim",
    )
    response = clerk.post(reverse("orders:new"), data)
    assert response.status_code == 422
    html = response.content.decode()
    # what was typed is still there
    assert 'value="not-an-email"' in html
    assert 'value="Atatürk Bulvarı 1"' in html
    assert "Akşam teslim" in html
    assert 'name="line_sku" value="NOPE-9"' in html
    assert 'name="line_price" value="999"' in html
    # each error sits on its field or row
    assert "The order was not created" in html
    assert "Enter a valid e-mail address." in html
    assert "This field is required." in html  # the district
    assert "Unknown SKU “NOPE-9”." in html
    assert "off the price list" in html
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0
    assert StockLevel.objects.get(warehouse=ankara).reserved == 0


def test_submit_without_lines_says_so(clerk, phone_channel):
    response = clerk.post(reverse("orders:new"), _form(phone_channel, []))
    assert response.status_code == 422
    assert "The order has no lines." in response.content.decode()


def test_customer_lookup_fills_in_the_customer_and_default_address(clerk, phone_channel):
    customer = Customer.objects.create(first_name="Mehmet", last_name="Şahin", phone="+905059876543")
    CustomerAddress.objects.create(
        customer=customer,
        full_name="Mehmet Şahin",
        address_line="İnönü Cad. 5",
        district="Konak",
        province_id=35,
        postal_code="35220",
        is_default_shipping=True,
    )
    response = clerk.get(
        reverse("orders:new_customer"), {"lookup": "0505 987 65 43", "notes": "kept"}, **HTMX
    )
    html = response.content.decode()
    assert 'value="Mehmet"' in html
    assert 'value="+905059876543"' in html
    assert 'id="shipping-block" class="form-grid" hx-swap-oob="true"' in html
    assert 'value="İnönü Cad. 5"' in html
    assert '<option value="35" selected>' in html


def test_customer_lookup_without_match_starts_a_new_customer(clerk, phone_channel):
    html = clerk.get(reverse("orders:new_customer"), {"lookup": "yeni@example.com"}, **HTMX).content.decode()
    assert "this will be a new customer" in html
    assert 'value="yeni@example.com"' in html
    assert "shipping-block" not in html


@pytest.mark.parametrize(
    "name", ["orders:new", "orders:import", "orders:new_variants", "orders:import_sample"]
)
def test_warehouse_staff_may_not_take_orders(client, user_factory, name):
    client.force_login(user_factory(role="warehouse"))
    assert client.get(reverse(name)).status_code == 403


def test_warehouse_staff_cannot_post_an_order(client, user_factory, phone_channel):
    client.force_login(user_factory(role="warehouse"))
    assert client.post(reverse("orders:new"), _form(phone_channel, [("X", 1)])).status_code == 403
    assert Order.objects.count() == 0
