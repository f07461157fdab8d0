"""``aras``: Aras Kargo's customer integration SOAP service (``http://tempuri.org/`` namespace,
.NET style: every element qualified).

Operations used (field names as Aras documents them):
- ``SetOrder(orderInfo/Order[], userName, password)``: ``IntegrationCode`` (numeric, unique per
  customer: the digits of our shipment reference), ``TradingWaybillNumber`` (the order number),
  ``Receiver*`` (name, address, phone, city, town), ``PieceCount`` with ``PieceDetails/PieceDetail``
  (``BarcodeNumber``, ``VolumetricWeight``, ``Weight``), ``IsCod``/``CodAmount``/
  ``CodCollectionType`` (0 cash, 1 card). Answers ``OrderResultInfo`` with ``ResultCode`` "0" for
  success and ``ResultMessage`` otherwise. Sending the same IntegrationCode again updates the order
  while Aras has not processed it, so a retry is safe.
- ``GetOrderWithIntegrationCode``: the order as Aras holds it. It carries no scans: ``track``
  confirms the order exists and returns no updates (movements arrive through webhooks).
- ``CancelDispatch(userName, password, integrationCode)``.

Aras prints no label: we print our own barcode with the integration code (``label_format`` "";
parcel barcodes are the ``BarcodeNumber``s we sent).

Settings: ``endpoint``, optional ``timeout``, ``cod_collection_type`` (default "0"),
``price``/``transit_days``/``cod_fee`` for quotes. Credentials: ``userName``, ``password``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fulfillment.carriers import CarrierError, Label, Quote, ShipmentRequest, TrackingResult, register
from fulfillment.carriers.soap import (
    decimal_text,
    envelope,
    find,
    find_all,
    national_phone,
    post_soap,
    text_of,
)

NAMESPACE = "http://tempuri.org/"


def integration_code(reference: str) -> str:
    """Aras wants a numeric integration code: the digits of our (unique) shipment reference."""
    digits = "".join(re.findall(r"\d", reference or ""))[-16:]
    if not digits:
        raise CarrierError(_("The shipment reference has no digits."), code="bad_reference")
    return digits


@register
class ArasCarrier:
    name = "aras"
    label = gettext_lazy("Aras Kargo")

    def __init__(self, *, settings: dict, credentials: dict) -> None:
        self.settings = settings
        self.endpoint = str(settings.get("endpoint") or "")
        self.timeout = float(settings.get("timeout", 20))
        self.user = str(credentials.get("userName") or "")
        self.password = str(credentials.get("password") or "")

    def _call(self, operation: str, fields: list[tuple[str, object]]) -> ET.Element:
        if not self.user or not self.password:
            raise CarrierError(_("Aras Kargo credentials (userName, password) are missing."), code="auth")
        payload = envelope(operation, NAMESPACE, fields, qualified=True)
        return post_soap(self.endpoint, payload, action=f"{NAMESPACE}{operation}", timeout=self.timeout)

    def quote(self, request: ShipmentRequest) -> Quote:
        """No public rate service: the contract price typed into the account settings."""
        price = Decimal(str(self.settings.get("price", "0")))
        if request.cod_amount > 0:
            price += Decimal(str(self.settings.get("cod_fee", "0")))
        return Quote(
            price=price.quantize(Decimal("0.01")), transit_days=int(self.settings.get("transit_days", 2))
        )

    def create_shipment(self, request: ShipmentRequest) -> Label:
        code = integration_code(request.reference)
        recipient = request.recipient
        barcodes = [f"{code}{n:02d}" for n in range(1, len(request.parcels) + 1)]
        pieces = [
            (
                "PieceDetail",
                [
                    ("VolumetricWeight", decimal_text(parcel.desi)),
                    ("Weight", decimal_text(parcel.weight_kg)),
                    ("BarcodeNumber", barcode),
                    ("ProductNumber", request.order_number or None),
                    ("Description", request.description[:100] or None),
                ],
            )
            for parcel, barcode in zip(request.parcels, barcodes, strict=True)
        ]
        cod = request.cod_amount > 0
        order = [
            ("UserName", self.user),
            ("Password", self.password),
            ("TradingWaybillNumber", (request.order_number or code)[:16]),
            ("InvoiceNumber", (request.order_number or code)[:20]),
            ("IntegrationCode", code),
            ("ReceiverName", recipient.name[:100]),
            ("ReceiverAddress", recipient.line[:250]),
            ("ReceiverPhone1", national_phone(recipient.phone)),
            ("ReceiverCityName", recipient.city),
            ("ReceiverTownName", recipient.district),
            ("VolumetricWeight", decimal_text(sum((p.desi for p in request.parcels), Decimal(0)))),
            ("Weight", decimal_text(sum((p.weight_kg for p in request.parcels), Decimal(0)))),
            ("PieceCount", len(request.parcels)),
            ("IsCod", "1" if cod else "0"),
            ("CodAmount", decimal_text(request.cod_amount) if cod else None),
            ("CodCollectionType", str(self.settings.get("cod_collection_type", "0")) if cod else None),
            ("Description", request.description[:250] or None),
            ("PieceDetails", pieces),
        ]
        body = self._call(
            "SetOrder",
            [("orderInfo", [("Order", order)]), ("userName", self.user), ("password", self.password)],
        )
        result = find(body, "OrderResultInfo")
        if result is None or text_of(result, "ResultCode") != "0":
            message = text_of(result, "ResultMessage") or _("Aras Kargo refused the shipment.")
            raise CarrierError(
                message,
                code=text_of(result, "ResultCode") or "refused",
                raw=ET.tostring(body, encoding="unicode"),
            )
        return Label(
            tracking_number=code,
            carrier_reference=text_of(result, "InvoiceKey") or code,
            parcel_barcodes=barcodes,
        )

    def track(self, *, tracking_number: str, reference: str) -> TrackingResult:
        code = integration_code(tracking_number or reference)
        body = self._call(
            "GetOrderWithIntegrationCode",
            [("userName", self.user), ("password", self.password), ("integrationCode", code)],
        )
        if not any(text_of(order, "IntegrationCode") == code for order in find_all(body, "Order")):
            raise CarrierError(
                _("Aras Kargo does not know the shipment %(code)s.") % {"code": code}, code="not_found"
            )
        return TrackingResult(updates=[])

    def cancel(self, *, tracking_number: str, reference: str) -> None:
        code = integration_code(reference or tracking_number)
        body = self._call(
            "CancelDispatch",
            [("userName", self.user), ("password", self.password), ("integrationCode", code)],
        )
        result = find(body, "CancelDispatchResult")
        if text_of(result, "ResultCode") != "0":
            message = text_of(result, "ResultMessage") or _("Aras Kargo did not cancel the shipment.")
            raise CarrierError(message, code=text_of(result, "ResultCode") or "refused")
        return None
