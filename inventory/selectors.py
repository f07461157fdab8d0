"""Read queries shared by the inventory panel pages and the JSON API.

Every list here is built for keyset pagination (``oms.pagination.paginate``) and a constant number
of queries per page: related rows are joined (``select_related``) or fetched in one extra query for
the whole page, never one query per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.errors import UnknownVariant
from inventory.models import (
    Category,
    Product,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockLot,
    StockMovement,
    Variant,
    Warehouse,
)
from oms.errors import InvalidInput

# Detail pages show at most this many lots and reservations; the rest are in Django admin.
DETAIL_ROWS = 100


@dataclass
class StockFigures:
    """Quantities of one variant (or product) in one warehouse, or summed over several."""

    on_hand: int = 0
    reserved: int = 0
    quarantined: int = 0
    warehouse: Warehouse | None = None

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def add(self, on_hand: int, reserved: int, quarantined: int) -> None:
        self.on_hand += on_hand
        self.reserved += reserved
        self.quarantined += quarantined

    @classmethod
    def total(cls, levels: Iterable[StockLevel]) -> StockFigures:
        figures = cls()
        for level in levels:
            figures.add(level.on_hand, level.reserved, level.quarantined)
        return figures

    def as_dict(self) -> dict[str, int]:
        return {
            "on_hand": self.on_hand,
            "reserved": self.reserved,
            "available": self.available,
            "quarantined": self.quarantined,
        }


# --- Look-ups -------------------------------------------------------------------------------------


def category_ids_with_descendants(category: Category | int) -> list[int]:
    """The category and every category below it.

    The tree is small (hundreds of nodes), so one query for all edges and a walk in Python is
    cheaper and more portable (SQLite demo, PostgreSQL) than a recursive CTE.
    """
    root = category if isinstance(category, int) else category.pk
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children[parent_id].append(pk)
    found: list[int] = []
    seen: set[int] = set()
    todo = [root]
    while todo:
        pk = todo.pop()
        if pk in seen:
            continue
        seen.add(pk)
        found.append(pk)
        todo.extend(children.get(pk, ()))
    return found


def category_by_slug(slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise InvalidInput(
            _("There is no category “%(slug)s”.") % {"slug": slug}, code="unknown_category", category=slug
        )
    return category


def variant_by_sku(sku: str) -> Variant:
    variant = Variant.objects.select_related("product").filter(sku=sku).first()
    if variant is None:
        raise UnknownVariant(_("There is no product with SKU “%(sku)s”.") % {"sku": sku}, sku=sku)
    return variant


def warehouse_by_code(code: str) -> Warehouse:
    warehouse = Warehouse.objects.filter(code=code).first()
    if warehouse is None:
        raise InvalidInput(
            _("There is no warehouse with code “%(code)s”.") % {"code": code},
            code="unknown_warehouse",
            warehouse=code,
        )
    return warehouse


# --- Stock levels ---------------------------------------------------------------------------------


def stock_level_list() -> QuerySet[StockLevel]:
    """One row per (variant, warehouse) with the variant's SKU and its alert thresholds.

    ``sku`` is annotated so the list can be keyset-paginated in SKU order; the thresholds are the
    variant's own, else its category's, resolved in SQL so filters can compare against them.
    """
    return StockLevel.objects.select_related("variant__product", "warehouse").annotate(
        sku=F("variant__sku"),
        alert_minimum=Coalesce("variant__alert_minimum", "variant__product__category__alert_minimum"),
        alert_critical=Coalesce("variant__alert_critical", "variant__product__category__alert_critical"),
    )


def below_minimum(levels: QuerySet[StockLevel]) -> QuerySet[StockLevel]:
    """Levels whose available stock (on hand - reserved) is at or below the alert minimum."""
    return levels.filter(on_hand__lte=F("reserved") + F("alert_minimum"))


def expiring_within(levels: QuerySet[StockLevel], *, days: int) -> QuerySet[StockLevel]:
    """Levels holding units (not quarantined ones) of a lot that expires within ``days`` (or has)."""
    horizon = timezone.localdate() + timedelta(days=days)
    lots = StockLot.objects.filter(
        variant_id=OuterRef("variant_id"),
        warehouse_id=OuterRef("warehouse_id"),
        quantity__gt=0,
        expiry_date__lte=horizon,
    )
    return levels.filter(Exists(lots))


def levels_by_variant(
    variant_ids: Iterable[int], *, warehouse: Warehouse | None = None
) -> dict[int, list[StockLevel]]:
    """The levels of several variants (with their warehouses) in one query, by variant id."""
    levels = StockLevel.objects.filter(variant_id__in=list(variant_ids)).select_related("warehouse")
    if warehouse is not None:
        levels = levels.filter(warehouse=warehouse)
    grouped: dict[int, list[StockLevel]] = defaultdict(list)
    for level in levels.order_by("warehouse__priority", "warehouse__code", "pk"):
        grouped[level.variant_id].append(level)
    return grouped


def stock_variant_list(*, skus: Sequence[str] = (), warehouse: Warehouse | None = None) -> QuerySet[Variant]:
    """Variants for the stock API: the SKUs asked for, else every variant that has a stock level
    (in ``warehouse`` when given)."""
    variants = Variant.objects.all()
    if skus:
        return variants.filter(sku__in=list(skus))
    levels = StockLevel.objects.filter(variant_id=OuterRef("pk"))
    if warehouse is not None:
        levels = levels.filter(warehouse=warehouse)
    return variants.filter(Exists(levels))


# --- Products -------------------------------------------------------------------------------------


def product_list() -> QuerySet[Product]:
    """Products with their category and variants (variants in SKU order, one extra query a page)."""
    return Product.objects.select_related("category").prefetch_related(
        Prefetch("variants", queryset=Variant.objects.order_by("sku"))
    )


# A search matching at most this many rows filters the page by their ids; beyond it the matches are
# dense enough for the ordered page scan to find a page of them quickly.
SEARCH_ID_LIMIT = 2000


def _ids_or_none(ids_query: QuerySet) -> list[int] | None:
    ids = list(ids_query.order_by()[: SEARCH_ID_LIMIT + 1])
    return None if len(ids) > SEARCH_ID_LIMIT else ids


def _variants_by_code(text: str) -> QuerySet[Variant]:
    return Variant.objects.filter(Q(sku__icontains=text) | Q(barcode__icontains=text))


def search_variants(variant_field: str, text: str) -> Q:
    """A filter on ``variant_field`` (a variant foreign key or ``pk``) for variants whose SKU,
    barcode or product name contains ``text``.

    A list filter that ORs conditions across joined tables makes PostgreSQL walk every row of the
    list in page order to find a few matches (160 ms at 300,000 stock levels). Instead one query
    collects the matching variant ids from two trigram-indexed lookups (migration 0009) in a UNION,
    and the page filters by those ids (bench/stock_list.py: a few ms).
    """
    by_name = Variant.objects.filter(product_id__in=Product.objects.filter(name__icontains=text).values("pk"))
    ids = _ids_or_none(
        _variants_by_code(text)
        .order_by()
        .values_list("pk", flat=True)
        .union(by_name.order_by().values_list("pk", flat=True))
    )
    if ids is not None:
        return Q(**{f"{variant_field}__in": ids})
    return Q(**{f"{variant_field}__in": _variants_by_code(text).values("pk")}) | Q(
        **{f"{variant_field}__in": by_name.values("pk")}
    )


def search_products(products: QuerySet[Product], text: str) -> QuerySet[Product]:
    """Name or brand contains ``text``, or one of the variants' SKU or barcode does.

    Product ids come from trigram-indexed lookups in one UNION query (see ``search_variants``); a
    product with several matching variants appears once.
    """
    by_text = Product.objects.filter(Q(name__icontains=text) | Q(brand__icontains=text))
    by_variant = _variants_by_code(text)
    ids = _ids_or_none(
        by_text.order_by()
        .values_list("pk", flat=True)
        .union(by_variant.order_by().values_list("product_id", flat=True))
    )
    if ids is not None:
        return products.filter(pk__in=ids)
    return products.filter(Q(pk__in=by_text.values("pk")) | Q(pk__in=by_variant.values("product_id")))


def attach_stock(products: Sequence[Product], warehouses: Sequence[Warehouse]) -> None:
    """Give each product and variant a ``stock`` list (one ``StockFigures`` per warehouse, in the
    order of ``warehouses``) and a ``stock_total``, from one query over the page's levels."""
    variants = [variant for product in products for variant in product.variants.all()]
    rows = StockLevel.objects.filter(variant_id__in=[v.pk for v in variants]).values_list(
        "variant_id", "warehouse_id", "on_hand", "reserved", "quarantined"
    )
    column = {warehouse.pk: i for i, warehouse in enumerate(warehouses)}
    by_variant: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for variant_id, warehouse_id, on_hand, reserved, quarantined in rows:
        by_variant[variant_id].append((warehouse_id, on_hand, reserved, quarantined))
    for product in products:
        product.stock = [StockFigures(warehouse=w) for w in warehouses]
        product.stock_total = StockFigures()
        for variant in product.variants.all():
            variant.stock = [StockFigures(warehouse=w) for w in warehouses]
            variant.stock_total = StockFigures()
            for warehouse_id, *quantities in by_variant.get(variant.pk, ()):
                if warehouse_id in column:
                    variant.stock[column[warehouse_id]].add(*quantities)
                    product.stock[column[warehouse_id]].add(*quantities)
                variant.stock_total.add(*quantities)
                product.stock_total.add(*quantities)


# --- One variant ----------------------------------------------------------------------------------


def variant_detail(pk: int) -> Variant:
    return get_object_or_404(Variant.objects.select_related("product__category"), pk=pk)


def variant_levels(variant: Variant) -> list[StockLevel]:
    return list(
        StockLevel.objects.filter(variant=variant)
        .select_related("warehouse")
        .order_by("warehouse__priority", "warehouse__code")
    )


def variant_lots(variant: Variant, *, limit: int = DETAIL_ROWS) -> list[StockLot]:
    """Lots that hold units (sellable or quarantined): by warehouse, then soonest expiry, then walk."""
    return list(
        StockLot.objects.filter(variant=variant)
        .filter(Q(quantity__gt=0) | Q(quarantined__gt=0))
        .select_related("warehouse", "bin")
        .order_by(
            "warehouse__priority",
            "warehouse__code",
            F("expiry_date").asc(nulls_last=True),
            "bin__walk_sequence",
            "pk",
        )[: limit + 1]
    )


def active_reservations(variant: Variant, *, limit: int = DETAIL_ROWS) -> list[Reservation]:
    return list(
        Reservation.objects.filter(variant=variant, status=ReservationStatus.ACTIVE)
        .select_related("warehouse")
        .order_by("-created_at", "-pk")[: limit + 1]
    )


def movement_list(variant: Variant) -> QuerySet[StockMovement]:
    """The variant's ledger rows with everything a row shows; paginate by ``(-created_at, -pk)``."""
    return StockMovement.objects.filter(variant=variant).select_related("warehouse", "lot__bin", "user")
