"""``table_rate``: our own rate card. Price = the first rate band of the destination zone whose
``max_desi`` covers the shipment's chargeable weight (per parcel the larger of desi and kg, summed
over the parcels), plus the band's cash-on-delivery fee when COD. We render the label ourselves
with our own tracking number; there is no remote tracking.

Where the bands come from (in this order):
- ``settings["rates"]``: a list of ``{"zone", "max_desi", "price", "cod_fee"}`` (no database:
  handy for tests and for accounts whose card lives in the settings);
- ``settings["account_id"]``: the ``RateBand`` rows of that ``CarrierAccount``.

Other settings: ``tracking_prefix`` (default ``"OMS"``), ``transit_days`` (default 2, or per zone
with ``transit_days_by_zone``).
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fulfillment.carriers import (
    CarrierError,
    Label,
    ParcelSpec,
    Quote,
    ShipmentRequest,
    TrackingResult,
    register,
)


def chargeable_weight(parcels: list[ParcelSpec]) -> Decimal:
    """What carriers bill: per parcel the larger of volumetric (desi) and actual weight, summed."""
    return sum((max(Decimal(p.desi), Decimal(p.weight_kg)) for p in parcels), Decimal(0))


def zone_of_request(request: ShipmentRequest) -> str:
    """The request's zone, or one worked out from the sender's and recipient's provinces."""
    if request.zone:
        return request.zone
    from fulfillment.carriers.zones import zone_for
    from oms.address import find_province

    origin, destination = find_province(request.sender.city), find_province(request.recipient.city)
    if origin is None or destination is None:
        raise CarrierError(
            _("The destination zone is unknown: check the provinces of the sender and the recipient."),
            code="unknown_zone",
        )
    return zone_for(origin.code, destination.code)


@register
class TableRateCarrier:
    name = "table_rate"
    label = gettext_lazy("Rate card (our own label)")

    def __init__(self, *, settings: dict, credentials: dict) -> None:
        self.settings = settings
        self.prefix = str(settings.get("tracking_prefix") or "OMS")

    def _bands(self, zone: str) -> list[tuple[Decimal, Decimal, Decimal]]:
        """(max_desi, price, cod_fee) of ``zone``, smallest band first."""
        if "rates" in self.settings:
            rows = [
                (Decimal(str(r["max_desi"])), Decimal(str(r["price"])), Decimal(str(r.get("cod_fee", 0))))
                for r in self.settings["rates"]
                if r.get("zone") == zone
            ]
        elif self.settings.get("account_id"):
            from fulfillment.models import RateBand

            rows = list(
                RateBand.objects.filter(carrier_id=self.settings["account_id"], zone=zone).values_list(
                    "max_desi", "price", "cod_fee"
                )
            )
        else:
            raise CarrierError(_("This rate card has no rates."), code="no_rates")
        return sorted(rows)

    def quote(self, request: ShipmentRequest) -> Quote:
        zone = zone_of_request(request)
        weight = chargeable_weight(request.parcels)
        for max_desi, price, cod_fee in self._bands(zone):
            if weight <= max_desi:
                total = price + (cod_fee if request.cod_amount > 0 else Decimal(0))
                return Quote(
                    price=total.quantize(Decimal("0.01")),
                    currency=request.currency,
                    transit_days=self._transit_days(zone),
                    note=f"{zone} <= {max_desi}",
                )
        raise CarrierError(
            _("No rate for %(weight)s desi to the %(zone)s zone.") % {"weight": weight, "zone": zone},
            code="no_rate",
        )

    def _transit_days(self, zone: str) -> int:
        by_zone = self.settings.get("transit_days_by_zone") or {}
        return int(by_zone.get(zone, self.settings.get("transit_days", 2)))

    def create_shipment(self, request: ShipmentRequest) -> Label:
        """Our own tracking number: the prefix and the digits of the shipment reference (unique
        because the reference is), so creating twice gives the same number."""
        digits = "".join(re.findall(r"\d", request.reference))
        if not digits:
            raise CarrierError(_("The shipment reference has no digits."), code="bad_reference")
        tracking = f"{self.prefix}{digits}"
        barcodes = [f"{tracking}{n:02d}" for n in range(1, len(request.parcels) + 1)]
        try:
            price = self.quote(request).price  # our own rate card: the cost is known now
        except CarrierError:
            price = None
        return Label(
            tracking_number=tracking,
            carrier_reference=request.reference,
            parcel_barcodes=barcodes,
            price=price,
        )

    def track(self, *, tracking_number: str, reference: str) -> TrackingResult:
        return TrackingResult(updates=[])

    def cancel(self, *, tracking_number: str, reference: str) -> None:
        return None
