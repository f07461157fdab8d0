"""Text search over variants and products: the id-list path (few matches) and the subquery path
(many matches) give the same answer, and the trigram indexes exist on PostgreSQL."""

import pytest
from django.db import connection

from inventory import selectors
from inventory.models import Product, StockLevel
from tests.inventory.factories import make_product, make_variant, make_warehouse, stocked

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    warehouse = make_warehouse()
    kettle = make_product(name="Çelik Kettle", brand="Arzum")
    variants = [
        make_variant(kettle, sku="KET-01", barcode="8690000000017"),
        make_variant(kettle, sku="KET-02"),
        make_variant(make_product(name="Porselen Kupa"), sku="MUG-01", barcode="KUPA-BAR-9"),
        make_variant(make_product(name="Kettle Filtresi"), sku="FLT-01"),
        make_variant(make_product(name="Çay Bardağı"), sku="CAY-01"),
    ]
    for variant in variants:
        stocked(2, variant=variant, warehouse=warehouse)
    return warehouse


def level_skus(text: str) -> list[str]:
    levels = StockLevel.objects.filter(selectors.search_variants("variant", text))
    return sorted(levels.values_list("variant__sku", flat=True))


def product_names(text: str) -> list[str]:
    return sorted(selectors.search_products(Product.objects.all(), text).values_list("name", flat=True))


CASES = {
    "kettle": ["FLT-01", "KET-01", "KET-02"],  # two products by name
    "ket-0": ["KET-01", "KET-02"],  # SKU, case-insensitive
    "bar-9": ["MUG-01"],  # barcode
    "8690000000017": ["KET-01"],
    "yok": [],
}


@pytest.mark.parametrize("limit", [selectors.SEARCH_ID_LIMIT, 1])
def test_stock_level_search_same_answer_by_ids_or_by_subquery(catalogue, monkeypatch, limit):
    monkeypatch.setattr(selectors, "SEARCH_ID_LIMIT", limit)
    for text, expected in CASES.items():
        assert level_skus(text) == expected, text


@pytest.mark.parametrize("limit", [selectors.SEARCH_ID_LIMIT, 1])
def test_product_search_by_name_brand_sku_barcode_lists_each_product_once(catalogue, monkeypatch, limit):
    monkeypatch.setattr(selectors, "SEARCH_ID_LIMIT", limit)
    assert product_names("arzum") == ["Çelik Kettle"]  # brand
    assert product_names("ket-0") == ["Çelik Kettle"]  # two variants match, one product
    assert product_names("kupa-bar") == ["Porselen Kupa"]
    assert product_names("kettle") == ["Kettle Filtresi", "Çelik Kettle"]
    assert product_names("yok") == []


def test_search_uses_one_query_for_the_ids_when_matches_are_few(catalogue, django_assert_num_queries):
    with django_assert_num_queries(1):
        condition = selectors.search_variants("variant", "kettle")
    # The condition carries the ids themselves, not a subquery.
    assert isinstance(condition.children[0][1], list)


def test_trigram_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'inventory_%%_trgm'")
        names = {row[0] for row in cursor.fetchall()}
    assert names == {
        "inventory_variant_sku_trgm",
        "inventory_variant_barcode_trgm",
        "inventory_product_name_trgm",
        "inventory_product_brand_trgm",
    }
