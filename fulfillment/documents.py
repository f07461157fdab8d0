"""Shipping documents: the 100 x 150 mm label (one page per parcel, Code 128 of the tracking
number), the packing slip that goes in the box, and the carrier's manifest as PDF and CSV.

Code 128 is drawn here as SVG (code set B: every printable ASCII character), so no barcode
library is needed and WeasyPrint renders it sharp at any printer resolution.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from fulfillment.models import Manifest, Shipment
from oms.csv_export import csv_response
from oms.pdf import company, render_pdf
from orders.models import PaymentMethod

# Bar/space widths of the 107 Code 128 symbols, by value (103-105: start A/B/C, 106: stop).
# fmt: off
_WIDTHS = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
    "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
    "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
    "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
    "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
    "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
    "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
    "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
    "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
    "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
)
# fmt: on
START_B, STOP = 104, 106


def _modules(widths: str) -> str:
    """Widths (bar, space, bar ...) to modules: '1' dark, '0' light."""
    return "".join(("1" if i % 2 == 0 else "0") * int(w) for i, w in enumerate(widths))


def code128_values(text: str) -> list[int]:
    """Symbol values of ``text`` in code set B: start, data, checksum, stop."""
    if not text:
        raise ValueError("nothing to encode")
    data = []
    for char in text:
        code = ord(char)
        if not 32 <= code <= 126:
            raise ValueError(f"Code 128 B cannot encode {char!r}")
        data.append(code - 32)
    checksum = (START_B + sum(i * v for i, v in enumerate(data, start=1))) % 103
    return [START_B, *data, checksum, STOP]


def code128_modules(text: str) -> str:
    """The bar pattern of ``text`` as a string of modules ('1' bar, '0' space), no quiet zones."""
    return "".join(_modules(_WIDTHS[v]) for v in code128_values(text))


def code128_svg(text: str, *, height: float = 18, module: float = 0.33, unit: str = "mm") -> SafeString:
    """An inline SVG of ``text`` (bars only; ``module`` is the narrowest bar's width), with the
    10-module quiet zone on both sides that scanners need."""
    modules = "0" * 10 + code128_modules(text) + "0" * 10
    rects, x = [], 0
    while x < len(modules):
        if modules[x] == "1":
            start = x
            while x < len(modules) and modules[x] == "1":
                x += 1
            rects.append(f'<rect x="{start}" y="0" width="{x - start}" height="1"/>')
        else:
            x += 1
    width = len(modules)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * module:.2f}{unit}" height="{height}{unit}" '
        f'viewBox="0 0 {width} 1" preserveAspectRatio="none" role="img" aria-label="{escape(text)}">'
        f'<g fill="#000">{"".join(rects)}</g></svg>'
    )
    return mark_safe(svg)  # noqa: S308 (built from numbers and the escaped text only)


# --- PDFs -------------------------------------------------------------------------------------------


def _shipment_context(shipment: Shipment) -> dict:
    order = shipment.order
    parcels = list(shipment.parcels.select_related("box").order_by("number"))
    return {
        "shipment": shipment,
        "order": order,
        "warehouse": shipment.warehouse,
        "parcels": parcels,
        "parcel_total": len(parcels),
        "lines": list(shipment.lines.select_related("line__variant").order_by("pk")),
        "is_cod": order.payment_method == PaymentMethod.CASH_ON_DELIVERY and shipment.cod_amount > 0,
        "sender_name": shipment.warehouse.full_name or company().get("name") or shipment.warehouse.name,
    }


def _fresh(shipment: Shipment | int) -> Shipment:
    pk = shipment if isinstance(shipment, int) else shipment.pk
    return Shipment.objects.select_related("order__ship_province", "warehouse__province", "carrier").get(
        pk=pk
    )


def label_pdf(shipment: Shipment | int) -> bytes:
    """Our own shipping label: one 100 x 150 mm page per parcel (n/N), the tracking number's
    Code 128, sender, recipient, desi and weight, the COD amount when cash on delivery."""
    shipment = _fresh(shipment)
    if not shipment.tracking_number:
        from oms.errors import InvalidInput

        raise InvalidInput(_("Shipment %(number)s has no tracking number yet.") % {"number": shipment.number})
    context = _shipment_context(shipment)
    context["barcode"] = code128_svg(shipment.tracking_number, height=22, module=0.3)
    return render_pdf("fulfillment/pdf/label.html", context)


def packing_slip_pdf(shipment: Shipment | int) -> bytes:
    """The list of what is in the box, for the customer (no prices: gifts travel with it too)."""
    shipment = _fresh(shipment)
    return render_pdf("fulfillment/pdf/packing_slip.html", _shipment_context(shipment))


def _manifest_shipments(manifest: Manifest):
    return list(manifest.shipments.select_related("order").prefetch_related("parcels").order_by("pk"))


def manifest_pdf(manifest: Manifest | int) -> bytes:
    manifest = _manifest(manifest)
    shipments = _manifest_shipments(manifest)
    return render_pdf("fulfillment/pdf/manifest.html", {"manifest": manifest, "shipments": shipments})


def _manifest(manifest: Manifest | int) -> Manifest:
    pk = manifest if isinstance(manifest, int) else manifest.pk
    return Manifest.objects.select_related("carrier", "warehouse", "closed_by").get(pk=pk)


def manifest_rows(manifest: Manifest):
    for shipment in _manifest_shipments(manifest):
        parcels = list(shipment.parcels.all())
        yield [
            shipment.number,
            shipment.tracking_number,
            shipment.order.number,
            shipment.order.ship_name,
            shipment.order.ship_district,
            shipment.order.ship_city,
            len(parcels),
            shipment.weight_kg,
            shipment.desi,
            shipment.cod_amount,
        ]


def manifest_csv(manifest: Manifest | int):
    """The manifest for the carrier's system or Excel (oms.csv_export: Turkish Excel)."""
    manifest = _manifest(manifest)
    header = [
        _("Shipment"),
        _("Tracking number"),
        _("Order"),
        _("Recipient"),
        _("District"),
        _("City"),
        _("Parcels"),
        _("Weight (kg)"),
        _("Desi"),
        _("Cash on delivery"),
    ]
    from django.utils import translation

    return csv_response(
        f"{manifest.number}.csv", header, manifest_rows(manifest), language=translation.get_language()
    )
