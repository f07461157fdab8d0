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
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.barcodes import GS1_LENGTHS
from inventory.errors import UnknownVariant
from inventory.models import (
    Category,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockLot,
    StockMovement,
    Supplier,
    SupplierItem,
    TransferLine,
    TransferStatus,
    Variant,
    Warehouse,
)
from oms.errors import InvalidInput
from oms.money import round_money

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


# --- Purchasing -----------------------------------------------------------------------------------


def _count(queryset: QuerySet, *, by: str) -> Coalesce:
    """Rows of ``queryset`` per outer row, as a correlated subquery (no join that multiplies rows)."""
    counted = queryset.order_by().values(by).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def supplier_list() -> QuerySet[Supplier]:
    """Suppliers with how many variants they supply and how many of their orders are open."""
    from inventory.purchasing import OPEN_STATUSES

    return Supplier.objects.annotate(
        item_count=_count(SupplierItem.objects.filter(supplier=OuterRef("pk")), by="supplier"),
        open_order_count=_count(
            PurchaseOrder.objects.filter(supplier=OuterRef("pk"), status__in=OPEN_STATUSES), by="supplier"
        ),
    )


def supplier_detail(pk: int) -> Supplier:
    return get_object_or_404(supplier_list().select_related("province"), pk=pk)


def supplier_item_list(supplier: Supplier) -> QuerySet[SupplierItem]:
    """A supplier's items with their variants; paginate by ``("sku", "pk")``."""
    return (
        SupplierItem.objects.filter(supplier=supplier)
        .select_related("variant__product")
        .annotate(sku=F("variant__sku"))
    )


def search_supplier_items(items: QuerySet[SupplierItem], text: str) -> QuerySet[SupplierItem]:
    return items.filter(
        Q(variant__sku__icontains=text)
        | Q(variant__barcode__icontains=text)
        | Q(supplier_sku__icontains=text)
        | Q(variant__product__name__icontains=text)
    )


def purchase_order_list() -> QuerySet[PurchaseOrder]:
    """Orders with supplier, warehouse and their line figures (one grouped query a page);
    ``overdue``: awaited from the supplier and the expected date has passed. Paginate by ``-pk``."""
    from inventory.purchasing import AWAITED_STATUSES

    money = DecimalField(max_digits=20, decimal_places=2)
    total = ExpressionWrapper(F("lines__quantity_ordered") * F("lines__unit_cost"), output_field=money)
    return PurchaseOrder.objects.select_related("supplier", "warehouse").annotate(
        line_count=Count("lines"),
        units_ordered=Coalesce(Sum("lines__quantity_ordered"), 0),
        units_received=Coalesce(Sum("lines__quantity_received"), 0),
        total_cost=Coalesce(Sum(total), Value(Decimal("0.00")), output_field=money),
        overdue=Case(
            When(status__in=AWAITED_STATUSES, expected_date__lt=timezone.localdate(), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def overdue_orders(orders: QuerySet[PurchaseOrder]) -> QuerySet[PurchaseOrder]:
    from inventory.purchasing import AWAITED_STATUSES

    return orders.filter(status__in=AWAITED_STATUSES, expected_date__lt=timezone.localdate())


def purchase_order_detail(pk: int) -> PurchaseOrder:
    return get_object_or_404(purchase_order_list().select_related("warehouse__province", "created_by"), pk=pk)


def purchase_order_lines(order: PurchaseOrder) -> list[PurchaseOrderLine]:
    """The order's lines with their variants, each with ``line_total`` (ordered x unit cost)."""
    lines = list(order.lines.select_related("variant__product").order_by("pk"))
    for line in lines:
        line.line_total = round_money(line.quantity_ordered * line.unit_cost)
    return lines


def purchase_order_receipts(order: PurchaseOrder) -> list[Receipt]:
    """Goods-in receipts booked against the order, with their units."""
    return list(
        Receipt.objects.filter(purchase_order=order)
        .select_related("received_by")
        .annotate(units=Coalesce(Sum("lines__quantity"), 0), line_count=Count("lines"))
        .order_by("-received_at", "-pk")
    )


def recent_purchase_orders(supplier: Supplier, *, limit: int = 10) -> list[PurchaseOrder]:
    return list(purchase_order_list().filter(supplier=supplier).order_by("-pk")[:limit])


@dataclass
class VatLine:
    rate: int
    base: Decimal
    vat: Decimal


def purchase_order_document(order: PurchaseOrder) -> dict:
    """Everything the purchase-order PDF shows: lines, net total, KDV per rate and the gross total.

    Unit costs are net of KDV (purchase prices); each product's own rate applies.
    """
    order = PurchaseOrder.objects.select_related("supplier__province", "warehouse__province").get(pk=order.pk)
    lines = purchase_order_lines(order)
    bases: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        bases[line.variant.product.tax_rate] += line.line_total
    vat_lines = [VatLine(rate, base, round_money(base * rate / 100)) for rate, base in sorted(bases.items())]
    net = round_money(sum((line.line_total for line in lines), Decimal(0)))
    vat = sum((v.vat for v in vat_lines), Decimal(0))
    return {
        "order": order,
        "supplier": order.supplier,
        "warehouse": order.warehouse,
        "lines": lines,
        "units": sum(line.quantity_ordered for line in lines),
        "net_total": net,
        "vat_lines": [v for v in vat_lines if v.rate],
        "vat_total": round_money(vat),
        "gross_total": round_money(net + vat),
        "issued": timezone.localtime(order.sent_at or order.created_at).date(),
    }


def _gs1_forms(code: str) -> set[str]:
    """A GS1 number as it may be stored: UPC-A (12), EAN-13 (13) and GTIN-14 differ by leading zeros."""
    if not (code.isdigit() and len(code) in GS1_LENGTHS):
        return {code}
    bare = code.lstrip("0")
    return {code} | {bare.zfill(n) for n in (12, 13, 14) if len(bare) <= n}


def variant_for_code(code: str) -> Variant | None:
    """The variant whose barcode or SKU is ``code``, typed or scanned at any station (barcode first,
    GS1 numbers with or without leading zeros; SKU ignoring case)."""
    code = (code or "").strip()
    if not code:
        return None
    base = Variant.objects.select_related("product")
    by_barcode = list(base.filter(barcode__in=_gs1_forms(code))[:2])
    if by_barcode:
        exact = [v for v in by_barcode if v.barcode == code]
        return (exact or by_barcode)[0]
    # Exact first (the unique index); a scanner sending upper case still finds a lower-case SKU.
    return base.filter(sku=code).first() or base.filter(sku__iexact=code).order_by("pk").first()


def variant_by_code(code: str) -> Variant:
    """``variant_for_code``, raising ``UnknownVariant`` when nothing matches."""
    variant = variant_for_code(code)
    if variant is None:
        message = _("There is no product with SKU or barcode “%(code)s”.") % {"code": (code or "").strip()}
        raise UnknownVariant(message, sku=code)
    return variant


def purchasing_variant_search(text: str, *, limit: int = 10) -> list[Variant]:
    """Variants for a purchasing search box: an exact SKU or barcode (a scan) first, then SKUs,
    barcodes and product names containing the text."""
    text = (text or "").strip()
    if not text:
        return []
    variants = Variant.objects.select_related("product")
    exact = list(variants.filter(Q(sku__iexact=text) | Q(barcode=text))[:1])
    matches = Q(sku__icontains=text) | Q(barcode__icontains=text) | Q(product__name__icontains=text)
    found = list(
        variants.filter(matches).exclude(pk__in=[v.pk for v in exact]).order_by("sku")[: limit - len(exact)]
    )
    return exact + found


def in_transit(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Units shipped by transfer and not yet received, per (variant, destination warehouse)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    rows = (
        TransferLine.objects.filter(
            transfer__status=TransferStatus.SHIPPED, variant_id__in={variant for variant, _w in pairs}
        )
        .values("variant_id", "transfer__destination_id")
        .annotate(shipped=Sum("quantity"), received=Sum("quantity_received"))
    )
    return {
        (r["variant_id"], r["transfer__destination_id"]): max(r["shipped"] - r["received"], 0)
        for r in rows
        if (r["variant_id"], r["transfer__destination_id"]) in pairs
    }


@dataclass
class ReorderRow:
    """One reorder suggestion with what the page shows about it."""

    variant: Variant
    warehouse: Warehouse
    supplier: Supplier | None
    available: int
    on_order: int
    in_transit: int
    daily_demand: Decimal
    lead_time_days: int
    safety_stock: Decimal
    reorder_point: int
    quantity: int
    unit_cost: Decimal
    minimum_order_quantity: int
    pack_size: int

    @property
    def line_cost(self) -> Decimal:
        return round_money(self.quantity * self.unit_cost)


def reorder_rows(
    suggestions: Sequence, *, warehouse: Warehouse | None = None, supplier: Supplier | None = None
) -> list[ReorderRow]:
    """``replenishment.reorder_suggestions()`` filtered and joined with variants, warehouses,
    preferred suppliers, their costs and transfers in transit: a few queries for any number."""
    chosen = [
        s
        for s in suggestions
        if (warehouse is None or s.warehouse_id == warehouse.pk)
        and (supplier is None or s.supplier_id == supplier.pk)
    ]
    if not chosen:
        return []
    variants = Variant.objects.select_related("product").in_bulk({s.variant_id for s in chosen})
    warehouses = Warehouse.objects.in_bulk({s.warehouse_id for s in chosen})
    suppliers = Supplier.objects.in_bulk({s.supplier_id for s in chosen if s.supplier_id})
    costs = {
        (supplier_id, variant_id): cost
        for supplier_id, variant_id, cost in SupplierItem.objects.filter(
            variant_id__in=variants, supplier_id__in=suppliers
        ).values_list("supplier_id", "variant_id", "cost")
    }
    transit = in_transit((s.variant_id, s.warehouse_id) for s in chosen)
    rows = []
    for s in chosen:
        variant = variants[s.variant_id]
        source = suppliers.get(s.supplier_id)
        rows.append(
            ReorderRow(
                variant=variant,
                warehouse=warehouses[s.warehouse_id],
                supplier=source,
                available=s.available,
                on_order=s.on_order,
                in_transit=transit.get((s.variant_id, s.warehouse_id), 0),
                daily_demand=s.reorder.daily_demand,
                lead_time_days=s.reorder.lead_time_days,
                safety_stock=s.reorder.safety_stock,
                reorder_point=s.reorder.reorder_point,
                quantity=s.quantity,
                unit_cost=costs.get((s.supplier_id, s.variant_id), variant.cost_price),
                minimum_order_quantity=source.minimum_order_quantity if source else 1,
                pack_size=source.pack_size if source else 1,
            )
        )
    rows.sort(key=lambda r: (r.warehouse.priority, r.warehouse.code, r.variant.sku))
    return rows
