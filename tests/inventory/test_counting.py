"""Cycle counts: blind count, review, post once; differences become count ledger rows."""

import pytest

from inventory.counting import (
    add_found_lot,
    cancel_count,
    post_count,
    record_count,
    reopen_count,
    start_count,
    submit_count,
)
from inventory.errors import InvalidQuantity, StockBelowReserved
from inventory.models import Bin, CountStatus, MovementKind, StockLevel, StockMovement
from inventory.services import reserve_one
from oms.errors import IllegalTransition
from tests.inventory.factories import make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db


def count_all(count, values):
    for line in count.lines.select_related("lot__variant").order_by("pk"):
        record_count(line=line, counted=values[line.lot.variant.sku])


def test_count_posts_differences_to_the_ledger(assert_consistent):
    warehouse = make_warehouse()
    shirt, _ = stocked(10, warehouse=warehouse)
    socks, _ = stocked(5, warehouse=warehouse)
    count = start_count(warehouse=warehouse, variants=[shirt, socks])
    assert count.lines.count() == 2
    count_all(count, {shirt.sku: 8, socks.sku: 6})
    submit_count(count=count)
    post_count(count=count)
    levels = {lv.variant_id: lv.on_hand for lv in StockLevel.objects.filter(warehouse=warehouse)}
    assert levels == {shirt.pk: 8, socks.pk: 6}
    rows = StockMovement.objects.filter(kind=MovementKind.COUNT).order_by("pk")
    assert [(r.variant_id, r.on_hand_delta, r.reference) for r in rows] == [
        (shirt.pk, -2, count.number),
        (socks.pk, 1, count.number),
    ]
    assert_consistent()


def test_posting_twice_is_refused_and_changes_nothing():
    variant, warehouse = stocked(10)
    count = start_count(warehouse=warehouse, variants=[variant])
    count_all(count, {variant.sku: 7})
    submit_count(count=count)
    post_count(count=count)
    with pytest.raises(IllegalTransition):
        post_count(count=count)
    assert StockLevel.objects.get(variant=variant).on_hand == 7


def test_count_cannot_be_submitted_with_uncounted_lines():
    variant, warehouse = stocked(10)
    count = start_count(warehouse=warehouse, variants=[variant])
    with pytest.raises(InvalidQuantity) as info:
        submit_count(count=count)
    assert info.value.data["uncounted"] == 1


def test_review_can_send_back_for_recount():
    variant, warehouse = stocked(10)
    count = start_count(warehouse=warehouse, variants=[variant])
    line = count.lines.get()
    record_count(line=line, counted=3)
    submit_count(count=count)
    with pytest.raises(InvalidQuantity):
        record_count(line=line, counted=9)  # closed while in review
    reopen_count(count=count)
    record_count(line=line, counted=9)
    submit_count(count=count)
    post_count(count=count)
    assert StockLevel.objects.get(variant=variant).on_hand == 9


def test_shortage_cannot_eat_reserved_units_and_nothing_is_posted():
    variant, warehouse = stocked(10)
    reserve_one(variant=variant, warehouse=warehouse, quantity=9, reference="order_line:1")
    count = start_count(warehouse=warehouse, variants=[variant])
    count_all(count, {variant.sku: 5})
    submit_count(count=count)
    with pytest.raises(StockBelowReserved):
        post_count(count=count)
    count.refresh_from_db()
    assert count.status == CountStatus.REVIEW
    assert StockLevel.objects.get(variant=variant).on_hand == 10


def test_found_stock_in_an_unexpected_bin(assert_consistent):
    warehouse = make_warehouse()
    variant = make_variant()
    shelf = Bin.objects.get(warehouse=warehouse, code="B-01-01-1")
    count = start_count(warehouse=warehouse, bins=[shelf])
    assert count.lines.count() == 0
    line = add_found_lot(count=count, variant=variant, bin=shelf)
    record_count(line=line, counted=4)
    submit_count(count=count)
    post_count(count=count)
    assert StockLevel.objects.get(variant=variant, warehouse=warehouse).on_hand == 4
    assert_consistent()


@pytest.mark.parametrize("value", [-1, 1.5, None])
def test_bad_counted_values_are_refused(value):
    variant, warehouse = stocked(2)
    count = start_count(warehouse=warehouse, variants=[variant])
    with pytest.raises(InvalidQuantity):
        record_count(line=count.lines.get(), counted=value)


def test_empty_scope_and_cancel():
    _variant, warehouse = stocked(2)
    with pytest.raises(InvalidQuantity):
        start_count(warehouse=warehouse)
    count = start_count(warehouse=warehouse, bins=list(Bin.objects.filter(warehouse=warehouse)))
    cancel_count(count=count)
    with pytest.raises(IllegalTransition):
        submit_count(count=count)
