"""Cycle counts in the panel: roles, the blind station, review, recount and posting over HTTP."""

import json
import random
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import constants as message_levels
from django.db import connection
from django.db.models import Count, F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory import counting
from inventory.counting import (
    ScopeKind,
    bins_matching,
    post_count,
    record_count,
    reopen_count,
    start_count,
    submit_count,
)
from inventory.models import (
    Bin,
    CountStatus,
    MovementKind,
    StockCount,
    StockCountLine,
    StockLevel,
    StockLot,
    StockMovement,
    Tracking,
)
from inventory.services import add_stock, remove_stock
from oms.errors import IllegalTransition, NotPermitted
from tests.inventory.factories import make_product, make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture
def clerk(user_factory):
    return user_factory(role="warehouse", username="sayim", language="en")


@pytest.fixture
def reviewer(user_factory):
    return user_factory(role="operator", username="denetci", language="en")


@pytest.fixture
def clerk_client(clerk):
    client = Client()
    client.force_login(clerk)
    return client


@pytest.fixture
def reviewer_client(reviewer):
    client = Client()
    client.force_login(reviewer)
    return client


def on_hand(variant, warehouse) -> int:
    return StockLevel.objects.get(variant=variant, warehouse=warehouse).on_hand


def shelf(warehouse, code="A-01-01-1") -> Bin:
    return Bin.objects.get(warehouse=warehouse, code=code)


def scan(client, count, code, **extra):
    return client.post(reverse("inventory:count_scan", args=[count.pk]), {"code": code, **extra}, headers=HX)


def trigger(response) -> dict:
    return json.loads(response["HX-Trigger"])


def counted_count(warehouse, figures: dict, **start) -> StockCount:
    """A count of ``warehouse`` counted with ``figures`` (sku -> units) and submitted for review."""
    count = start_count(warehouse=warehouse, **start)
    for line in count.lines.select_related("lot__variant"):
        record_count(line=line, counted=figures[line.lot.variant.sku])
    return submit_count(count=count)


# --- Access ---------------------------------------------------------------------------------------


def test_warehouse_staff_count_but_cannot_post(clerk_client, assert_consistent):
    variant, warehouse = stocked(10)
    count = counted_count(warehouse, {variant.sku: 7}, variants=[variant])
    assert clerk_client.get(reverse("inventory:counts")).status_code == 200
    assert clerk_client.get(reverse("inventory:count_start")).status_code == 200
    detail = clerk_client.get(reverse("inventory:count", args=[count.pk]))
    assert detail.status_code == 200
    assert reverse("inventory:count_post", args=[count.pk]) not in detail.content.decode()

    for name in ("count_post", "count_reopen", "count_cancel"):
        assert clerk_client.post(reverse(f"inventory:{name}", args=[count.pk])).status_code == 403, name

    count.refresh_from_db()
    assert count.status == CountStatus.REVIEW
    assert on_hand(variant, warehouse) == 10
    assert not StockMovement.objects.filter(kind=MovementKind.COUNT).exists()
    assert_consistent()


def test_operator_posts_the_count(reviewer_client, reviewer, assert_consistent):
    variant, warehouse = stocked(10)
    count = counted_count(warehouse, {variant.sku: 7}, variants=[variant])
    response = reviewer_client.post(reverse("inventory:count_post", args=[count.pk]))
    assert response.status_code == 302
    count.refresh_from_db()
    assert (count.status, count.posted_by) == (CountStatus.POSTED, reviewer)
    assert on_hand(variant, warehouse) == 7
    movement = StockMovement.objects.get(kind=MovementKind.COUNT)
    assert (movement.on_hand_delta, movement.reference, movement.user) == (-3, count.number, reviewer)
    assert_consistent()


def test_finance_gets_403_on_every_count_page(client, user_factory):
    variant, warehouse = stocked(3)
    count = start_count(warehouse=warehouse, variants=[variant])
    line = count.lines.get()
    client.force_login(user_factory(role="finance"))
    for url in (
        reverse("inventory:counts"),
        reverse("inventory:count_start"),
        reverse("inventory:count", args=[count.pk]),
        reverse("inventory:count_station", args=[count.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(reverse("inventory:count_line", args=[count.pk, line.pk]), {"counted": 2}).status_code
        == 403
    )
    line.refresh_from_db()
    assert line.counted is None


def test_a_user_without_count_permission_cannot_count(client, user_factory):
    viewer = user_factory(language="en")
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="oms", codename="access_inventory")
    )
    client.force_login(viewer)
    variant, warehouse = stocked(3)
    count = start_count(warehouse=warehouse, variants=[variant])
    line = count.lines.get()

    assert client.get(reverse("inventory:count", args=[count.pk])).status_code == 200  # may look
    assert client.get(reverse("inventory:count_station", args=[count.pk])).status_code == 403
    assert scan(client, count, "A-01-01-1").status_code == 403
    response = client.post(reverse("inventory:count_line", args=[count.pk, line.pk]), {"counted": 3})
    assert response.status_code == 403
    line.refresh_from_db()
    assert line.counted is None
    # The service refuses the same person too (not only the page).
    with pytest.raises(NotPermitted):
        record_count(line=line, counted=3, user=viewer)


def test_the_service_keeps_posting_for_reviewers(clerk):
    variant, warehouse = stocked(5)
    count = counted_count(warehouse, {variant.sku: 4}, variants=[variant])
    with pytest.raises(NotPermitted):
        post_count(count=count, user=clerk)
    count.refresh_from_db()
    assert count.status == CountStatus.REVIEW
    assert on_hand(variant, warehouse) == 5


# --- The blind station ----------------------------------------------------------------------------


def test_station_and_counter_pages_never_show_the_expected_quantity(clerk_client, reviewer_client):
    expected = 987653  # a figure that cannot turn up in the page by chance
    variant, warehouse = stocked(expected)
    count = start_count(warehouse=warehouse, variants=[variant])
    line = count.lines.get()
    record_count(line=line, counted=5)

    station = clerk_client.get(reverse("inventory:count_station", args=[count.pk]))
    html = station.content.decode()
    assert station.status_code == 200
    assert variant.sku in html
    assert "A-01-01-1" in html
    assert str(expected) not in html
    assert f"{expected:,}" not in html
    assert f"{expected:,}".replace(",", ".") not in html

    # The htmx answer to a scan, and the count's page while counting, stay blind too.
    scan(clerk_client, count, "A-01-01-1")
    fragment = scan(clerk_client, count, variant.sku).content.decode()
    assert variant.sku in fragment
    assert str(expected) not in fragment
    assert (
        str(expected) not in reviewer_client.get(reverse("inventory:count", args=[count.pk])).content.decode()
    )

    # Submitted: the counter still sees only the counted figure; the reviewer sees both.
    submit_count(count=count)
    counter_view = clerk_client.get(reverse("inventory:count", args=[count.pk]))
    assert str(expected) not in counter_view.content.decode()
    assert [x.counted for x in counter_view.context["lines"]] == [6]
    assert str(expected) in reviewer_client.get(reverse("inventory:count", args=[count.pk])).content.decode()


def test_full_count_over_http(clerk_client, reviewer_client, clerk, reviewer, assert_consistent):
    warehouse = make_warehouse()
    shirt = make_variant(sku="SHIRT-1", barcode="8690000000011")
    mug = make_variant(sku="MUG-1", barcode="8690000000028")
    add_stock(variant=shirt, warehouse=warehouse, quantity=4, bin=shelf(warehouse))
    add_stock(variant=mug, warehouse=warehouse, quantity=10, bin=shelf(warehouse, "B-01-01-1"))

    # given: the counter starts a count of zone A and B by bin range
    response = clerk_client.post(
        reverse("inventory:count_start"),
        {"warehouse": warehouse.pk, "scope": ScopeKind.BINS, "bins": "A-01", "bins_to": "B-01"},
    )
    count = StockCount.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:count_station", args=[count.pk])
    assert [line.lot.variant.sku for line in count.lines.all()] == ["SHIRT-1", "MUG-1"]  # walk order

    # when: scan the bin, then three shirts
    bin_scan = scan(clerk_client, count, "a-01-01-1")
    assert bin_scan.status_code == 200
    assert "scan-ok" in trigger(bin_scan)
    for _ in range(3):
        response = scan(clerk_client, count, "8690000000011")
        assert "scan-ok" in trigger(response)
    assert response.content.decode().lstrip().startswith('<div id="station-body"')
    # ... and type the mugs (8, two short)
    mug_line = StockCountLine.objects.get(count=count, lot__variant=mug)
    typed = clerk_client.post(
        reverse("inventory:count_line", args=[count.pk, mug_line.pk]), {"counted": "7"}, headers=HX
    )
    assert typed.status_code == 200
    tapped = clerk_client.post(
        reverse("inventory:count_line", args=[count.pk, mug_line.pk]),
        {"counted": "7", "step": "1"},
        headers=HX,
    )
    assert "scan-ok" in trigger(tapped)
    figures = dict(count.lines.values_list("lot__variant__sku", "counted"))
    assert figures == {"SHIRT-1": 3, "MUG-1": 8}
    assert set(count.lines.values_list("counted_by", flat=True)) == {clerk.pk}
    submitted = clerk_client.post(reverse("inventory:count_submit", args=[count.pk]))
    assert submitted.status_code == 302
    count.refresh_from_db()
    assert count.status == CountStatus.REVIEW

    # then: the reviewer sees the differences in units and at cost (60.00 each)
    review = reviewer_client.get(reverse("inventory:count", args=[count.pk]))
    figures = review.context["figures"]
    assert (figures.differing, figures.units_over, figures.units_short) == (2, 0, 3)
    assert figures.value_net == -180
    only = reviewer_client.get(reverse("inventory:count", args=[count.pk]), {"differences": "1"}, headers=HX)
    assert only.content.decode().lstrip().startswith('<div id="lines"')
    assert [x.lot.variant.sku for x in only.context["lines"]] == ["SHIRT-1", "MUG-1"]

    # the mugs are sent back for a recount: their figure is cleared, the shirt's stays
    reopened = reviewer_client.post(
        reverse("inventory:count_reopen", args=[count.pk]), {"line": [mug_line.pk]}
    )
    assert reopened.status_code == 302
    mug_line.refresh_from_db()
    count.refresh_from_db()
    assert (count.status, mug_line.counted) == (CountStatus.COUNTING, None)
    assert count.lines.get(lot__variant=shirt).counted == 3
    scan(clerk_client, count, "B-01-01-1")
    for _ in range(10):
        scan(clerk_client, count, "MUG-1")
    assert clerk_client.post(reverse("inventory:count_submit", args=[count.pk])).status_code == 302

    posted = reviewer_client.post(reverse("inventory:count_post", args=[count.pk]))
    assert posted.status_code == 302
    count.refresh_from_db()
    assert (count.status, count.posted_by) == (CountStatus.POSTED, reviewer)
    rows = StockMovement.objects.filter(kind=MovementKind.COUNT)
    assert [(r.variant.sku, r.on_hand_delta, r.reference) for r in rows] == [("SHIRT-1", -1, count.number)]
    assert (on_hand(shirt, warehouse), on_hand(mug, warehouse)) == (3, 10)
    listed = reviewer_client.get(reverse("inventory:counts"))
    [row] = listed.context["page"].object_list
    assert (row.line_total, row.line_counted, row.line_differences) == (2, 2, 1)
    assert row.scope_label == "Bins A-01 … B-01"
    assert_consistent()


def test_scanning_errors_are_refused_and_write_nothing(clerk_client):
    warehouse = make_warehouse()
    phone = make_variant(make_product(tracking=Tracking.SERIAL), sku="PHONE-1")
    add_stock(variant=phone, warehouse=warehouse, quantity=2, serials=["SN-1", "SN-2"])
    stray = make_variant(sku="STRAY-1")
    count = start_count(warehouse=warehouse, bins=[shelf(warehouse)])

    def refused(response, text):
        assert response.status_code == 422
        assert "scan-error" in trigger(response)
        assert text in trigger(response)["scan-error"]["message"]

    refused(scan(clerk_client, count, "SN-1"), "Scan the bin first")
    refused(scan(clerk_client, count, ""), "Nothing was scanned")
    scan(clerk_client, count, "A-01-01-1")
    refused(scan(clerk_client, count, "NO-SUCH-CODE"), "Unknown code")
    refused(scan(clerk_client, count, "PHONE-1"), "scan the serial number")
    not_listed = scan(clerk_client, count, "STRAY-1")
    refused(not_listed, "not on the list")
    assert not_listed.context["found_form"].initial == {"code": "STRAY-1", "bin": "A-01-01-1", "quantity": 1}
    assert not StockCountLine.objects.filter(counted__isnull=False).exists()

    assert "scan-ok" in trigger(scan(clerk_client, count, "sn-1"))
    refused(scan(clerk_client, count, "SN-1"), "already counted")
    assert dict(count.lines.values_list("lot__serial", "counted")) == {"SN-1": 1, "SN-2": None}
    assert StockLot.objects.filter(variant=stray).count() == 0


@pytest.mark.parametrize("figure", ["-1", "abc", "", "1.5"])
def test_a_bad_figure_is_refused_with_422(clerk_client, figure):
    variant, warehouse = stocked(5)
    count = start_count(warehouse=warehouse, variants=[variant])
    line = count.lines.get()
    record_count(line=line, counted=2)
    response = clerk_client.post(
        reverse("inventory:count_line", args=[count.pk, line.pk]), {"counted": figure}, headers=HX
    )
    assert response.status_code == 422
    assert "scan-error" in trigger(response)
    line.refresh_from_db()
    assert line.counted == 2


def test_minus_never_goes_below_zero(clerk_client):
    variant, warehouse = stocked(5)
    count = start_count(warehouse=warehouse, variants=[variant])
    line = count.lines.get()
    url = reverse("inventory:count_line", args=[count.pk, line.pk])
    clerk_client.post(url, {"counted": "0", "step": "-1"}, headers=HX)
    line.refresh_from_db()
    assert line.counted == 0


def test_found_item_becomes_a_counted_line(clerk_client, reviewer, assert_consistent):
    warehouse = make_warehouse()
    cream = make_variant(make_product(tracking=Tracking.LOT, expiry=True), sku="CREAM-1")
    count = start_count(warehouse=warehouse, bins=[shelf(warehouse, "B-01-01-1")])
    expiry = timezone.localdate() + timedelta(days=200)
    url = reverse("inventory:count_found", args=[count.pk])

    missing_lot = clerk_client.post(url, {"code": "CREAM-1", "bin": "B-01-01-1", "quantity": 2}, headers=HX)
    assert missing_lot.status_code == 422
    unknown_bin = clerk_client.post(
        url, {"code": "CREAM-1", "bin": "Z-9", "quantity": 2, "lot_number": "L1"}, headers=HX
    )
    assert unknown_bin.status_code == 422
    assert "bin" in unknown_bin.context["found_form"].errors
    assert not count.lines.exists()

    found = clerk_client.post(
        url,
        {"code": "cream-1", "bin": "B-01-01-1", "quantity": 2, "lot_number": "L1", "expiry_date": expiry},
        headers=HX,
    )
    assert found.status_code == 200
    assert "scan-ok" in trigger(found)
    line = count.lines.get()
    assert (line.lot.lot_number, line.lot.expiry_date, line.expected, line.counted) == ("L1", expiry, 0, 2)

    submit_count(count=count)
    post_count(count=count, user=reviewer)
    assert on_hand(cream, warehouse) == 2
    assert_consistent()


def test_a_lot_label_chooses_which_lot_the_item_scans_count(clerk_client):
    warehouse = make_warehouse()
    cream = make_variant(make_product(tracking=Tracking.LOT, expiry=True), sku="CREAM-2", barcode="CRM2")
    for lot, days in (("OLD", 30), ("NEW", 300)):
        add_stock(
            variant=cream,
            warehouse=warehouse,
            quantity=5,
            lot_number=lot,
            expiry_date=timezone.localdate() + timedelta(days),
        )
    count = start_count(warehouse=warehouse, variants=[cream])
    new_line = count.lines.get(lot__lot_number="NEW")
    scan(clerk_client, count, "A-01-01-1")
    picked = scan(clerk_client, count, "new")
    assert picked.context["current"].pk == new_line.pk
    scan(clerk_client, count, "CRM2", line=str(new_line.pk))
    scan(clerk_client, count, "CRM2", line=str(new_line.pk))
    assert dict(count.lines.values_list("lot__lot_number", "counted")) == {"OLD": None, "NEW": 2}


# --- Review and its refusals ----------------------------------------------------------------------


def test_posting_twice_and_posting_uncounted_lines_are_clear_messages(reviewer_client):
    variant, warehouse = stocked(10)
    open_count = start_count(warehouse=warehouse, variants=[variant])
    url = reverse("inventory:count", args=[open_count.pk])
    response = reviewer_client.post(
        reverse("inventory:count_post", args=[open_count.pk]),
        headers={"Referer": f"http://testserver{url}"},
        follow=True,
    )
    [error] = [m for m in response.context["messages"] if m.level == message_levels.ERROR]
    assert "1 line(s) are not counted yet" in str(error)
    open_count.refresh_from_db()
    assert open_count.status == CountStatus.COUNTING

    counted = counted_count(warehouse, {variant.sku: 9}, variants=[variant])
    url = reverse("inventory:count", args=[counted.pk])
    reviewer_client.post(reverse("inventory:count_post", args=[counted.pk]))
    again = reviewer_client.post(
        reverse("inventory:count_post", args=[counted.pk]),
        headers={"Referer": f"http://testserver{url}"},
        follow=True,
    )
    [error] = [m for m in again.context["messages"] if m.level == message_levels.ERROR]
    assert f"{counted.number} is already posted" in str(error)
    assert on_hand(variant, warehouse) == 9
    assert StockMovement.objects.filter(kind=MovementKind.COUNT).count() == 1


def test_submitting_with_uncounted_lines_is_refused(clerk_client):
    variant, warehouse = stocked(10)
    count = start_count(warehouse=warehouse, variants=[variant])
    station = reverse("inventory:count_station", args=[count.pk])
    response = clerk_client.post(
        reverse("inventory:count_submit", args=[count.pk]),
        headers={"Referer": f"http://testserver{station}"},
        follow=True,
    )
    assert response.redirect_chain == [(f"http://testserver{station}", 302)]
    assert any("not counted yet" in str(m) for m in response.context["messages"])
    count.refresh_from_db()
    assert count.status == CountStatus.COUNTING


def test_review_warns_when_stock_moved_and_a_recount_freezes_it_again(
    reviewer_client, reviewer, assert_consistent
):
    variant, warehouse = stocked(10)
    count = start_count(warehouse=warehouse, variants=[variant])
    record_count(line=count.lines.get(), counted=10)
    remove_stock(variant=variant, warehouse=warehouse, quantity=2, reason="damaged")  # during the count
    submit_count(count=count)

    review = reviewer_client.get(reverse("inventory:count", args=[count.pk]))
    assert review.context["drift_lines"] == 1
    assert review.context["moves"] == 1
    assert "Stock moved in these bins since the count started" in review.content.decode()

    reopen_count(count=count, user=reviewer, lines=list(count.lines.all()))
    line = count.lines.get()
    assert (line.expected, line.counted) == (8, None)
    record_count(line=line, counted=8)
    submit_count(count=count)
    again = reviewer_client.get(reverse("inventory:count", args=[count.pk]))
    assert again.context["drift_lines"] == 0
    post_count(count=count, user=reviewer)
    assert on_hand(variant, warehouse) == 8
    assert not StockMovement.objects.filter(kind=MovementKind.COUNT).exists()
    assert_consistent()


def test_recount_needs_chosen_lines_or_all(reviewer_client):
    variant, warehouse = stocked(4)
    count = counted_count(warehouse, {variant.sku: 3}, variants=[variant])
    nothing = reviewer_client.post(reverse("inventory:count_reopen", args=[count.pk]))
    assert nothing.status_code == 302
    count.refresh_from_db()
    assert count.status == CountStatus.REVIEW
    everything = reviewer_client.post(reverse("inventory:count_reopen", args=[count.pk]), {"all": "1"})
    assert everything.status_code == 302
    count.refresh_from_db()
    assert count.status == CountStatus.COUNTING
    assert count.lines.get().counted is None


def test_cancel_writes_nothing(reviewer_client):
    variant, warehouse = stocked(4)
    count = counted_count(warehouse, {variant.sku: 1}, variants=[variant])
    assert reviewer_client.post(reverse("inventory:count_cancel", args=[count.pk])).status_code == 302
    count.refresh_from_db()
    assert count.status == CountStatus.CANCELLED
    assert on_hand(variant, warehouse) == 4
    with pytest.raises(IllegalTransition):
        post_count(count=count)


# --- Starting a count -----------------------------------------------------------------------------


def test_scopes_resolve_bins_zones_skus_and_expiring_lots(clerk_client):
    warehouse = make_warehouse()
    Bin.objects.create(warehouse=warehouse, code="A-02-01-1", zone="A", walk_sequence=15)
    assert [b.code for b in bins_matching(warehouse=warehouse, prefix="a")] == ["A-01-01-1", "A-02-01-1"]
    assert [b.code for b in bins_matching(warehouse=warehouse, prefix="A-02")] == ["A-02-01-1"]
    assert [b.code for b in bins_matching(warehouse=warehouse, first="A-02", last="B-01")] == [
        "A-02-01-1",
        "B-01-01-1",
    ]
    assert not bins_matching(warehouse=warehouse, prefix="Q").exists()  # quarantine is never counted

    milk = make_variant(make_product(tracking=Tracking.LOT, expiry=True), sku="MILK-1")
    today = timezone.localdate()
    add_stock(
        variant=milk, warehouse=warehouse, quantity=3, lot_number="SOON", expiry_date=today + timedelta(5)
    )
    add_stock(
        variant=milk, warehouse=warehouse, quantity=3, lot_number="LATE", expiry_date=today + timedelta(90)
    )
    url = reverse("inventory:count_start")

    clerk_client.post(url, {"warehouse": warehouse.pk, "scope": "expiring", "expiring_days": 10})
    clerk_client.post(url, {"warehouse": warehouse.pk, "scope": "zone", "zone": "b"})
    clerk_client.post(url, {"warehouse": warehouse.pk, "scope": "skus", "skus": "milk-1"})
    expiring, zone, skus = StockCount.objects.order_by("pk")
    assert list(expiring.lines.values_list("lot__lot_number", flat=True)) == ["SOON"]
    assert zone.lines.count() == 0
    assert sorted(skus.lines.values_list("lot__lot_number", flat=True)) == ["LATE", "SOON"]
    counting.attach_scopes([expiring, zone, skus])
    assert zone.scope_label == "Zone B"
    assert skus.scope_label == "SKUs: MILK-1"
    assert expiring.scope_label.startswith("Lots expiring by")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"scope": "bins", "bins": "X-99"}, "bins"),
        ({"scope": "bins", "bins": ""}, "bins"),
        ({"scope": "zone", "zone": "Z"}, "zone"),
        ({"scope": "skus", "skus": "NOPE-1"}, "skus"),
        ({"scope": "expiring", "expiring_days": 3}, "expiring_days"),
        ({"scope": "expiring", "expiring_days": -1}, "expiring_days"),
        ({"scope": "everything"}, "scope"),
    ],
)
def test_a_bad_scope_is_refused_with_422_and_nothing_is_started(clerk_client, data, field):
    _variant, warehouse = stocked(3)
    response = clerk_client.post(reverse("inventory:count_start"), {"warehouse": warehouse.pk, **data})
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not StockCount.objects.exists()


# --- List -----------------------------------------------------------------------------------------


def test_list_filters_and_hides_differences_from_counters(clerk_client, reviewer_client):
    istanbul, ankara = make_warehouse("IST"), make_warehouse("ANK")
    a, _w = stocked(5, warehouse=istanbul)
    b, _w = stocked(5, warehouse=ankara)
    posted = counted_count(istanbul, {a.sku: 4}, variants=[a])
    post_count(count=posted)
    running = start_count(warehouse=ankara, variants=[b])

    def numbers(client, **params):
        return [c.number for c in client.get(reverse("inventory:counts"), params).context["page"]]

    assert numbers(reviewer_client) == [running.number, posted.number]
    assert numbers(reviewer_client, status="posted") == [posted.number]
    assert numbers(reviewer_client, warehouse=ankara.pk) == [running.number]
    partial = reviewer_client.get(reverse("inventory:counts"), {"status": "counting"}, headers=HX)
    assert partial.content.decode().lstrip().startswith('<div id="results"')
    assert 'class="badge warn">1<' in reviewer_client.get(reverse("inventory:counts")).content.decode()
    assert 'class="badge warn">1<' not in clerk_client.get(reverse("inventory:counts")).content.decode()


def test_list_query_count_does_not_grow_with_rows(reviewer_client, django_assert_max_num_queries):
    warehouse = make_warehouse()
    variant, _w = stocked(5, warehouse=warehouse)
    for _ in range(2):
        start_count(warehouse=warehouse, variants=[variant], scope={"kind": "skus", "value": [variant.sku]})
    with CaptureQueriesContext(connection) as few:
        reviewer_client.get(reverse("inventory:counts"))
    for _ in range(30):
        count = counted_count(warehouse, {variant.sku: 5}, variants=[variant])
        post_count(count=count)
    with django_assert_max_num_queries(len(few)) as many:
        response = reviewer_client.get(reverse("inventory:counts"))
    assert len(response.context["page"]) == 32
    assert len(many) == len(few)


def test_review_query_count_does_not_grow_with_lines(reviewer_client, django_assert_max_num_queries):
    warehouse = make_warehouse()
    few_variants = [stocked(2, warehouse=warehouse)[0] for _ in range(2)]
    small = counted_count(warehouse, {v.sku: 1 for v in few_variants}, variants=few_variants)
    with CaptureQueriesContext(connection) as few:
        reviewer_client.get(reverse("inventory:count", args=[small.pk]))
    many_variants = [stocked(2, warehouse=warehouse)[0] for _ in range(25)]
    big = counted_count(warehouse, {v.sku: 1 for v in many_variants}, variants=many_variants)
    with django_assert_max_num_queries(len(few)):
        response = reviewer_client.get(reverse("inventory:count", args=[big.pk]))
    assert len(response.context["lines"]) == 25


# --- Demo -----------------------------------------------------------------------------------------


def test_demo_counts(admin_user, assert_consistent):
    from inventory.demo import seed_inventory
    from inventory.demo_counts import seed_counts

    seed_inventory(random.Random(3), admin=admin_user, scale=0.05)
    made = seed_counts(random.Random(3), admin=admin_user)
    statuses = dict(StockCount.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses == {CountStatus.POSTED: 1, CountStatus.REVIEW: 1, CountStatus.COUNTING: 1}
    assert made["counts"] == 3
    posted = StockCount.objects.get(status=CountStatus.POSTED)
    rows = StockMovement.objects.filter(kind=MovementKind.COUNT, reference=posted.number)
    assert 1 <= rows.count() <= made["differences"]
    review = StockCount.objects.get(status=CountStatus.REVIEW)
    assert not review.lines.filter(counted__isnull=True).exists()
    assert review.lines.exclude(counted=F("expected")).exists()
    running = StockCount.objects.get(status=CountStatus.COUNTING)
    assert running.lines.filter(counted__isnull=True).exists()
    assert running.lines.filter(counted__isnull=False).exists()
    assert_consistent()
