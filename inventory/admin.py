from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from inventory.ledger import repair_reservations, verify_stock
from inventory.models import (
    Bin,
    Category,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Reservation,
    StockCount,
    StockCountLine,
    StockLevel,
    StockLot,
    StockMovement,
    Supplier,
    SupplierItem,
    Transfer,
    TransferLine,
    Variant,
    Warehouse,
)
from oms.admin import ReadOnlyAdmin


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "alert_minimum", "alert_critical", "seasonal")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    list_select_related = ("parent",)


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ("sku", "barcode", "options", "cost_price", "list_price", "currency", "is_active")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "brand", "category", "tracking", "removal_strategy", "tax_rate", "is_active")
    list_filter = (
        "category",
        "tracking",
        "removal_strategy",
        "is_active",
        "fragile",
        "cold_chain",
        "oversize",
    )
    search_fields = ("name", "brand", "variants__sku", "variants__barcode")
    list_select_related = ("category",)
    inlines = [VariantInline]


@admin.register(Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ("sku", "barcode", "product", "list_price", "currency", "is_active")
    search_fields = ("sku", "barcode", "product__name")
    list_select_related = ("product",)
    list_filter = ("is_active", "product__category")
    raw_id_fields = ("product",)


class BinInline(admin.TabularInline):
    model = Bin
    extra = 0


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "province", "priority", "is_active")
    list_select_related = ("province",)
    inlines = [BinInline]


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    """Levels change only through the services; the admin shows them and can verify them."""

    list_display = ("variant", "warehouse", "on_hand", "reserved", "available", "quarantined", "updated_at")
    list_filter = ("warehouse",)
    search_fields = ("variant__sku",)
    list_select_related = ("variant", "warehouse")
    actions = ["verify_selected"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Verify against ledger, lots and reservations (repair reservations)"))
    def verify_selected(self, request, queryset):
        variant_ids = list(queryset.values_list("variant_id", flat=True).distinct())
        drifts = verify_stock(variant_ids=variant_ids)
        repaired = repair_reservations(drifts, actor=request.user)
        if not drifts:
            self.message_user(request, _("Stock is consistent."), messages.SUCCESS)
        for drift in drifts:
            level = messages.SUCCESS if drift in repaired else messages.ERROR
            self.message_user(request, str(drift.as_dict()), level)


@admin.register(StockLot)
class StockLotAdmin(ReadOnlyAdmin):
    list_display = (
        "variant",
        "warehouse",
        "bin",
        "lot_number",
        "serial",
        "expiry_date",
        "quantity",
        "quarantined",
    )
    list_filter = ("warehouse",)
    search_fields = ("variant__sku", "lot_number", "serial")
    list_select_related = ("variant", "warehouse", "bin")


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "variant",
        "warehouse",
        "kind",
        "on_hand_delta",
        "quarantined_delta",
        "reason",
        "reference",
        "user",
    )
    list_filter = ("kind", "warehouse")
    search_fields = ("variant__sku", "reference")
    date_hierarchy = "created_at"
    list_select_related = ("variant", "warehouse", "user")


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "variant",
        "warehouse",
        "quantity",
        "reason",
        "reference",
        "status",
        "expires_at",
    )
    list_filter = ("status", "reason", "warehouse")
    search_fields = ("reference", "variant__sku", "owner")
    list_select_related = ("variant", "warehouse")


class SupplierItemInline(admin.TabularInline):
    model = SupplierItem
    extra = 0
    raw_id_fields = ("variant",)


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "lead_time_days",
        "minimum_order_quantity",
        "pack_size",
        "reliability",
        "currency",
        "is_active",
    )
    search_fields = ("code", "name")
    list_filter = ("is_active", "currency")
    inlines = [SupplierItemInline]


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    raw_id_fields = ("variant",)
    readonly_fields = ("quantity_received",)


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    """Status changes go through the purchasing services (panel); admin edits drafts' details."""

    list_display = ("number", "supplier", "warehouse", "status", "expected_date", "created_at")
    list_filter = ("status", "warehouse", "supplier")
    search_fields = ("number", "supplier__name")
    readonly_fields = ("number", "status", "sent_at", "created_by", "created_at")
    list_select_related = ("supplier", "warehouse")
    inlines = [PurchaseOrderLineInline]


class ReceiptLineInline(admin.TabularInline):
    model = ReceiptLine
    extra = 0
    can_delete = False
    readonly_fields = (
        "variant",
        "purchase_order_line",
        "quantity",
        "bin",
        "lot_number",
        "expiry_date",
        "serials",
        "variance",
    )

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ("number", "warehouse", "purchase_order", "received_by", "received_at")
    list_filter = ("warehouse",)
    search_fields = ("number", "purchase_order__number")
    list_select_related = ("warehouse", "purchase_order", "received_by")
    inlines = [ReceiptLineInline]


class CountLineInline(admin.TabularInline):
    model = StockCountLine
    extra = 0
    can_delete = False
    readonly_fields = ("lot", "expected", "counted", "counted_by", "counted_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StockCount)
class StockCountAdmin(ReadOnlyAdmin):
    list_display = ("number", "warehouse", "status", "created_by", "created_at", "posted_at")
    list_filter = ("status", "warehouse")
    search_fields = ("number",)
    inlines = [CountLineInline]


class TransferLineInline(admin.TabularInline):
    model = TransferLine
    extra = 0
    can_delete = False
    readonly_fields = ("variant", "quantity", "quantity_received", "shipped_lots")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("number", "source", "destination", "status", "created_at", "shipped_at", "received_at")
    list_filter = ("status", "source", "destination")
    search_fields = ("number",)
    inlines = [TransferLineInline]
