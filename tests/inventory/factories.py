"""Inventory test data: the smallest catalogue and warehouses that tests need."""

from decimal import Decimal
from itertools import count

from inventory.models import Bin, Category, Product, RemovalStrategy, Tracking, Variant, Warehouse

_seq = count(1)


def make_category(**fields) -> Category:
    n = next(_seq)
    return Category.objects.create(**{"name": f"Category {n}", "slug": f"category-{n}", **fields})


def make_product(
    *, tracking: str = Tracking.NONE, expiry: bool = False, strategy: str | None = None, **fields
) -> Product:
    n = next(_seq)
    strategy = strategy or (RemovalStrategy.FEFO if expiry else RemovalStrategy.FIFO)
    return Product.objects.create(
        **{
            "name": f"Product {n}",
            "category": fields.pop("category", None) or make_category(),
            "tracking": tracking,
            "tracks_expiry": expiry,
            "removal_strategy": strategy,
            **fields,
        }
    )


def make_variant(product: Product | None = None, **fields) -> Variant:
    n = next(_seq)
    return Variant.objects.create(
        **{
            "product": product or make_product(),
            "sku": f"SKU-{n:05d}",
            "list_price": Decimal("100.00"),
            "cost_price": Decimal("60.00"),
            **fields,
        }
    )


def make_warehouse(code: str | None = None, province: int = 34, **fields) -> Warehouse:
    n = next(_seq)
    warehouse = Warehouse.objects.create(
        **{"code": code or f"W{n}", "name": f"Warehouse {n}", "province_id": province, **fields}
    )
    for i, zone in enumerate(["A", "B"], start=1):
        Bin.objects.create(warehouse=warehouse, code=f"{zone}-01-01-1", zone=zone, walk_sequence=i * 10)
    Bin.objects.create(warehouse=warehouse, code="Q-00-00-0", zone="Q", walk_sequence=999, is_quarantine=True)
    return warehouse


def stocked(quantity: int, *, variant: Variant | None = None, warehouse: Warehouse | None = None, **receive):
    """A variant with ``quantity`` units received into a warehouse (through the real service)."""
    from inventory.services import add_stock

    variant = variant or make_variant()
    warehouse = warehouse or make_warehouse()
    if quantity:
        add_stock(variant=variant, warehouse=warehouse, quantity=quantity, reference="test", **receive)
    return variant, warehouse


def make_supplier(**fields):
    from inventory.models import Supplier

    n = next(_seq)
    return Supplier.objects.create(**{"code": f"SUP{n}", "name": f"Supplier {n}", **fields})
