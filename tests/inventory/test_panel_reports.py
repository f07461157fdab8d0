"""Inventory report pages: access per role, filters (422 on bad ones), CSV downloads, the transfer
button of the rebalancing report, and query counts that do not grow with the catalogue."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory import analytics
from inventory.analytics import Period
from inventory.ledger import verify_stock
from inventory.models import Reservation, ReservationReason, StockAlert, StockLot, Transfer
from inventory.services import consume, quarantine, reserve_one
from oms.csv_export import csv_cell
from tests.inventory.factories import make_category, make_product, make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db

REPORTS = [
    "inventory:report_abc",
    "inventory:report_valuation",
    "inventory:report_turnover",
    "inventory:report_dead_stock",
    "inventory:report_movements",
    "inventory:report_rebalancing",
]


def sell(variant, warehouse, units: int) -> None:
    consume(
        reservation=reserve_one(
            variant=variant, warehouse=warehouse, quantity=units, reference="order_line:t"
        )
    )


def csv_text(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.fixture
def shop():
    """Istanbul sells a phone fast and is nearly out; Ankara holds plenty and sells none."""
    ist, ank = make_warehouse("IST", priority=1), make_warehouse("ANK", priority=2)
    category = make_category(name="Telefon")
    phone = make_variant(
        make_product(category=category, name="Akıllı Telefon"),
        sku="TEL-1",
        list_price=Decimal("1000.00"),
        cost_price=Decimal("600.50"),
    )
    stocked(30, variant=phone, warehouse=ist)
    stocked(100, variant=phone, warehouse=ank)
    sell(phone, ist, 28)
    return phone, ist, ank


@pytest.fixture
def warehouse_client(client, user_factory):
    client.force_login(user_factory(role="warehouse", username="depocu", language="en"))
    return client


@pytest.fixture
def operator_client(client, user_factory):
    client.force_login(user_factory(role="operator", username="planner", language="en"))
    return client


# --- Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["warehouse", "operator", "admin"])
def test_every_report_renders_for_inventory_roles(client, user_factory, shop, role):
    client.force_login(user_factory(role=role))
    assert client.get(reverse("inventory:reports")).status_code == 200
    for name in REPORTS:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert "report" in response.context, name


def test_finance_gets_403_on_every_report_and_the_csv(client, user_factory, shop):
    phone, ist, ank = shop
    client.force_login(user_factory(role="finance"))
    for name in ["inventory:reports", *REPORTS]:
        assert client.get(reverse(name)).status_code == 403, name
        assert client.get(reverse(name), {"export": "csv"}).status_code == 403, name
    response = client.post(
        reverse("inventory:report_rebalancing_transfer"),
        {"variant": phone.pk, "source": ank.pk, "destination": ist.pk, "quantity": 5},
    )
    assert response.status_code == 403
    assert not Transfer.objects.exists()


def test_landing_page_links_every_report(warehouse_client):
    html = warehouse_client.get(reverse("inventory:reports")).content.decode()
    for name in REPORTS:
        assert reverse(name) in html


# --- Pages with data ------------------------------------------------------------------------------


def test_abc_page_shows_classes_rows_and_a_total(warehouse_client, shop):
    response = warehouse_client.get(reverse("inventory:report_abc"))
    report = response.context["report"]
    assert [(r.sku, r.units, r.abc_class) for r in report.rows] == [("TEL-1", 28, "A")]
    html = response.content.decode()
    assert "TEL-1" in html
    assert "list price" in html  # revenue is stated as an estimate


def test_abc_top_n_shows_the_first_rows_and_counts_all(warehouse_client):
    warehouse = make_warehouse()
    for i in range(5):
        variant = make_variant(sku=f"R{i}")
        stocked(10, variant=variant, warehouse=warehouse)
        sell(variant, warehouse, i + 1)
    response = warehouse_client.get(reverse("inventory:report_abc"), {"limit": 2})
    assert [r.sku for r in response.context["shown"]] == ["R4", "R3"]
    assert response.context["report"].items == 5


def test_valuation_page_now_and_as_of_a_past_day(warehouse_client, shop):
    now = warehouse_client.get(reverse("inventory:report_valuation")).context["report"]
    assert now.total.units == 102
    assert now.total.value == Decimal("61251.00")
    yesterday = analytics.local_today() - timedelta(days=1)
    past = warehouse_client.get(reverse("inventory:report_valuation"), {"as_of": yesterday.isoformat()})
    assert past.context["report"].total.units == 0  # everything arrived today


def test_turnover_page_sorts_by_the_chosen_column(warehouse_client, shop):
    response = warehouse_client.get(
        reverse("inventory:report_turnover"), {"group": "variant", "order": "days"}
    )
    assert response.context["form"].cleaned_data["order"] == "days"
    assert [r.label for r in response.context["report"].rows] == ["TEL-1"]
    by_category = warehouse_client.get(reverse("inventory:report_turnover"))
    assert [r.label for r in by_category.context["report"].rows] == ["Telefon"]


def test_dead_stock_page_lists_stock_that_never_sold(warehouse_client, shop):
    idle, _w = stocked(4, variant=make_variant(sku="IDLE", cost_price=Decimal("10.00")))
    response = warehouse_client.get(reverse("inventory:report_dead_stock"), {"days": 30})
    # Ankara's phones have not sold either: dead there, alive in Istanbul.
    assert [(r.sku, r.warehouse) for r in response.context["shown"]] == [
        ("TEL-1", "ANK"),
        ("IDLE", idle_code(idle)),
    ]


def idle_code(variant) -> str:
    return variant.levels.get().warehouse.code


def test_movement_page_draws_one_bar_pair_per_day(warehouse_client, shop):
    response = warehouse_client.get(reverse("inventory:report_movements"))
    chart = response.context["chart"]
    assert len(chart["bars"]) == 30
    today = chart["bars"][-1]
    assert (today["bucket"].units_in, today["bucket"].units_out) == (130, 28)
    html = response.content.decode()
    assert html.count('class="bar-in"') == 1
    assert html.count('class="bar-out"') == 1
    assert "<script" not in html.split('id="results"')[1]


def test_movement_chart_coordinates_are_not_localised(client, user_factory, shop):
    client.force_login(user_factory(role="warehouse", language="tr"))
    html = client.get(reverse("inventory:report_movements"), {"period": "week"}).content.decode()
    start = html.index('<svg class="chart"')
    svg = html[start : html.index("</svg>", start)]
    assert "," not in svg.split("<title>")[0]
    assert 'height="96"' in svg  # the tallest bar: (200 / 2 - 4) units high


def test_rebalancing_page_suggests_the_transfer(warehouse_client, shop):
    response = warehouse_client.get(reverse("inventory:report_rebalancing"))
    (row,) = response.context["shown"]
    assert (row.source, row.destination, row.quantity) == ("ANK", "IST", 16)
    assert reverse("inventory:report_rebalancing_transfer").encode() in response.content


# --- Bad filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("inventory:report_abc", {"class_a": 70, "class_b": 15, "class_c": 5}),
        ("inventory:report_abc", {"measure": "profit"}),
        ("inventory:report_abc", {"start": "2025-05-01", "end": "2025-04-01"}),
        ("inventory:report_abc", {"start": "not-a-date"}),
        ("inventory:report_turnover", {"start": "2019-01-01", "end": "2025-01-01"}),
        ("inventory:report_turnover", {"order": "random"}),
        ("inventory:report_dead_stock", {"days": -5}),
        ("inventory:report_dead_stock", {"days": 0}),
        ("inventory:report_dead_stock", {"limit": 100000}),
        ("inventory:report_movements", {"start": "2025-01-01", "end": "2025-12-31", "period": "day"}),
        ("inventory:report_movements", {"kind": "teleport"}),
        ("inventory:report_rebalancing", {"surplus_days": -1}),
        ("inventory:report_valuation", {"warehouse": 999999}),
    ],
)
def test_bad_filters_answer_422_without_a_report(warehouse_client, name, params):
    response = warehouse_client.get(reverse(name), params)
    assert response.status_code == 422
    assert "report" not in response.context
    assert response.context["form"].errors
    assert b"report-errors" in response.content


def test_thresholds_not_adding_up_to_100_are_explained(warehouse_client):
    response = warehouse_client.get(
        reverse("inventory:report_abc"), {"class_a": 70, "class_b": 20, "class_c": 20}
    )
    assert response.status_code == 422
    assert "must add up to 100 (now 110)" in response.content.decode()


def test_htmx_filter_change_returns_only_the_results(warehouse_client, shop):
    response = warehouse_client.get(
        reverse("inventory:report_abc"), {"measure": "quantity"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="results"')
    assert "TEL-1" in html
    assert "filter-bar" not in html


def test_bad_filters_in_an_htmx_request_swap_the_errors_into_the_results(warehouse_client):
    response = warehouse_client.get(
        reverse("inventory:report_dead_stock"), {"days": -1}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert html.lstrip().startswith('<div id="results"')
    assert "report-errors" in html


def test_empty_fields_take_their_defaults(warehouse_client):
    response = warehouse_client.get(
        reverse("inventory:report_abc"), {"start": "", "end": "", "class_a": "", "measure": ""}
    )
    assert response.status_code == 200
    data = response.context["form"].cleaned_data
    assert (data["end"] - data["start"]).days == 89
    assert (data["class_a"], data["class_b"], data["class_c"], data["measure"]) == (80, 15, 5, "revenue")


def test_a_valuation_date_today_or_later_means_now(warehouse_client):
    tomorrow = analytics.local_today() + timedelta(days=1)
    response = warehouse_client.get(reverse("inventory:report_valuation"), {"as_of": tomorrow.isoformat()})
    assert response.status_code == 200
    assert response.context["report"].as_of is None


# --- CSV ------------------------------------------------------------------------------------------


def test_abc_csv_is_excel_friendly_for_turkey(warehouse_client, shop):
    response = warehouse_client.get(reverse("inventory:report_abc"), {"export": "csv", "limit": 1})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="abc-')
    text = csv_text(response)
    assert text.startswith("\ufeff")
    lines = text[1:].split("\r\n")
    assert lines[0] == "Class;SKU;Product;Warehouse;Units sold;Revenue;Share (%);Cumulative (%)"
    assert lines[1] == "A;TEL-1;Akıllı Telefon;;28;28000,00;100,00;100,00"


def test_csv_has_every_row_not_only_the_shown_ones(warehouse_client):
    warehouse = make_warehouse()
    for i in range(4):
        stocked(2, variant=make_variant(sku=f"DEAD-{i}"), warehouse=warehouse)
    page = warehouse_client.get(reverse("inventory:report_dead_stock"), {"days": 1, "limit": 2})
    assert len(page.context["shown"]) == 2
    text = csv_text(
        warehouse_client.get(reverse("inventory:report_dead_stock"), {"days": 1, "limit": 2, "export": "csv"})
    )
    assert sorted(line.split(";")[0] for line in text[1:].strip().split("\r\n")[1:]) == [
        f"DEAD-{i}" for i in range(4)
    ]


@pytest.mark.parametrize("name", REPORTS)
def test_every_report_downloads_as_csv(warehouse_client, shop, name):
    response = warehouse_client.get(reverse(name), {"export": "csv"})
    assert response.status_code == 200
    text = csv_text(response)
    assert text.startswith("\ufeff")
    assert ";" in text.splitlines()[0]
    assert len(text.strip().splitlines()) >= 2, text


def test_valuation_csv_lists_warehouses_categories_and_the_total(warehouse_client, shop):
    quarantine(lot=StockLot.objects.filter(warehouse__code="ANK").first(), quantity=1, reason="damaged")
    text = csv_text(warehouse_client.get(reverse("inventory:report_valuation"), {"export": "csv"}))
    rows = [line.split(";") for line in text[1:].strip().split("\r\n")]
    assert rows[0] == ["Group", "Name", "On hand", "Value", "Quarantined", "Quarantined value"]
    assert ["Warehouse", "ANK", "99", "59449,50", "1", "600,50"] in rows
    assert rows[-1] == ["Total", "", "101", "60650,50", "1", "600,50"]


def test_csv_cells():
    assert csv_cell(Decimal("1234.5")) == "1234,50"
    assert csv_cell(None) == ""
    assert csv_cell(7) == "7"
    assert csv_cell(datetime(2025, 3, 10, 22, 30, tzinfo=UTC)) == "2025-03-11 01:30"  # Istanbul time
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_cell("Çay; demlik") == "Çay; demlik"  # the csv writer quotes it


def test_a_separator_inside_a_cell_is_quoted(warehouse_client):
    variant = make_variant(make_product(name='Çay; "ince belli"'), sku="CAY-1")
    stocked(3, variant=variant)
    text = csv_text(
        warehouse_client.get(reverse("inventory:report_dead_stock"), {"days": 1, "export": "csv"})
    )
    assert 'CAY-1;"Çay; ""ince belli"""' in text


# --- Rebalancing transfer -------------------------------------------------------------------------


def test_warehouse_staff_request_the_suggested_transfer(warehouse_client, shop):
    phone, ist, ank = shop
    back = reverse("inventory:report_rebalancing") + "?surplus_days=60"
    response = warehouse_client.post(
        reverse("inventory:report_rebalancing_transfer"),
        {"variant": phone.pk, "source": ank.pk, "destination": ist.pk, "quantity": 16, "next": back},
    )
    assert response.status_code == 302
    assert response["Location"] == back
    transfer = Transfer.objects.get()
    assert (transfer.source, transfer.destination, transfer.created_by.username) == (ank, ist, "depocu")
    assert transfer.lines.get().quantity == 16
    reservation = Reservation.objects.get(reason=ReservationReason.TRANSFER)
    assert (reservation.warehouse, reservation.quantity) == (ank, 16)
    page = warehouse_client.get(back)
    (message,) = [str(m) for m in page.context["messages"]]
    assert transfer.number in message
    assert page.context["shown"] == []  # the destination counts the transfer as incoming


def test_refused_transfer_is_a_message_and_writes_nothing(operator_client, shop):
    phone, ist, ank = shop
    response = operator_client.post(
        reverse("inventory:report_rebalancing_transfer"),
        {"variant": phone.pk, "source": ank.pk, "destination": ist.pk, "quantity": 500},
        HTTP_REFERER="http://testserver" + reverse("inventory:report_rebalancing"),
        follow=True,
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not Transfer.objects.exists()
    assert not Reservation.objects.filter(reason=ReservationReason.TRANSFER).exists()


def test_invalid_transfer_request_is_422(operator_client, shop):
    phone, ist, _ank = shop
    response = operator_client.post(
        reverse("inventory:report_rebalancing_transfer"),
        {"variant": phone.pk, "source": ist.pk, "destination": ist.pk, "quantity": 0},
    )
    assert response.status_code == 422
    assert response.context["transfer_form"].errors
    assert not Transfer.objects.exists()


def test_transfer_button_needs_the_transfer_permission(client, user_factory, shop):
    phone, ist, ank = shop
    viewer = user_factory()
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="oms", codename="access_inventory")
    )
    client.force_login(viewer)
    page = client.get(reverse("inventory:report_rebalancing"))
    assert page.status_code == 200
    assert reverse("inventory:report_rebalancing_transfer").encode() not in page.content
    response = client.post(
        reverse("inventory:report_rebalancing_transfer"),
        {"variant": phone.pk, "source": ank.pk, "destination": ist.pk, "quantity": 5},
    )
    assert response.status_code == 403
    assert not Transfer.objects.exists()


# --- Query counts ---------------------------------------------------------------------------------


def _catalogue(n: int, warehouses) -> None:
    category = make_category(parent=make_category())
    for _ in range(n):
        variant = make_variant(make_product(category=category))
        for warehouse in warehouses:
            stocked(20, variant=variant, warehouse=warehouse)
        sell(variant, warehouses[0], 3)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("inventory:report_abc", {}),
        ("inventory:report_abc", {"per_warehouse": "on", "export": "csv"}),
        ("inventory:report_valuation", {"as_of": "2025-01-01"}),
        ("inventory:report_turnover", {"group": "variant"}),
        ("inventory:report_turnover", {}),
        ("inventory:report_dead_stock", {"days": 1}),
        ("inventory:report_movements", {"period": "week"}),
        ("inventory:report_rebalancing", {"surplus_days": 1}),
    ],
)
def test_report_query_count_does_not_grow_with_variants(
    warehouse_client, django_assert_max_num_queries, name, params
):
    warehouses = [make_warehouse(), make_warehouse()]
    _catalogue(2, warehouses)
    with CaptureQueriesContext(connection) as few:
        first = warehouse_client.get(reverse(name), params)
        if first.streaming:
            b"".join(first.streaming_content)
    _catalogue(40, warehouses)
    with django_assert_max_num_queries(len(few)) as many:
        response = warehouse_client.get(reverse(name), params)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    assert len(many) == len(few)


# --- Demo history ---------------------------------------------------------------------------------


def _seeded_history() -> list[tuple]:
    from inventory.demo import seed_inventory
    from inventory.demo_reports import seed_reports
    from inventory.models import StockMovement
    from tests.factories import make_user

    admin = make_user(role="admin", username="demo-admin")
    seed_inventory(random.Random(1), admin=admin, scale=0.05)
    counts = seed_reports(random.Random(2), admin=admin)
    # Movements made "now" carry the clock time; the dated history must match exactly. The date is the
    # local one because __date compares in the current time zone (UTC and Istanbul differ after 21:00).
    history = StockMovement.objects.exclude(created_at__date=timezone.localdate())
    return counts, sorted(
        history.values_list("variant__sku", "warehouse__code", "kind", "on_hand_delta", "created_at")
    )


def test_demo_history_is_consistent_deterministic_and_feeds_every_report():
    with transaction.atomic():
        counts, history = _seeded_history()
        assert verify_stock() == []
        today = analytics.local_today()
        movements = analytics.movement_report(
            start=today - timedelta(days=119), end=today, period=Period.WEEK
        )
        assert sum(1 for bucket in movements.buckets if bucket.movements) >= 10
        abc = analytics.abc_analysis(start=today - timedelta(days=89), end=today)
        assert all(c.items for c in abc.classes)
        assert analytics.dead_stock(days=90).count >= 10
        assert analytics.rebalancing_suggestions()
        assert StockAlert.objects.filter(acknowledged_at__isnull=False).count() == counts["acknowledged"] > 0
        assert counts["sales"] > 100
        assert counts["transfers"] >= 1
        transaction.set_rollback(True)
    with transaction.atomic():
        assert _seeded_history() == (counts, history)
        transaction.set_rollback(True)
