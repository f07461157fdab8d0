"""Labels, packing slips, manifests and the Code 128 drawn for them."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import localize

from fulfillment import documents
from fulfillment.documents import code128_modules, code128_svg, code128_values
from fulfillment.shipments import close_manifest, hand_over
from tests.fulfillment.test_packing import make_carrier, packed, packing_setup, pick, verify_all


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the services speak the active language, Turkish by default)."""
    with translation.override("en"):
        yield


START_B = "11010010000"  # value 104, widths 211214
STOP = "1100011101011"  # value 106, widths 2331112
CHAR_A = "10100011000"  # 'A' = value 33, widths 111323
CHAR_1 = "10011100110"  # '1' = value 17, widths 123122
CHECK_68 = "10000100110"  # value 68, widths 141221


def test_code128_encodes_a_known_string():
    # "A1": start B (104) + 1*33 + 2*17 = 171; 171 mod 103 = 68.
    assert code128_values("A1") == [104, 33, 17, 68, 106]
    assert code128_modules("A1") == START_B + CHAR_A + CHAR_1 + CHECK_68 + STOP


def test_code128_checksum_of_a_longer_code():
    # PJJ123C: 104 + 48 + 2*42 + 3*42 + 4*17 + 5*18 + 6*19 + 7*35 = 879; 879 mod 103 = 55.
    values = code128_values("PJJ123C")
    assert values[-2] == 55
    modules = code128_modules("PJJ123C")
    assert len(modules) == 11 * (len(values) - 1) + 13  # every symbol 11 modules, stop 13
    assert modules.startswith(START_B)
    assert modules.endswith(STOP)


def test_every_symbol_is_eleven_modules_and_unique():
    patterns = [documents._modules(w) for w in documents._WIDTHS[:106]]
    assert all(len(p) == 11 for p in patterns)
    assert len(set(patterns)) == 106


def test_code128_refuses_what_it_cannot_encode():
    with pytest.raises(ValueError, match="cannot encode"):
        code128_values("ÇÖ")
    with pytest.raises(ValueError, match="nothing"):
        code128_values("")


def test_svg_draws_one_rect_per_bar():
    svg = str(code128_svg("A1"))
    bars = sum(
        1
        for i, m in enumerate(code128_modules("A1"))
        if m == "1" and (i == 0 or code128_modules("A1")[i - 1] == "0")
    )
    assert svg.count("<rect") == bars
    assert svg.startswith("<svg")
    assert 'aria-label="A1"' in svg


def _pages(html: str) -> int:
    from oms.pdf import _weasyprint

    html_class, _fetcher = _weasyprint()
    return len(html_class(string=html).render().pages)


def _label_html(shipment) -> str:
    context = documents._shipment_context(documents._fresh(shipment))
    context["barcode"] = code128_svg(shipment.tracking_number)
    return render_to_string("fulfillment/pdf/label.html", context)


@pytest.mark.django_db
def test_label_is_a_pdf_page_per_parcel_with_cod_and_barcode():
    from fulfillment import packing

    warehouse, _v, order = packing_setup((1,), payment_method="cash_on_delivery")
    pick(order)
    shipment = packing.start_packing("T-01", warehouse)
    verify_all(shipment)
    packing.add_parcel(shipment, dims=(30, 20, 10), weight_kg="1")
    packing.add_parcel(shipment, dims=(60, 40, 40), weight_kg="3")
    packing.close_packing(shipment, None, carrier=make_carrier())
    shipment.refresh_from_db()
    pdf = documents.label_pdf(shipment)
    assert pdf.startswith(b"%PDF-")
    html = _label_html(shipment)
    assert _pages(html) == 2
    assert "1/2" in html
    assert "2/2" in html
    assert localize(Decimal("32.00")) in html  # desi of the second parcel
    assert html.count(f"{localize(shipment.cod_amount)} TRY") == 2  # the COD band on both pages
    assert html.count("<rect") == 2 * str(code128_svg(shipment.tracking_number)).count("<rect")
    assert order.ship_name in html
    assert "Tuzla" in html


@pytest.mark.django_db
def test_card_order_label_has_no_cod_band():
    warehouse, _v, order = packing_setup((1,))
    shipment = packed(order, warehouse)
    assert documents.label_pdf(shipment).startswith(b"%PDF-")
    assert 'class="row cod"' not in _label_html(shipment)


@pytest.mark.django_db
def test_label_without_tracking_number_is_refused():
    from fulfillment import packing
    from oms.errors import InvalidInput

    warehouse, _v, order = packing_setup((1,))
    shipment = packing.start_packing(order.number, warehouse)
    with pytest.raises(InvalidInput, match="tracking number"):
        documents.label_pdf(shipment)


@pytest.mark.django_db
def test_packing_slip_and_manifest_pdfs_and_csv():
    warehouse, (_a,), order = packing_setup((2,), payment_method="cash_on_delivery")
    carrier = make_carrier()
    shipment = packed(order, warehouse, carrier=carrier)
    assert documents.packing_slip_pdf(shipment).startswith(b"%PDF-")
    hand_over([shipment.pk])
    manifest = close_manifest(carrier, warehouse, timezone.localdate())
    assert documents.manifest_pdf(manifest).startswith(b"%PDF-")
    response = documents.manifest_csv(manifest)
    body = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Disposition"] == f'attachment; filename="{manifest.number}.csv"'
    lines = body.lstrip("\ufeff").strip().split("\r\n")
    assert len(lines) == 2
    row = lines[1].split(";")
    assert row[0] == shipment.number
    assert row[1] == shipment.tracking_number
    assert row[2] == order.number
    assert row[6] == "1"
    assert row[9] == f"{order.grand_total:.2f}".replace(".", ",")
