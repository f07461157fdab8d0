"""The packing station over HTTP: full pages, htmx partials with scan feedback, PDFs."""

import json

import pytest
from django.urls import include, path, reverse
from django.utils import timezone

import fulfillment.urls
import fulfillment.urls_packing
import oms.urls
from fulfillment import packing
from fulfillment.models import Parcel, Shipment, ShipmentStatus
from fulfillment.shipments import close_manifest, hand_over
from tests.factories import make_user
from tests.fulfillment.test_packing import make_boxes, make_carrier, packed, packing_setup, pick

# Until the lead splices fulfillment.urls_packing into fulfillment/urls.py, this module does.
_wired = any(getattr(p, "name", None) == "packing" for p in fulfillment.urls.urlpatterns)
_fulfillment = (
    [*fulfillment.urls.urlpatterns, *([] if _wired else fulfillment.urls_packing.urlpatterns)],
    "fulfillment",
)
urlpatterns = [p for p in oms.urls.urlpatterns if not str(p.pattern).startswith("fulfillment/")] + [
    path("fulfillment/", include(_fulfillment))
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def packer(client):
    user = make_user(role="warehouse")
    client.force_login(user)
    return client


def _trigger(response) -> dict:
    return json.loads(response["HX-Trigger"])


def test_station_needs_the_fulfillment_role(client):
    client.force_login(make_user(role="finance"))
    assert client.get(reverse("fulfillment:packing")).status_code == 403


def test_start_page_lists_shipments_still_packing(packer, django_assert_max_num_queries):
    warehouse, (a,), order = packing_setup((1,))
    shipment = packing.start_packing(order.number, warehouse)
    for _i in range(3):
        from tests.orders.factories import make_channel, place

        packing.start_packing(place(make_channel(), [(a, 1)]).number, warehouse)
    with django_assert_max_num_queries(12):
        response = packer.get(reverse("fulfillment:packing"), {"warehouse": warehouse.pk})
    assert response.status_code == 200
    assert reverse("fulfillment:packing_station", args=[shipment.pk]) in response.content.decode()
    assert response.content.decode().count("Continue") + response.content.decode().count("Devam") >= 4


def test_scanning_a_tote_opens_the_station(packer):
    warehouse, _v, order = packing_setup((1,))
    pick(order, tote="T-33")
    response = packer.post(reverse("fulfillment:packing"), {"warehouse": warehouse.pk, "code": "T-33"})
    shipment = Shipment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("fulfillment:packing_station", args=[shipment.pk])
    page = packer.get(response["Location"])
    assert page.status_code == 200
    assert order.number in page.content.decode()
    assert "data-scan" in page.content.decode()


def test_htmx_start_redirects_with_hx_redirect_and_unknown_code_is_red(packer):
    warehouse, _v, order = packing_setup((1,))
    ok = packer.post(reverse("fulfillment:packing"), {"warehouse": warehouse.pk, "code": order.number}, **HX)
    assert ok.status_code == 204
    assert ok["HX-Redirect"] == reverse("fulfillment:packing_station", args=[Shipment.objects.get().pk])
    bad = packer.post(reverse("fulfillment:packing"), {"warehouse": warehouse.pk, "code": "NOPE"}, **HX)
    assert bad.status_code == 422
    assert "scan-error" in _trigger(bad)
    assert "NOPE" in bad.content.decode()


def test_scan_answers_green_then_red_for_a_wrong_item(packer):
    warehouse, (a,), order = packing_setup((2,))
    shipment = packing.start_packing(order.number, warehouse)
    url = reverse("fulfillment:packing_scan", args=[shipment.pk])
    first = packer.post(url, {"code": a.sku}, **HX)
    assert first.status_code == 200
    assert "scan-ok" in _trigger(first)
    body = first.content.decode()
    assert body.lstrip().startswith('<div id="station-body"')  # the partial only
    assert "1/2" in body
    wrong = packer.post(url, {"code": "XYZ-404"}, **HX)
    assert wrong.status_code == 422
    assert "scan-error" in _trigger(wrong)
    assert "XYZ-404" in wrong.content.decode()
    assert shipment.lines.get().quantity_verified == 1


def test_scan_without_htmx_redirects_with_a_message(packer):
    warehouse, (a,), order = packing_setup((1,))
    shipment = packing.start_packing(order.number, warehouse)
    response = packer.post(
        reverse("fulfillment:packing_scan", args=[shipment.pk]), {"code": a.sku}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("fulfillment:packing_station", args=[shipment.pk])
    assert shipment.lines.get().quantity_verified == 1


def test_station_shows_the_suggested_box(packer):
    make_boxes()
    warehouse, _v, order = packing_setup((2,))
    shipment = packing.start_packing(order.number, warehouse)
    body = packer.get(reverse("fulfillment:packing_station", args=[shipment.pk])).content.decode()
    assert "Small (S" in body


def test_parcel_form_refuses_zero_weight_and_adds_a_measured_parcel(packer):
    warehouse, _v, order = packing_setup((1,))
    shipment = packing.start_packing(order.number, warehouse)
    url = reverse("fulfillment:packing_parcel", args=[shipment.pk])
    zero = packer.post(url, {"length_cm": "30", "width_cm": "20", "height_cm": "10", "weight_kg": "0"}, **HX)
    assert zero.status_code == 422
    assert "scan-error" in _trigger(zero)
    assert not Parcel.objects.exists()
    ok = packer.post(url, {"length_cm": "30", "width_cm": "20", "height_cm": "10", "weight_kg": "1,5"}, **HX)
    assert ok.status_code == 200
    parcel = Parcel.objects.get()
    assert (str(parcel.weight_kg), str(parcel.desi)) == ("1.500", "2.00")
    removed = packer.post(reverse("fulfillment:packing_parcel_remove", args=[shipment.pk, parcel.pk]), **HX)
    assert removed.status_code == 200
    assert not Parcel.objects.exists()


def test_close_gives_label_and_packing_slip_links_and_pdfs(packer):
    warehouse, (a,), order = packing_setup((1,))
    carrier = make_carrier()
    shipment = packing.start_packing(order.number, warehouse)
    packer.post(reverse("fulfillment:packing_scan", args=[shipment.pk]), {"code": a.sku}, **HX)
    packer.post(
        reverse("fulfillment:packing_parcel", args=[shipment.pk]),
        {"length_cm": "30", "width_cm": "20", "height_cm": "10", "weight_kg": "1"},
        **HX,
    )
    response = packer.post(
        reverse("fulfillment:packing_close", args=[shipment.pk]), {"carrier": carrier.pk}, **HX
    )
    assert response.status_code == 200
    assert "scan-ok" in _trigger(response)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.CREATED
    body = response.content.decode()
    label_url = reverse("fulfillment:packing_label", args=[shipment.pk])
    slip_url = reverse("fulfillment:packing_slip", args=[shipment.pk])
    assert label_url in body
    assert slip_url in body
    assert shipment.tracking_number in body
    label = packer.get(label_url)
    assert label["Content-Type"] == "application/pdf"
    assert label.content.startswith(b"%PDF-")
    assert packer.get(slip_url).content.startswith(b"%PDF-")
    # Printing the label moves the shipment on, once: a reprint is not a second event.
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.LABEL_PRINTED
    assert packer.get(label_url).content.startswith(b"%PDF-")
    assert shipment.events.filter(name="shipment.label_printed").count() == 1


def test_close_refused_by_the_carrier_shows_the_reason(packer):
    warehouse, (a,), order = packing_setup((1,))
    refusing = make_carrier("test_refusing")
    shipment = packing.start_packing(order.number, warehouse)
    packing.verify_item(shipment, a.sku)
    packing.add_parcel(shipment, dims=(10, 10, 10), weight_kg=1)
    response = packer.post(
        reverse("fulfillment:packing_close", args=[shipment.pk]), {"carrier": refusing.pk}, **HX
    )
    assert response.status_code == 422
    assert "Alıcı adresi eksik" in response.content.decode()
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PACKING
    assert shipment.problems.filter(kind="label").count() == 1


def test_manifest_pdf_and_csv_downloads(packer):
    warehouse, _v, order = packing_setup((1,))
    carrier = make_carrier()
    shipment = packed(order, warehouse, carrier=carrier)
    hand_over([shipment.pk])
    manifest = close_manifest(carrier, warehouse, timezone.localdate())
    pdf = packer.get(reverse("fulfillment:manifest_pdf", args=[manifest.pk]))
    assert pdf.content.startswith(b"%PDF-")
    csv = packer.get(reverse("fulfillment:manifest_csv", args=[manifest.pk]))
    assert shipment.tracking_number in b"".join(csv.streaming_content).decode("utf-8")
