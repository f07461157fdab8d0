"""The fulfillment API over HTTP: the signed carrier webhook and the shipment lists."""

import json
from types import ModuleType

import pytest
from django.urls import include, path

from fulfillment.api import router as fulfillment_router
from fulfillment.api import signature_for
from fulfillment.models import Problem, TrackingEvent
from oms.apikeys import create_api_key
from oms.models import Event
from tests.fulfillment.test_tracking import make_carrier, make_shipment, scan, shipped_order

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _mounted() -> bool:
    from oms.api import api

    return any(router is fulfillment_router for _prefix, router in api._routers)


def build_urlconf():
    """The project's URLs when the lead has mounted the router and /track/; until then the same
    URLs plus a test API carrying the fulfillment router (ninja cannot add a router after the
    project's API built its URLs)."""
    from ninja import NinjaAPI

    import oms.urls
    from oms.api import api

    have_track = any(str(p.pattern) == "track/" for p in oms.urls.urlpatterns)
    if _mounted() and have_track:
        return None
    patterns = [p for p in oms.urls.urlpatterns if not (str(p.pattern) == "api/v1/" and not _mounted())]
    if not _mounted():
        test_api = NinjaAPI(urls_namespace="api", title="test")
        for exc_class, handler in api._exception_handlers.items():
            test_api.add_exception_handler(exc_class, handler)
        test_api.add_router("/", fulfillment_router)
        patterns.append(path("api/v1/", test_api.urls))
    if not have_track:
        patterns.append(path("track/", include("fulfillment.urls_public")))
    module = ModuleType("tests_fulfillment_urls")
    module.urlpatterns = patterns
    return module


_URLCONF = None


@pytest.fixture(autouse=True)
def _urls(settings):
    global _URLCONF
    if _URLCONF is None:
        _URLCONF = build_urlconf() or "oms.urls"
    settings.ROOT_URLCONF = _URLCONF


@pytest.fixture
def carrier():
    return make_carrier("yurtici", secret="whsec-123")


@pytest.fixture
def shipment(carrier):
    order, warehouse = shipped_order()
    return make_shipment(order, warehouse, carrier, tracking_number="YK123456")


def body(tracking_number="YK123456", events=None, **extra) -> bytes:
    events = (
        events
        if events is not None
        else [
            {
                "code": "IND",
                "status": "in_transit",
                "occurred_at": "2026-03-02T12:10:00+03:00",
                "description": "Transfer merkezinde",
                "location": "Ankara Transfer",
            },
            {
                "code": "DLV",
                "status": "delivered",
                "occurred_at": "2026-03-03T10:00:00+03:00",
                "description": "Teslim edildi",
                "location": "Çankaya",
            },
        ]
    )
    return json.dumps({"tracking_number": tracking_number, "events": events, **extra}).encode()


def post(client, raw: bytes, *, secret="whsec-123", code="yurtici", signature=None):
    return client.post(
        f"/api/v1/carriers/{code}/webhook",
        data=raw,
        content_type="application/json",
        headers={"X-OMS-Signature": signature if signature is not None else signature_for(secret, raw)},
    )


# --- Webhook --------------------------------------------------------------------------------------


def test_signed_webhook_records_scans_and_delivers(client, shipment):
    response = post(client, body(estimated_delivery="2026-03-03"))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["shipment"] == shipment.number
    assert (data["received"], data["recorded"], data["duplicates"]) == (2, 2, 0)
    assert data["status"] == "delivered"
    assert data["order_delivered"] is True
    shipment.refresh_from_db()
    assert shipment.status == "delivered"
    assert str(shipment.estimated_delivery) == "2026-03-03"
    assert set(TrackingEvent.objects.filter(shipment=shipment).values_list("source", flat=True)) == {
        "webhook"
    }
    shipment.order.refresh_from_db()
    assert shipment.order.status == "delivered"


def test_duplicate_webhook_answers_200_and_counts_nothing_twice(client, shipment):
    raw = body()
    assert post(client, raw).status_code == 200
    again = post(client, raw)
    assert again.status_code == 200
    assert again.json()["recorded"] == 0
    assert again.json()["duplicates"] == 2
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 2


@pytest.mark.parametrize(
    "signature",
    ["", "0" * 64, "not-hex"],
)
def test_bad_signature_is_401_and_changes_nothing(client, shipment, signature):
    response = post(client, body(), signature=signature)
    assert response.status_code == 401
    assert response["Content-Type"].startswith(PROBLEM)
    assert response.json()["code"] == "bad_signature"
    assert not TrackingEvent.objects.exists()


def test_signature_over_a_different_body_or_secret_is_refused(client, shipment):
    raw = body()
    tampered = raw.replace(b"delivered", b"returned_to_sender")
    assert post(client, tampered, signature=signature_for("whsec-123", raw)).status_code == 401
    assert post(client, raw, secret="other-secret").status_code == 401
    # re-serialising the JSON (other spacing) changes the bytes: the signature is over the raw body
    spaced = json.dumps(json.loads(raw), indent=2).encode()
    assert post(client, spaced, signature=signature_for("whsec-123", raw)).status_code == 401
    assert not TrackingEvent.objects.exists()


def test_account_without_a_secret_accepts_no_webhook(client):
    no_secret = make_carrier("nosecret", secret="")
    order, warehouse = shipped_order()
    make_shipment(order, warehouse, no_secret, tracking_number="NS1")
    raw = body("NS1")
    assert post(client, raw, code="nosecret", secret="").status_code == 401
    assert post(client, raw, code="nosecret", secret="-").status_code == 401


def test_unknown_carrier_is_404(client, shipment):
    response = post(client, body(), code="nope")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_carrier"


def test_unknown_shipment_is_404_and_the_body_is_kept(client, carrier, shipment):
    raw = body("YK-UNKNOWN")
    response = post(client, raw)
    assert response.status_code == 404
    assert response["Content-Type"].startswith(PROBLEM)
    assert response.json()["code"] == "unknown_shipment"
    kept = Event.objects.get(name="carrier.webhook_unmatched", object_id=str(carrier.pk))
    assert kept.data["tracking_number"] == "YK-UNKNOWN"
    assert json.loads(kept.data["body"]) == json.loads(raw)
    assert not TrackingEvent.objects.exists()


def test_tracking_number_of_another_carrier_is_unknown_here(client, shipment):
    other = make_carrier("aras", secret="aras-secret")
    response = post(client, body("YK123456"), code=other.code, secret="aras-secret")
    assert response.status_code == 404


def test_invalid_body_is_422_naming_the_fields(client, shipment):
    raw = body(events=[{"status": "flying", "occurred_at": "yesterday"}, {"status": "in_transit"}])
    response = post(client, raw)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"events[0].occurred_at", "events[1].occurred_at"}
    bad_status = post(client, body(events=[{"status": "flying", "occurred_at": "2026-03-02T10:00:00Z"}]))
    assert bad_status.status_code == 422
    assert bad_status.json()["errors"][0]["field"] == "events[0].status"
    not_json = post(client, b"{nope")
    assert not_json.status_code == 422
    assert not TrackingEvent.objects.exists()


def test_exception_webhook_opens_a_problem(client, shipment):
    events = [
        {
            "code": "ISC",
            "status": "failed_attempt",
            "occurred_at": "2026-03-02T15:00:00+03:00",
            "description": "Alıcıya ulaşılamadı",
            "exception": "recipient_unreachable",
        }
    ]
    response = post(client, body(events=events))
    assert response.json()["problems_opened"] == 1
    assert post(client, body(events=events)).json()["problems_opened"] == 0
    problem = Problem.objects.get(shipment=shipment)
    assert problem.code == "recipient_unreachable"


def test_connector_parser_is_used_when_the_connector_has_one(client, monkeypatch):
    from fulfillment import carriers
    from fulfillment.carriers import TrackingUpdate

    class NativeHooks:
        name = "native_hooks_test"
        label = "Native (tests)"

        def __init__(self, *, settings, credentials):
            pass

        def parse_webhook(self, raw: bytes):
            data = json.loads(raw)
            return data["cargoKey"], [
                TrackingUpdate(
                    occurred_at=scan(5, "in_transit").occurred_at, status="in_transit", carrier_code="X"
                )
            ]

    carriers._load()
    monkeypatch.setitem(carriers._registry, NativeHooks.name, NativeHooks)
    carrier = make_carrier("native", connector="native_hooks_test", secret="n")
    order, warehouse = shipped_order()
    shipment = make_shipment(order, warehouse, carrier, tracking_number="C-1")
    raw = json.dumps({"cargoKey": "C-1", "operation": "IND"}).encode()
    response = post(client, raw, code="native", secret="n")
    assert response.status_code == 200, response.content
    shipment.refresh_from_db()
    assert shipment.status == "in_transit"


# --- Lists ----------------------------------------------------------------------------------------


@pytest.fixture
def read_key():
    return {"X-API-Key": create_api_key(name="ERP", scopes=["orders:read"])[1]}


def _many(carrier, n):
    order, warehouse = shipped_order()
    shipments = []
    for _ in range(n):
        shipment = make_shipment(order, warehouse, carrier)
        TrackingEvent.objects.create(
            shipment=shipment,
            occurred_at=scan(1, "in_transit").occurred_at,
            status="in_transit",
            source="poll",
            dedupe_key="k",
        )
        shipments.append(shipment)
    return order, shipments


def test_list_needs_a_key(client, carrier):
    assert client.get("/api/v1/shipments").status_code == 401
    _key, stock_only = create_api_key(name="Stock", scopes=["inventory:read"])
    assert client.get("/api/v1/shipments", headers={"X-API-Key": stock_only}).status_code == 403


def test_list_pages_and_filters(client, carrier, read_key):
    order, shipments = _many(carrier, 3)
    other = make_carrier("aras", secret="x")
    make_shipment(order, shipments[0].warehouse, other, status="delivered")
    first = client.get("/api/v1/shipments?limit=2", headers=read_key).json()
    assert len(first["items"]) == 2
    second = client.get(f"/api/v1/shipments?limit=2&cursor={first['next_cursor']}", headers=read_key).json()
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None
    ids = [s["id"] for s in first["items"] + second["items"]]
    assert len(set(ids)) == 4
    row = next(s for s in first["items"] + second["items"] if s["id"] == shipments[0].pk)
    assert row["order_number"] == order.number
    assert row["carrier"] == "yurtici"
    assert row["tracking"][0]["status"] == "in_transit"
    delivered = client.get("/api/v1/shipments?status=delivered", headers=read_key).json()["items"]
    assert [s["carrier"] for s in delivered] == ["aras"]
    by_carrier = client.get("/api/v1/shipments?carrier=yurtici", headers=read_key).json()["items"]
    assert len(by_carrier) == 3
    bad = client.get("/api/v1/shipments?status=lost", headers=read_key)
    assert bad.status_code == 422


def test_updated_since_gives_changes_oldest_first(client, carrier, read_key):
    _order, shipments = _many(carrier, 3)
    from django.utils import timezone

    shipments[0].save(update_fields=["updated_at"])  # changed last
    since = (shipments[1].updated_at - timezone.timedelta(microseconds=1)).isoformat()
    items = client.get("/api/v1/shipments", {"updated_since": since}, headers=read_key).json()["items"]
    assert [s["id"] for s in items] == [shipments[1].pk, shipments[2].pk, shipments[0].pk]


def test_list_query_count_does_not_grow(client, carrier, read_key, django_assert_max_num_queries):
    _many(carrier, 2)
    with django_assert_max_num_queries(5) as few:
        assert client.get("/api/v1/shipments", headers=read_key).status_code == 200
    _many(carrier, 10)
    with django_assert_max_num_queries(len(few)):
        assert len(client.get("/api/v1/shipments", headers=read_key).json()["items"]) == 12


def test_order_shipments(client, carrier, read_key, django_assert_max_num_queries):
    order, shipments = _many(carrier, 3)
    with django_assert_max_num_queries(5):
        response = client.get(f"/api/v1/orders/{order.pk}/shipments", headers=read_key)
    assert response.status_code == 200
    assert [s["id"] for s in response.json()] == [s.pk for s in shipments]
    missing = client.get("/api/v1/orders/999999/shipments", headers=read_key)
    assert missing.status_code == 404
    assert missing.json()["code"] == "unknown_order"


def test_panel_user_with_fulfillment_access_can_list(client, carrier, user_factory):
    _many(carrier, 1)
    client.force_login(user_factory(role="operator"))
    response = client.get("/api/v1/shipments")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1


def test_openapi_schema_documents_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/shipments",
        "/api/v1/orders/{order_id}/shipments",
        "/api/v1/carriers/{code}/webhook",
    } <= set(paths)
