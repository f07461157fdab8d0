"""Transfers in the panel: request with htmx SKU search, ship, receive (shortfalls), cancel, refusals."""

import random
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import constants as message_levels
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import (
    Bin,
    MovementKind,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockLot,
    StockMovement,
    Tracking,
    Transfer,
    TransferStatus,
)
from inventory.services import add_stock
from inventory.transfers import receive_transfer, request_transfer, ship_transfer
from tests.inventory.factories import make_product, make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture
def clerk(user_factory):
    return user_factory(role="warehouse", username="sevkiyat", language="en")


@pytest.fixture
def clerk_client(clerk):
    client = Client()
    client.force_login(clerk)
    return client


def level(variant, warehouse) -> StockLevel | None:
    return StockLevel.objects.filter(variant=variant, warehouse=warehouse).first()


def figures(variant, warehouse) -> tuple[int, int]:
    found = level(variant, warehouse)
    return (found.on_hand, found.reserved) if found else (0, 0)


def errors(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level == message_levels.ERROR]


# --- Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["warehouse", "operator"])
def test_warehouse_and_operators_transfer(client, user_factory, role):
    istanbul, ankara = make_warehouse("IST"), make_warehouse("ANK")
    shirt, _w = stocked(5, warehouse=istanbul)
    transfer = request_transfer(source=istanbul, destination=ankara, lines=[(shirt, 2)])
    client.force_login(user_factory(role=role))
    for url in (
        reverse("inventory:transfers"),
        reverse("inventory:transfer_request"),
        reverse("inventory:transfer", args=[transfer.pk]),
    ):
        assert client.get(url).status_code == 200, url
    assert client.post(reverse("inventory:transfer_ship", args=[transfer.pk])).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.SHIPPED


def test_finance_gets_403(client, user_factory):
    istanbul, ankara = make_warehouse(), make_warehouse()
    shirt, _w = stocked(5, warehouse=istanbul)
    transfer = request_transfer(source=istanbul, destination=ankara, lines=[(shirt, 2)])
    client.force_login(user_factory(role="finance"))
    for url in (
        reverse("inventory:transfers"),
        reverse("inventory:transfer_request"),
        reverse("inventory:transfer", args=[transfer.pk]),
        reverse("inventory:transfer_sku_search") + "?q=SKU",
    ):
        assert client.get(url).status_code == 403, url
    for name in ("transfer_ship", "transfer_cancel", "transfer_receive"):
        assert client.post(reverse(f"inventory:{name}", args=[transfer.pk])).status_code == 403
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REQUESTED


def test_read_only_inventory_users_see_no_action_buttons(client, user_factory):
    from django.contrib.auth.models import Permission

    viewer = user_factory()
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="oms", codename="access_inventory")
    )
    client.force_login(viewer)
    istanbul, ankara = make_warehouse(), make_warehouse()
    shirt, _w = stocked(5, warehouse=istanbul)
    transfer = request_transfer(source=istanbul, destination=ankara, lines=[(shirt, 2)])
    html = client.get(reverse("inventory:transfer", args=[transfer.pk])).content.decode()
    assert reverse("inventory:transfer_ship", args=[transfer.pk]) not in html
    assert (
        reverse("inventory:transfer_request")
        not in client.get(reverse("inventory:transfers")).content.decode()
    )
    assert client.post(reverse("inventory:transfer_ship", args=[transfer.pk])).status_code == 403


# --- The whole journey over HTTP ------------------------------------------------------------------


def test_transfer_flow_over_http(clerk_client, clerk, assert_consistent):
    istanbul, ankara = make_warehouse("IST"), make_warehouse("ANK", province=6)
    cream = make_variant(make_product(name="Nemlendirici", tracking=Tracking.LOT, expiry=True), sku="CREAM-7")
    add_stock(variant=cream, warehouse=istanbul, quantity=6, lot_number="K7", expiry_date=date(2027, 3, 1))
    add_stock(variant=cream, warehouse=istanbul, quantity=6, lot_number="K9", expiry_date=date(2027, 9, 1))
    shirt, _w = stocked(10, variant=make_variant(sku="SHIRT-9"), warehouse=istanbul)

    # The SKU search shows what the source has available; "Add" brings a row.
    found = clerk_client.get(
        reverse("inventory:transfer_sku_search"), {"q": "cream", "source": istanbul.pk}, headers=HX
    )
    assert [(v.sku, v.available) for v in found.context["results"]] == [("CREAM-7", 12)]
    assert "12 available at IST" in found.content.decode()
    row = clerk_client.get(
        reverse("inventory:transfer_line_row"), {"variant": cream.pk, "source": istanbul.pk}, headers=HX
    )
    assert row.content.decode().lstrip().startswith("<tr")
    assert f'name="variant" value="{cream.pk}"' in row.content.decode()

    # request: reserved at the source
    response = clerk_client.post(
        reverse("inventory:transfer_request"),
        {
            "source": istanbul.pk,
            "destination": ankara.pk,
            "note": "Haftalık",
            "variant": [cream.pk, shirt.pk],
            "quantity": ["8", "3"],
        },
    )
    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:transfer", args=[transfer.pk])
    assert (transfer.status, transfer.created_by, transfer.note) == (
        TransferStatus.REQUESTED,
        clerk,
        "Haftalık",
    )
    assert figures(cream, istanbul) == (12, 8)
    assert figures(shirt, istanbul) == (10, 3)
    detail = clerk_client.get(reverse("inventory:transfer", args=[transfer.pk]))
    assert [(line.reserved, line.available) for line in detail.context["lines"]] == [(8, 4), (3, 7)]

    # ship: out of the source (FEFO: K7 first), in transit
    assert clerk_client.post(reverse("inventory:transfer_ship", args=[transfer.pk])).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.SHIPPED
    assert figures(cream, istanbul) == (4, 0)
    cream_line = transfer.lines.get(variant=cream)
    assert [(lot["lot_number"], lot["quantity"]) for lot in cream_line.shipped_lots] == [("K7", 6), ("K9", 2)]
    listing = clerk_client.get(reverse("inventory:transfers"))
    assert [(row["code"], row["units"], row["value"]) for row in listing.context["in_transit"]] == [
        ("ANK", 11, Decimal("660.00"))
    ]
    shipped_page = clerk_client.get(reverse("inventory:transfer", args=[transfer.pk])).content.decode()
    assert "K7" in shipped_page
    assert "K9" in shipped_page

    # receive: the shirts arrive one short, into a chosen bin
    shirt_line = transfer.lines.get(variant=shirt)
    received = clerk_client.post(
        reverse("inventory:transfer_receive", args=[transfer.pk]),
        {f"received_{cream_line.pk}": 8, f"received_{shirt_line.pk}": 2, "bin": "b-01-01-1"},
    )
    assert received.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    assert figures(cream, ankara) == (8, 0)
    assert figures(shirt, ankara) == (2, 0)
    lots = StockLot.objects.filter(warehouse=ankara, variant=cream).order_by("lot_number")
    assert [(lot.lot_number, lot.expiry_date, lot.quantity, lot.bin.code) for lot in lots] == [
        ("K7", date(2027, 3, 1), 6, "B-01-01-1"),
        ("K9", date(2027, 9, 1), 2, "B-01-01-1"),
    ]
    shirt_line.refresh_from_db()
    assert (shirt_line.quantity, shirt_line.quantity_received) == (3, 2)
    page = clerk_client.get(reverse("inventory:transfer", args=[transfer.pk]))
    assert page.context["shortfall"] == 1
    assert "1 unit did not arrive" in page.content.decode()
    kinds = set(StockMovement.objects.filter(reference=transfer.number).values_list("kind", flat=True))
    assert kinds == {MovementKind.TRANSFER_OUT, MovementKind.TRANSFER_IN}
    assert clerk_client.get(reverse("inventory:transfers")).context["in_transit"] == []
    assert_consistent()


def test_receive_defaults_to_everything_shipped(clerk_client, assert_consistent):
    istanbul, izmir = make_warehouse(), make_warehouse(province=35)
    phone = make_variant(make_product(tracking=Tracking.SERIAL))
    add_stock(variant=phone, warehouse=istanbul, quantity=2, serials=["S1", "S2"])
    transfer = request_transfer(source=istanbul, destination=izmir, lines=[(phone, 2)])
    ship_transfer(transfer=transfer)
    page = clerk_client.get(reverse("inventory:transfer", args=[transfer.pk]))
    line = transfer.lines.get()
    assert page.context["receive_form"][f"received_{line.pk}"].value() == 2
    clerk_client.post(reverse("inventory:transfer_receive", args=[transfer.pk]), {f"received_{line.pk}": 2})
    assert sorted(StockLot.objects.filter(warehouse=izmir, quantity=1).values_list("serial", flat=True)) == [
        "S1",
        "S2",
    ]
    assert_consistent()


# --- Refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"same": True}, "destination"),
        ({"quantity": ["0"]}, "__all__"),
        ({"quantity": ["-2"]}, "__all__"),
        ({"quantity": ["abc"]}, "__all__"),
        ({"variant": [], "quantity": []}, "__all__"),
    ],
)
def test_bad_request_is_422_and_reserves_nothing(clerk_client, extra, field):
    istanbul, ankara = make_warehouse(), make_warehouse()
    shirt, _w = stocked(5, warehouse=istanbul)
    data = {
        "source": istanbul.pk,
        "destination": istanbul.pk if extra.pop("same", False) else ankara.pk,
        "variant": [shirt.pk],
        "quantity": ["2"],
        **extra,
    }
    response = clerk_client.post(reverse("inventory:transfer_request"), data)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not Transfer.objects.exists()
    assert figures(shirt, istanbul) == (5, 0)


def test_not_enough_available_is_shown_per_line(clerk_client):
    istanbul, ankara = make_warehouse("IST"), make_warehouse("ANK")
    shirt, _w = stocked(2, variant=make_variant(sku="SHIRT-2"), warehouse=istanbul)
    mug, _w = stocked(9, variant=make_variant(sku="MUG-2"), warehouse=istanbul)
    response = clerk_client.post(
        reverse("inventory:transfer_request"),
        {
            "source": istanbul.pk,
            "destination": ankara.pk,
            "variant": [shirt.pk, mug.pk],
            "quantity": ["3", "4"],
        },
    )
    assert response.status_code == 422
    rows = {row["variant"].sku: row for row in response.context["form"].rows}
    assert rows["SHIRT-2"]["error"] == "3 wanted, 2 available at IST."
    assert rows["MUG-2"]["error"] == ""
    assert (rows["SHIRT-2"]["quantity"], rows["MUG-2"]["available"]) == (
        "3",
        9,
    )  # the form comes back as typed
    assert "nothing was reserved" in response.content.decode()
    assert not Transfer.objects.exists()
    assert figures(shirt, istanbul) == (2, 0)
    assert figures(mug, istanbul) == (9, 0)


def test_the_same_product_twice_is_one_line(clerk_client):
    istanbul, ankara = make_warehouse(), make_warehouse()
    shirt, _w = stocked(9, warehouse=istanbul)
    clerk_client.post(
        reverse("inventory:transfer_request"),
        {
            "source": istanbul.pk,
            "destination": ankara.pk,
            "variant": [shirt.pk, shirt.pk],
            "quantity": ["2", "3"],
        },
    )
    assert list(Transfer.objects.get().lines.values_list("quantity", flat=True)) == [5]
    assert figures(shirt, istanbul) == (9, 5)


def test_illegal_transitions_are_clear_messages(clerk_client, assert_consistent):
    istanbul, ankara = make_warehouse(), make_warehouse()
    shirt, _w = stocked(5, warehouse=istanbul)
    transfer = request_transfer(source=istanbul, destination=ankara, lines=[(shirt, 2)])
    url = reverse("inventory:transfer", args=[transfer.pk])
    back = {"headers": {"Referer": f"http://testserver{url}"}, "follow": True}

    not_shipped = clerk_client.post(reverse("inventory:transfer_receive", args=[transfer.pk]), **back)
    assert errors(not_shipped) == ["Cannot go from “Requested” to “Received”."]

    ship_transfer(transfer=transfer)
    shipped_again = clerk_client.post(reverse("inventory:transfer_ship", args=[transfer.pk]), **back)
    assert errors(shipped_again) == [f"Transfer {transfer.number} is already in transit."]
    too_late = clerk_client.post(reverse("inventory:transfer_cancel", args=[transfer.pk]), **back)
    assert errors(too_late) == [
        f"Transfer {transfer.number} is in transit: only a transfer that has not shipped can be cancelled."
    ]

    line = transfer.lines.get()
    receive_transfer(transfer=transfer)
    twice = clerk_client.post(
        reverse("inventory:transfer_receive", args=[transfer.pk]), {f"received_{line.pk}": 2}, **back
    )
    assert errors(twice) == [f"Transfer {transfer.number} is already received."]
    assert figures(shirt, ankara) == (2, 0)
    assert StockMovement.objects.filter(kind=MovementKind.TRANSFER_IN).count() == 1
    assert_consistent()


@pytest.mark.parametrize(
    ("data", "field"), [({"qty": 6}, "received_"), ({"qty": -1}, "received_"), ({"bin": "Z-9"}, "bin")]
)
def test_bad_receipt_is_422_and_books_nothing(clerk_client, data, field):
    istanbul, ankara = make_warehouse(), make_warehouse()
    shirt, _w = stocked(5, warehouse=istanbul)
    transfer = request_transfer(source=istanbul, destination=ankara, lines=[(shirt, 5)])
    ship_transfer(transfer=transfer)
    line = transfer.lines.get()
    response = clerk_client.post(
        reverse("inventory:transfer_receive", args=[transfer.pk]),
        {f"received_{line.pk}": data.get("qty", 5), "bin": data.get("bin", "")},
    )
    assert response.status_code == 422
    name = f"received_{line.pk}" if field == "received_" else field
    assert name in response.context["receive_form"].errors
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.SHIPPED
    assert level(shirt, ankara) is None


def test_cancel_releases_the_reservation(clerk_client, assert_consistent):
    istanbul, ankara = make_warehouse(), make_warehouse()
    shirt, _w = stocked(5, warehouse=istanbul)
    transfer = request_transfer(source=istanbul, destination=ankara, lines=[(shirt, 4)])
    assert clerk_client.post(reverse("inventory:transfer_cancel", args=[transfer.pk])).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.CANCELLED
    assert figures(shirt, istanbul) == (5, 0)
    assert Reservation.objects.get().status == ReservationStatus.RELEASED
    assert_consistent()


# --- List -----------------------------------------------------------------------------------------


def test_list_filters_and_in_transit_summary(clerk_client):
    istanbul, ankara, izmir = make_warehouse("IST"), make_warehouse("ANK"), make_warehouse("IZM")
    shirt, _w = stocked(20, variant=make_variant(cost_price=Decimal("10.00")), warehouse=istanbul)
    to_ankara = request_transfer(source=istanbul, destination=ankara, lines=[(shirt, 3)])
    to_izmir = request_transfer(source=istanbul, destination=izmir, lines=[(shirt, 4)])
    waiting = request_transfer(source=istanbul, destination=izmir, lines=[(shirt, 1)])
    ship_transfer(transfer=to_ankara)
    ship_transfer(transfer=to_izmir)

    def numbers(**params):
        return [t.number for t in clerk_client.get(reverse("inventory:transfers"), params).context["page"]]

    assert numbers() == [waiting.number, to_izmir.number, to_ankara.number]
    assert numbers(status="shipped") == [to_izmir.number, to_ankara.number]
    assert numbers(destination=izmir.pk) == [waiting.number, to_izmir.number]
    assert numbers(source=ankara.pk) == []
    response = clerk_client.get(reverse("inventory:transfers"))
    summary = [(r["code"], r["units"], r["value"], r["transfers"]) for r in response.context["in_transit"]]
    assert sorted(summary) == [("ANK", 3, Decimal("30.00"), 1), ("IZM", 4, Decimal("40.00"), 1)]
    row = next(t for t in response.context["page"] if t.pk == to_izmir.pk)
    assert (row.line_count, row.units) == (1, 4)
    partial = clerk_client.get(reverse("inventory:transfers"), {"status": "shipped"}, headers=HX)
    assert partial.content.decode().lstrip().startswith('<div id="results"')
    assert "in_transit" not in partial.context


def test_list_query_count_does_not_grow_with_rows(clerk_client, django_assert_max_num_queries):
    istanbul, ankara = make_warehouse(), make_warehouse()
    variants = [stocked(100, warehouse=istanbul)[0] for _ in range(2)]
    for _ in range(2):
        request_transfer(source=istanbul, destination=ankara, lines=[(v, 1) for v in variants])
    with CaptureQueriesContext(connection) as few:
        clerk_client.get(reverse("inventory:transfers"))
    for i in range(30):
        transfer = request_transfer(source=istanbul, destination=ankara, lines=[(v, 1) for v in variants])
        if i % 2:
            ship_transfer(transfer=transfer)
    with django_assert_max_num_queries(len(few)) as many:
        response = clerk_client.get(reverse("inventory:transfers"))
    assert len(response.context["page"]) == 32
    assert len(many) == len(few)


# --- Demo -----------------------------------------------------------------------------------------


def test_demo_transfers(admin_user, assert_consistent):
    from inventory.demo import seed_inventory
    from inventory.demo_transfers import seed_transfers

    seed_inventory(random.Random(5), admin=admin_user, scale=0.05)
    made = seed_transfers(random.Random(5), admin=admin_user)
    statuses = sorted(Transfer.objects.values_list("status", flat=True))
    assert made["transfers"] == len(statuses) >= 4
    assert {
        TransferStatus.REQUESTED,
        TransferStatus.SHIPPED,
        TransferStatus.RECEIVED,
        TransferStatus.CANCELLED,
    } <= set(statuses)
    assert made["in_transit_units"] > 0
    assert Bin.objects.exists()
    assert_consistent()
