"""Allocation dry run: for an order or pasted lines, what the rules would choose and why; nothing reserved."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from inventory.models import Reservation, StockLevel
from inventory.purchasing import OrderLineInput, create_purchase_order, send_purchase_order
from orders.models import AllocationDecision
from orders.panel.panel_forms import parse_lines
from tests.inventory.factories import make_supplier, make_variant, make_warehouse, stocked
from tests.orders.factories import make_channel, place

pytestmark = pytest.mark.django_db

URL = reverse("orders:dry_run")
ANKARA, ISTANBUL = 6, 34


@pytest.fixture
def ank():
    return make_warehouse("ANK", province=ANKARA)


@pytest.fixture
def ist():
    return make_warehouse("IST", province=ISTANBUL)


@pytest.fixture
def op_client(client, user_factory):
    client.force_login(user_factory(role="operator", language="en"))
    return client


def levels() -> list[tuple]:
    return sorted(StockLevel.objects.values_list("variant_id", "warehouse_id", "on_hand", "reserved"))


def chosen(response) -> list[str]:
    return [c["code"] for c in response.context["report"]["chosen"]]


def test_pasted_lines_choose_the_nearest_warehouse_with_everything_and_reserve_nothing(op_client, ank, ist):
    a, _w = stocked(5, warehouse=ank)
    stocked(5, variant=a, warehouse=ist)
    b, _w = stocked(5, warehouse=ank)
    stocked(5, variant=b, warehouse=ist)
    before, reservations = levels(), Reservation.objects.count()

    response = op_client.post(URL, {"province": ISTANBUL, "lines": f"{a.sku} 2\n{b.sku};1"})

    assert response.status_code == 200
    assert chosen(response) == ["IST"]
    lines = response.context["report"]["lines"]
    assert [(line["sku"], line["assignments"]) for line in lines] == [
        (a.sku, [{"code": "IST", "quantity": 2}]),
        (b.sku, [{"code": "IST", "quantity": 1}]),
    ]
    candidates = {c["code"]: c for c in response.context["report"]["plan"].candidates}
    assert candidates["IST"]["distance_km"] == 0
    assert candidates["IST"]["chosen"]
    assert candidates["ANK"]["distance_km"] > 300
    assert not candidates["ANK"]["chosen"]
    assert (candidates["ANK"]["lines_full"], candidates["ANK"]["lines_total"]) == (2, 2)
    assert "has all 2 lines" in response.content.decode()
    # nothing reserved, nothing recorded
    assert levels() == before
    assert Reservation.objects.count() == reservations
    assert not AllocationDecision.objects.exists()


def test_split_when_no_warehouse_has_every_line(op_client, ank, ist):
    only_ank, _w = stocked(3, warehouse=ank)
    only_ist, _w = stocked(3, warehouse=ist)
    response = op_client.post(URL, {"province": ANKARA, "lines": f"{only_ank.sku}\t1\n{only_ist.sku}\t1"})
    assert sorted(chosen(response)) == ["ANK", "IST"]
    assert "Split into 2 shipments" in response.context["report"]["plan"].summary


def test_unknown_skus_and_bad_quantities_are_reported_per_line(op_client, ank):
    known, _w = stocked(3, warehouse=ank)
    text = f"NOPE-1 2\n{known.sku} 1\n{known.sku} x\n\n{known.sku.lower()} 1"

    response = op_client.post(URL, {"province": ANKARA, "lines": text})

    rows = {row.row: row for row in response.context["rows"]}
    assert rows[1].error == "Unknown SKU “NOPE-1”."
    assert rows[3].error == "The quantity must be a whole number above zero."
    assert rows[2].variant == known
    assert rows[2].quantity == 2
    assert rows[5].merged_into == 2
    assert response.context["report"]["lines"][0]["quantity"] == 2
    html = response.content.decode()
    assert "Unknown SKU “NOPE-1”." in html
    assert "added to line 2" in html


def test_no_known_line_is_a_form_error_and_runs_nothing(op_client, ank):
    response = op_client.post(URL, {"province": ANKARA, "lines": "NOPE 1\nALSO-NOPE 2"})
    assert response.status_code == 200
    assert "report" not in response.context
    assert response.context["form"].errors["lines"] == ["None of the lines names a known product."]
    assert [row.error for row in response.context["rows"]] == [
        "Unknown SKU “NOPE”.",
        "Unknown SKU “ALSO-NOPE”.",
    ]


def test_province_is_required(op_client, ank):
    variant, _w = stocked(1, warehouse=ank)
    response = op_client.post(URL, {"province": "", "lines": f"{variant.sku} 1"})
    assert "province" in response.context["form"].errors


def test_shortfalls_show_the_promise_date_of_the_next_purchase_order(op_client, ank):
    variant, _w = stocked(1, warehouse=ank)
    expected = timezone.localdate() + timedelta(days=9)
    po = create_purchase_order(
        supplier=make_supplier(), warehouse=ank, lines=[OrderLineInput(variant, 10)], expected_date=expected
    )
    send_purchase_order(order=po, notify_supplier=False)

    response = op_client.post(URL, {"province": ANKARA, "lines": f"{variant.sku} 4"})

    [short] = response.context["report"]["shortfalls"]
    assert (short["short"], short["promise_date"]) == (3, expected)
    assert response.context["report"]["lines"][0]["assignments"] == [{"code": "ANK", "quantity": 1}]
    assert "3 units would be backordered" in response.content.decode()


def test_order_mode_plans_the_open_needs_of_a_backordered_order(op_client, ank, ist):
    channel = make_channel("web")
    variant, _w = stocked(1, warehouse=ank)
    order = place(channel, [(variant, 3)])  # 1 allocated in ANK, 2 backordered
    assert order.status == "backordered"
    stocked(5, variant=variant, warehouse=ist)  # stock arrived elsewhere
    before = levels()

    response = op_client.get(URL, {"order": order.number.lower()})

    assert response.context["order"] == order
    [line] = response.context["report"]["lines"]
    assert line["quantity"] == 2  # only what is still open
    assert chosen(response) == ["IST"]
    assert levels() == before
    by_id = op_client.get(URL, {"order": str(order.pk)})
    assert by_id.context["order"] == order


def test_order_mode_for_a_fully_allocated_order_says_so(op_client, ank):
    variant, _w = stocked(5, warehouse=ank)
    order = place(make_channel("web"), [(variant, 1)])
    response = op_client.get(URL, {"order": order.number})
    assert response.context["report"]["lines"] == []
    assert "Nothing left to allocate" in response.content.decode()


def test_unknown_order_is_a_message_not_an_error(op_client):
    response = op_client.get(URL, {"order": "SIP-0000-999999"})
    assert response.status_code == 200
    assert "There is no order “SIP-0000-999999”." in response.content.decode()


def test_htmx_post_returns_only_the_workspace(op_client, ank):
    variant, _w = stocked(2, warehouse=ank)
    response = op_client.post(
        URL, {"province": ANKARA, "lines": f"{variant.sku} 1"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="workspace"')
    assert "<html" not in html
    assert "Candidates" in html


def test_query_count_does_not_grow_with_lines(op_client, ank, ist, django_assert_max_num_queries):
    variants = [stocked(5, warehouse=ank)[0] for _n in range(8)]
    with CaptureQueriesContext(connection) as few:
        op_client.post(URL, {"province": ANKARA, "lines": f"{variants[0].sku} 9\nNOPE 1"})
    text = "\n".join(f"{v.sku} 9" for v in variants)  # all short: promise dates looked up too
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = op_client.post(URL, {"province": ANKARA, "lines": text})
    assert len(response.context["report"]["lines"]) == 8


def test_warehouse_staff_get_403(client, user_factory):
    client.force_login(user_factory(role="warehouse"))
    assert client.get(URL).status_code == 403


def test_parse_accepts_spaces_semicolons_tabs_and_barcodes():
    variant = make_variant(barcode="8690000000017")
    with translation.override("en"):
        rows = parse_lines(f"{variant.sku} 2\n8690000000017;1\n  \n{variant.sku}\t3\nfoo 1 2")
    assert [(r.row, r.quantity, r.error) for r in rows] == [
        (1, 6, ""),
        (2, 1, ""),
        (4, 3, ""),
        (5, 0, "Write one SKU and one quantity."),
    ]
    assert [r.merged_into for r in rows] == [None, 1, 1, None]
