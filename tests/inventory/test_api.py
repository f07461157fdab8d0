"""Inventory JSON API: products, stock per warehouse, adjustments; auth, cursors and problem JSON."""

import json

import pytest

from inventory.models import MovementKind, StockLevel, StockMovement
from inventory.services import reserve_one
from oms.apikeys import create_api_key
from oms.models import IdempotencyRecord
from tests.inventory.factories import make_category, make_product, make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def read_key():
    return {"Authorization": f"Bearer {create_api_key(name='Logo ERP', scopes=['inventory:read'])[1]}"}


@pytest.fixture
def write_key():
    _key, plaintext = create_api_key(name="WMS", scopes=["inventory:read", "inventory:write"])
    return {"X-API-Key": plaintext}


def level(variant, warehouse) -> StockLevel:
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


def adjust_request(client, headers, **body):
    return client.post(
        "/api/v1/stock/adjustments", data=json.dumps(body), content_type="application/json", headers=headers
    )


def walk(client, url, headers, **params):
    """Follow ``next_cursor`` to the end; return the pages' items."""
    pages, cursor = [], None
    while True:
        response = client.get(url, {**params, **({"cursor": cursor} if cursor else {})}, headers=headers)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


# --- Authentication -------------------------------------------------------------------------------


def test_products_need_a_key_with_the_read_scope(client, read_key):
    make_variant()
    assert client.get("/api/v1/products", headers=read_key).status_code == 200

    _key, other = create_api_key(name="Provinces only", scopes=["reference:read"])
    refused = client.get("/api/v1/products", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403
    assert refused["Content-Type"] == PROBLEM
    assert refused.json()["code"] == "insufficient_scope"

    anonymous = client.get("/api/v1/products")
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"] == PROBLEM


def test_panel_session_needs_the_inventory_permission(client, user_factory):
    make_variant()
    client.force_login(user_factory(role="warehouse"))
    assert client.get("/api/v1/stock").status_code == 200
    client.force_login(user_factory(role="finance"))
    response = client.get("/api/v1/stock")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_adjusting_needs_the_write_scope(client, read_key):
    variant, warehouse = stocked(5)
    response = adjust_request(
        client, read_key, sku=variant.sku, warehouse=warehouse.code, delta=1, reason="found"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    assert level(variant, warehouse).on_hand == 5


# --- Products -------------------------------------------------------------------------------------


def test_products_list_variants_with_prices_as_strings(client, read_key):
    product = make_product(name="Kupa", brand="Paşabahçe")
    make_variant(product, sku="KUPA-R", barcode="KB1", options={"renk": "kırmızı"}, list_price="149.90")
    make_variant(product, sku="KUPA-B", options={"renk": "mavi"})

    body = client.get("/api/v1/products", headers=read_key).json()

    assert body["next_cursor"] is None
    [item] = body["items"]
    assert (item["name"], item["brand"], item["category"]) == ("Kupa", "Paşabahçe", product.category.slug)
    assert item["variants"] == [
        {
            "sku": "KUPA-B",
            "barcode": None,
            "options": {"renk": "mavi"},
            "list_price": "100.00",
            "currency": "TRY",
            "is_active": True,
        },
        {
            "sku": "KUPA-R",
            "barcode": "KB1",
            "options": {"renk": "kırmızı"},
            "list_price": "149.90",
            "currency": "TRY",
            "is_active": True,
        },
    ]


def test_products_filter_by_search_and_category_slug(client, read_key):
    kitchen = make_category(slug="mutfak")
    kettles = make_category(slug="kettle", parent=kitchen)
    make_variant(make_product(name="Çaydanlık", category=kettles), sku="CAY-1")
    make_variant(make_product(name="Tencere", category=kitchen), sku="TEN-1")
    make_variant(make_product(name="Hortum", category=make_category(slug="bahce")), sku="HRT-1")

    def names(**params):
        response = client.get("/api/v1/products", params, headers=read_key)
        assert response.status_code == 200
        return [p["name"] for p in response.json()["items"]]

    assert names(search="ten-") == ["Tencere"]
    assert names(search="hortum") == ["Hortum"]
    assert sorted(names(category="mutfak")) == sorted(["Çaydanlık", "Tencere"])  # collation-neutral
    assert names(category="kettle") == ["Çaydanlık"]
    unknown = client.get("/api/v1/products", {"category": "yok"}, headers=read_key)
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_category"


def test_products_cursor_visits_every_product_once(client, read_key):
    for name in ["E", "C", "A", "D", "B"]:
        make_variant(make_product(name=f"Ürün {name}"))
    pages = walk(client, "/api/v1/products", read_key, limit=2)
    assert [[p["name"] for p in page] for page in pages] == [
        ["Ürün A", "Ürün B"],
        ["Ürün C", "Ürün D"],
        ["Ürün E"],
    ]


def test_forged_cursor_is_a_422_problem(client, read_key):
    response = client.get("/api/v1/products", {"cursor": "forged"}, headers=read_key)
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "bad_cursor"


def test_limit_out_of_range_is_a_422_problem(client, read_key):
    response = client.get("/api/v1/products", {"limit": 0}, headers=read_key)
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM


# --- Stock ----------------------------------------------------------------------------------------


@pytest.fixture
def two_warehouses():
    istanbul, ankara = make_warehouse("IST"), make_warehouse("ANK", priority=200)
    a, b, c = make_variant(sku="A-1"), make_variant(sku="B-1"), make_variant(sku="C-1")
    stocked(10, variant=a, warehouse=istanbul)
    stocked(4, variant=a, warehouse=ankara)
    stocked(3, variant=b, warehouse=ankara)
    stocked(7, variant=c, warehouse=istanbul)
    reserve_one(variant=a, warehouse=istanbul, quantity=6, reference="order_line:1")
    return istanbul, ankara


def test_stock_per_warehouse_and_totals(client, read_key, two_warehouses):
    body = client.get("/api/v1/stock", {"sku": "A-1"}, headers=read_key).json()
    assert body == {
        "items": [
            {
                "sku": "A-1",
                "warehouses": [
                    {"warehouse": "IST", "on_hand": 10, "reserved": 6, "available": 4, "quarantined": 0},
                    {"warehouse": "ANK", "on_hand": 4, "reserved": 0, "available": 4, "quarantined": 0},
                ],
                "totals": {"on_hand": 14, "reserved": 6, "available": 8, "quarantined": 0},
            }
        ],
        "next_cursor": None,
    }


def test_stock_filters_by_several_skus_and_a_warehouse(client, read_key, two_warehouses):
    def skus(params):
        response = client.get("/api/v1/stock", params, headers=read_key)
        assert response.status_code == 200
        return [item["sku"] for item in response.json()["items"]]

    assert skus({"sku": ["C-1", "A-1"]}) == ["A-1", "C-1"]
    assert skus({"sku": "B-1,C-1"}) == ["B-1", "C-1"]
    assert skus({"warehouse": "ANK"}) == ["A-1", "B-1"]
    only_ankara = client.get("/api/v1/stock", {"sku": "A-1", "warehouse": "ANK"}, headers=read_key).json()
    assert [w["warehouse"] for w in only_ankara["items"][0]["warehouses"]] == ["ANK"]
    assert only_ankara["items"][0]["totals"]["on_hand"] == 4


def test_stock_unknown_warehouse_is_a_422_problem(client, read_key):
    response = client.get("/api/v1/stock", {"warehouse": "NOPE"}, headers=read_key)
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_warehouse"


def test_stock_cursor_visits_every_variant_once(client, read_key, two_warehouses):
    pages = walk(client, "/api/v1/stock", read_key, limit=2)
    assert [[item["sku"] for item in page] for page in pages] == [["A-1", "B-1"], ["C-1"]]


def test_stock_query_count_does_not_grow_with_rows(client, read_key, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    warehouse, other = make_warehouse(), make_warehouse()
    stocked(1, warehouse=warehouse)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/stock", headers=read_key)
    for _ in range(20):
        variant, _w = stocked(2, warehouse=warehouse)
        stocked(1, variant=variant, warehouse=other)
    with django_assert_max_num_queries(len(few)):
        response = client.get("/api/v1/stock", headers=read_key)
    assert len(response.json()["items"]) == 21


# --- Adjustments ----------------------------------------------------------------------------------


def test_adjustment_changes_stock_and_returns_the_movement(client, write_key, assert_consistent):
    variant, warehouse = stocked(10)

    response = adjust_request(
        client,
        write_key,
        sku=variant.sku,
        warehouse=warehouse.code,
        delta=-4,
        reason="damaged",
        note="Islandı",
        reference="WMS-881",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    [movement] = body["movements"]
    assert movement["kind"] == MovementKind.ADJUSTMENT
    assert (movement["sku"], movement["warehouse"], movement["on_hand_delta"]) == (
        variant.sku,
        warehouse.code,
        -4,
    )
    assert (movement["reason"], movement["note"], movement["reference"]) == ("damaged", "Islandı", "WMS-881")
    assert body["level"] == {
        "warehouse": warehouse.code,
        "on_hand": 6,
        "reserved": 0,
        "available": 6,
        "quarantined": 0,
    }
    assert level(variant, warehouse).on_hand == 6
    row = StockMovement.objects.get(pk=movement["id"])
    assert (row.reason, row.user, row.source) == ("damaged", None, "api:WMS")  # the integration that did it
    assert_consistent()


def test_panel_session_adjustment_records_the_user(client, user_factory):
    clerk = user_factory(role="warehouse")
    client.force_login(clerk)
    variant, warehouse = stocked(2)
    response = adjust_request(client, {}, sku=variant.sku, warehouse=warehouse.code, delta=3, reason="found")
    assert response.status_code == 201
    assert StockMovement.objects.get(pk=response.json()["movements"][0]["id"]).user == clerk
    assert level(variant, warehouse).on_hand == 5


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"sku": "NO-SUCH-SKU"}, "unknown_variant"),
        ({"warehouse": "NOPE"}, "unknown_warehouse"),
        ({"delta": 0}, "invalid_input"),
        ({"delta": "3"}, "invalid_input"),
        ({"delta": 1.5}, "invalid_input"),
        ({"reason": None}, "invalid_input"),  # missing
        ({"reason": "stolen"}, "invalid_input"),
        ({"note": "x" * 256}, "invalid_input"),
    ],
)
def test_bad_adjustment_is_a_422_problem_and_writes_nothing(client, write_key, change, code):
    variant, warehouse = stocked(10)
    movements_before = StockMovement.objects.count()
    body = {"sku": variant.sku, "warehouse": warehouse.code, "delta": -2, "reason": "lost", **change}
    body = {k: v for k, v in body.items() if v is not None}

    response = adjust_request(client, write_key, **body)

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == code
    assert problem["status"] == 422
    assert problem["instance"] == "/api/v1/stock/adjustments"
    assert level(variant, warehouse).on_hand == 10
    assert StockMovement.objects.count() == movements_before


def test_removing_reserved_units_is_refused_and_writes_nothing(client, write_key, assert_consistent):
    variant, warehouse = stocked(10)
    reserve_one(variant=variant, warehouse=warehouse, quantity=8, reference="order_line:1")
    movements_before = StockMovement.objects.count()

    response = adjust_request(
        client, write_key, sku=variant.sku, warehouse=warehouse.code, delta=-3, reason="lost"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "stock_below_reserved"
    stock = level(variant, warehouse)
    assert (stock.on_hand, stock.reserved) == (10, 8)
    assert StockMovement.objects.count() == movements_before
    assert_consistent()


def test_same_idempotency_key_twice_adjusts_once(client, write_key, assert_consistent):
    variant, warehouse = stocked(10)
    headers = {**write_key, "Idempotency-Key": "wms-adj-42"}
    body = {"sku": variant.sku, "warehouse": warehouse.code, "delta": -2, "reason": "lost"}

    first = adjust_request(client, headers, **body)
    second = adjust_request(client, headers, **body)

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert level(variant, warehouse).on_hand == 8
    assert StockMovement.objects.filter(kind=MovementKind.ADJUSTMENT).count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert_consistent()


def test_adjustments_appear_in_the_openapi_document(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/products", "/api/v1/stock", "/api/v1/stock/adjustments"} <= set(schema["paths"])
    operation = schema["paths"]["/api/v1/stock/adjustments"]["post"]
    assert operation["tags"] == ["inventory"]
