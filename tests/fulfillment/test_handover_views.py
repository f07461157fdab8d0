"""The dock's hand-over screen over HTTP: waiting list, scanning into the loading list, hand-over and
closing the day's manifest, with real shipments made by the packing services."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fulfillment.models import Manifest, Shipment, ShipmentStatus
from fulfillment.shipments import hand_over
from inventory.models import MovementKind, StockLevel, StockMovement
from tests.factories import make_user
from tests.fulfillment.test_packing import make_carrier, packed, packing_setup
from tests.inventory.factories import make_warehouse
from tests.orders.factories import make_channel, place

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
PAGE = "fulfillment:handover"


@pytest.fixture
def dock(client):
    client.force_login(make_user(role="warehouse", language="en"))
    return client


@pytest.fixture
def truck():
    """Two labelled shipments of one carrier in one warehouse (the first cash on delivery)."""
    warehouse, (a,), order = packing_setup((1,), payment_method="cash_on_delivery")
    carrier = make_carrier()
    first = packed(order, warehouse, carrier=carrier)
    second = packed(place(make_channel(), [(a, 2)]), warehouse, carrier=carrier, tote="T-02")
    return warehouse, carrier, a, first, second


def _trigger(response) -> dict:
    return json.loads(response["HX-Trigger"])


def _scan(client, warehouse, carrier, code, loaded=(), **extra):
    data = {
        "warehouse": warehouse.pk,
        "carrier": carrier.pk,
        "code": code,
        "shipment": [s.pk for s in loaded],
    }
    return client.post(reverse("fulfillment:handover_scan"), data, **extra)


def _loaded_ids(response) -> list[int]:
    html = response.content.decode()
    return [int(part.split('"')[0]) for part in html.split('name="shipment" value="')[1:]]


def test_page_lists_the_shipments_waiting_per_carrier_with_constant_queries(
    dock, truck, django_assert_max_num_queries
):
    warehouse, carrier, a, first, second = truck
    other_carrier = make_carrier()
    for n in range(4):
        packed(place(make_channel(), [(a, 1)]), warehouse, carrier=other_carrier, tote=f"T-1{n}")
    gone = packed(place(make_channel(), [(a, 1)]), warehouse, carrier=carrier, tote="T-20")
    hand_over([gone.pk])
    with django_assert_max_num_queries(12):
        response = dock.get(reverse(PAGE), {"warehouse": warehouse.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert first.number in html
    assert second.number in html
    assert gone.number not in html  # handed over: not waiting any more
    assert first.order.number in html
    assert first.order.ship_city in html
    assert carrier.name in html
    assert other_carrier.name in html
    with django_assert_max_num_queries(12):
        chosen = dock.get(reverse(PAGE), {"warehouse": warehouse.pk, "carrier": carrier.pk})
    html = chosen.content.decode()
    assert "data-scan" in html
    assert first.number in html
    assert Shipment.objects.filter(carrier=other_carrier).first().number not in html


def test_scan_adds_the_shipment_by_tracking_number_shipment_number_or_parcel_barcode(dock, truck):
    warehouse, carrier, _a, first, second = truck
    by_tracking = _scan(dock, warehouse, carrier, first.tracking_number, **HX)
    assert by_tracking.status_code == 200
    assert "scan-ok" in _trigger(by_tracking)
    assert 'id="loading"' in by_tracking.content.decode()
    assert "<html" not in by_tracking.content.decode()  # only the partial
    assert _loaded_ids(by_tracking) == [first.pk]

    parcel_code = second.parcels.get().barcode
    by_parcel = _scan(dock, warehouse, carrier, parcel_code, loaded=[first], **HX)
    assert _loaded_ids(by_parcel) == [first.pk, second.pk]

    again = _scan(dock, warehouse, carrier, second.number.lower(), loaded=[first, second], **HX)
    assert again.status_code == 200
    assert _loaded_ids(again) == [first.pk, second.pk]  # the same shipment is not counted twice


@pytest.mark.parametrize("case", ["unknown", "other_warehouse", "other_carrier", "handed_over", "cancelled"])
def test_scan_refuses_what_does_not_belong_on_this_truck(dock, truck, case):
    warehouse, carrier, _a, first, second = truck
    code = second.tracking_number
    if case == "unknown":
        code = "NO-SUCH-LABEL"
    elif case == "other_warehouse":
        Shipment.objects.filter(pk=second.pk).update(warehouse=make_warehouse("ANK"))
    elif case == "other_carrier":
        Shipment.objects.filter(pk=second.pk).update(carrier=make_carrier())
    elif case == "handed_over":
        hand_over([second.pk])
    elif case == "cancelled":
        Shipment.objects.filter(pk=second.pk).update(status=ShipmentStatus.CANCELLED)
    response = _scan(dock, warehouse, carrier, code, loaded=[first], **HX)
    assert response.status_code == 422
    assert "scan-error" in _trigger(response)
    html = response.content.decode()
    assert "station-feedback error" in html
    assert (code if case == "unknown" else second.number) in _trigger(response)["scan-error"]["message"]
    assert _loaded_ids(response) == [first.pk]  # the list so far survives a refusal


def test_remove_takes_a_shipment_off_the_list(dock, truck):
    warehouse, carrier, _a, first, second = truck
    response = dock.post(
        reverse("fulfillment:handover_scan"),
        {
            "warehouse": warehouse.pk,
            "carrier": carrier.pk,
            "shipment": [first.pk, second.pk],
            "remove": first.pk,
        },
        **HX,
    )
    assert response.status_code == 200
    assert _loaded_ids(response) == [second.pk]


def test_hand_over_consumes_stock_ships_the_orders_and_says_so(dock, truck):
    warehouse, carrier, a, first, second = truck
    response = dock.post(
        reverse("fulfillment:handover_submit"),
        {"warehouse": warehouse.pk, "carrier": carrier.pk, "shipment": [first.pk, second.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse(PAGE)}?warehouse={warehouse.pk}&carrier={carrier.pk}"
    for shipment in (first, second):
        shipment.refresh_from_db()
        assert shipment.status == ShipmentStatus.HANDED_OVER
        assert shipment.order.status == "shipped"
    moves = StockMovement.objects.filter(kind=MovementKind.SALE, variant=a)
    assert sorted(moves.values_list("reference", "on_hand_delta")) == sorted(
        [(first.number, -1), (second.number, -2)]
    )
    level = StockLevel.objects.get(variant=a, warehouse=warehouse)
    assert (level.on_hand, level.reserved) == (7, 0)
    page = dock.get(response["Location"])
    assert f"2 shipments handed over to {carrier.name}" in page.content.decode()


def test_htmx_hand_over_redirects_the_whole_page(dock, truck):
    warehouse, carrier, _a, first, _second = truck
    response = dock.post(
        reverse("fulfillment:handover_submit"),
        {"warehouse": warehouse.pk, "carrier": carrier.pk, "shipment": [first.pk]},
        **HX,
    )
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse(PAGE))
    first.refresh_from_db()
    assert first.status == ShipmentStatus.HANDED_OVER


def test_one_illegal_shipment_in_the_batch_hands_over_nothing(dock, truck):
    warehouse, carrier, _a, first, second = truck
    hand_over([second.pk])  # another tablet was quicker
    before = StockMovement.objects.count()
    order_status = first.order.status
    response = dock.post(
        reverse("fulfillment:handover_submit"),
        {"warehouse": warehouse.pk, "carrier": carrier.pk, "shipment": [first.pk, second.pk]},
    )
    assert response.status_code == 422
    assert second.number in response.content.decode()  # the refusal names the culprit
    assert _loaded_ids(response) == [first.pk, second.pk]  # the load is kept to fix and retry
    first.refresh_from_db()
    assert first.status == ShipmentStatus.CREATED
    first.order.refresh_from_db()
    assert first.order.status == order_status != "shipped"
    assert StockMovement.objects.count() == before


def test_hand_over_refuses_a_shipment_of_another_carrier_posted_by_hand(dock, truck):
    warehouse, carrier, _a, first, second = truck
    Shipment.objects.filter(pk=second.pk).update(carrier=make_carrier())
    response = dock.post(
        reverse("fulfillment:handover_submit"),
        {"warehouse": warehouse.pk, "carrier": carrier.pk, "shipment": [first.pk, second.pk]},
    )
    assert response.status_code == 422
    assert Shipment.objects.filter(status=ShipmentStatus.HANDED_OVER).count() == 0


def test_close_manifest_counts_parcels_and_cod_and_a_second_close_finds_nothing(dock, truck):
    warehouse, carrier, _a, first, second = truck
    hand_over([first.pk, second.pk])
    url = reverse("fulfillment:handover_close_manifest")
    response = dock.post(url, {"warehouse": warehouse.pk, "carrier": carrier.pk})
    assert response.status_code == 302
    manifest = Manifest.objects.get()
    assert (manifest.carrier, manifest.warehouse, manifest.day) == (carrier, warehouse, timezone.localdate())
    assert manifest.parcel_count == 2
    assert manifest.cod_total == first.order.grand_total > Decimal(0)
    assert set(manifest.shipments.values_list("pk", flat=True)) == {first.pk, second.pk}
    page = dock.get(response["Location"]).content.decode()
    assert manifest.number in page
    assert reverse("fulfillment:manifest_pdf", args=[manifest.pk]) in page

    again = dock.post(url, {"warehouse": warehouse.pk, "carrier": carrier.pk}, follow=True)
    assert Manifest.objects.count() == 1
    assert any(m.level_tag == "error" for m in again.context["messages"])


@pytest.mark.parametrize(
    ("name", "method"),
    [(PAGE, "get"), ("fulfillment:handover_scan", "post"), ("fulfillment:handover_submit", "post")],
)
def test_the_screen_needs_fulfillment_access(client, name, method):
    url = reverse(name)
    assert getattr(client, method)(url).status_code == 302  # anonymous: to the login page
    client.force_login(make_user(role="finance"))
    assert getattr(client, method)(url).status_code == 403


def test_posts_need_the_csrf_token(truck):
    from django.test import Client

    warehouse, carrier, _a, first, _second = truck
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(role="warehouse", language="en"))
    response = client.post(
        reverse("fulfillment:handover_submit"),
        {"warehouse": warehouse.pk, "carrier": carrier.pk, "shipment": [first.pk]},
    )
    assert response.status_code == 403
    first.refresh_from_db()
    assert first.status == ShipmentStatus.CREATED
