"""Catalogue, warehouses and bins, stock levels, lots, the movement ledger and reservations.

Stock invariants live in the database: CheckConstraints keep quantities non-negative and
``reserved <= on_hand``; the movement ledger refuses UPDATE and DELETE (a PostgreSQL trigger).
Quantities only change through ``inventory.services``.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from inventory.barcodes import validate_barcode
from oms.identity import validate_tax_number
from oms.models import PostalAddress, Province, postal_code_validator
from oms.money import AmountField, CurrencyField


class RemovalStrategy(models.TextChoices):
    FIFO = "fifo", _("First in, first out")
    LIFO = "lifo", _("Last in, first out")
    FEFO = "fefo", _("First expiry, first out")


class Tracking(models.TextChoices):
    NONE = "none", _("No tracking")
    LOT = "lot", _("Lot")
    SERIAL = "serial", _("Serial number")


class TaxRate(models.IntegerChoices):
    """KDV rates in Türkiye (percent)."""

    ZERO = 0, "%0"
    ONE = 1, "%1"
    TEN = 10, "%10"
    TWENTY = 20, "%20"


class Category(models.Model):
    """A node of the category tree; carries the default low-stock thresholds for its products."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    alert_minimum = models.PositiveIntegerField(
        _("approaching-minimum threshold"),
        default=20,
        help_text=_("Warn when available stock falls to this."),
    )
    alert_critical = models.PositiveIntegerField(
        _("critical threshold"), default=5, help_text=_("Critical alert when available stock falls to this.")
    )
    seasonal = models.BooleanField(_("seasonal"), default=False, help_text=_("Alerts are raised earlier."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.CheckConstraint(
                condition=Q(alert_critical__lte=F("alert_minimum")), name="category_critical_below_minimum"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    name = models.CharField(_("name"), max_length=200)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )
    description = models.TextField(_("description"), blank=True)
    tax_rate = models.PositiveSmallIntegerField(
        _("VAT rate"), choices=TaxRate.choices, default=TaxRate.TWENTY
    )
    returnable = models.BooleanField(_("returnable"), default=True)
    removal_strategy = models.CharField(
        _("removal strategy"), max_length=4, choices=RemovalStrategy.choices, default=RemovalStrategy.FIFO
    )
    tracking = models.CharField(_("tracking"), max_length=6, choices=Tracking.choices, default=Tracking.NONE)
    tracks_expiry = models.BooleanField(_("tracks expiry dates"), default=False)
    fragile = models.BooleanField(_("fragile"), default=False)
    cold_chain = models.BooleanField(_("cold chain"), default=False)
    oversize = models.BooleanField(
        _("oversize"),
        default=False,
        # the limits are fulfillment.selection's OVERSIZE_SIDE_CM and OVERSIZE_WEIGHT_KG
        help_text=_("Also assumed when a side is longer than 120 cm or the weight is over 30 kg."),
    )
    hazardous = models.BooleanField(_("hazardous"), default=False)
    length_cm = models.DecimalField(_("length (cm)"), max_digits=7, decimal_places=1, null=True, blank=True)
    width_cm = models.DecimalField(_("width (cm)"), max_digits=7, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField(_("height (cm)"), max_digits=7, decimal_places=1, null=True, blank=True)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=8, decimal_places=3, null=True, blank=True)
    image_url = models.URLField(_("image"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(condition=Q(tax_rate__in=TaxRate.values), name="product_tax_rate_valid"),
            models.CheckConstraint(
                condition=Q(removal_strategy__in=RemovalStrategy.values),
                name="product_removal_strategy_valid",
            ),
            models.CheckConstraint(condition=Q(tracking__in=Tracking.values), name="product_tracking_valid"),
            # FEFO needs expiry dates to order by.
            models.CheckConstraint(
                condition=~Q(removal_strategy=RemovalStrategy.FEFO) | Q(tracks_expiry=True),
                name="product_fefo_needs_expiry",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Variant(models.Model):
    """A sellable unit (SKU): one combination of option values with its own barcode and prices."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="variants"
    )
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    barcode = models.CharField(
        _("barcode"),
        max_length=48,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_barcode],
        help_text=_("EAN-13 (with check digit) or Code 128."),
    )
    options = models.JSONField(_("options"), default=dict, blank=True, help_text=_('e.g. {"colour": "red"}'))
    cost_price = AmountField(_("cost price"), default=0)
    list_price = AmountField(_("list price"), default=0)
    currency = CurrencyField(_("currency"))
    alert_minimum = models.PositiveIntegerField(_("approaching-minimum threshold"), null=True, blank=True)
    alert_critical = models.PositiveIntegerField(_("critical threshold"), null=True, blank=True)
    is_active = models.BooleanField(_("sellable"), default=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [
            models.CheckConstraint(
                condition=Q(cost_price__gte=0) & Q(list_price__gte=0), name="variant_prices_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} · {self.product.name}" if "product" in self._state.fields_cache else self.sku

    @property
    def option_label(self) -> str:
        return " / ".join(str(v) for v in self.options.values())


class Warehouse(PostalAddress):
    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=120)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=4, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=4, null=True, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Lower ships first when warehouses are otherwise equal.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["priority", "code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")

    def __str__(self) -> str:
        return self.name


class Bin(models.Model):
    """A shelf location. ``code`` is zone-aisle-shelf-level (e.g. ``A-03-02-1``); pickers walk
    bins in ``walk_sequence`` order."""

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="bins"
    )
    code = models.CharField(_("code"), max_length=32)
    zone = models.CharField(_("zone"), max_length=8)
    walk_sequence = models.PositiveIntegerField(_("walk sequence"))
    is_quarantine = models.BooleanField(_("quarantine area"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["warehouse", "walk_sequence", "code"]
        verbose_name = _("bin")
        verbose_name_plural = _("bins")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "code"], name="bin_code_unique_per_warehouse"),
        ]

    def __str__(self) -> str:
        return self.code


class StockLevel(models.Model):
    """Stock of one variant in one warehouse. ``on_hand`` is sellable physical stock, ``reserved``
    the part promised to reservations, ``quarantined`` physical but not sellable."""

    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="levels"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="levels"
    )
    on_hand = models.PositiveIntegerField(_("on hand"), default=0)
    reserved = models.PositiveIntegerField(_("reserved"), default=0)
    quarantined = models.PositiveIntegerField(_("quarantined"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["variant", "warehouse"], name="stock_level_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_within_on_hand"
            ),
            models.CheckConstraint(condition=Q(quarantined__gte=0), name="stock_quarantined_not_negative"),
        ]
        indexes = [models.Index(fields=["warehouse", "variant"], name="stock_level_wh_idx")]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.warehouse_id}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockLot(models.Model):
    """Where physical units sit: a bin, and for tracked products a lot, serial and expiry.

    Untracked products have one lot row per bin with an empty lot number. The sum of ``quantity``
    per level equals ``on_hand`` and the sum of ``quarantined`` equals the level's quarantined.
    """

    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="lots"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="lots"
    )
    bin = models.ForeignKey(Bin, verbose_name=_("bin"), on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(_("lot number"), max_length=64, blank=True)
    serial = models.CharField(_("serial number"), max_length=64, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=0)
    quarantined = models.PositiveIntegerField(_("quarantined"), default=0)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name = _("stock lot")
        verbose_name_plural = _("stock lots")
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "warehouse", "bin", "lot_number", "serial"], name="stock_lot_unique_place"
            ),
            # A serial number is in stock at most once per variant (it may come back after a sale,
            # or travel to another warehouse, as a new row).
            models.UniqueConstraint(
                fields=["variant", "serial"],
                condition=~Q(serial="") & (Q(quantity__gt=0) | Q(quarantined__gt=0)),
                name="stock_lot_serial_in_stock_once",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0) & Q(quarantined__gte=0), name="stock_lot_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(serial="") | Q(quantity__lte=1, quarantined__lte=1),
                name="stock_lot_serial_is_one_unit",
            ),
        ]
        indexes = [
            models.Index(fields=["variant", "warehouse", "expiry_date"], name="stock_lot_expiry_idx"),
        ]

    def __str__(self) -> str:
        return self.serial or self.lot_number or f"{self.bin}"


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    SALE = "sale", _("Sale / shipment")
    RETURN = "return", _("Return")
    ADJUSTMENT = "adjustment", _("Adjustment")
    COUNT = "count", _("Count")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    SCRAP = "scrap", _("Scrap")
    QUARANTINE_IN = "quarantine_in", _("Into quarantine")
    QUARANTINE_OUT = "quarantine_out", _("Out of quarantine")


class AdjustmentReason(models.TextChoices):
    """Reason codes for manual stock corrections (panel and API)."""

    DAMAGED = "damaged", _("Damaged")
    LOST = "lost", _("Lost")
    FOUND = "found", _("Found")
    COUNT_CORRECTION = "count_correction", _("Count correction")
    EXPIRED = "expired", _("Expired")
    OTHER = "other", _("Other")


class QuarantineReason(models.TextChoices):
    """Why units leave sellable stock (quarantine) or are written off (scrap)."""

    DAMAGED = "damaged", _("Damaged")
    FAILED_QC = "failed_qc", _("Failed quality check")
    AWAITING_QC = "awaiting_qc", _("Returned, awaiting quality check")
    EXPIRED = "expired", _("Expired")
    OTHER = "other", _("Other")


class StockMovement(models.Model):
    """Append-only ledger: every change of ``on_hand`` or ``quarantined`` is one row.

    ``on_hand_delta`` and ``quarantined_delta`` are signed; the sum of a level's rows equals the
    level. PostgreSQL refuses UPDATE and DELETE on this table (trigger in migration 0002).
    """

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="movements"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="movements"
    )
    lot = models.ForeignKey(
        StockLot,
        verbose_name=_("lot"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="movements",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MovementKind.choices)
    on_hand_delta = models.IntegerField(_("on hand change"), default=0)
    quarantined_delta = models.IntegerField(_("quarantine change"), default=0)
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    # PROTECT: the ledger never changes, so a user who moved stock is deactivated, not deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(
        _("source"),
        max_length=150,
        blank=True,
        help_text=_("Who acted when no user did: an API key, a task."),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        permissions = [
            ("adjust_stock", _("Can adjust stock, quarantine and scrap")),
            ("receive_stock", _("Can receive goods")),
            ("manage_purchasing", _("Can manage suppliers and purchase orders")),
            ("count_stock", _("Can count stock")),
            ("post_count", _("Can review and post stock counts")),
            ("transfer_stock", _("Can request, ship and receive transfers")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MovementKind.values), name="movement_kind_valid"),
            models.CheckConstraint(
                condition=~Q(on_hand_delta=0) | ~Q(quarantined_delta=0), name="movement_changes_something"
            ),
        ]
        indexes = [
            models.Index(fields=["variant", "warehouse", "-created_at"], name="movement_level_idx"),
            models.Index(fields=["variant", "-created_at", "-id"], name="movement_variant_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on_hand_delta:+d}"


class ReservationReason(models.TextChoices):
    CART_HOLD = "cart_hold", _("Cart hold")
    ORDER_LINE = "order_line", _("Order line")
    QUOTE = "quote", _("Quote")
    TRANSFER = "transfer", _("Transfer")


class ReservationStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RELEASED = "released", _("Released")
    CONSUMED = "consumed", _("Consumed")
    EXPIRED = "expired", _("Expired")


class Reservation(models.Model):
    """Stock promised to someone: one table for every source (cart, order line, quote, transfer).

    ``quantity`` is what is still held; a level's ``reserved`` equals the sum over its active rows.
    """

    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="reservations"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="reservations"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    original_quantity = models.PositiveIntegerField(_("reserved quantity"))
    reason = models.CharField(_("reason"), max_length=16, choices=ReservationReason.choices)
    reference = models.CharField(_("reference"), max_length=64, help_text=_("e.g. order_line:42, cart:abc"))
    owner = models.CharField(_("owner"), max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.ACTIVE
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReservationStatus.values), name="reservation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=ReservationReason.values), name="reservation_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(quantity__lte=F("original_quantity")), name="reservation_quantity_within_original"
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(quantity__gt=0), name="reservation_active_holds_something"
            ),
        ]
        indexes = [
            models.Index(fields=["reference"], name="reservation_reference_idx"),
            models.Index(
                fields=["expires_at"],
                condition=Q(status="active", expires_at__isnull=False),
                name="reservation_expiring_idx",
            ),
            models.Index(
                fields=["variant", "warehouse"],
                condition=Q(status="active"),
                name="reservation_active_level_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ×{self.quantity}"


# --- Suppliers and purchasing ---------------------------------------------------------------------


class Supplier(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    lead_time_days = models.PositiveSmallIntegerField(_("lead time (days)"), default=7)
    minimum_order_quantity = models.PositiveIntegerField(_("minimum order quantity"), default=1)
    pack_size = models.PositiveIntegerField(_("pack size"), default=1)
    reliability = models.DecimalField(
        _("reliability"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.90"),
        help_text=_("0 to 1: share of deliveries on time and complete; lower means more safety stock."),
    )
    currency = CurrencyField(_("currency"))
    is_active = models.BooleanField(_("active"), default=True)
    # Address and tax identity, printed on purchase orders (the supplier's invoices name us alike).
    contact_name = models.CharField(_("contact person"), max_length=120, blank=True)
    address_line = models.CharField(_("address"), max_length=255, blank=True)
    district = models.CharField(_("district"), max_length=80, blank=True)
    province = models.ForeignKey(
        Province,
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    postal_code = models.CharField(
        _("postal code"), max_length=5, blank=True, validators=[postal_code_validator]
    )
    tax_office = models.CharField(_("tax office"), max_length=80, blank=True)
    tax_number = models.CharField(
        _("tax number"),
        max_length=11,
        blank=True,
        validators=[validate_tax_number],
        help_text=_("VKN (10 digits) or, for a sole trader, the T.C. identity number (11 digits)."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        constraints = [
            models.CheckConstraint(
                condition=Q(reliability__gte=0, reliability__lte=1), name="supplier_reliability_0_1"
            ),
            models.CheckConstraint(
                condition=Q(minimum_order_quantity__gte=1, pack_size__gte=1),
                name="supplier_moq_pack_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from oms.address import validate_postal_code_for_province

        super().clean()
        validate_postal_code_for_province(self.postal_code, self.province_id)


class SupplierItem(models.Model):
    """What a supplier sells us of a variant, at what cost; one may be the preferred source."""

    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.CASCADE, related_name="items"
    )
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.CASCADE, related_name="supplier_items"
    )
    supplier_sku = models.CharField(_("supplier SKU"), max_length=64, blank=True)
    cost = AmountField(_("cost"))
    is_preferred = models.BooleanField(_("preferred"), default=False)

    class Meta:
        verbose_name = _("supplier item")
        verbose_name_plural = _("supplier items")
        constraints = [
            models.UniqueConstraint(fields=["supplier", "variant"], name="supplier_item_unique"),
            models.UniqueConstraint(
                fields=["variant"], condition=Q(is_preferred=True), name="supplier_item_one_preferred"
            ),
            models.CheckConstraint(condition=Q(cost__gte=0), name="supplier_item_cost_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id}:{self.variant_id}"


class PurchaseOrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    PARTIALLY_RECEIVED = "partially_received", _("Partially received")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class PurchaseOrder(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="orders"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="purchase_orders"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=PurchaseOrderStatus.choices, default=PurchaseOrderStatus.DRAFT
    )
    currency = CurrencyField(_("currency"))
    expected_date = models.DateField(_("expected delivery"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PurchaseOrderStatus.values), name="purchase_order_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "expected_date"], name="purchase_order_open_idx")]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(
        PurchaseOrder, verbose_name=_("purchase order"), on_delete=models.CASCADE, related_name="lines"
    )
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+"
    )
    quantity_ordered = models.PositiveIntegerField(_("ordered"))
    quantity_received = models.PositiveIntegerField(_("received"), default=0)
    unit_cost = AmountField(_("unit cost"), default=0)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "variant"], name="purchase_order_line_unique_variant"),
            models.CheckConstraint(
                condition=Q(quantity_ordered__gt=0), name="purchase_order_line_ordered_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}:{self.variant_id}"

    @property
    def outstanding(self) -> int:
        return max(self.quantity_ordered - self.quantity_received, 0)


class Receipt(models.Model):
    """Goods in: what arrived, against a purchase order or free, and who received it."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="receipts"
    )
    purchase_order = models.ForeignKey(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipts",
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        # The receipts list pages by (-received_at, -pk).
        indexes = [models.Index(fields=["-received_at", "-id"], name="receipt_recent_idx")]

    def __str__(self) -> str:
        return self.number


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(
        Receipt, verbose_name=_("receipt"), on_delete=models.CASCADE, related_name="lines"
    )
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+"
    )
    purchase_order_line = models.ForeignKey(
        PurchaseOrderLine,
        verbose_name=_("purchase order line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="receipt_lines",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    bin = models.ForeignKey(Bin, verbose_name=_("bin"), on_delete=models.PROTECT, related_name="+")
    lot_number = models.CharField(_("lot number"), max_length=64, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)
    variance = models.IntegerField(
        _("variance"),
        default=0,
        help_text=_("Received minus still outstanding on the order line (+ over, - under)."),
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("receipt line")
        verbose_name_plural = _("receipt lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="receipt_line_quantity_positive")
        ]

    def __str__(self) -> str:
        return f"{self.receipt_id}:{self.variant_id}×{self.quantity}"


# --- Counts ---------------------------------------------------------------------------------------


class CountStatus(models.TextChoices):
    COUNTING = "counting", _("Counting")
    REVIEW = "review", _("In review")
    POSTED = "posted", _("Posted")
    CANCELLED = "cancelled", _("Cancelled")


class StockCount(models.Model):
    """A cycle count of some bins or SKUs: counted blind, reviewed, then posted as ledger rows."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="counts"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CountStatus.choices, default=CountStatus.COUNTING
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("stock count")
        verbose_name_plural = _("stock counts")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CountStatus.values), name="stock_count_status_valid"
            )
        ]

    def __str__(self) -> str:
        return self.number


class StockCountLine(models.Model):
    """One lot in one bin: what the system expected when the count started, and what was counted."""

    count = models.ForeignKey(
        StockCount, verbose_name=_("count"), on_delete=models.CASCADE, related_name="lines"
    )
    lot = models.ForeignKey(StockLot, verbose_name=_("lot"), on_delete=models.PROTECT, related_name="+")
    expected = models.PositiveIntegerField(_("expected"))
    counted = models.PositiveIntegerField(_("counted"), null=True, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)

    class Meta:
        ordering = ["lot__bin__walk_sequence", "pk"]
        verbose_name = _("count line")
        verbose_name_plural = _("count lines")
        constraints = [models.UniqueConstraint(fields=["count", "lot"], name="stock_count_line_unique_lot")]

    def __str__(self) -> str:
        return f"{self.count_id}:{self.lot_id}"

    @property
    def difference(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected


# --- Transfers ------------------------------------------------------------------------------------


class TransferStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SHIPPED = "shipped", _("In transit")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class Transfer(models.Model):
    """Stock moving between two warehouses: reserved at request, out at shipping, in at receipt."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    source = models.ForeignKey(
        Warehouse, verbose_name=_("from"), on_delete=models.PROTECT, related_name="transfers_out"
    )
    destination = models.ForeignKey(
        Warehouse, verbose_name=_("to"), on_delete=models.PROTECT, related_name="transfers_in"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TransferStatus.choices, default=TransferStatus.REQUESTED
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TransferStatus.values), name="transfer_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(source=F("destination")), name="transfer_between_two_warehouses"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class TransferLine(models.Model):
    transfer = models.ForeignKey(
        Transfer, verbose_name=_("transfer"), on_delete=models.CASCADE, related_name="lines"
    )
    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    quantity_received = models.PositiveIntegerField(_("received"), default=0)
    shipped_lots = models.JSONField(
        _("shipped lots"),
        default=list,
        blank=True,
        help_text=_("Lot, serial and expiry of what left the source."),
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("transfer line")
        verbose_name_plural = _("transfer lines")
        constraints = [
            models.UniqueConstraint(fields=["transfer", "variant"], name="transfer_line_unique_variant"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id}:{self.variant_id}×{self.quantity}"

    @property
    def reference(self) -> str:
        return f"transfer_line:{self.pk}"


# --- Low-stock alerts -----------------------------------------------------------------------------


class AlertTier(models.TextChoices):
    APPROACHING = "approaching", _("Approaching minimum")
    CRITICAL = "critical", _("Critical")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class StockAlert(models.Model):
    """A low-stock alert for one variant in one warehouse; at most one open per tier."""

    variant = models.ForeignKey(
        Variant, verbose_name=_("variant"), on_delete=models.CASCADE, related_name="alerts"
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.CASCADE, related_name="alerts"
    )
    tier = models.CharField(_("tier"), max_length=12, choices=AlertTier.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    available = models.IntegerField(_("available when raised"))
    threshold = models.PositiveIntegerField(_("threshold"))
    raised_at = models.DateTimeField(_("raised"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # Someone took it in hand (ordered, transferred); the alert stays open until stock recovers.
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("stock alert")
        verbose_name_plural = _("stock alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "warehouse", "tier"],
                condition=Q(status="open"),
                name="stock_alert_one_open_per_tier",
            ),
            models.CheckConstraint(condition=Q(tier__in=AlertTier.values), name="stock_alert_tier_valid"),
            models.CheckConstraint(
                condition=Q(status__in=AlertStatus.values), name="stock_alert_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "tier", "-raised_at"], name="stock_alert_open_idx")]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} {self.variant_id}@{self.warehouse_id}"
