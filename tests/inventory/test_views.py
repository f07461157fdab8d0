"""Inventory panel pages: stock levels, products, a variant's card, and adjustments from the panel."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import constants as message_levels
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.models import MovementKind, StockLevel, StockLot, StockMovement, Tracking
from inventory.services import adjust, quarantine, remove_stock, reserve_one
from tests.inventory.factories import (
    make_category,
    make_product,
    make_variant,
    make_warehouse,
    stocked,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse_client(client, user_factory):
    client.force_login(user_factory(role="warehouse", username="depocu"))
    return client


def level(variant, warehouse) -> StockLevel:
    return StockLevel.objects.get(variant=variant, warehouse=warehouse)


def listed(response) -> list[tuple[str, str]]:
    """(SKU, warehouse code) of every stock-level row on the page."""
    return [(row.variant.sku, row.warehouse.code) for row in response.context["page"]]


def stock_levels(client, **params):
    return client.get(reverse("inventory:index"), params)


# --- Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["warehouse", "operator", "admin"])
def test_pages_render_for_inventory_roles(client, user_factory, role):
    variant, _warehouse = stocked(5)
    client.force_login(user_factory(role=role))
    for url in (
        reverse("inventory:index"),
        reverse("inventory:products"),
        reverse("inventory:variant", args=[variant.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert variant.sku in response.content.decode()


def test_finance_gets_403_everywhere(client, user_factory):
    variant, warehouse = stocked(5)
    client.force_login(user_factory(role="finance"))
    for url in (
        reverse("inventory:index"),
        reverse("inventory:products"),
        reverse("inventory:variant", args=[variant.pk]),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("inventory:variant_adjust", args=[variant.pk]),
        {"warehouse": warehouse.pk, "delta": -1, "reason": "lost"},
    )
    assert response.status_code == 403
    assert level(variant, warehouse).on_hand == 5


def test_unknown_variant_is_404(warehouse_client):
    assert warehouse_client.get(reverse("inventory:variant", args=[999999])).status_code == 404


# --- Stock levels list ----------------------------------------------------------------------------


def test_stock_levels_list_one_row_per_variant_and_warehouse_in_sku_order(warehouse_client):
    istanbul, ankara = make_warehouse("IST"), make_warehouse("ANK")
    b = make_variant(sku="B-1")
    a = make_variant(sku="A-1")
    stocked(4, variant=b, warehouse=istanbul)
    stocked(7, variant=a, warehouse=istanbul)
    stocked(2, variant=a, warehouse=ankara)
    reserve_one(variant=a, warehouse=istanbul, quantity=3, reference="order_line:1")

    response = stock_levels(warehouse_client)

    assert response.status_code == 200
    assert listed(response) == [("A-1", "IST"), ("A-1", "ANK"), ("B-1", "IST")]
    rows = {(r.variant.sku, r.warehouse.code): r for r in response.context["page"]}
    a_ist = rows[("A-1", "IST")]
    assert (a_ist.on_hand, a_ist.reserved, a_ist.available, a_ist.quarantined) == (7, 3, 4, 0)


def test_search_matches_sku_barcode_and_product_name(warehouse_client):
    warehouse = make_warehouse()
    kettle = make_variant(make_product(name="Çelik Kettle"), sku="KET-01", barcode="KBAR777")
    mug = make_variant(make_product(name="Porselen Kupa"), sku="MUG-01", barcode="MBAR888")
    for variant in (kettle, mug):
        stocked(3, variant=variant, warehouse=warehouse)

    assert listed(stocks := stock_levels(warehouse_client, q="ket-")) == [("KET-01", warehouse.code)]
    assert stocks.status_code == 200
    assert listed(stock_levels(warehouse_client, q="MBAR888")) == [("MUG-01", warehouse.code)]
    assert listed(stock_levels(warehouse_client, q="kupa")) == [("MUG-01", warehouse.code)]


def test_warehouse_filter(warehouse_client):
    istanbul, ankara = make_warehouse("IST"), make_warehouse("ANK")
    variant = make_variant(sku="A-1")
    stocked(1, variant=variant, warehouse=istanbul)
    stocked(1, variant=variant, warehouse=ankara)
    assert listed(stock_levels(warehouse_client, warehouse=ankara.pk)) == [("A-1", "ANK")]


def test_category_filter_includes_sub_categories(warehouse_client):
    warehouse = make_warehouse()
    kitchen = make_category(name="Mutfak")
    kettles = make_category(name="Kettle", parent=kitchen)
    garden = make_category(name="Bahçe")
    stocked(1, variant=make_variant(make_product(category=kitchen), sku="K-1"), warehouse=warehouse)
    stocked(1, variant=make_variant(make_product(category=kettles), sku="K-2"), warehouse=warehouse)
    stocked(1, variant=make_variant(make_product(category=garden), sku="G-1"), warehouse=warehouse)

    assert [s for s, _w in listed(stock_levels(warehouse_client, category=kitchen.pk))] == ["K-1", "K-2"]
    assert [s for s, _w in listed(stock_levels(warehouse_client, category=kettles.pk))] == ["K-2"]


def test_below_minimum_uses_the_variant_threshold_else_the_category_one(warehouse_client):
    warehouse = make_warehouse()
    category = make_category(alert_minimum=10, alert_critical=2)

    def variant(sku, quantity, **fields):
        made = make_variant(make_product(category=category), sku=sku, **fields)
        stocked(quantity, variant=made, warehouse=warehouse)
        return made

    variant("CAT-LOW", 8)  # 8 <= category's 10
    variant("CAT-EDGE", 10)  # at the minimum counts as below
    variant("CAT-OK", 15)
    variant("OWN-LOW", 15, alert_minimum=20)  # the variant's own threshold wins ...
    variant("OWN-OK", 8, alert_minimum=3)  # ... in both directions
    reserved = variant("RESERVED", 14)  # 14 on hand, 5 reserved: 9 available
    reserve_one(variant=reserved, warehouse=warehouse, quantity=5, reference="order_line:9")

    response = stock_levels(warehouse_client, below_minimum="on")

    assert [sku for sku, _w in listed(response)] == ["CAT-EDGE", "CAT-LOW", "OWN-LOW", "RESERVED"]


def test_has_quarantine_filter(warehouse_client):
    warehouse = make_warehouse()
    damaged, _w = stocked(5, variant=make_variant(sku="DMG-1"), warehouse=warehouse)
    stocked(5, variant=make_variant(sku="FINE-1"), warehouse=warehouse)
    quarantine(lot=StockLot.objects.get(variant=damaged), quantity=2, reason="damaged")

    response = stock_levels(warehouse_client, quarantine="on")

    assert listed(response) == [("DMG-1", warehouse.code)]
    assert response.context["page"].object_list[0].quarantined == 2


def test_expiring_within_days_looks_at_lots_that_still_hold_units(warehouse_client):
    warehouse = make_warehouse()
    today = timezone.localdate()

    def perishable(sku):
        return make_variant(make_product(tracking=Tracking.LOT, expiry=True), sku=sku)

    soon = perishable("MILK-SOON")
    stocked(4, variant=soon, warehouse=warehouse, lot_number="L1", expiry_date=today + timedelta(days=5))
    later = perishable("MILK-LATER")
    stocked(4, variant=later, warehouse=warehouse, lot_number="L2", expiry_date=today + timedelta(days=60))
    emptied = perishable("MILK-EMPTIED")  # its soon-expiring lot was used up (FEFO takes it first)
    stocked(2, variant=emptied, warehouse=warehouse, lot_number="L3", expiry_date=today + timedelta(days=2))
    stocked(3, variant=emptied, warehouse=warehouse, lot_number="L4", expiry_date=today + timedelta(days=90))
    remove_stock(variant=emptied, warehouse=warehouse, quantity=2, reason="lost")

    assert [s for s, _w in listed(stock_levels(warehouse_client, expiring_within=7))] == ["MILK-SOON"]
    assert [s for s, _w in listed(stock_levels(warehouse_client, expiring_within=3))] == []
    assert [s for s, _w in listed(stock_levels(warehouse_client, expiring_within=60))] == [
        "MILK-LATER",
        "MILK-SOON",
    ]


def test_stock_levels_htmx_request_gets_only_the_results_partial(warehouse_client):
    variant, _warehouse = stocked(3)
    response = warehouse_client.get(
        reverse("inventory:index"), {"q": variant.sku}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html
    assert variant.sku in html
    assert "HX-Request" in response["Vary"]


def test_stock_levels_pages_follow_the_sku_order(warehouse_client, settings):
    settings.PANEL_PAGE_SIZE = 2
    warehouse = make_warehouse()
    for sku in ["E", "C", "A", "D", "B"]:
        stocked(1, variant=make_variant(sku=f"P-{sku}"), warehouse=warehouse)
    seen, cursor = [], None
    while True:
        response = stock_levels(warehouse_client, **({"cursor": cursor} if cursor else {}))
        seen.append([sku for sku, _w in listed(response)])
        if not response.context["page"].has_next:
            break
        cursor = response.context["page"].next_cursor
    assert seen == [["P-A", "P-B"], ["P-C", "P-D"], ["P-E"]]


def test_stock_levels_query_count_does_not_grow_with_rows(warehouse_client, django_assert_max_num_queries):
    warehouse = make_warehouse()
    for _ in range(2):
        stocked(3, warehouse=warehouse)
    with CaptureQueriesContext(connection) as few:
        stock_levels(warehouse_client)
    other = make_warehouse()
    for _ in range(30):
        variant, _w = stocked(3, warehouse=warehouse)
        stocked(2, variant=variant, warehouse=other)
    with django_assert_max_num_queries(len(few)) as many:
        response = stock_levels(warehouse_client)
    assert len(response.context["page"]) == 50
    assert len(many) == len(few)


# --- Products -------------------------------------------------------------------------------------


def test_products_show_variants_and_stock_per_warehouse(warehouse_client):
    istanbul, ankara = make_warehouse("IST"), make_warehouse("ANK")
    product = make_product(name="Kupa")
    red = make_variant(product, sku="KUPA-R", options={"renk": "kırmızı"})
    blue = make_variant(product, sku="KUPA-B", options={"renk": "mavi"})
    stocked(5, variant=red, warehouse=istanbul)
    stocked(3, variant=blue, warehouse=istanbul)
    stocked(2, variant=blue, warehouse=ankara)
    reserve_one(variant=blue, warehouse=istanbul, quantity=1, reference="order_line:1")

    response = warehouse_client.get(reverse("inventory:products"))

    assert response.status_code == 200
    [shown] = response.context["page"].object_list
    columns = [w.code for w in response.context["warehouses"]]
    by_code = dict(zip(columns, shown.stock, strict=True))
    assert (by_code["IST"].on_hand, by_code["IST"].available) == (8, 7)
    assert by_code["ANK"].on_hand == 2
    assert shown.stock_total.on_hand == 10
    variants = {v.sku: v for v in shown.variants.all()}
    assert list(variants) == ["KUPA-B", "KUPA-R"]
    assert variants["KUPA-B"].stock_total.available == 4
    html = response.content.decode()
    assert "kırmızı" in html
    assert reverse("inventory:variant", args=[red.pk]) in html


def test_product_filters(warehouse_client):
    kitchen = make_category()
    serial = make_product(name="Blender", category=kitchen, tracking=Tracking.SERIAL)
    make_variant(serial, sku="BLN-1")
    plain = make_product(name="Önlük", brand="Ev Tekstil", category=make_category())
    make_variant(plain, sku="ONL-1", barcode="ONLUK42")
    retired = make_product(name="Eski Tava", is_active=False, category=kitchen)
    make_variant(retired, sku="TAV-1")
    url = reverse("inventory:products")

    def names(**params):
        return [p.name for p in warehouse_client.get(url, params).context["page"]]

    assert names() == ["Blender", "Eski Tava", "Önlük"]
    assert names(q="onluk42") == ["Önlük"]
    assert names(q="ev teks") == ["Önlük"]
    assert names(q="bln-") == ["Blender"]
    assert names(category=kitchen.pk) == ["Blender", "Eski Tava"]
    assert names(tracking=Tracking.SERIAL) == ["Blender"]
    assert names(active="0") == ["Eski Tava"]
    assert names(active="1", category=kitchen.pk) == ["Blender"]


def test_product_search_lists_a_product_once_when_several_variants_match(warehouse_client):
    product = make_product(name="Tişört")
    for size in ("S", "M", "L"):
        make_variant(product, sku=f"TS-{size}")
    response = warehouse_client.get(reverse("inventory:products"), {"q": "TS-"})
    assert [p.pk for p in response.context["page"]] == [product.pk]


def test_products_htmx_request_gets_only_the_results_partial(warehouse_client):
    make_variant(make_product(name="Kupa"))
    response = warehouse_client.get(reverse("inventory:products"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html
    assert "Kupa" in html


def test_products_query_count_does_not_grow_with_rows(warehouse_client, django_assert_max_num_queries):
    istanbul, ankara = make_warehouse(), make_warehouse()

    def product_with_stock():
        product = make_product()
        for _ in range(2):
            variant = make_variant(product)
            stocked(2, variant=variant, warehouse=istanbul)
            stocked(1, variant=variant, warehouse=ankara)

    for _ in range(2):
        product_with_stock()
    with CaptureQueriesContext(connection) as few:
        warehouse_client.get(reverse("inventory:products"))
    for _ in range(25):
        product_with_stock()
    with django_assert_max_num_queries(len(few)) as many:
        response = warehouse_client.get(reverse("inventory:products"))
    assert len(response.context["page"]) == 27
    assert len(many) == len(few)


# --- Variant card ---------------------------------------------------------------------------------


def test_variant_card_shows_levels_lots_reservations_and_ledger(warehouse_client):
    product = make_product(name="Zeytinyağı", tracking=Tracking.LOT, expiry=True)
    variant = make_variant(product, sku="ZYT-1", barcode="ZB123", options={"hacim": "1 L"})
    warehouse = make_warehouse("IZM")
    expiry = timezone.localdate() + timedelta(days=30)
    stocked(10, variant=variant, warehouse=warehouse, lot_number="LOT-77", expiry_date=expiry)
    reserve_one(variant=variant, warehouse=warehouse, quantity=4, reference="order_line:55")

    response = warehouse_client.get(reverse("inventory:variant", args=[variant.pk]))

    assert response.status_code == 200
    context = response.context
    assert [(lv.warehouse.code, lv.on_hand, lv.reserved) for lv in context["levels"]] == [("IZM", 10, 4)]
    assert [(lot.lot_number, lot.quantity, lot.expiry_date) for lot in context["lots"]] == [
        ("LOT-77", 10, expiry)
    ]
    assert [r.reference for r in context["reservations"]] == ["order_line:55"]
    assert [(m.kind, m.on_hand_delta) for m in context["page"]] == [(MovementKind.RECEIPT, 10)]
    html = response.content.decode()
    for text in ("ZB123", "1 L", "LOT-77", "order_line:55", "100,00"):
        assert text in html
    assert context["form"] is not None
    assert "lot_number" in context["form"].fields  # lot-tracked: the form asks for the lot


def test_adjustment_form_is_hidden_without_the_adjust_permission(client, user_factory):
    viewer = user_factory()
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="oms", codename="access_inventory")
    )
    client.force_login(viewer)
    variant, warehouse = stocked(5)

    response = client.get(reverse("inventory:variant", args=[variant.pk]))
    assert response.status_code == 200
    assert response.context["form"] is None
    assert reverse("inventory:variant_adjust", args=[variant.pk]) not in response.content.decode()

    refused = client.post(
        reverse("inventory:variant_adjust", args=[variant.pk]),
        {"warehouse": warehouse.pk, "delta": 3, "reason": "found"},
    )
    assert refused.status_code == 403
    assert level(variant, warehouse).on_hand == 5
    assert StockMovement.objects.filter(kind=MovementKind.ADJUSTMENT).count() == 0


def test_ledger_is_newest_first_and_pages_through_htmx(warehouse_client, settings):
    settings.PANEL_PAGE_SIZE = 3
    variant, warehouse = stocked(10)
    for delta in (1, 2, 3, 4):
        adjust(variant=variant, warehouse=warehouse, delta=delta, reason="found")
    url = reverse("inventory:variant", args=[variant.pk])

    first = warehouse_client.get(url)
    assert [m.on_hand_delta for m in first.context["page"]] == [4, 3, 2]

    second = warehouse_client.get(
        url, {"cursor": first.context["page"].next_cursor}, headers={"HX-Request": "true"}
    )
    html = second.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html
    assert [m.on_hand_delta for m in second.context["page"]] == [1, 10]


def test_variant_card_query_count_does_not_grow_with_the_ledger(
    warehouse_client, user_factory, django_assert_max_num_queries
):
    variant, _warehouse = stocked(5)
    other = make_warehouse()
    url = reverse("inventory:variant", args=[variant.pk])
    with CaptureQueriesContext(connection) as few:
        warehouse_client.get(url)
    clerk = user_factory(role="warehouse")
    for i in range(30):
        adjust(variant=variant, warehouse=other, delta=2, reason="found", user=clerk, note=f"n{i}")
        reserve_one(variant=variant, warehouse=other, quantity=1, reference=f"order_line:{i}")
    with django_assert_max_num_queries(len(few)) as many:
        response = warehouse_client.get(url)
    assert len(response.context["page"]) == 31
    assert len(many) == len(few)


# --- Adjusting from the panel ---------------------------------------------------------------------


def test_adjustment_changes_stock_and_writes_a_ledger_row(client, user_factory, assert_consistent):
    clerk = user_factory(role="warehouse")
    client.force_login(clerk)
    variant, warehouse = stocked(10)
    url = reverse("inventory:variant", args=[variant.pk])

    response = client.post(
        reverse("inventory:variant_adjust", args=[variant.pk]),
        {"warehouse": warehouse.pk, "delta": -3, "reason": "damaged", "note": "Kutu ezik"},
    )

    assert response.status_code == 302
    assert response["Location"] == url
    assert level(variant, warehouse).on_hand == 7
    movement = StockMovement.objects.get(kind=MovementKind.ADJUSTMENT)
    assert (movement.on_hand_delta, movement.reason, movement.note, movement.user) == (
        -3,
        "damaged",
        "Kutu ezik",
        clerk,
    )
    page = client.get(url)
    assert [m.level for m in page.context["messages"]] == [message_levels.SUCCESS]
    assert "Kutu ezik" in page.content.decode()
    assert_consistent()


def test_adding_stock_to_a_lot_tracked_product_uses_the_lot_fields(warehouse_client, assert_consistent):
    variant = make_variant(make_product(tracking=Tracking.LOT, expiry=True))
    warehouse = make_warehouse()
    expiry = timezone.localdate() + timedelta(days=100)
    response = warehouse_client.post(
        reverse("inventory:variant_adjust", args=[variant.pk]),
        {
            "warehouse": warehouse.pk,
            "delta": 6,
            "reason": "found",
            "lot_number": "L-9",
            "expiry_date": expiry.isoformat(),
        },
    )
    assert response.status_code == 302
    lot = StockLot.objects.get(variant=variant)
    assert (lot.lot_number, lot.expiry_date, lot.quantity) == ("L-9", expiry, 6)
    assert_consistent()


def test_refused_adjustment_changes_nothing_and_shows_the_message(warehouse_client, assert_consistent):
    variant, warehouse = stocked(10)
    reserve_one(variant=variant, warehouse=warehouse, quantity=8, reference="order_line:1")
    url = reverse("inventory:variant", args=[variant.pk])
    movements_before = StockMovement.objects.count()

    response = warehouse_client.post(
        reverse("inventory:variant_adjust", args=[variant.pk]),
        {"warehouse": warehouse.pk, "delta": -5, "reason": "lost"},
        headers={"Referer": f"http://testserver{url}"},
        follow=True,
    )

    assert response.status_code == 200
    assert response.redirect_chain == [(f"http://testserver{url}", 302)]
    errors = [m for m in response.context["messages"] if m.level == message_levels.ERROR]
    assert len(errors) == 1
    assert "5" in str(errors[0])
    assert b"message-error" in response.content
    stock = level(variant, warehouse)
    assert (stock.on_hand, stock.reserved) == (10, 8)
    assert StockMovement.objects.count() == movements_before
    assert_consistent()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"delta": 0, "reason": "lost"}, "delta"),
        ({"delta": -1, "reason": ""}, "reason"),
        ({"delta": -1, "reason": "stolen"}, "reason"),
        ({"delta": 2, "reason": "other"}, "note"),  # "other" needs a note
    ],
)
def test_invalid_adjustment_shows_the_form_again_and_writes_nothing(warehouse_client, data, field):
    variant, warehouse = stocked(10)
    response = warehouse_client.post(
        reverse("inventory:variant_adjust", args=[variant.pk]), {"warehouse": warehouse.pk, **data}
    )
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert level(variant, warehouse).on_hand == 10
    assert not StockMovement.objects.filter(kind=MovementKind.ADJUSTMENT).exists()


def test_adjust_url_opened_with_get_goes_back_to_the_card(warehouse_client):
    variant, _warehouse = stocked(1)
    response = warehouse_client.get(reverse("inventory:variant_adjust", args=[variant.pk]), {"cursor": "x"})
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:variant", args=[variant.pk]) + "?cursor=x"
