"""``manual``: a carrier without an integration. The operator types the tracking number the
carrier's own system gave (``settings["tracking_number"]`` is not used: the service passes it in the
request reference when known); we print our own label; tracking comes only from the panel."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from fulfillment.carriers import CarrierError, Label, Quote, ShipmentRequest, TrackingResult, register


@register
class ManualCarrier:
    name = "manual"
    label = _("Manual (tracking number typed in)")

    def __init__(self, *, settings: dict, credentials: dict) -> None:
        self.settings = settings
        self.price = Decimal(str(settings.get("price", "0")))

    def quote(self, request: ShipmentRequest) -> Quote:
        return Quote(price=self.price, transit_days=int(self.settings.get("transit_days", 2)))

    def create_shipment(self, request: ShipmentRequest, *, tracking_number: str = "") -> Label:
        tracking_number = (tracking_number or "").strip()
        if not tracking_number:
            raise CarrierError(str(_("Type the tracking number the carrier gave.")), code="tracking_required")
        return Label(tracking_number=tracking_number, carrier_reference=request.reference)

    def track(self, *, tracking_number: str, reference: str) -> TrackingResult:
        return TrackingResult(updates=[])

    def cancel(self, *, tracking_number: str, reference: str) -> None:
        return None
