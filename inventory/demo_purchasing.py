"""Demo purchasing: Turkish suppliers, who supplies which variant at what cost, and purchase orders
in every state (draft, sent, partially received, received, cancelled), some of them overdue.

``seed_purchasing`` runs after the catalogue and stock exist (``inventory.demo.seed_inventory``) and
is deterministic for a seeded ``random.Random``. Suppliers, orders, receipts and cancellations go
through ``inventory.purchasing`` (so numbers, events and the stock ledger are right); the supplier
item rows are bulk-created (one per variant and source: no stock, and one event each would bury the
suppliers' timelines). Orders are sent without e-mailing the invented suppliers.

Company names, contacts and tax numbers are invented (the VKNs only have valid check digits); any
likeness to a real company is unintended. Street addresses are typical of each city.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from inventory.models import PurchaseOrder, Receipt, Supplier, SupplierItem, Tracking, Variant, Warehouse
from inventory.purchasing import (
    OrderLineInput,
    ReceiptInput,
    cancel_purchase_order,
    create_purchase_order,
    create_supplier,
    receive_goods,
    send_purchase_order,
)
from oms.money import round_money


@dataclass(frozen=True)
class _Address:
    contact: str
    line: str
    district: str
    province: int  # plate code
    postal_code: str
    tax_office: str
    vkn: str  # valid check digit (oms.identity.vkn_check_digit); invented, not a real company's


@dataclass(frozen=True)
class _Source:
    code: str
    name: str
    email: str
    phone: str
    lead: int
    moq: int
    pack: int
    reliability: str
    address: _Address
    preferred: tuple[str, ...] = ()  # the categories (or top-level categories) it is first choice for


# Each supplier's city matches its phone's area code and its postal code's province prefix.
# fmt: off
SUPPLIERS = [
    _Source("ANT-TKS", "Anadolu Tekstil A.Ş.", "siparis@anadolutekstil.com.tr", "+902242145566",
            lead=10, moq=20, pack=10, reliability="0.92", preferred=("giyim",),
            address=_Address("Serkan Aydın", "Demirtaş Dumlupınar OSB Mah. Mustafa Karaer Cad. No: 14",
                             "Osmangazi", 16, "16245", "Uludağ Kurumlar", "0684123759")),
    _Source("EGE-KNF", "Ege Konfeksiyon Ltd. Şti.", "satis@egekonfeksiyon.com.tr", "+902324418890",
            lead=14, moq=12, pack=6, reliability="0.78",
            address=_Address("Zeynep Kaya", "Kazımdirik Mah. 372. Sok. No: 8 Kat: 2", "Bornova", 35,
                             "35100", "Bornova", "2941058379")),
    _Source("MRM-AYK", "Marmara Ayakkabı San. ve Tic. A.Ş.", "b2b@marmaraayakkabi.com.tr",
            "+902126743010", lead=12, moq=6, pack=6, reliability="0.85", preferred=("ayakkabi",),
            address=_Address("Hakan Yıldız", "Ziya Gökalp Mah. Aymakoop Ayakkabıcılar Sitesi 4. Blok No: 12",
                             "Başakşehir", 34, "34490", "İkitelli", "6147209537")),
    _Source("BGZ-ELK", "Boğaziçi Elektronik Dağıtım A.Ş.", "tedarik@bogazicielektronik.com.tr",
            "+902164560077", lead=7, moq=5, pack=5, reliability="0.95", preferred=("elektronik",),
            address=_Address("Elif Şahin", "Yukarı Dudullu Mah. Organize Sanayi Bölgesi 2. Cad. No: 7",
                             "Ümraniye", 34, "34775", "Alemdağ", "1813057260")),
    _Source("LAL-KZM", "Lale Kozmetik Sanayi ve Ticaret A.Ş.", "siparis@lalekozmetik.com.tr",
            "+902128862040", lead=9, moq=24, pack=12, reliability="0.88", preferred=("kozmetik",),
            address=_Address("Merve Çelik", "Adnan Kahveci Mah. Yavuz Sultan Selim Cad. No: 21",
                             "Beylikdüzü", 34, "34528", "Beylikdüzü", "6071934483")),
    _Source("KDZ-GID", "Karadeniz Gıda ve Çay Ürünleri A.Ş.", "satis@karadenizgida.com.tr",
            "+904642135050", lead=5, moq=48, pack=12, reliability="0.98", preferred=("gida",),
            address=_Address("Osman Kalkavan", "Müftü Mah. Menderes Bulvarı No: 112", "Merkez", 53,
                             "53020", "Rize", "4812603973")),
    _Source("KPD-EVG", "Kapadokya Ev Gereçleri Ltd. Şti.", "info@kapadokyaev.com.tr",
            "+903523367121", lead=18, moq=10, pack=2, reliability="0.67", preferred=("ev-yasam",),
            address=_Address("Mustafa Erdem", "Organize Sanayi Bölgesi 12. Cad. No: 5", "Melikgazi", 38,
                             "38070", "Erciyes", "4793620157")),
    # Edirne: a wholesaler of everything, second choice, slow and unreliable, orders by phone.
    _Source("TRK-TPT", "Trakya Toptan Ticaret A.Ş.", "", "+902842251919",
            lead=21, moq=1, pack=1, reliability="0.60",
            address=_Address("Recep Güneş", "Sabuni Mah. Talat Paşa Cad. No: 60", "Merkez", 22,
                             "22100", "Arda", "8590441629")),
]
# fmt: on

# Share of variants that also have a second, non-preferred source.
ALTERNATIVE_SHARE = 0.3
# Alternative sources for a category besides the wholesaler.
ALTERNATIVES = {"giyim": ["EGE-KNF", "TRK-TPT"], "elektronik": ["TRK-TPT"], "ev-yasam": ["TRK-TPT"]}

# (status, expected in days from today, how much of each line arrives): fifteen orders.
ORDERS = [
    ("draft", None, 0),
    ("draft", 12, 0),
    ("draft", None, 0),
    ("sent", 6, 0),
    ("sent", 11, 0),
    ("sent", -4, 0),  # overdue
    ("sent", -9, 0),  # overdue
    ("partially_received", 3, 0.5),
    ("partially_received", -2, 0.4),  # overdue
    ("partially_received", -6, 0.7),  # overdue
    ("received", -3, 1.0),
    ("received", -8, 1.0),
    ("received", -12, 1.1),  # one line over-delivered
    ("cancelled", 5, 0),  # cancelled as a draft
    ("cancelled", -7, 0),  # cancelled after sending
]
CANCEL_REASONS = [
    "Tedarikçi fiyat artışı bildirdi, sipariş yenilenecek.",
    "Ürün tedarikçide stokta yok, alternatif tedarikçiye geçildi.",
]


def _slugs(variant: Variant) -> tuple[str, str]:
    """The variant's category and its top-level category."""
    category = variant.product.category
    return category.slug, category.parent.slug if category.parent_id else category.slug


def _cost(rng: random.Random, base: Decimal, low: float, high: float) -> Decimal:
    factor = Decimal(str(round(rng.uniform(low, high), 3)))
    return max(round_money(base * factor), Decimal("0.50"))


def _order_quantity(rng: random.Random, supplier: Supplier) -> int:
    packs = max(1, -(-supplier.minimum_order_quantity // supplier.pack_size))  # ceil: MOQ in packs
    return supplier.pack_size * (packs + rng.choice([0, 0, 1, 2, 3]))


class _Receiving:
    """Lot numbers, expiry dates and serials for the tracked products that arrive."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serial = 0
        self.today = timezone.localdate()

    def line(self, variant: Variant, quantity: int, sequence: int) -> ReceiptInput:
        product = variant.product
        lot = f"PO{self.today:%y%m}-{sequence:03d}" if product.tracking == Tracking.LOT else ""
        expiry = (
            self.today + timedelta(days=self.rng.choice([270, 365, 540])) if product.tracks_expiry else None
        )
        serials: list[str] = []
        if product.tracking == Tracking.SERIAL:
            for _i in range(quantity):
                self.serial += 1
                serials.append(f"SNPO{self.today:%y}{sequence:03d}{self.serial:05d}")
        return ReceiptInput(variant, quantity, lot_number=lot, expiry_date=expiry, serials=serials)


def seed_purchasing(rng: random.Random, *, admin) -> dict:
    """Create the demo suppliers, their items and about fifteen purchase orders; return counts.

    Needs the demo catalogue and warehouses and no suppliers yet (the codes are fixed).
    """
    today = timezone.localdate()
    with transaction.atomic():
        suppliers = {
            source.code: create_supplier(
                code=source.code,
                name=source.name,
                email=source.email,
                phone=source.phone,
                lead_time_days=source.lead,
                minimum_order_quantity=source.moq,
                pack_size=source.pack,
                reliability=Decimal(source.reliability),
                contact_name=source.address.contact,
                address_line=source.address.line,
                district=source.address.district,
                province=source.address.province,
                postal_code=source.address.postal_code,
                tax_office=source.address.tax_office,
                tax_number=source.address.vkn,
                user=admin,
            )
            for source in SUPPLIERS
        }
        preferred_by_slug = {slug: source.code for source in SUPPLIERS for slug in source.preferred}

        variants = list(
            Variant.objects.select_related("product__category__parent").filter(is_active=True).order_by("sku")
        )
        items = []
        preferred: dict[str, list[Variant]] = defaultdict(list)
        for variant in variants:
            own, slug = _slugs(variant)
            code = preferred_by_slug.get(own) or preferred_by_slug.get(slug) or "TRK-TPT"
            items.append(
                SupplierItem(
                    supplier=suppliers[code],
                    variant=variant,
                    supplier_sku=f"{code[:3]}-{variant.sku}",
                    cost=_cost(rng, variant.cost_price, 0.92, 1.05),
                    is_preferred=True,
                )
            )
            preferred[code].append(variant)
            alternatives = [c for c in ALTERNATIVES.get(slug, ["TRK-TPT"]) if c != code]
            if alternatives and rng.random() < ALTERNATIVE_SHARE:
                alternative = rng.choice(alternatives)
                items.append(
                    SupplierItem(
                        supplier=suppliers[alternative],
                        variant=variant,
                        supplier_sku="" if alternative == "TRK-TPT" else f"{alternative[:3]}-{variant.sku}",
                        cost=_cost(rng, variant.cost_price, 1.03, 1.14),
                        is_preferred=False,
                    )
                )
        SupplierItem.objects.bulk_create(items, batch_size=1000)

        warehouses = list(Warehouse.objects.filter(is_active=True).order_by("priority", "code"))
        sources = [code for code in sorted(preferred) if len(preferred[code]) >= 2]
        receiving = _Receiving(rng)
        sequence = 0
        for index, (status, expected_in, share) in enumerate(ORDERS):
            code = sources[index % len(sources)]
            supplier = suppliers[code]
            warehouse = warehouses[0] if rng.random() < 0.5 else rng.choice(warehouses)
            chosen = rng.sample(preferred[code], min(len(preferred[code]), rng.randint(2, 6)))
            lines = [OrderLineInput(variant, _order_quantity(rng, supplier)) for variant in chosen]
            order = create_purchase_order(
                supplier=supplier,
                warehouse=warehouse,
                lines=lines,
                user=admin,
                expected_date=today + timedelta(days=expected_in) if expected_in is not None else None,
                note=rng.choice(
                    ["", "", "Paletli teslimat, randevu ile.", "Faturaya sipariş numarası yazılsın."]
                ),
            )
            if status == "draft":
                continue
            if status == "cancelled" and index % 2 == 1:  # cancelled before it was sent
                cancel_purchase_order(order=order, user=admin, reason=CANCEL_REASONS[0])
                continue
            send_purchase_order(order=order, user=admin, notify_supplier=False)
            if status == "cancelled":
                cancel_purchase_order(order=order, user=admin, reason=CANCEL_REASONS[1])
            elif share:
                arriving = []
                for line_no, line in enumerate(lines):
                    if status == "partially_received":  # every other line, part of it
                        part = max(1, int(line.quantity * share))
                        part = min(part, line.quantity - 1) if line.quantity > 1 else part
                        quantity = part if line_no % 2 == 0 else 0
                    elif share > 1 and line_no == 0:
                        quantity = line.quantity + supplier.pack_size
                    else:
                        quantity = line.quantity
                    if quantity:
                        sequence += 1
                        arriving.append(receiving.line(line.variant, quantity, sequence))
                receive_goods(warehouse=warehouse, purchase_order=order, lines=arriving, user=admin)

    orders = PurchaseOrder.objects.filter(supplier__in=suppliers.values())
    return {
        "suppliers": len(suppliers),
        "supplier_items": SupplierItem.objects.filter(supplier__in=suppliers.values()).count(),
        "purchase_orders": orders.count(),
        "purchase_orders_by_status": dict(sorted(Counter(orders.values_list("status", flat=True)).items())),
        "receipts": Receipt.objects.filter(purchase_order__in=orders).count(),
    }
