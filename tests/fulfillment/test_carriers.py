"""Carrier connectors against recorded payloads served by a local HTTP server (never the network):
the envelopes we send, what we read back, error mapping and idempotency; the rate card; zones."""

import threading
import xml.etree.ElementTree as ET
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fulfillment.carriers import Address, CarrierError, ParcelSpec, ShipmentRequest, connector_for
from fulfillment.carriers.zones import zone_for
from fulfillment.models import CarrierAccount, RateBand

PAYLOADS = Path(__file__).parent / "carrier_payloads"
YURTICI_NS = "http://yurticikargo.com.tr/ShippingOrderDispatcherServices"
TEMPURI = "{http://tempuri.org/}"


class FakeCarrier:
    """Serves queued (status, payload file) answers per SOAP operation and records the requests."""

    def __init__(self):
        self.answers: dict[str, list[tuple[int, str]]] = {}
        self.requests: list[tuple[str, ET.Element]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                root = ET.fromstring(body)  # noqa: S314 - our own requests
                call = next(iter(root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")))
                operation = call.tag.rsplit("}", 1)[-1]
                fake.requests.append((self.headers["SOAPAction"], call))
                status, name = fake.answers[operation].pop(0)
                data = (PAYLOADS / name).read_bytes()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/service"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, operation: str, name: str, status: int = 200) -> None:
        self.answers.setdefault(operation, []).append((status, name))


@pytest.fixture
def fake():
    server = FakeCarrier()
    yield server
    server.server.shutdown()
    server.server.server_close()


def account(connector: str, **fields) -> CarrierAccount:
    """An unsaved account: remote connectors never touch the database."""
    return CarrierAccount(code=connector, name=connector, connector=connector, **fields)


def request(*, cod=Decimal(0), parcels=None, zone="national", reference="SH-2026-000123") -> ShipmentRequest:
    return ShipmentRequest(
        reference=reference,
        sender=Address(
            name="Depo", phone="02125550000", line="Sanayi Cd. 5", district="Esenyurt", city="İstanbul"
        ),
        recipient=Address(
            name="Ayşe Yılmaz",
            phone="+905321234567",
            line="Atatürk Bulvarı 1",
            district="Çankaya",
            city="Ankara",
            email="ayse@example.com",
        ),
        parcels=parcels
        or [
            ParcelSpec(Decimal("1.5"), Decimal(30), Decimal(20), Decimal(10), Decimal("2.00")),
            ParcelSpec(Decimal("4.2"), Decimal(40), Decimal(30), Decimal(20), Decimal("8.00")),
        ],
        cod_amount=cod,
        order_number="WEB-1001",
        description="2 parça",
        zone=zone,
    )


def fields(element: ET.Element, prefix: str = "") -> dict[str, str]:
    return {child.tag.removeprefix(prefix): (child.text or "") for child in element}


# --- Yurtiçi --------------------------------------------------------------------------------------


def yurtici(fake, **settings):
    return connector_for(
        account(
            "yurtici",
            settings={"endpoint": fake.url, **settings},
            credentials={"wsUserName": "YKTEST", "wsPassword": "s3cret"},
        )
    )


def test_yurtici_create_sends_the_shipping_order_and_returns_our_label(fake):
    fake.answer("createShipment", "yurtici_create_ok.xml")
    label = yurtici(fake).create_shipment(request())

    action, call = fake.requests[0]
    assert action == '"createShipment"'
    assert call.tag == f"{{{YURTICI_NS}}}createShipment"
    top = fields(call)
    assert top["wsUserName"] == "YKTEST"
    assert top["wsPassword"] == "s3cret"
    assert top["userLanguage"] == "TR"
    vo = fields(call.find("ShippingOrderVO"))
    assert vo["cargoKey"] == "SH2026000123"
    assert vo["invoiceKey"] == "WEB-1001"
    assert vo["receiverCustName"] == "Ayşe Yılmaz"
    assert vo["receiverAddress"] == "Atatürk Bulvarı 1 Çankaya/Ankara"
    assert vo["receiverPhone1"] == "5321234567"
    assert (vo["cityName"], vo["townName"]) == ("Ankara", "Çankaya")
    assert (vo["cargoCount"], vo["desi"], vo["kg"]) == ("2", "10.00", "5.70")
    assert "ttCollectionType" not in vo
    assert "ttInvoiceAmount" not in vo

    assert label.tracking_number == "SH2026000123"
    assert label.carrier_reference == "948213377"
    assert label.label_format == ""


def test_yurtici_cash_on_delivery_fields(fake):
    fake.answer("createShipment", "yurtici_create_ok.xml")
    yurtici(fake, cod_collection_type="1").create_shipment(request(cod=Decimal("249.9")))
    vo = fields(fake.requests[0][1].find("ShippingOrderVO"))
    assert vo["ttCollectionType"] == "1"
    assert vo["ttInvoiceAmount"] == "249.90"
    assert vo["ttDocumentId"] == "WEB-1001"


def test_yurtici_duplicate_cargo_key_is_our_retry_and_is_re_queried(fake):
    fake.answer("createShipment", "yurtici_create_duplicate.xml")
    fake.answer("queryShipment", "yurtici_query_nop.xml")
    label = yurtici(fake).create_shipment(request())
    assert label.tracking_number == "SH2026000123"
    assert [call.tag.rsplit("}", 1)[-1] for _a, call in fake.requests] == ["createShipment", "queryShipment"]
    query = fields(fake.requests[1][1])
    assert query["keys"] == "SH2026000123"
    assert query["keyType"] == "0"


def test_yurtici_duplicate_that_cannot_be_found_is_an_error(fake):
    fake.answer("createShipment", "yurtici_create_duplicate.xml")
    fake.answer("queryShipment", "yurtici_query_unknown.xml")
    with pytest.raises(CarrierError) as error:
        yurtici(fake).create_shipment(request())
    assert error.value.code == "80859"
    assert "bulunamadı" in error.value.message


def test_yurtici_refusal_carries_the_carriers_message(fake):
    fake.answer("createShipment", "yurtici_create_error.xml")
    with pytest.raises(CarrierError) as error:
        yurtici(fake).create_shipment(request())
    assert error.value.message == "Alıcı adresi bulunamadı."
    assert error.value.code == "60019"
    assert not error.value.retryable


def test_yurtici_soap_fault_is_a_carrier_error(fake):
    fake.answer("createShipment", "yurtici_fault.xml", status=500)
    with pytest.raises(CarrierError) as error:
        yurtici(fake).create_shipment(request())
    assert error.value.message == "Kullanıcı adı veya şifre hatalı."
    assert not error.value.retryable


def test_unreachable_carrier_is_retryable():
    server = FakeCarrier()
    url = server.url
    server.server.shutdown()
    server.server.server_close()
    connector = connector_for(
        account(
            "yurtici",
            settings={"endpoint": url, "timeout": 2},
            credentials={"wsUserName": "u", "wsPassword": "p"},
        )
    )
    with pytest.raises(CarrierError) as error:
        connector.create_shipment(request())
    assert error.value.retryable
    assert error.value.code == "unreachable"


def test_missing_credentials_are_refused_before_calling(fake):
    connector = connector_for(account("yurtici", settings={"endpoint": fake.url}, credentials={}))
    with pytest.raises(CarrierError) as error:
        connector.create_shipment(request())
    assert error.value.code == "auth"
    assert fake.requests == []


IST = ZoneInfo("Europe/Istanbul")


@pytest.mark.parametrize(
    ("payload", "statuses"),
    [
        ("yurtici_query_nop.xml", []),
        ("yurtici_query_isr.xml", ["in_transit", "handed_over"]),
        ("yurtici_query_ind.xml", ["in_transit", "in_transit", "in_transit", "in_transit"]),
        ("yurtici_query_dlv.xml", ["in_transit"] * 4 + ["delivered"]),
    ],
)
def test_yurtici_tracking_maps_operation_status_and_scans(fake, payload, statuses):
    fake.answer("queryShipment", payload)
    result = yurtici(fake).track(tracking_number="SH2026000123", reference="SH-2026-000123")
    assert [u.status for u in result.updates] == statuses
    query = fields(fake.requests[0][1])
    assert query["addHistoricalData"] == "true"
    assert query["wsLanguage"] == "TR"


def test_yurtici_delivered_update_has_the_delivery_time_and_scans_their_places(fake):
    fake.answer("queryShipment", "yurtici_query_dlv.xml")
    updates = yurtici(fake).track(tracking_number="SH2026000123", reference="").updates
    assert updates[0].occurred_at == datetime(2026, 3, 2, 17, 30, 5, tzinfo=IST)
    assert updates[0].carrier_code == "KBL"
    assert updates[0].location == "Esenyurt Şube / ESENYURT / İSTANBUL"
    assert updates[-1].occurred_at == datetime(2026, 3, 3, 14, 15, 40, tzinfo=IST)
    assert updates[-1].carrier_code == "DLV"
    assert updates[-1].description == "Kargo teslim edilmiştir."
    assert len({u.dedupe_key for u in updates}) == len(updates)


def test_yurtici_cancelled_shipment_reports_cancelled(fake):
    fake.answer("queryShipment", "yurtici_query_cnl.xml")
    updates = yurtici(fake).track(tracking_number="SH2026000123", reference="").updates
    assert [u.status for u in updates] == ["cancelled"]


def test_yurtici_cancel(fake):
    fake.answer("cancelShipment", "yurtici_cancel_ok.xml")
    yurtici(fake).cancel(tracking_number="SH2026000123", reference="SH-2026-000123")
    sent = fields(fake.requests[0][1])
    assert sent["cargoKeys"] == "SH2026000123"
    assert sent["wsUserName"] == "YKTEST"


def test_yurtici_quote_from_contract_settings():
    connector = connector_for(
        account(
            "yurtici",
            settings={"price": "60", "price_per_desi": "5", "price_per_desi_from": "5", "cod_fee": "15"},
        )
    )
    assert connector.quote(request()).price == Decimal("85.00")  # 60 + (10 - 5) x 5
    assert connector.quote(request(cod=Decimal(100))).price == Decimal("100.00")


# --- Aras -----------------------------------------------------------------------------------------


def aras(fake):
    return connector_for(
        account(
            "aras", settings={"endpoint": fake.url}, credentials={"userName": "arastest", "password": "pw"}
        )
    )


def test_aras_set_order_envelope_and_label(fake):
    fake.answer("SetOrder", "aras_setorder_ok.xml")
    label = aras(fake).create_shipment(request(cod=Decimal("249.90")))

    action, call = fake.requests[0]
    assert action == '"http://tempuri.org/SetOrder"'
    assert call.findtext(f"{TEMPURI}userName") == "arastest"
    assert call.findtext(f"{TEMPURI}password") == "pw"
    order = call.find(f"{TEMPURI}orderInfo/{TEMPURI}Order")
    sent = fields(order, TEMPURI)
    assert sent["IntegrationCode"] == "2026000123"
    assert sent["TradingWaybillNumber"] == "WEB-1001"
    assert sent["ReceiverName"] == "Ayşe Yılmaz"
    assert sent["ReceiverPhone1"] == "5321234567"
    assert (sent["ReceiverCityName"], sent["ReceiverTownName"]) == ("Ankara", "Çankaya")
    assert sent["PieceCount"] == "2"
    assert (sent["IsCod"], sent["CodAmount"], sent["CodCollectionType"]) == ("1", "249.90", "0")
    pieces = order.findall(f"{TEMPURI}PieceDetails/{TEMPURI}PieceDetail")
    assert [p.findtext(f"{TEMPURI}BarcodeNumber") for p in pieces] == ["202600012301", "202600012302"]
    assert [p.findtext(f"{TEMPURI}VolumetricWeight") for p in pieces] == ["2.00", "8.00"]

    assert label.tracking_number == "2026000123"
    assert label.carrier_reference == "2026000123"
    assert label.label_format == ""
    assert label.parcel_barcodes == ["202600012301", "202600012302"]


def test_aras_without_cod_says_so(fake):
    fake.answer("SetOrder", "aras_setorder_ok.xml")
    aras(fake).create_shipment(request())
    sent = fields(fake.requests[0][1].find(f"{TEMPURI}orderInfo/{TEMPURI}Order"), TEMPURI)
    assert sent["IsCod"] == "0"
    assert "CodAmount" not in sent


def test_aras_refusal_carries_the_carriers_message(fake):
    fake.answer("SetOrder", "aras_setorder_error.xml")
    with pytest.raises(CarrierError) as error:
        aras(fake).create_shipment(request())
    assert error.value.message == "Alıcı ilçe adı boş olamaz."
    assert error.value.code == "1"


def test_aras_track_and_cancel(fake):
    fake.answer("GetOrderWithIntegrationCode", "aras_getorder.xml")
    fake.answer("GetOrderWithIntegrationCode", "aras_getorder_empty.xml")
    fake.answer("CancelDispatch", "aras_cancel_ok.xml")
    connector = aras(fake)
    assert connector.track(tracking_number="2026000123", reference="SH-2026-000123").updates == []
    assert fake.requests[0][1].findtext(f"{TEMPURI}integrationCode") == "2026000123"
    with pytest.raises(CarrierError) as error:
        connector.track(tracking_number="2026000999", reference="")
    assert error.value.code == "not_found"
    connector.cancel(tracking_number="2026000123", reference="SH-2026-000123")
    assert fake.requests[2][1].findtext(f"{TEMPURI}integrationCode") == "2026000123"


# --- Rate card and zones --------------------------------------------------------------------------


@pytest.fixture
def rate_card(db):
    carrier = CarrierAccount.objects.create(code="card", name="Kart", connector="table_rate")
    for zone, max_desi, price in [
        ("national", 5, "50"),
        ("national", 15, "80"),
        ("national", 30, "120"),
        ("local", 15, "40"),
    ]:
        RateBand.objects.create(carrier=carrier, zone=zone, max_desi=max_desi, price=price, cod_fee="12.50")
    carrier.settings = {"account_id": carrier.pk, "tracking_prefix": "KRT"}
    return carrier


def test_table_rate_prices_by_chargeable_weight_band_zone_and_cod(rate_card):
    connector = connector_for(rate_card)
    # chargeable = max(2, 1.5) + max(8, 4.2) = 10 desi -> the 15 band
    assert connector.quote(request()).price == Decimal("80.00")
    assert connector.quote(request(zone="local")).price == Decimal("40.00")
    assert connector.quote(request(cod=Decimal(100))).price == Decimal("92.50")
    heavy = [ParcelSpec(Decimal(20), Decimal(10), Decimal(10), Decimal(10), Decimal("0.33"))]
    assert connector.quote(request(parcels=heavy)).price == Decimal("120.00")  # kg beats desi
    with pytest.raises(CarrierError) as error:
        connector.quote(request(zone="remote"))
    assert error.value.code == "no_rate"


def test_table_rate_rates_from_settings_and_its_own_label():
    connector = connector_for(
        account("table_rate", settings={"rates": [{"zone": "national", "max_desi": 10, "price": "70"}]})
    )
    assert connector.quote(request()).price == Decimal("70.00")
    label = connector.create_shipment(request())
    assert label.tracking_number == "OMS2026000123"
    assert label.parcel_barcodes == ["OMS202600012301", "OMS202600012302"]
    assert label.price == Decimal("70.00")  # the shipment's cost, known from our own card
    assert connector.create_shipment(request()).tracking_number == label.tracking_number
    assert connector.track(tracking_number=label.tracking_number, reference="").updates == []


@pytest.mark.parametrize(
    ("origin", "destination", "zone"),
    [
        (34, 34, "local"),
        (34, 41, "regional"),  # İstanbul -> Kocaeli, both Marmara
        (34, 6, "national"),  # İstanbul -> Ankara
        (34, 30, "remote"),  # İstanbul -> Hakkari
        (65, 30, "regional"),  # Van -> Hakkari: same region, served by the regional hub
        (35, 73, "remote"),  # İzmir -> Şırnak
    ],
)
def test_zone_for(origin, destination, zone):
    assert zone_for(origin, destination) == zone


def test_zone_for_unknown_plate():
    with pytest.raises(ValueError, match="82"):
        zone_for(34, 82)
