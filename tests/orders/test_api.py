"""Orders JSON API: intake with every bad input, lists for syncing, cancel, approve, cart holds."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.models import Reservation, StockLevel
from oms.apikeys import create_api_key
from orders import services
from orders.models import ApprovalRule, Order, OrderEvent
from tests.inventory.factories import make_variant, make_warehouse, stocked
from tests.orders.factories import make_channel, place

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
ORDERS = "/api/v1/orders"


@pytest.fixture
def channel():
    return make_channel("web")


@pytest.fixture
def ankara():
    return make_warehouse("ANK", province=6)


@pytest.fixture
def write_key():
    _key, plaintext = create_api_key(name="Web shop", scopes=["orders:read", "orders:write"])
    return {"Authorization": f"Bearer {plaintext}"}


@pytest.fixture
def read_key():
    return {"X-API-Key": create_api_key(name="ERP", scopes=["orders:read"])[1]}


def body(variant, quantity=2, **fields) -> dict:
    return {
        "channel": "web",
        "channel_order_id": "W-1001",
        "currency": "TRY",
        "customer": {"email": "ayse@example.com", "phone": "", "first_name": "Ayşe", "last_name": "Yılmaz"},
        "shipping_address": {
            "name": "Ayşe Yılmaz",
            "line1": "Atatürk Bulvarı 1",
            "district": "Çankaya",
            "city": "Ankara",
            "postal_code": "06100",
            "country": "TR",
        },
        "payment_method": "card",
        "lines": [{"sku": variant.sku, "quantity": quantity, "unit_price": "100.00"}],
        **fields,
    }


def post(client, url, data, headers, **extra):
    raw = data if isinstance(data, str) else json.dumps(data)
    return client.post(url, data=raw, content_type="application/json", headers=headers, **extra)


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM
    return {e["field"]: e["code"] for e in response.json()["errors"]}


def available(variant, warehouse) -> int:
    return StockLevel.objects.get(variant=variant, warehouse=warehouse).available


# --- Create ---------------------------------------------------------------------------------------


def test_create_returns_201_with_the_allocated_order(client, channel, ankara, write_key):
    variant, _wh = stocked(10, warehouse=ankara)

    response = post(client, ORDERS, body(variant), write_key, REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 201, response.content
    data = response.json()
    order = Order.objects.get()
    assert data["id"] == order.pk
    assert data["number"] == order.number
    assert (data["status"], data["channel"], data["channel_order_id"]) == ("allocated", "web", "W-1001")
    assert (data["grand_total"], data["tax_total"], data["subtotal"]) == ("200.00", "33.33", "200.00")
    assert data["customer"] == {
        "id": order.customer_id,
        "email": "ayse@example.com",
        "phone": "",
        "name": "Ayşe Yılmaz",
    }
    [line] = data["lines"]
    assert (line["sku"], line["quantity"], line["unit_price"], line["total"]) == (
        variant.sku,
        2,
        "100.00",
        "200.00",
    )
    assert (line["quantity_allocated"], line["quantity_backordered"], line["tax_rate"]) == (2, 0, 20)
    assert data["allocations"] == [
        {"warehouse": "ANK", "line_id": line["id"], "sku": variant.sku, "quantity": 2}
    ]
    assert data["allocation_summary"]
    assert data["links"]["self"] == f"{ORDERS}/{order.pk}"
    assert [e["name"] for e in data["timeline"]] == ["order.allocated", "order.confirmed", "order.created"]
    assert (order.source, order.created_by, order.ip_address) == ("api", None, "203.0.113.7")
    assert available(variant, ankara) == 8


def test_panel_session_creates_as_its_user(client, channel, ankara, user_factory):
    variant, _wh = stocked(10, warehouse=ankara)
    user = user_factory(role="customer_service")
    client.force_login(user)
    assert post(client, ORDERS, body(variant), {}).status_code == 201
    assert Order.objects.get().created_by == user


def test_amounts_as_numbers_are_not_float_rounded(client, channel, ankara, write_key):
    variant, _wh = stocked(10, variant=make_variant(list_price=Decimal("33.30")), warehouse=ankara)
    # 1.005 as a binary float is 1.00499999...: rounded through float it would be 1.00, not 1.01.
    data = body(variant, quantity=3, shipping_fee=1.005, discount="0.10")
    data["lines"][0]["unit_price"] = 33.3
    response = post(client, ORDERS, data, write_key)
    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["lines"][0]["unit_price"], order["shipping_fee"]) == ("33.30", "1.01")
    assert order["grand_total"] == "100.81"  # 99.90 - 0.10 + 1.01


def test_same_channel_order_again_is_200_with_the_same_order(client, channel, ankara, write_key):
    variant, _wh = stocked(10, warehouse=ankara)
    first = post(client, ORDERS, body(variant), write_key)
    again = post(client, ORDERS, body(variant, quantity=5), write_key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["lines"][0]["quantity"] == 2
    assert Order.objects.count() == 1
    assert available(variant, ankara) == 8


def test_idempotency_key_replays_and_refuses_another_body(client, channel, ankara, write_key):
    variant, _wh = stocked(10, warehouse=ankara)
    headers = {**write_key, "Idempotency-Key": "order-W-1001"}
    first = post(client, ORDERS, body(variant), headers)
    replay = post(client, ORDERS, body(variant), headers)
    assert first.status_code == replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()

    other = post(client, ORDERS, body(variant, channel_order_id="W-1002"), headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_order_named_holds_take_them_over(client, channel, ankara, write_key):
    variant, _wh = stocked(10, warehouse=ankara)
    other = make_warehouse("IST", province=34)
    stocked(20, variant=variant, warehouse=other)  # more free stock elsewhere: the hold decides
    hold = post(
        client, "/api/v1/holds", {"sku": variant.sku, "quantity": 2, "warehouse": "ANK"}, write_key
    ).json()
    assert available(variant, ankara) == 8

    response = post(client, ORDERS, body(variant, hold_ids=[hold["id"]]), write_key)

    assert response.status_code == 201, response.content
    assert response.json()["allocations"][0]["warehouse"] == "ANK"
    assert available(variant, ankara) == 8  # the hold became the order's reservation, no second take
    assert available(variant, other) == 20
    assert Reservation.objects.get(pk=hold["id"]).status != "active"
    line_id = response.json()["lines"][0]["id"]
    assert Reservation.objects.get(reference=f"order_line:{line_id}", status="active").quantity == 2


def test_used_hold_cannot_be_named_again(client, channel, ankara, write_key):
    variant, _wh = stocked(10, warehouse=ankara)
    hold = post(client, "/api/v1/holds", {"sku": variant.sku, "quantity": 1}, write_key).json()
    assert post(client, ORDERS, body(variant, hold_ids=[hold["id"]]), write_key).status_code == 201
    again = post(client, ORDERS, body(variant, channel_order_id="W-2", hold_ids=[hold["id"]]), write_key)
    assert errors_of(again) == {"hold_ids": "hold_unavailable"}


# --- Bad input ------------------------------------------------------------------------------------


def test_no_key_is_401_and_wrong_scope_is_403(client, channel, ankara, read_key):
    variant, _wh = stocked(10, warehouse=ankara)
    anonymous = post(client, ORDERS, body(variant), {})
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"] == PROBLEM
    refused = post(client, ORDERS, body(variant), read_key)
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"
    _key, stock_only = create_api_key(name="Stock", scopes=["inventory:read"])
    assert client.get(ORDERS, headers={"X-API-Key": stock_only}).status_code == 403
    assert client.get(ORDERS).status_code == 401
    assert not Order.objects.exists()


def test_warehouse_role_session_may_not_create(client, channel, ankara, user_factory):
    variant, _wh = stocked(10, warehouse=ankara)
    client.force_login(user_factory(role="warehouse"))
    response = post(client, ORDERS, body(variant), {})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_every_bad_field_is_named(client, channel, ankara, write_key):
    variant, _wh = stocked(10, warehouse=ankara)
    data = body(variant)
    data["lines"] = [
        {"sku": "NOPE-1", "quantity": 1},
        {"sku": variant.sku, "quantity": 0},
        {"sku": variant.sku, "quantity": -2},
        {"sku": variant.sku, "quantity": 1, "unit_price": "500.00"},  # 400 % above the price list
    ]
    del data["shipping_address"]["district"]
    data["shipping_address"]["line1"] = "  "
    data["payment_method"] = "barter"

    response = post(client, ORDERS, data, write_key)

    assert errors_of(response) == {
        "lines[0].sku": "unknown_sku",
        "lines[1].quantity": "invalid_quantity",
        "lines[2].quantity": "invalid_quantity",
        "lines[3].unit_price": "price_out_of_tolerance",
        "shipping_address.district": "required",
        "shipping_address.line1": "required",
        "payment_method": "invalid_choice",
    }
    assert response.json()["type"] == "/problems/order-invalid"
    assert not Order.objects.exists()
    assert available(variant, ankara) == 10


def test_missing_address_and_customer_are_named(client, channel, ankara, write_key):
    variant, _wh = stocked(10, warehouse=ankara)
    data = body(variant, customer={})
    del data["shipping_address"]
    assert errors_of(post(client, ORDERS, data, write_key)) == {
        "shipping_address": "required",
        "customer.email": "invalid",
        "customer.first_name": "invalid",
    }


def test_unknown_channel_is_named(client, channel, ankara, write_key):
    variant, _wh = stocked(10, warehouse=ankara)
    assert errors_of(post(client, ORDERS, body(variant, channel="nowhere"), write_key)) == {
        "channel": "unknown_channel"
    }


@pytest.mark.parametrize("quantity", ["2", 2.5, True, None])
def test_quantity_must_be_a_whole_number(client, channel, ankara, write_key, quantity):
    variant, _wh = stocked(10, warehouse=ankara)
    response = post(
        client, ORDERS, body(variant, lines=[{"sku": variant.sku, "quantity": quantity}]), write_key
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    error = response.json()["errors"][0]
    assert error["loc"][-3:] == ["lines", 0, "quantity"]
    assert error["field"] == "lines[0].quantity"  # named like the business errors
    assert error["code"]
    assert not Order.objects.exists()


def test_amount_that_is_not_a_number_is_named(client, channel, ankara, write_key):
    variant, _wh = stocked(10, warehouse=ankara)
    data = body(variant, shipping_fee="free")
    assert errors_of(post(client, ORDERS, data, write_key)) == {"shipping_fee": "invalid_amount"}


def test_malformed_json_is_a_400_problem(client, channel, write_key):
    response = post(client, ORDERS, '{"channel": "web", "lines": [', write_key)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"] == "/problems/malformed-json"


def test_channel_without_backorders_answers_409_with_the_short_items(client, ankara, write_key):
    make_channel("strict", shortage_policy="reject")
    variant, _wh = stocked(1, warehouse=ankara)
    response = post(client, ORDERS, body(variant, quantity=3, channel="strict"), write_key)
    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock"
    assert response.json()["items"] == [{"sku": variant.sku, "wanted": 3, "short": 2}]
    assert not Order.objects.exists()
    assert available(variant, ankara) == 1


# --- Read -----------------------------------------------------------------------------------------


def test_list_filters_by_status_and_channel(client, channel, ankara, read_key):
    variant, _wh = stocked(3, warehouse=ankara)
    other = make_channel("market")
    allocated = place(channel, [(variant, 2)])
    backordered = place(other, [(variant, 5)])

    def numbers(**params):
        response = client.get(ORDERS, params, headers=read_key)
        assert response.status_code == 200, response.content
        return [item["number"] for item in response.json()["items"]]

    assert numbers() == [backordered.number, allocated.number]  # newest first
    assert numbers(status="allocated") == [allocated.number]
    assert numbers(channel="market") == [backordered.number]
    assert numbers(status="shipped") == []
    assert client.get(ORDERS, {"status": "lost"}, headers=read_key).status_code == 422
    row = client.get(ORDERS, {"status": "backordered"}, headers=read_key).json()["items"][0]
    assert "timeline" not in row
    assert row["lines"][0]["quantity_backordered"] == 4


def test_list_since_a_time_in_change_order_with_cursors(client, channel, ankara, read_key):
    variant, _wh = stocked(20, warehouse=ankara)
    old = place(channel, [(variant, 1)])
    Order.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=2))
    orders = [place(channel, [(variant, 1)]) for _ in range(3)]
    services.cancel(orders[0], reason="customer asked")  # changed last

    since = (timezone.now() - timedelta(days=1)).isoformat()
    pages, cursor = [], None
    while True:
        params = {"updated_since": since, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(ORDERS, params, headers=read_key).json()
        pages.append([item["id"] for item in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [[orders[1].pk, orders[2].pk], [orders[0].pk]]


def test_list_query_count_does_not_grow(client, channel, ankara, read_key, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    variant, _wh = stocked(100, warehouse=ankara)
    place(channel, [(variant, 1)])
    with CaptureQueriesContext(connection) as few:
        client.get(ORDERS, headers=read_key)
    other = make_variant()
    stocked(100, variant=other, warehouse=make_warehouse())
    for _ in range(10):
        place(channel, [(variant, 1), (other, 2)])
    with django_assert_max_num_queries(len(few)):
        response = client.get(ORDERS, headers=read_key)
    assert len(response.json()["items"]) == 11


def test_detail_has_the_timeline_and_unknown_is_404(client, channel, ankara, read_key):
    variant, _wh = stocked(10, warehouse=ankara)
    order = place(channel, [(variant, 1)])
    data = client.get(f"{ORDERS}/{order.pk}", headers=read_key).json()
    assert data["number"] == order.number
    assert data["timeline"][0]["name"] == "order.allocated"
    missing = client.get(f"{ORDERS}/{order.pk + 999}", headers=read_key)
    assert missing.status_code == 404
    assert missing["Content-Type"] == PROBLEM


# --- Cancel and approve ---------------------------------------------------------------------------


def test_cancel_releases_the_stock(client, channel, ankara, write_key, read_key):
    variant, _wh = stocked(10, warehouse=ankara)
    order = place(channel, [(variant, 4)])
    assert post(client, f"{ORDERS}/{order.pk}/cancel", {"reason": "x"}, read_key).status_code == 403

    response = post(client, f"{ORDERS}/{order.pk}/cancel", {"reason": "Customer changed mind"}, write_key)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    assert response.json()["allocations"] == []
    assert available(variant, ankara) == 10
    assert post(client, f"{ORDERS}/{order.pk}/cancel", {"reason": ""}, write_key).status_code == 422


def test_cancelling_a_shipped_order_is_409_and_kept_on_the_timeline(client, channel, ankara, write_key):
    variant, _wh = stocked(10, warehouse=ankara)
    order = place(channel, [(variant, 1)])
    services.mark_shipped(order)

    response = post(client, f"{ORDERS}/{order.pk}/cancel", {"reason": "Too late"}, write_key)

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    order.refresh_from_db()
    assert order.status == "shipped"
    assert OrderEvent.objects.filter(subject=order, name="order.cancel_refused").exists()


@pytest.fixture
def big_orders_need_approval():
    ApprovalRule.objects.create(name="Big", min_total=Decimal("150"))


def test_approving_your_own_order_is_403(client, channel, ankara, user_factory, big_orders_need_approval):
    variant, _wh = stocked(10, warehouse=ankara)
    operator = user_factory(role="operator")
    client.force_login(operator)
    created = post(client, ORDERS, body(variant), {}).json()
    assert (created["status"], created["hold_reason"]) == ("on_hold", "approval")

    response = post(client, f"{ORDERS}/{created['id']}/approve", {}, {})

    assert response.status_code == 403
    assert response.json()["type"] == "/problems/self-approval"
    assert Order.objects.get().status == "on_hold"
    assert OrderEvent.objects.filter(name="order.approval_refused").exists()

    client.force_login(user_factory(role="operator"))
    approved = post(client, f"{ORDERS}/{created['id']}/approve", {"note": "Known customer"}, {})
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "allocated"


def test_approve_needs_the_approve_scope_and_an_owner_who_may(
    client, channel, ankara, write_key, user_factory, big_orders_need_approval
):
    variant, _wh = stocked(10, warehouse=ankara)
    order_id = post(client, ORDERS, body(variant), write_key).json()["id"]
    url = f"{ORDERS}/{order_id}/approve"

    assert post(client, url, {}, write_key).json()["code"] == "insufficient_scope"
    _key, ownerless = create_api_key(name="Bridge", scopes=["orders:approve"])
    assert post(client, url, {}, {"X-API-Key": ownerless}).status_code == 403
    _key, by_cs = create_api_key(
        name="CS", scopes=["orders:approve"], by=user_factory(role="customer_service")
    )
    assert post(client, url, {}, {"X-API-Key": by_cs}).json()["code"] == "forbidden"
    assert Order.objects.get().status == "on_hold"

    approver = user_factory(role="operator")
    _key, plaintext = create_api_key(name="Risk desk", scopes=["orders:approve"], by=approver)
    response = post(client, url, {"note": "ok"}, {"X-API-Key": plaintext})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "allocated"
    assert Order.objects.get().approved_by == approver


# --- Cart holds -----------------------------------------------------------------------------------


def test_hold_goes_to_the_warehouse_with_most_free_stock(client, write_key):
    variant, _w1 = stocked(5, warehouse=make_warehouse("W1", priority=10))
    stocked(8, variant=variant, warehouse=make_warehouse("W2", priority=20))
    stocked(50, variant=variant, warehouse=make_warehouse("OFF", is_active=False))

    response = post(client, "/api/v1/holds", {"sku": variant.sku, "quantity": 3, "cart": "c-1"}, write_key)

    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["warehouse"], data["quantity"], data["sku"], data["cart"]) == ("W2", 3, variant.sku, "c-1")
    hold = Reservation.objects.get(pk=data["id"])
    assert (hold.reason, hold.reference, hold.status) == ("cart_hold", "cart:c-1", "active")
    assert abs((hold.expires_at - timezone.now()) - timedelta(seconds=1800)) < timedelta(seconds=30)
    # Now 5 free in each: the lower priority number wins the tie.
    tie = post(client, "/api/v1/holds", {"sku": variant.sku, "quantity": 1, "ttl_seconds": 60}, write_key)
    assert tie.json()["warehouse"] == "W1"
    assert tie.json()["cart"]


def test_hold_short_of_stock_is_409_and_bad_ttl_422(client, write_key, read_key):
    variant, warehouse = stocked(2)
    short = post(client, "/api/v1/holds", {"sku": variant.sku, "quantity": 3}, write_key)
    assert short.status_code == 409
    assert short.json()["code"] == "insufficient_stock"
    named = post(
        client, "/api/v1/holds", {"sku": variant.sku, "quantity": 3, "warehouse": warehouse.code}, write_key
    )
    assert named.status_code == 409
    nowhere = post(client, "/api/v1/holds", {"sku": make_variant().sku, "quantity": 1}, write_key)
    assert nowhere.status_code == 409
    for ttl in (59, 86401):
        bad = post(
            client, "/api/v1/holds", {"sku": variant.sku, "quantity": 1, "ttl_seconds": ttl}, write_key
        )
        assert bad.status_code == 422
    assert post(client, "/api/v1/holds", {"sku": "NOPE", "quantity": 1}, write_key).status_code == 422
    assert post(client, "/api/v1/holds", {"sku": variant.sku, "quantity": 1}, read_key).status_code == 403
    assert not Reservation.objects.exists()
    assert available(variant, warehouse) == 2


# --- Documentation and the key command ------------------------------------------------------------


def test_openapi_lists_the_order_operations(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    expected = {
        ("/api/v1/orders", "post"),
        ("/api/v1/orders", "get"),
        ("/api/v1/orders/{order_id}", "get"),
        ("/api/v1/orders/{order_id}/cancel", "post"),
        ("/api/v1/orders/{order_id}/approve", "post"),
        ("/api/v1/holds", "post"),
    }
    for path, method in expected:
        operation = paths[path][method]
        assert operation["tags"] == ["orders"]
        assert operation["summary"]


def test_create_api_key_command_accepts_the_orders_scopes(client, channel, ankara, capsys):
    variant, _wh = stocked(10, warehouse=ankara)
    call_command("create_api_key", "Web shop", "--scope", "orders:write")
    plaintext = capsys.readouterr().out.strip().splitlines()[-1]
    response = post(client, ORDERS, body(variant), {"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 201, response.content
