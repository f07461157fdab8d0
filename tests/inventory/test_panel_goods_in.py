"""Goods in: the receipts list and detail, the tablet receiving station, and its demo data."""

import json
import random
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from inventory import goods_in
from inventory.demo_goods_in import seed_goods_in
from inventory.errors import InvalidQuantity
from inventory.models import (
    Bin,
    MovementKind,
    PurchaseOrder,
    PurchaseOrderStatus,
    Receipt,
    ReceiptLine,
    StockLevel,
    StockLot,
    StockMovement,
    Tracking,
)
from inventory.purchasing import (
    OrderLineInput,
    ReceiptInput,
    create_purchase_order,
    receive_goods,
    send_purchase_order,
)
from oms.models import IdempotencyRecord
from tests.factories import make_user
from tests.inventory.factories import make_product, make_supplier, make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


# --- Helpers --------------------------------------------------------------------------------------


@pytest.fixture
def clerk(user_factory):
    return user_factory(role="warehouse", username="depocu", language="en")


@pytest.fixture
def station_client(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def goods():
    """A warehouse (bins A-01-01-1, B-01-01-1, quarantine Q-00-00-0) and three kinds of product."""
    warehouse = make_warehouse("IST")
    shirt = make_variant(make_product(name="Tişört"), sku="TS-01", barcode="8690000000019")
    cream = make_variant(
        make_product(name="Krem", tracking=Tracking.LOT, expiry=True), sku="KRM-01", barcode="8690000000026"
    )
    phone = make_variant(
        make_product(name="Telefon", tracking=Tracking.SERIAL), sku="TEL-01", barcode="TELBAR1"
    )
    return warehouse, shirt, cream, phone


def bin_of(warehouse, code="B-01-01-1") -> Bin:
    return Bin.objects.get(warehouse=warehouse, code=code)


def open_order(warehouse, lines, *, send=True) -> PurchaseOrder:
    order = create_purchase_order(
        supplier=make_supplier(), warehouse=warehouse, lines=[OrderLineInput(v, q) for v, q in lines]
    )
    if send:
        send_purchase_order(order=order)
    return order


def start(client, warehouse=None, order=None, **data):
    if order is not None:
        data["purchase_order"] = order.pk
    elif "po_number" not in data:
        data["free"] = "on"
    if warehouse is not None:
        data["warehouse"] = warehouse.pk
    return client.post(reverse("inventory:receiving_start"), data)


def started(client, warehouse=None, order=None, **data) -> str:
    response = start(client, warehouse, order, **data)
    assert response.status_code == 302, response.content.decode()[:2000]
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert response["Location"] == reverse("inventory:receiving_draft", args=[token])
    return token


def scan(client, token, code, **extra):
    return client.post(
        reverse("inventory:receiving_scan", args=[token]), {"code": code, **extra}, headers=HTMX
    )


def tap(client, token, line, **data):
    return client.post(reverse("inventory:receiving_line", args=[token, line]), data, headers=HTMX)


def complete(client, token, **kwargs):
    return client.post(reverse("inventory:receiving_complete", args=[token]), **kwargs)


def draft(client, token) -> dict:
    return client.session["goods_in_drafts"][token]


def lines(client, token) -> list[tuple]:
    return [
        (
            line["variant_id"],
            line["quantity"],
            line["bin_id"],
            line["lot_number"],
            line["expiry_date"],
            line["serials"],
        )
        for line in draft(client, token)["lines"]
    ]


def trigger(response) -> dict:
    return json.loads(response["HX-Trigger"])


def refused(response, text: str = "") -> None:
    """A refusal: 422 with scan-error, the station body (not a 500, not the whole page)."""
    assert response.status_code == 422, response.content.decode()[:2000]
    assert "scan-error" in trigger(response)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="station-body"')
    assert "station-feedback error" in html
    if text:
        assert text in html, html


def accepted(response) -> str:
    assert response.status_code == 200, response.content.decode()[:3000]
    assert "scan-ok" in trigger(response)
    return response.content.decode()


# --- Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["warehouse", "operator"])
def test_warehouse_and_operator_receive(client, user_factory, goods, role, assert_consistent):
    warehouse, shirt, _cream, _phone = goods
    client.force_login(user_factory(role=role))
    assert client.get(reverse("inventory:receipts")).status_code == 200
    assert client.get(reverse("inventory:receiving_station")).status_code == 200
    token = started(client, warehouse)
    accepted(scan(client, token, shirt.sku))
    response = complete(client, token)
    receipt = Receipt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:receiving_summary", args=[receipt.pk])
    assert StockLevel.objects.get(variant=shirt, warehouse=warehouse).on_hand == 1
    assert_consistent()


def test_finance_gets_403_everywhere(client, user_factory, goods):
    warehouse, shirt, _cream, _phone = goods
    receipt = receive_goods(warehouse=warehouse, lines=[ReceiptInput(shirt, 2)])
    client.force_login(user_factory(role="finance"))
    for url in (
        reverse("inventory:receipts"),
        reverse("inventory:receipt", args=[receipt.pk]),
        reverse("inventory:receiving_station"),
        reverse("inventory:receiving_summary", args=[receipt.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert start(client, warehouse).status_code == 403
    assert (
        client.post(reverse("inventory:receiving_scan", args=["abc"]), {"code": shirt.sku}).status_code == 403
    )
    assert client.post(reverse("inventory:receiving_complete", args=["abc"])).status_code == 403


def test_inventory_viewer_sees_receipts_but_not_the_station(client, user_factory, goods):
    warehouse, shirt, _cream, _phone = goods
    receipt = receive_goods(warehouse=warehouse, lines=[ReceiptInput(shirt, 2)])
    viewer = user_factory(language="en")
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="oms", codename="access_inventory")
    )
    client.force_login(viewer)

    listing = client.get(reverse("inventory:receipts"))
    assert listing.status_code == 200
    assert receipt.number in listing.content.decode()
    assert reverse("inventory:receiving_station") not in listing.content.decode()
    assert client.get(reverse("inventory:receipt", args=[receipt.pk])).status_code == 200
    assert client.get(reverse("inventory:receiving_station")).status_code == 403
    assert start(client, warehouse).status_code == 403
    assert client.get(reverse("inventory:receiving_summary", args=[receipt.pk])).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("inventory:receipts"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Receipts list and detail ---------------------------------------------------------------------


def po_link(order) -> str | None:
    try:
        return reverse("inventory:purchase_order", args=[order.pk])
    except NoReverseMatch:
        return None


def test_list_shows_number_warehouse_order_lines_units_and_variance(station_client, goods):
    warehouse, shirt, cream, _phone = goods
    order = open_order(warehouse, [(shirt, 10)])
    short = receive_goods(warehouse=warehouse, purchase_order=order, lines=[ReceiptInput(shirt, 6)])
    free = receive_goods(
        warehouse=warehouse,
        lines=[ReceiptInput(shirt, 3), ReceiptInput(cream, 4, lot_number="K1", expiry_date=date_in(200))],
    )

    response = station_client.get(reverse("inventory:receipts"))

    assert response.status_code == 200
    rows = {r.number: r for r in response.context["page"]}
    assert list(rows) == [free.number, short.number]  # newest first
    assert (rows[free.number].line_count, rows[free.number].units) == (2, 7)
    assert rows[free.number].purchase_order is None
    assert (rows[short.number].line_count, rows[short.number].units, rows[short.number].under) == (1, 6, -4)
    assert rows[short.number].po_url == po_link(order)
    html = response.content.decode()
    assert order.number in html
    assert "4 short" in html
    assert reverse("inventory:receipt", args=[short.pk]) in html
    assert reverse("inventory:receiving_station") in html  # the warehouse role may receive


def date_in(days: int):
    return timezone.localdate() + timedelta(days=days)


def test_list_filters(station_client, goods):
    warehouse, shirt, cream, _phone = goods
    other = make_warehouse("ANK")
    order = open_order(warehouse, [(shirt, 5)])
    exact = receive_goods(warehouse=warehouse, purchase_order=order, lines=[ReceiptInput(shirt, 2)])
    order2 = open_order(warehouse, [(shirt, 2)])
    as_ordered = receive_goods(warehouse=warehouse, purchase_order=order2, lines=[ReceiptInput(shirt, 2)])
    free = receive_goods(
        warehouse=other, lines=[ReceiptInput(cream, 1, lot_number="L", expiry_date=date_in(100))]
    )
    Receipt.objects.filter(pk=free.pk).update(received_at=timezone.now() - timedelta(days=10))
    url = reverse("inventory:receipts")

    def numbers(**params):
        response = station_client.get(url, params)
        assert response.status_code == 200
        return sorted(r.number for r in response.context["page"])

    assert numbers(warehouse=other.pk) == [free.number]
    assert numbers(purchase_order="with") == sorted([exact.number, as_ordered.number])
    assert numbers(purchase_order="without") == [free.number]
    assert numbers(variance="yes") == [exact.number]
    assert numbers(variance="no") == sorted([as_ordered.number, free.number])
    assert numbers(q=exact.number) == [exact.number]
    assert numbers(q=order2.number.lower()) == [as_ordered.number]
    assert numbers(q="krm-") == [free.number]
    assert numbers(q=cream.barcode) == [free.number]
    today = timezone.localdate().isoformat()
    assert numbers(received_from=today) == sorted([exact.number, as_ordered.number])
    assert numbers(received_to=date_in(-5).isoformat()) == [free.number]
    assert numbers(received_from=date_in(-11).isoformat(), received_to=date_in(-9).isoformat()) == [
        free.number
    ]


def test_list_htmx_request_gets_only_the_results(station_client, goods):
    warehouse, shirt, _cream, _phone = goods
    receipt = receive_goods(warehouse=warehouse, lines=[ReceiptInput(shirt, 2)])
    response = station_client.get(reverse("inventory:receipts"), headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html
    assert receipt.number in html
    assert "HX-Request" in response["Vary"]


def test_list_query_count_does_not_grow_with_rows(station_client, goods, django_assert_max_num_queries):
    warehouse, shirt, cream, _phone = goods

    def some_receipts(n):
        for i in range(n):
            order = open_order(warehouse, [(shirt, 3), (cream, 2)])
            receive_goods(
                warehouse=warehouse,
                purchase_order=order,
                lines=[
                    ReceiptInput(shirt, 2),
                    ReceiptInput(cream, 2, lot_number=f"L{i}", expiry_date=date_in(90)),
                ],
                user=make_user(),
            )
            receive_goods(warehouse=warehouse, lines=[ReceiptInput(shirt, 1)])

    some_receipts(1)
    with CaptureQueriesContext(connection) as few:
        station_client.get(reverse("inventory:receipts"))
    some_receipts(20)
    with django_assert_max_num_queries(len(few)) as many:
        response = station_client.get(reverse("inventory:receipts"))
    assert len(response.context["page"]) == 42
    assert len(many) == len(few)


def test_list_pages_newest_first(station_client, goods, settings):
    settings.PANEL_PAGE_SIZE = 2
    warehouse, shirt, _cream, _phone = goods
    made = [receive_goods(warehouse=warehouse, lines=[ReceiptInput(shirt, 1)]).number for _ in range(5)]
    seen, cursor = [], None
    while True:
        response = station_client.get(reverse("inventory:receipts"), {"cursor": cursor} if cursor else {})
        seen += [r.number for r in response.context["page"]]
        if not response.context["page"].has_next:
            break
        cursor = response.context["page"].next_cursor
    assert seen == made[::-1]


def test_detail_shows_lines_bins_lots_serials_variance_and_variant_links(station_client, goods):
    warehouse, shirt, cream, phone = goods
    other = make_variant(sku="EXTRA-1")
    order = open_order(warehouse, [(shirt, 10), (cream, 5)])
    receipt = receive_goods(
        warehouse=warehouse,
        purchase_order=order,
        lines=[
            ReceiptInput(shirt, 4, bin=bin_of(warehouse)),
            ReceiptInput(cream, 3, lot_number="K-7", expiry_date=date_in(300)),
            ReceiptInput(cream, 3, lot_number="K-8", expiry_date=date_in(400)),
            ReceiptInput(phone, 2, serials=("IMEI-1", "IMEI-2")),
        ],
    )
    receive_goods(warehouse=warehouse, lines=[ReceiptInput(other, 1)])  # not shown here

    response = station_client.get(reverse("inventory:receipt", args=[receipt.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "TS-01",
        "Tişört",
        "B-01-01-1",
        "K-7",
        "K-8",
        "IMEI-1",
        "IMEI-2",
        order.number,
        "not ordered",
    ):
        assert text in html, text
    assert "EXTRA-1" not in html
    for variant in (shirt, cream, phone):
        assert reverse("inventory:variant", args=[variant.pk]) in html
    variances = {
        row.variant.sku: (row.ordered, row.received, row.variance) for row in response.context["variances"]
    }
    assert variances == {"TS-01": (10, 4, -6), "KRM-01": (5, 6, 1), "TEL-01": (None, 2, 2)}


def test_unknown_receipt_is_404(station_client):
    assert station_client.get(reverse("inventory:receipt", args=[999999])).status_code == 404


# --- The station: starting ------------------------------------------------------------------------


def test_start_screen_lists_open_orders_of_the_chosen_warehouse(station_client, goods):
    warehouse, shirt, cream, _phone = goods
    sent = open_order(warehouse, [(shirt, 3)])
    partly = open_order(warehouse, [(shirt, 3), (cream, 1)])
    receive_goods(warehouse=warehouse, purchase_order=partly, lines=[ReceiptInput(shirt, 1)])
    open_order(warehouse, [(shirt, 3)], send=False)  # draft: not receivable
    open_order(make_warehouse("ANK"), [(shirt, 3)])  # another warehouse

    response = station_client.get(reverse("inventory:receiving_station"), {"warehouse": warehouse.pk})

    assert response.status_code == 200
    assert [o.number for o in response.context["orders"]] == [sent.number, partly.number]
    assert "data-station" in response.content.decode()
    assert "js/scan.js" in response.content.decode()


def test_scanning_a_po_number_starts_a_receipt_in_its_warehouse(station_client, goods):
    warehouse, shirt, _cream, _phone = goods
    order = open_order(warehouse, [(shirt, 3)])
    token = started(station_client, po_number=f" {order.number.lower()} ")
    assert draft(station_client, token)["purchase_order_id"] == order.pk
    assert draft(station_client, token)["warehouse_id"] == warehouse.pk


@pytest.mark.parametrize(
    "case", ["unknown", "draft", "received", "other_warehouse", "nothing", "no_warehouse"]
)
def test_start_refusals(station_client, goods, case):
    warehouse, shirt, _cream, _phone = goods
    data = {}
    if case == "unknown":
        data = {"po_number": "PO-1999-00001"}
    elif case == "draft":
        data = {"po_number": open_order(warehouse, [(shirt, 1)], send=False).number}
    elif case == "received":
        order = open_order(warehouse, [(shirt, 1)])
        receive_goods(warehouse=warehouse, purchase_order=order, lines=[ReceiptInput(shirt, 1)])
        data = {"purchase_order": order.pk}
    elif case == "other_warehouse":
        data = {
            "po_number": open_order(make_warehouse("ANK"), [(shirt, 1)]).number,
            "warehouse": warehouse.pk,
        }
    elif case == "no_warehouse":
        make_warehouse("ANK")  # two active warehouses: no default
        data = {"free": "on"}

    response = station_client.post(reverse("inventory:receiving_start"), data)

    assert response.status_code == 422
    assert "goods_in_drafts" not in station_client.session or not station_client.session["goods_in_drafts"]
    assert response.context["form"].errors


# --- The station: a receipt against a purchase order, end to end ----------------------------------


def test_full_station_flow_against_a_purchase_order(station_client, goods, clerk, assert_consistent):
    warehouse, shirt, cream, phone = goods
    order = open_order(warehouse, [(shirt, 5), (cream, 2), (phone, 2)])
    token = started(station_client, po_number=order.number)
    expiry = date_in(365)

    # three shirts by barcode, put away in B-01-01-1
    for _ in range(3):
        accepted(scan(station_client, token, shirt.barcode))
    html = accepted(scan(station_client, token, "B-01-01-1"))
    assert "B-01-01-1" in html
    # the cream by SKU: lot and expiry on the line, then one more by the stepper
    accepted(scan(station_client, token, "krm-01"))
    cream_line = draft(station_client, token)["current"]
    accepted(
        tap(station_client, token, cream_line, action="tracking", lot_number="LOT-42", expiry_date=expiry)
    )
    accepted(tap(station_client, token, cream_line, action="quantity", step="1", quantity="1"))
    # the phones: item, then each serial
    accepted(scan(station_client, token, phone.barcode))
    accepted(scan(station_client, token, "IMEI-0001"))
    html = accepted(scan(station_client, token, "IMEI-0002"))
    assert "IMEI-0002" in html

    assert lines(station_client, token) == [
        (shirt.pk, 3, bin_of(warehouse).pk, "", "", []),
        (cream.pk, 2, None, "LOT-42", expiry.isoformat(), []),
        (phone.pk, 2, None, "", "", ["IMEI-0001", "IMEI-0002"]),
    ]
    # a reload shows the same pending receipt, expected against scanned
    page = station_client.get(reverse("inventory:receiving_draft", args=[token]))
    assert page.status_code == 200
    expected = {
        row.variant.sku: (row.expected, row.scanned, row.state) for row in page.context["view"].expected
    }
    assert expected == {"TS-01": (5, 3, "short"), "KRM-01": (2, 2, "complete"), "TEL-01": (2, 2, "complete")}
    assert not StockMovement.objects.filter(kind=MovementKind.RECEIPT).exists()  # nothing booked yet

    response = complete(station_client, token, headers=HTMX)

    receipt = Receipt.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("inventory:receiving_summary", args=[receipt.pk])
    assert (receipt.purchase_order, receipt.warehouse, receipt.received_by) == (order, warehouse, clerk)
    movements = StockMovement.objects.filter(reference=receipt.number)
    assert sorted((m.variant_id, m.on_hand_delta, m.kind) for m in movements) == sorted(
        [
            (shirt.pk, 3, MovementKind.RECEIPT),
            (cream.pk, 2, MovementKind.RECEIPT),
            (phone.pk, 1, MovementKind.RECEIPT),
            (phone.pk, 1, MovementKind.RECEIPT),
        ]
    )
    assert {m.user for m in movements} == {clerk}
    assert StockLot.objects.get(variant=shirt).bin == bin_of(warehouse)
    lot = StockLot.objects.get(variant=cream)
    assert (lot.lot_number, lot.expiry_date, lot.quantity) == ("LOT-42", expiry, 2)
    assert sorted(StockLot.objects.filter(variant=phone).values_list("serial", "quantity")) == [
        ("IMEI-0001", 1),
        ("IMEI-0002", 1),
    ]
    received = {line.variant_id: line.quantity_received for line in order.lines.all()}
    assert received == {shirt.pk: 3, cream.pk: 2, phone.pk: 2}
    assert {line.variant_id: line.variance for line in receipt.lines.all()} == {
        shirt.pk: -2,
        cream.pk: 0,
        phone.pk: 0,
    }
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert token not in station_client.session.get("goods_in_drafts", {})
    assert_consistent()

    summary = station_client.get(response["HX-Redirect"])
    assert summary.status_code == 200
    assert receipt.number in summary.content.decode()
    assert reverse("inventory:receipt", args=[receipt.pk]) in summary.content.decode()
    assert [(r.variant.sku, r.variance) for r in summary.context["variances"]] == [
        ("TS-01", -2),
        ("KRM-01", 0),
        ("TEL-01", 0),
    ]
    assert [line.variant for line in summary.context["outstanding"]] == [shirt]

    # the rest of the shirts, and two more than ordered: the order is received
    token = started(station_client, order=order)
    accepted(scan(station_client, token, shirt.sku))
    accepted(
        tap(station_client, token, draft(station_client, token)["current"], action="quantity", quantity="4")
    )
    assert complete(station_client, token).status_code == 302
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.RECEIVED
    assert Receipt.objects.latest("pk").lines.get().variance == 2
    assert StockLevel.objects.get(variant=shirt, warehouse=warehouse).on_hand == 7
    assert_consistent()


def test_two_lots_of_one_item_record_the_variance_once(station_client, goods, assert_consistent):
    warehouse, _shirt, cream, _phone = goods
    order = open_order(warehouse, [(cream, 10)])
    token = started(station_client, order=order)
    accepted(scan(station_client, token, cream.barcode))
    first = draft(station_client, token)["current"]
    accepted(tap(station_client, token, first, action="quantity", quantity="4"))
    accepted(tap(station_client, token, first, action="tracking", lot_number="A", expiry_date=date_in(100)))
    accepted(tap(station_client, token, first, action="split"))
    second = draft(station_client, token)["current"]
    assert second != first
    accepted(tap(station_client, token, second, action="quantity", quantity="6"))
    accepted(tap(station_client, token, second, action="tracking", lot_number="B", expiry_date=date_in(200)))
    accepted(scan(station_client, token, "A-01-01-1"))  # the second lot goes elsewhere

    assert complete(station_client, token).status_code == 302

    receipt = Receipt.objects.get()
    assert [
        (ln.lot_number, ln.quantity, ln.variance, ln.bin.code) for ln in receipt.lines.order_by("pk")
    ] == [
        ("A", 4, 0, "A-01-01-1"),  # no bin scanned: the warehouse's receiving bin (first by walk)
        ("B", 6, 0, "A-01-01-1"),
    ]
    assert order.lines.get().quantity_received == 10
    order.refresh_from_db()
    assert order.status == PurchaseOrderStatus.RECEIVED
    assert_consistent()


def test_more_than_outstanding_is_accepted_with_a_warning(station_client, goods):
    warehouse, shirt, _cream, _phone = goods
    order = open_order(warehouse, [(shirt, 2)])
    token = started(station_client, order=order)
    assert "station-feedback ok" in accepted(scan(station_client, token, shirt.sku))
    assert "station-feedback ok" in accepted(scan(station_client, token, shirt.sku))
    html = accepted(scan(station_client, token, shirt.sku))
    assert "station-feedback warn" in html
    assert "1 over" in html
    assert lines(station_client, token)[0][1] == 3


def test_free_receipt_scans_by_barcode_and_sku_and_counts_up(station_client, goods, assert_consistent):
    warehouse, shirt, _cream, _phone = goods
    token = started(station_client, warehouse)
    html = accepted(scan(station_client, token, shirt.barcode))
    assert "TS-01" in html
    accepted(scan(station_client, token, "ts-01"))
    accepted(scan(station_client, token, "0" + shirt.barcode))  # GTIN-14 form of the EAN-13
    assert lines(station_client, token) == [(shirt.pk, 3, None, "", "", [])]
    assert complete(station_client, token).status_code == 302
    receipt = Receipt.objects.get()
    assert receipt.purchase_order is None
    assert receipt.lines.get().quantity == 3
    assert_consistent()


def test_without_htmx_the_station_posts_and_redirects(station_client, goods):
    warehouse, shirt, _cream, _phone = goods
    token = started(station_client, warehouse)
    response = station_client.post(reverse("inventory:receiving_scan", args=[token]), {"code": shirt.sku})
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:receiving_draft", args=[token])
    page = station_client.get(response["Location"])
    assert page.status_code == 200
    assert "TS-01" in page.content.decode()
    refused_page = station_client.post(
        reverse("inventory:receiving_scan", args=[token]), {"code": "NOPE-404"}
    )
    assert refused_page.status_code == 422
    assert "<html" in refused_page.content.decode()
    assert "NOPE-404" in refused_page.content.decode()


# --- The station: refusals ------------------------------------------------------------------------


def test_unknown_and_misread_codes_are_refused(station_client, goods):
    warehouse, shirt, _cream, _phone = goods
    token = started(station_client, warehouse)
    accepted(scan(station_client, token, shirt.sku))
    before = draft(station_client, token)

    refused(scan(station_client, token, "NO-SUCH-THING"), "Unknown code NO-SUCH-THING")
    refused(scan(station_client, token, "8690000000018"), "check digit")  # a misread EAN-13
    refused(scan(station_client, token, "   "))

    assert draft(station_client, token) == before


def test_bins_of_another_warehouse_quarantine_and_before_any_item_are_refused(station_client, goods):
    warehouse, shirt, _cream, _phone = goods
    other = make_warehouse("ANK")
    Bin.objects.create(warehouse=other, code="C-09-09-9", zone="C", walk_sequence=5)
    token = started(station_client, warehouse)

    refused(scan(station_client, token, "A-01-01-1"), "Scan an item first")
    accepted(scan(station_client, token, shirt.sku))
    before = draft(station_client, token)
    refused(scan(station_client, token, "C-09-09-9"), "belongs to")
    refused(scan(station_client, token, "ANK/A-01-01-1"), "belongs to")
    refused(scan(station_client, token, "Q-00-00-0"), "quarantine")
    assert draft(station_client, token) == before

    accepted(scan(station_client, token, "IST/B-01-01-1"))
    assert lines(station_client, token)[0][2] == bin_of(warehouse).pk


def test_an_item_not_on_the_order_is_refused_unless_confirmed(station_client, goods, assert_consistent):
    warehouse, shirt, _cream, _phone = goods
    extra = make_variant(sku="EXTRA-1")
    order = open_order(warehouse, [(shirt, 2)])
    token = started(station_client, order=order)

    response = scan(station_client, token, extra.sku)
    refused(response, "not on this purchase order")
    assert "allow_unordered" in response.content.decode()  # the offer to take it anyway
    assert draft(station_client, token)["lines"] == []

    html = accepted(scan(station_client, token, extra.sku, allow_unordered="on"))
    assert "not ordered" in html
    accepted(scan(station_client, token, extra.sku))  # confirmed once: further units count up
    accepted(scan(station_client, token, shirt.sku))
    assert [(v, q) for v, q, *_rest in lines(station_client, token)] == [(extra.pk, 2), (shirt.pk, 1)]
    assert draft(station_client, token)["lines"][0]["unordered"] is True

    assert complete(station_client, token).status_code == 302
    receipt = Receipt.objects.get()
    unordered = receipt.lines.get(variant=extra)
    assert (unordered.purchase_order_line, unordered.variance) == (None, 2)
    assert receipt.lines.get(variant=shirt).variance == -1
    assert_consistent()


def test_serials_scanned_twice_or_already_in_stock_are_refused_at_once(station_client, goods):
    warehouse, _shirt, _cream, phone = goods
    stocked(1, variant=phone, warehouse=warehouse, serials=["IMEI-OLD"])
    token = started(station_client, warehouse)
    accepted(scan(station_client, token, phone.sku))
    accepted(scan(station_client, token, "IMEI-NEW"))
    before = draft(station_client, token)

    refused(scan(station_client, token, "IMEI-NEW"), "scanned twice")
    refused(scan(station_client, token, "IMEI-OLD"), "already in stock")

    assert draft(station_client, token) == before
    assert lines(station_client, token)[0][1:] == (1, None, "", "", ["IMEI-NEW"])


def test_a_serial_line_takes_its_quantity_from_the_serials(station_client, goods):
    warehouse, _shirt, _cream, phone = goods
    token = started(station_client, warehouse)
    accepted(scan(station_client, token, phone.sku))
    line = draft(station_client, token)["current"]
    accepted(scan(station_client, token, "S1"))
    accepted(scan(station_client, token, "S2"))
    refused(tap(station_client, token, line, action="quantity", quantity="5"), "serial")
    accepted(tap(station_client, token, line, action="remove_serial", serial="S1"))
    assert lines(station_client, token)[0][1] == 1
    assert lines(station_client, token)[0][5] == ["S2"]


def test_lot_without_expiry_cannot_be_completed_and_nothing_is_written(
    station_client, goods, assert_consistent
):
    warehouse, _shirt, cream, _phone = goods
    token = started(station_client, warehouse)
    accepted(scan(station_client, token, cream.sku))
    line = draft(station_client, token)["current"]
    accepted(tap(station_client, token, line, action="tracking", lot_number="L-1", expiry_date=""))

    response = complete(station_client, token, headers=HTMX)

    refused(response, "expiry date")
    assert not Receipt.objects.exists()
    assert not StockMovement.objects.exists()
    assert token in station_client.session["goods_in_drafts"]  # still there to fix

    refused(
        tap(station_client, token, line, action="tracking", lot_number="L-1", expiry_date=date_in(-1)),
        "passed",
    )
    refused(tap(station_client, token, line, action="tracking", lot_number="L-1", expiry_date="31.31.2030"))
    accepted(tap(station_client, token, line, action="tracking", lot_number="L-1", expiry_date=date_in(30)))
    assert complete(station_client, token).status_code == 302
    assert StockLot.objects.get(variant=cream).expiry_date == date_in(30)
    assert_consistent()


def test_a_serial_item_without_serials_cannot_be_completed(station_client, goods):
    warehouse, _shirt, _cream, phone = goods
    token = started(station_client, warehouse)
    accepted(scan(station_client, token, phone.sku))
    refused(complete(station_client, token, headers=HTMX), "serial")
    assert not Receipt.objects.exists()


@pytest.mark.parametrize(
    "data", [{"quantity": "0"}, {"quantity": "-3"}, {"quantity": "abc"}, {"step": "-1"}, {}]
)
def test_zero_negative_or_bad_quantities_are_refused(station_client, goods, data):
    warehouse, shirt, _cream, _phone = goods
    token = started(station_client, warehouse)
    accepted(scan(station_client, token, shirt.sku))
    line = draft(station_client, token)["current"]
    before = draft(station_client, token)

    refused(tap(station_client, token, line, action="quantity", **data))

    assert draft(station_client, token) == before


def test_completing_an_empty_receipt_is_refused(station_client, goods):
    warehouse, *_rest = goods
    token = started(station_client, warehouse)
    refused(complete(station_client, token, headers=HTMX), "Scan at least one item")
    assert not Receipt.objects.exists()


def test_a_refused_receipt_writes_nothing(station_client, goods, assert_consistent):
    """A serial that reached stock after it was scanned: receive_goods refuses the whole receipt."""
    warehouse, shirt, _cream, phone = goods
    token = started(station_client, warehouse)
    accepted(scan(station_client, token, shirt.sku))
    accepted(scan(station_client, token, phone.sku))
    accepted(scan(station_client, token, "IMEI-RACE"))
    stocked(1, variant=phone, warehouse=make_warehouse("ANK"), serials=["IMEI-RACE"])
    movements = StockMovement.objects.count()

    refused(complete(station_client, token, headers=HTMX), "IMEI-RACE")

    assert not Receipt.objects.exists()
    assert StockMovement.objects.count() == movements
    assert (
        not StockLevel.objects.filter(variant=shirt).exists()
        or StockLevel.objects.get(variant=shirt).on_hand == 0
    )
    assert_consistent()


def test_remove_line_and_discard(station_client, goods):
    warehouse, shirt, cream, _phone = goods
    token = started(station_client, warehouse)
    accepted(scan(station_client, token, shirt.sku))
    accepted(scan(station_client, token, cream.sku))
    cream_line = draft(station_client, token)["current"]
    accepted(tap(station_client, token, cream_line, action="remove"))
    assert [v for v, *_rest in lines(station_client, token)] == [shirt.pk]

    response = station_client.post(reverse("inventory:receiving_discard", args=[token]))

    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:receiving_station")
    assert token not in station_client.session["goods_in_drafts"]
    assert not Receipt.objects.exists()
    gone = station_client.get(reverse("inventory:receiving_draft", args=[token]))
    assert gone.status_code == 302
    assert gone["Location"] == reverse("inventory:receiving_station")


def test_pending_receipts_are_listed_on_the_start_screen(station_client, goods):
    warehouse, shirt, _cream, _phone = goods
    token = started(station_client, warehouse)
    accepted(scan(station_client, token, shirt.sku))
    response = station_client.get(reverse("inventory:receiving_station"))
    assert [d.token for d, _w, _po in response.context["drafts"]] == [token]
    assert reverse("inventory:receiving_draft", args=[token]) in response.content.decode()


def test_a_draft_whose_order_vanished_is_refused_and_can_be_discarded(station_client, goods):
    warehouse, shirt, _cream, _phone = goods
    order = open_order(warehouse, [(shirt, 2)])
    token = started(station_client, order=order)
    order.delete()

    page = station_client.get(reverse("inventory:receiving_draft", args=[token]), follow=True)
    assert page.redirect_chain == [(reverse("inventory:receiving_station"), 302)]
    assert "no longer exists" in page.content.decode()
    response = scan(station_client, token, shirt.sku)
    assert response["HX-Redirect"] == reverse("inventory:receiving_station")
    assert lines(station_client, token) == []

    start_page = station_client.get(reverse("inventory:receiving_station"))
    assert "no longer exists" in start_page.content.decode()
    assert reverse("inventory:receiving_discard", args=[token]) in start_page.content.decode()
    station_client.post(reverse("inventory:receiving_discard", args=[token]))
    assert token not in station_client.session["goods_in_drafts"]


# --- Completing once ------------------------------------------------------------------------------


def test_completing_twice_receives_once(station_client, goods, assert_consistent):
    warehouse, shirt, _cream, _phone = goods
    token = started(station_client, warehouse)
    accepted(scan(station_client, token, shirt.sku))
    first = complete(station_client, token)
    receipt = Receipt.objects.get()

    second = complete(station_client, token)  # a double submit after the first answer
    htmx_second = complete(station_client, token, headers=HTMX)

    summary = reverse("inventory:receiving_summary", args=[receipt.pk])
    assert (first.status_code, first["Location"]) == (302, summary)
    assert (second.status_code, second["Location"]) == (302, summary)
    assert htmx_second["HX-Redirect"] == summary
    assert Receipt.objects.count() == 1
    assert StockLevel.objects.get(variant=shirt, warehouse=warehouse).on_hand == 1
    assert_consistent()


def test_completing_the_same_draft_again_returns_the_first_receipt(goods, clerk):
    """Two requests that both still held the draft (two tabs, a retry): the second gets the first receipt."""
    warehouse, shirt, _cream, _phone = goods
    store = goods_in.DraftStore({}, clerk)
    draft_ = goods_in.start_draft(store=store, warehouse=warehouse)
    goods_in.scan(draft=draft_, code=shirt.sku)

    first, created = goods_in.complete_draft(draft=draft_, user=clerk)
    again, created_again = goods_in.complete_draft(draft=draft_, user=clerk)

    assert (created, created_again) == (True, False)
    assert again == first
    assert Receipt.objects.count() == 1
    assert IdempotencyRecord.objects.filter(key=draft_.token).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_completions_of_one_draft_receive_once(goods):
    warehouse, shirt, _cream, _phone = goods
    clerk = make_user(role="warehouse")
    store = goods_in.DraftStore({}, clerk)
    draft_ = goods_in.start_draft(store=store, warehouse=warehouse)
    goods_in.scan(draft=draft_, code=shirt.sku)
    barrier = threading.Barrier(4)
    results, lock = [], threading.Lock()

    def work():
        try:
            barrier.wait()
            receipt, created = goods_in.complete_draft(draft=draft_, user=clerk)
            with lock:
                results.append((receipt.pk, created))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == 4
    assert len({pk for pk, _c in results}) == 1
    assert sorted(created for _pk, created in results) == [False, False, False, True]
    assert Receipt.objects.count() == 1
    assert StockLevel.objects.get(variant=shirt, warehouse=warehouse).on_hand == 1


# --- receive_goods --------------------------------------------------------------------------------


def test_receive_goods_refuses_quarantine_bins(goods):
    warehouse, shirt, _cream, _phone = goods
    with pytest.raises(InvalidQuantity):
        receive_goods(warehouse=warehouse, lines=[ReceiptInput(shirt, 1, bin=bin_of(warehouse, "Q-00-00-0"))])
    assert not Receipt.objects.exists()
    assert not StockMovement.objects.exists()


def test_receive_goods_records_a_split_variant_variance_once(goods):
    warehouse, _shirt, cream, _phone = goods
    order = open_order(warehouse, [(cream, 10)])
    receipt = receive_goods(
        warehouse=warehouse,
        purchase_order=order,
        lines=[
            ReceiptInput(cream, 3, lot_number="A", expiry_date=date_in(50)),
            ReceiptInput(cream, 4, lot_number="B", expiry_date=date_in(60)),
        ],
    )
    assert [line.variance for line in receipt.lines.order_by("pk")] == [0, -3]
    assert sum(ReceiptLine.objects.filter(receipt=receipt).values_list("variance", flat=True)) == -3


# --- Demo -----------------------------------------------------------------------------------------


def test_demo_seeds_free_receipts_with_lots_expiry_and_serials(goods, admin_user, assert_consistent):
    make_variant(sku="TS-02")
    make_warehouse("ANK")

    def run():
        sid = transaction.savepoint_create()
        counts = seed_goods_in(random.Random(7), admin=admin_user)
        shape = sorted(
            (
                r.warehouse.code,
                line.variant.sku,
                line.quantity,
                line.bin.code,
                line.lot_number,
                str(line.expiry_date),
                tuple(line.serials),
            )
            for r in Receipt.objects.select_related("warehouse")
            for line in r.lines.select_related("variant", "bin")
        )
        assert_consistent()
        transaction.savepoint_rollback(sid)
        return counts, shape

    counts, shape = run()
    again = run()

    assert (counts, shape) == again  # deterministic
    assert counts["receipts"] == 6  # untracked, lots, serials in each of the two warehouses
    assert counts["receipt_lines"] == len(shape)
    assert {sku for _w, sku, *_rest in shape} >= {"KRM-01", "TEL-01"}
    assert all(lot and expiry != "None" for _w, sku, _q, _b, lot, expiry, _s in shape if sku == "KRM-01")
    assert all(
        len(serials) == quantity for _w, sku, quantity, _b, _l, _e, serials in shape if sku == "TEL-01"
    )
    assert all(bin_code != "Q-00-00-0" for _w, _s, _q, bin_code, *_rest in shape)
