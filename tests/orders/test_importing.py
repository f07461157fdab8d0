"""Order import from CSV/XLSX files: parsing, one create_order per order, the per-row report."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from orders import importing
from orders.models import Customer, Order, OrderLine
from tests.inventory.factories import make_product, make_variant, make_warehouse, stocked
from tests.orders.factories import make_channel

pytestmark = pytest.mark.django_db

HEADER = (
    "channel;channel_order_id;email;phone;first_name;last_name;address;neighbourhood;district;city;"
    "postal_code;country;payment_method;sku;quantity;unit_price;shipping_fee;notes"
)
ADDRESS_W1 = "Ayşe;Yılmaz;Atatürk Bulvarı 1;Kızılay;Çankaya;Ankara;06420;TR"
THREE_ORDERS = "\n".join(
    [
        HEADER,
        f"web;W-1;ayse@example.com;;{ADDRESS_W1};card;TEA-1;2;;29,90;",
        f"web;W-1;ayse@example.com;;{ADDRESS_W1};card;MUG-1;1;;29,90;",
        "web;W-2;;0532 111 22 33;Can;Demir;Cumhuriyet Cad. 3;;Konak;İzmir;35220;TR;havale;TEA-1;1;95,00;;",
        "web;W-3;ali@example.com;;Ali;Kaya;Bağdat Cad. 9;;Kadıköy;İstanbul;34710;TR;card;TEA-1;1;;;",
        "web;W-3;ali@example.com;;Ali;Kaya;Bağdat Cad. 9;;Kadıköy;İstanbul;34710;TR;card;GONE-1;1;;;",
    ]
)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the service speaks the active language, Turkish by default)."""
    with translation.override("en"):
        yield


@pytest.fixture
def shop():
    warehouse = make_warehouse("ANK", province=6)
    make_channel("web")
    tea, _wh = stocked(20, variant=make_variant(make_product(tax_rate=10), sku="TEA-1"), warehouse=warehouse)
    mug, _wh = stocked(
        20, variant=make_variant(sku="MUG-1", list_price=Decimal("75.00")), warehouse=warehouse
    )
    return {"tea": tea, "mug": mug}


def upload(content: str | bytes, name: str = "orders.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    data = content.encode(encoding) if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_three_orders_one_with_an_unknown_sku(shop):
    groups = importing.parse_file(upload(THREE_ORDERS))
    assert [(g.channel_order_id, g.row_numbers) for g in groups] == [
        ("W-1", [2, 3]),
        ("W-2", [4]),
        ("W-3", [5, 6]),
    ]

    report = importing.import_orders(groups)

    assert (report.created, report.duplicates, report.failed) == (2, 0, 1)
    created = {r.channel_order_id: r for r in report.results if r.outcome == "created"}
    assert {o.channel_order_id: o.status for o in Order.objects.all()} == {
        "W-1": "allocated",
        "W-2": "allocated",
    }
    assert created["W-1"].number == Order.objects.get(channel_order_id="W-1").number
    assert created["W-1"].status == "allocated"
    failed = next(r for r in report.results if r.outcome == "failed")
    assert failed.rows == [5, 6]
    assert [(e.row, e.column) for e in failed.errors] == [(6, "sku")]
    assert "GONE-1" in failed.errors[0].message
    # the failed order left nothing: no customer, no lines, no reservation
    assert not Customer.objects.filter(email="ali@example.com").exists()
    assert OrderLine.objects.count() == 3
    w1 = Order.objects.get(channel_order_id="W-1")
    assert (w1.shipping_fee, w1.lines.count(), w1.source) == (Decimal("29.90"), 2, "import")
    assert Order.objects.get(channel_order_id="W-2").payment_method == "bank_transfer"  # "havale"


def test_the_same_file_again_reports_duplicates_and_creates_nothing(shop):
    first = importing.import_orders(importing.parse_file(upload(THREE_ORDERS)))
    numbers = {r.channel_order_id: r.number for r in first.results if r.number}

    again = importing.import_orders(importing.parse_file(upload(THREE_ORDERS)))

    assert (again.created, again.duplicates, again.failed) == (0, 2, 1)
    assert {r.channel_order_id: r.number for r in again.results if r.outcome == "duplicate"} == numbers
    assert Order.objects.count() == 2


def test_windows_1254_file_with_turkish_letters(shop):
    content = "\r\n".join(
        [
            "Kanal,Sipariş No,Telefon,Ad,Soyad,Adres,İlçe,İl,Stok Kodu,Adet,Ödeme Yöntemi",
            "web,T-1,0532 444 55 66,Şükrü,Ağaoğlu,İstiklal Cad. Ğ Blok,Beyoğlu,İSTANBUL,TEA-1,3,Kapıda ödeme",
        ]
    )
    raw = content.encode("cp1254")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really not UTF-8

    groups = importing.parse_file(upload(raw))
    values = groups[0].rows[0].values
    assert (values["first_name"], values["last_name"], values["city"]) == ("Şükrü", "Ağaoğlu", "İSTANBUL")

    report = importing.import_orders(groups)
    assert report.created == 1, report.results[0].errors
    order = Order.objects.get()
    assert order.customer_name == "Şükrü Ağaoğlu"
    assert (order.ship_line, order.ship_city, order.payment_method) == (
        "İstiklal Cad. Ğ Blok",
        "İstanbul",
        "cash_on_delivery",
    )


def test_utf8_with_bom_and_comma_separator(shop):
    content = "\ufeffCHANNEL,Order_ID,E-mail,First Name,Address,District,City,SKU,Qty\n" + (
        'WEB,B-1,b@example.com,Banu,"Atatürk Cad. 1, Kat 2",Çankaya,Ankara,TEA-1,1\n'
    )
    groups = importing.parse_file(upload(content))
    assert groups[0].channel == "WEB"
    assert groups[0].rows[0].values["address"] == "Atatürk Cad. 1, Kat 2"
    report = importing.import_orders(groups)
    assert report.results[0].channel == "web"  # the code matched whatever its case
    assert report.failed == 1  # no payment method column: said per row and column
    assert [(e.row, e.column) for e in report.results[0].errors] == [(2, "payment_method")]
    assert "card" in report.results[0].errors[0].message


def test_an_xlsx_file_imports(shop):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["channel", "channel_order_id", "email", "first_name", "last_name", "address", "district"])
    sheet["H1"], sheet["I1"], sheet["J1"], sheet["K1"], sheet["L1"] = (
        "city",
        "sku",
        "quantity",
        "unit_price",
        "payment_method",
    )
    sheet.append(
        [
            "web",
            5001,
            "x@example.com",
            "Xavier",
            "Öz",
            "Kızılay Mah. 4",
            "Çankaya",
            "Ankara",
            "TEA-1",
            2,
            100.0,
            "card",
        ]
    )
    sheet.append(
        [
            "web",
            5001,
            "x@example.com",
            "Xavier",
            "Öz",
            "Kızılay Mah. 4",
            "Çankaya",
            "Ankara",
            "MUG-1",
            1,
            75.5,
            "card",
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)

    groups = importing.parse_file(upload(buffer.getvalue(), name="orders.xlsx"))
    report = importing.import_orders(groups)

    assert report.created == 1, report.results[0].errors
    order = Order.objects.get()
    assert order.channel_order_id == "5001"
    assert sorted((line.sku, line.quantity, line.unit_price) for line in order.lines.all()) == [
        ("MUG-1", 1, Decimal("75.50")),
        ("TEA-1", 2, Decimal("100.00")),
    ]


def test_wrong_layout_is_refused_with_the_missing_columns(shop):
    content = "order;product;amount\nW-1;TEA-1;2\n"
    with pytest.raises(importing.ImportRejected) as caught:
        importing.parse_file(upload(content))
    message = caught.value.message
    assert "channel" in message
    assert "sku" in message
    assert "email / phone" in message


def test_text_that_is_neither_utf8_nor_windows_1254_is_refused_naming_the_line(shop):
    raw = "Kanal,Sipariş No\r\nweb,T-1\r\n".encode("cp1254") + b"web,T-2 \x81\r\n"  # 0x81: not cp1254
    with pytest.raises(importing.ImportRejected, match="line 3"):
        importing.parse_file(upload(raw))


def test_too_many_rows_and_too_big_files_are_refused(shop, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 1)
    with pytest.raises(importing.ImportRejected, match="more than 1 rows"):
        importing.parse_file(upload(THREE_ORDERS))
    monkeypatch.setattr(importing, "MAX_FILE_BYTES", 100)
    with pytest.raises(importing.ImportRejected, match="larger than"):
        importing.parse_file(upload(THREE_ORDERS))


def test_row_without_order_number_fails_alone(shop):
    content = THREE_ORDERS.replace("web;W-2;", "web;;")
    report = importing.import_orders(importing.parse_file(upload(content)))
    failed = [r for r in report.results if r.outcome == "failed"]
    assert [(r.rows, r.errors[0].column) for r in failed] == [([4], "channel_order_id"), ([5, 6], "sku")]
    assert report.created == 1


def test_bad_values_point_at_their_rows_and_columns(shop):
    content = "\n".join(
        [
            HEADER,
            "web;Z-1;z@example;;Zeynep;Ak;Cad. 1;;Çankaya;Atlantis;06420;TR;card;TEA-1;1;;;",
            "web;Z-1;z@example;;Zeynep;Ak;Cad. 1;;Çankaya;Atlantis;06420;TR;card;MUG-1;0;;;",
            "nochannel;Z-2;q@example.com;;Q;Q;Cad. 1;;Çankaya;Ankara;06420;TR;card;TEA-1;1;;;",
        ]
    )
    report = importing.import_orders(importing.parse_file(upload(content)))
    z1, z2 = report.results
    assert {(e.row, e.column) for e in z1.errors} == {(2, "email"), (2, "city"), (3, "quantity")}
    assert [(e.row, e.column) for e in z2.errors] == [(4, "channel")]
    assert "nochannel" in z2.errors[0].message
    assert Order.objects.count() == 0


# --- Through the panel ----------------------------------------------------------------------------


@pytest.fixture
def clerk(client, user_factory):
    client.force_login(user_factory(role="operator", language="en"))
    return client


def test_upload_shows_the_report_and_offers_it_as_csv(clerk, shop, django_assert_max_num_queries):
    response = clerk.post(reverse("orders:import"), {"file": upload(THREE_ORDERS)})
    assert response.status_code == 302
    with django_assert_max_num_queries(6):
        page = clerk.get(response["Location"])
    html = page.content.decode()
    assert "2 orders created" in html
    assert "1 failed" in html
    for order in Order.objects.all():
        assert order.number in html
    assert "Row 6" in html
    assert "GONE-1" in html

    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    csv_response = clerk.get(reverse("orders:import_report", args=[token]))
    text = b"".join(csv_response.streaming_content).decode("utf-8-sig")
    assert csv_response["Content-Type"].startswith("text/csv")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Rows;Channel;Channel order number;Result")
    assert any("W-3" in line and "Failed" in line and ";6;sku;" in line for line in lines)


def test_report_belongs_to_the_user_who_imported(clerk, shop, client, user_factory):
    location = clerk.post(reverse("orders:import"), {"file": upload(THREE_ORDERS)})["Location"]
    clerk.force_login(user_factory(role="operator"))
    assert clerk.get(location).status_code == 404


def test_upload_with_wrong_layout_says_why_and_creates_nothing(clerk, shop):
    response = clerk.post(reverse("orders:import"), {"file": upload("foo;bar\n1;2\n")})
    assert response.status_code == 422
    html = response.content.decode()
    assert "The file does not have the expected columns" in html
    assert "Download the sample file" in html
    assert Order.objects.count() == 0


def test_import_page_and_sample_download(clerk, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        page = clerk.get(reverse("orders:import"))
    assert page.status_code == 200
    assert reverse("orders:import_sample") in page.content.decode()
    sample = clerk.get(reverse("orders:import_sample"))
    content = b"".join(sample.streaming_content).decode("utf-8")
    assert sample["Content-Disposition"].startswith("attachment")
    groups = importing.parse_file(upload(content))  # the sample itself has a layout the import accepts
    assert len(groups) == 2
