"""Inventory JSON API: the catalogue, stock per warehouse, and stock adjustments.

Reads and writes go through the same selectors and services as the panel. Lists are keyset
paginated: pass the ``next_cursor`` of one answer as ``cursor`` to get the next page.
"""

from datetime import date, datetime
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictInt, field_validator

from inventory import selectors, services
from inventory.models import AdjustmentReason, Product, StockLevel, Variant
from oms.apikeys import api_auth
from oms.pagination import paginate

READ_AUTH = api_auth("inventory:read", "oms.access_inventory")
WRITE_AUTH = api_auth("inventory:write", "inventory.adjust_stock")
MAX_LIMIT = 200

router = Router(tags=["inventory"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]


# --- Catalogue ------------------------------------------------------------------------------------


class VariantOut(Schema):
    sku: str
    barcode: str | None
    options: dict[str, Any]
    list_price: str = Field(description="Decimal amount as a string, e.g. `1249.90`.")
    currency: str
    is_active: bool

    @staticmethod
    def resolve_list_price(obj: Variant) -> str:
        return str(obj.list_price)


class ProductOut(Schema):
    id: int
    name: str
    brand: str
    category: str = Field(description="Category slug.")
    tracking: str
    tracks_expiry: bool
    is_active: bool
    variants: list[VariantOut]

    @staticmethod
    def resolve_category(obj: Product) -> str:
        return obj.category.slug

    @staticmethod
    def resolve_variants(obj: Product) -> list[Variant]:
        return list(obj.variants.all())


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None


@router.get("/products", response=ProductPage, auth=READ_AUTH, summary="Products with their variants")
def product_list(
    request: HttpRequest,
    search: str | None = None,
    category: str | None = None,
    cursor: Cursor = None,
    limit: Limit = 50,
):
    """Products in name order. ``search`` matches name, brand, SKU or barcode; ``category`` is a
    slug and includes its sub-categories."""
    products = selectors.product_list()
    if search and search.strip():
        products = selectors.search_products(products, search.strip())
    if category:
        ids = selectors.category_ids_with_descendants(selectors.category_by_slug(category))
        products = products.filter(category_id__in=ids)
    page = paginate(request, products, ordering=("name", "pk"), per_page=limit)
    return {"items": page.object_list, "next_cursor": page.next_cursor}


# --- Stock ----------------------------------------------------------------------------------------


class StockFiguresOut(Schema):
    on_hand: int
    reserved: int
    available: int = Field(description="On hand minus reserved.")
    quarantined: int


class WarehouseStockOut(StockFiguresOut):
    warehouse: str = Field(description="Warehouse code.")


class VariantStockOut(Schema):
    sku: str
    warehouses: list[WarehouseStockOut]
    totals: StockFiguresOut


class StockPage(Schema):
    items: list[VariantStockOut]
    next_cursor: str | None


def _level_out(level: StockLevel) -> dict:
    return {
        "warehouse": level.warehouse.code,
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "available": level.available,
        "quarantined": level.quarantined,
    }


def _split(values: list[str] | None) -> list[str]:
    """``?sku=A&sku=B`` and ``?sku=A,B`` both mean A and B."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


@router.get("/stock", response=StockPage, auth=READ_AUTH, summary="Stock per variant and warehouse")
def stock_list(
    request: HttpRequest,
    sku: Annotated[
        list[str] | None, Query(description="One or several SKUs (repeat or comma-separate).")
    ] = None,
    warehouse: Annotated[str | None, Query(description="Warehouse code.")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
):
    """Stock of each variant in SKU order: per warehouse and in total. Without ``sku``, only
    variants that have stock records (in ``warehouse`` when given) are listed."""
    place = selectors.warehouse_by_code(warehouse) if warehouse else None
    variants = selectors.stock_variant_list(skus=_split(sku), warehouse=place)
    page = paginate(request, variants, ordering=("sku", "pk"), per_page=limit)
    levels = selectors.levels_by_variant([v.pk for v in page], warehouse=place)
    items = []
    for variant in page:
        held = levels.get(variant.pk, [])
        items.append(
            {
                "sku": variant.sku,
                "warehouses": [_level_out(level) for level in held],
                "totals": selectors.StockFigures.total(held).as_dict(),
            }
        )
    return {"items": items, "next_cursor": page.next_cursor}


# --- Adjustments ----------------------------------------------------------------------------------


class AdjustmentIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    warehouse: str = Field(min_length=1, max_length=10, description="Warehouse code.")
    delta: StrictInt = Field(description="Units to add (positive) or remove (negative); not zero.")
    reason: AdjustmentReason
    note: str = Field("", max_length=255)
    reference: str = Field("", max_length=64)
    lot_number: str = Field("", max_length=64, description="Lot-tracked products, when adding.")
    expiry_date: date | None = Field(None, description="Expiry-tracked products, when adding.")
    serials: list[str] = Field(default_factory=list, description="Serial-tracked products, when adding.")

    @field_validator("delta")
    @classmethod
    def delta_changes_something(cls, value: int) -> int:
        if value == 0:
            raise ValueError("delta must not be zero")
        return value


class MovementOut(Schema):
    id: int
    created_at: datetime
    sku: str
    warehouse: str
    kind: str
    on_hand_delta: int
    quarantined_delta: int
    reason: str
    note: str
    reference: str
    lot_number: str | None
    serial: str | None


class AdjustmentOut(Schema):
    movements: list[MovementOut]
    level: WarehouseStockOut


@router.post(
    "/stock/adjustments",
    response={201: AdjustmentOut},
    auth=WRITE_AUTH,
    summary="Adjust stock",
)
def create_adjustment(request: HttpRequest, payload: AdjustmentIn):
    """Correct the stock of one SKU in one warehouse with a reason code.

    Removing never touches reserved units (409 ``stock_below_reserved``). Send an
    ``Idempotency-Key`` header so that a retried request is not applied twice.
    """
    variant = selectors.variant_by_sku(payload.sku)
    warehouse = selectors.warehouse_by_code(payload.warehouse)
    user = request.auth if isinstance(request.auth, get_user_model()) else None
    movements = services.adjust(
        variant=variant,
        warehouse=warehouse,
        delta=payload.delta,
        reason=payload.reason.value,
        note=payload.note,
        reference=payload.reference,
        user=user,
        lot_number=payload.lot_number,
        expiry_date=payload.expiry_date,
        serials=payload.serials,
    )
    level = StockLevel.objects.select_related("warehouse").get(variant=variant, warehouse=warehouse)
    return Status(
        201,
        {
            "movements": [
                {
                    "id": m.pk,
                    "created_at": m.created_at,
                    "sku": variant.sku,
                    "warehouse": warehouse.code,
                    "kind": m.kind,
                    "on_hand_delta": m.on_hand_delta,
                    "quarantined_delta": m.quarantined_delta,
                    "reason": m.reason,
                    "note": m.note,
                    "reference": m.reference,
                    "lot_number": m.lot.lot_number if m.lot else None,
                    "serial": m.lot.serial if m.lot else None,
                }
                for m in movements
            ],
            "level": _level_out(level),
        },
    )
