"""``yurtici``: Yurtiçi Kargo's ``ShippingOrderDispatcherServices`` SOAP web service.

Operations used (field names as Yurtiçi documents them):
- ``createShipment``: ``wsUserName``, ``wsPassword``, ``userLanguage`` and one ``ShippingOrderVO``
  (``cargoKey`` our idempotency key, ``invoiceKey``, ``receiverCustName``, ``receiverAddress``,
  ``receiverPhone1``, ``cityName``, ``townName``, ``cargoCount``, ``desi``, ``kg``; for cash on
  delivery ``ttCollectionType`` 0 cash / 1 card, ``ttInvoiceAmount``, ``ttDocumentId``). Answers a
  ``ShippingOrderResultVO`` (``outFlag`` 0 = accepted) with a ``shippingOrderDetailVO`` per key;
  ``errCode`` 60020 means the cargoKey already exists: a retry of ours, so we re-query and carry on.
- ``queryShipment`` by cargoKey (``keyType`` 0) with history: ``operationStatus`` NOP/IND/ISR/CNL/
  ISC/DLV and the scans (``invDocCargoVOArray``) become ``TrackingUpdate``s. A parcel that has
  left (scans, or ISR/IND/ISC) and is then cancelled, or whose ``shippingDeliveryItemDetailVO``
  says the return is done (``rejectStatus`` 9 "İade yapıldı" or ``returnStatus`` 3), is
  returned_to_sender: "cancelled" is only for one stopped before it left.
- ``cancelShipment`` by cargoKey.

Yurtiçi prints no label through this service: the cargoKey is the barcode they scan, so the label is
ours (``label_format`` "") and the tracking number is the cargoKey.

Envelopes are built, sent and read with the shared helpers of ``fulfillment.carriers.soap`` (no
SOAP library): settings ``endpoint`` (the service URL), optional ``timeout`` (s), ``language``
(default TR), ``cod_collection_type`` (default "0"), ``price``/``transit_days`` for quotes
(Yurtiçi has no rate service; the contract price is typed into the account).
Credentials: ``wsUserName``, ``wsPassword``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fulfillment.carriers import (
    CarrierError,
    Label,
    Quote,
    ShipmentRequest,
    TrackingResult,
    TrackingUpdate,
    register,
)
from fulfillment.carriers.soap import (
    decimal_text,
    envelope,
    find,
    find_all,
    national_phone,
    post_soap,
    text_of,
)
from fulfillment.carriers.table_rate import chargeable_weight

NAMESPACE = "http://yurticikargo.com.tr/ShippingOrderDispatcherServices"
ISTANBUL = ZoneInfo("Europe/Istanbul")
DUPLICATE_CARGO_KEY = "60020"

# operationStatus -> ShipmentStatus value (NOP: not processed yet, nothing to report).
OPERATION_STATUS = {
    "NOP": "created",  # Kargo işlem görmemiş
    "IND": "in_transit",  # Kargo teslimattadır (on its way / at the delivery branch)
    "ISR": "handed_over",  # İşlem görmüş, faturası henüz düzenlenmemiş (accepted at the branch)
    "CNL": "cancelled",  # Kargo çıkışı engellendi (cancelled before leaving)
    "ISC": "cancelled",  # İşlem görmüş, iptal edilmiş
    "DLV": "delivered",  # Teslim edildi
}
# A parcel that has left and is then cancelled, or whose return (iade) is done, comes back to us.
LEFT_STATUSES = {"ISR", "IND", "ISC"}  # the branch processed it; scans prove the same
REJECT_STATUS_RETURNED = {"9"}  # rejectStatus: 0 requested, 1/2 approved, 9 İade yapıldı (returned)
RETURN_STATUS_RETURNED = {"3"}  # returnStatus 3: back at the sender


# --- The connector --------------------------------------------------------------------------------


def cargo_key(reference: str) -> str:
    """Yurtiçi's cargoKey: up to 20 letters and digits, unique per sender."""
    key = re.sub(r"[^0-9A-Za-z]", "", reference or "").upper()[:20]
    if not key:
        raise CarrierError(_("The shipment reference is empty."), code="bad_reference")
    return key


@register
class YurticiCarrier:
    name = "yurtici"
    label = gettext_lazy("Yurtiçi Kargo")

    def __init__(self, *, settings: dict, credentials: dict) -> None:
        self.settings = settings
        self.endpoint = str(settings.get("endpoint") or "")
        self.timeout = float(settings.get("timeout", 20))
        self.language = str(settings.get("language") or "TR")
        self.user = str(credentials.get("wsUserName") or "")
        self.password = str(credentials.get("wsPassword") or "")

    def _call(self, operation: str, fields: list[tuple[str, object]]) -> ET.Element:
        if not self.user or not self.password:
            raise CarrierError(
                _("Yurtiçi Kargo credentials (wsUserName, wsPassword) are missing."), code="auth"
            )
        payload = envelope(operation, NAMESPACE, fields)
        return post_soap(self.endpoint, payload, action=operation, timeout=self.timeout)

    def quote(self, request: ShipmentRequest) -> Quote:
        """Yurtiçi publishes no rate service: the contract price from the account settings,
        optionally per chargeable desi above ``price_per_desi_from``."""
        price = Decimal(str(self.settings.get("price", "0")))
        per_desi = Decimal(str(self.settings.get("price_per_desi", "0")))
        included = Decimal(str(self.settings.get("price_per_desi_from", "0")))
        weight = chargeable_weight(request.parcels)
        if per_desi and weight > included:
            price += (weight - included) * per_desi
        if request.cod_amount > 0:
            price += Decimal(str(self.settings.get("cod_fee", "0")))
        return Quote(
            price=price.quantize(Decimal("0.01")), transit_days=int(self.settings.get("transit_days", 2))
        )

    def create_shipment(self, request: ShipmentRequest) -> Label:
        key = cargo_key(request.reference)
        recipient = request.recipient
        desi = sum((p.desi for p in request.parcels), Decimal(0))
        kg = sum((p.weight_kg for p in request.parcels), Decimal(0))
        order: list[tuple[str, object]] = [
            ("cargoKey", key),
            ("invoiceKey", (request.order_number or key)[:20]),
            ("receiverCustName", recipient.name[:200]),
            ("receiverAddress", f"{recipient.line} {recipient.district}/{recipient.city}".strip()[:200]),
            ("receiverPhone1", national_phone(recipient.phone)),
            ("cityName", recipient.city),
            ("townName", recipient.district),
            ("emailAddress", recipient.email or None),
            ("cargoCount", len(request.parcels) or 1),
            ("desi", decimal_text(desi)),
            ("kg", decimal_text(kg)),
            ("description", request.description[:200] or None),
        ]
        if request.cod_amount > 0:
            order += [
                ("ttCollectionType", str(self.settings.get("cod_collection_type", "0"))),
                ("ttInvoiceAmount", decimal_text(request.cod_amount)),
                ("ttDocumentId", (request.order_number or key)[:20]),
            ]
        body = self._call(
            "createShipment",
            [
                ("wsUserName", self.user),
                ("wsPassword", self.password),
                ("userLanguage", self.language),
                ("ShippingOrderVO", order),
            ],
        )
        result = find(body, "ShippingOrderResultVO")
        detail = find(result, "shippingOrderDetailVO")
        err_code = text_of(detail, "errCode") or text_of(result, "errCode")
        if err_code == DUPLICATE_CARGO_KEY:
            # Our earlier attempt reached them (the answer was lost): confirm it is there.
            self._query(key)
            return Label(tracking_number=key, carrier_reference=key)
        if text_of(result, "outFlag") != "0" or err_code not in ("", "0"):
            message = (
                text_of(detail, "errMessage")
                or text_of(result, "errMessage")
                or text_of(result, "outResult")
                or _("Yurtiçi Kargo refused the shipment.")
            )
            raise CarrierError(message, code=err_code or "refused", raw=ET.tostring(body, encoding="unicode"))
        return Label(
            tracking_number=key, carrier_reference=text_of(detail, "jobId") or text_of(result, "jobId") or key
        )

    def _query(self, key: str) -> ET.Element:
        body = self._call(
            "queryShipment",
            [
                ("wsUserName", self.user),
                ("wsPassword", self.password),
                ("wsLanguage", self.language),
                ("keys", key),
                ("keyType", 0),
                ("addHistoricalData", True),
                ("onlyTracking", False),
            ],
        )
        result = find(body, "ShippingDeliveryVO")
        detail = find(result, "shippingDeliveryDetailVO")
        err_code = text_of(detail, "errCode") or text_of(result, "errCode")
        if text_of(result, "outFlag") != "0" or err_code not in ("", "0") or detail is None:
            message = (
                text_of(detail, "errMessage")
                or text_of(result, "errMessage")
                or text_of(result, "outResult")
                or _("Yurtiçi Kargo does not know this shipment.")
            )
            raise CarrierError(
                message, code=err_code or "not_found", raw=ET.tostring(body, encoding="unicode")
            )
        return detail

    def track(self, *, tracking_number: str, reference: str) -> TrackingResult:
        detail = self._query(cargo_key(tracking_number or reference))
        operation = text_of(detail, "operationStatus")
        updates: list[TrackingUpdate] = []
        for event in find_all(detail, "invDocCargoVOArray"):
            occurred = _when(text_of(event, "eventDate"), text_of(event, "eventTime"))
            if occurred is None:
                continue
            town, city = text_of(event, "townName"), text_of(event, "cityName")
            updates.append(
                TrackingUpdate(
                    occurred_at=occurred,
                    status="in_transit",
                    carrier_code=text_of(event, "eventId")[:32],
                    description=text_of(event, "eventName")[:255],
                    location=" / ".join(p for p in (text_of(event, "unitName"), town, city) if p)[:120],
                    raw={child.tag: (child.text or "") for child in event},
                )
            )
        updates.sort(key=lambda u: u.occurred_at)
        item = find(detail, "shippingDeliveryItemDetailVO")
        status = _status(operation, item, scanned=bool(updates))
        if status and status != "created":
            occurred = (
                _when(text_of(item, "deliveryDate"), text_of(item, "deliveryTime"))
                if status == "delivered"
                else None
            )
            occurred = occurred or (
                updates[-1].occurred_at if updates else timezone.now().replace(microsecond=0)
            )
            returned = status == "returned_to_sender"
            raw = {"operationStatus": operation, "operationCode": text_of(detail, "operationCode")}
            description = text_of(detail, "operationMessage")
            if returned:
                raw |= {
                    "rejectStatus": text_of(item, "rejectStatus"),
                    "returnStatus": text_of(item, "returnStatus"),
                }
                description = text_of(item, "rejectReasonExplanation") or description
            updates.append(
                TrackingUpdate(
                    occurred_at=occurred,
                    status=status,
                    # its own key: the last scan's time may be all a return has to go by
                    carrier_code=f"{operation}-RTN" if returned else operation,
                    description=description[:255],
                    raw=raw,
                )
            )
        return TrackingResult(updates=updates)

    def cancel(self, *, tracking_number: str, reference: str) -> None:
        key = cargo_key(reference or tracking_number)
        body = self._call(
            "cancelShipment",
            [
                ("wsUserName", self.user),
                ("wsPassword", self.password),
                ("userLanguage", self.language),
                ("cargoKeys", key),
            ],
        )
        result = find(body, "ShippingOrderResultVO")
        detail = find(result, "shippingCancelDetailVO")
        if text_of(detail, "operationStatus") == "CNL":  # cancelled already, or just now
            return None
        err_code = text_of(detail, "errCode") or text_of(result, "errCode")
        if text_of(result, "outFlag") != "0" or err_code not in ("", "0"):
            message = (
                text_of(detail, "errMessage")
                or text_of(result, "outResult")
                or _("Yurtiçi Kargo did not cancel the shipment.")
            )
            raise CarrierError(message, code=err_code or "refused", raw=ET.tostring(body, encoding="unicode"))
        return None


def _status(operation: str, item: ET.Element | None, *, scanned: bool) -> str | None:
    """The ``ShipmentStatus`` value for ``operationStatus``, a return or a cancellation after the
    parcel left being returned_to_sender (``None``: a status we do not know)."""
    left = scanned or operation in LEFT_STATUSES or bool(text_of(item, "docId"))
    returned = (
        text_of(item, "rejectStatus") in REJECT_STATUS_RETURNED
        or text_of(item, "returnStatus") in RETURN_STATUS_RETURNED
    )
    status = OPERATION_STATUS.get(operation)
    if left and (returned or status == "cancelled"):
        return "returned_to_sender"
    return status


def _when(day: str, clock: str) -> datetime | None:
    """Yurtiçi gives dates as yyyyMMdd and times as HHmmss, Istanbul time."""
    day, clock = re.sub(r"\D", "", day or ""), re.sub(r"\D", "", clock or "").ljust(6, "0")[:6]
    if len(day) != 8:
        return None
    try:
        return datetime.strptime(day + clock, "%Y%m%d%H%M%S").replace(tzinfo=ISTANBUL)
    except ValueError:
        return None
