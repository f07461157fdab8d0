"""Django admin for fulfillment: the data behind the panel, for administrators.

Carrier secrets are write-only here too (``CarrierAccountAdminForm``); tracking events and
shipment timelines are history and read-only.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fulfillment.forms import CarrierAccountAdminForm
from fulfillment.models import (
    Box,
    CarrierAccount,
    CarrierRule,
    Manifest,
    Parcel,
    PickList,
    PickListOrder,
    PickTask,
    Problem,
    RateBand,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    TrackingEvent,
    Wave,
)


class ReadOnlyMixin:
    """History rows: visible, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Box)
class BoxAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "length_cm",
        "width_cm",
        "height_cm",
        "max_weight_kg",
        "for_fragile",
        "is_active",
    )
    list_filter = ("is_active", "for_fragile")
    search_fields = ("code", "name")


class RateBandInline(admin.TabularInline):
    model = RateBand
    extra = 0


@admin.register(CarrierAccount)
class CarrierAccountAdmin(admin.ModelAdmin):
    form = CarrierAccountAdminForm
    list_display = (
        "code",
        "name",
        "connector",
        "supports_cod",
        "max_desi",
        "transit_days",
        "is_active",
        "secret_keys",
    )
    list_filter = ("connector", "is_active", "supports_cod", "supports_cold_chain")
    search_fields = ("code", "name")
    inlines = [RateBandInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "connector", "settings", "is_active")}),
        (
            _("Secrets (write-only)"),
            {"fields": ("credentials_input", "webhook_secret_input", "clear_webhook_secret")},
        ),
        (
            _("Capabilities"),
            {
                "fields": (
                    "supports_cod",
                    "supports_cold_chain",
                    "supports_fragile",
                    "max_desi",
                    "transit_days",
                    "pickup_cutoff",
                )
            },
        ),
    )

    @admin.display(description=_("credential keys set"))
    def secret_keys(self, obj):
        return ", ".join(sorted((obj.credentials or {}).keys())) or "—"


@admin.register(RateBand)
class RateBandAdmin(admin.ModelAdmin):
    list_display = ("carrier", "zone", "max_desi", "price", "cod_fee")
    list_filter = ("carrier", "zone")
    list_select_related = ("carrier",)


@admin.register(CarrierRule)
class CarrierRuleAdmin(admin.ModelAdmin):
    list_display = ("priority", "name", "carrier", "zone", "provinces", "is_active")
    list_display_links = ("name",)
    list_filter = ("is_active", "carrier", "zone")
    search_fields = ("name", "provinces")
    list_select_related = ("carrier",)


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ("number", "warehouse", "cutoff", "carrier", "consolidation_point", "created_at")
    list_filter = ("warehouse", "carrier")
    search_fields = ("number",)
    list_select_related = ("warehouse", "carrier")
    raw_id_fields = ("created_by",)


class PickListOrderInline(admin.TabularInline):
    model = PickListOrder
    extra = 0
    raw_id_fields = ("order",)


class PickTaskInline(admin.TabularInline):
    model = PickTask
    extra = 0
    fields = (
        "sequence",
        "order",
        "line",
        "variant",
        "bin",
        "lot",
        "zone",
        "tote",
        "quantity",
        "quantity_picked",
        "quantity_short",
        "status",
        "picked_by",
        "picked_at",
    )
    raw_id_fields = ("order", "line", "allocation", "variant", "bin", "lot", "picked_by")


@admin.register(PickList)
class PickListAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "warehouse",
        "method",
        "status",
        "zone",
        "priority",
        "assigned_to",
        "lines_done",
        "lines_total",
        "created_at",
    )
    list_filter = ("status", "method", "warehouse")
    search_fields = ("number", "list_orders__order__number")
    list_select_related = ("warehouse", "assigned_to")
    raw_id_fields = ("wave", "assigned_to", "created_by")
    date_hierarchy = "created_at"
    inlines = [PickListOrderInline, PickTaskInline]


@admin.register(PickTask)
class PickTaskAdmin(admin.ModelAdmin):
    list_display = (
        "pick_list",
        "sequence",
        "order",
        "variant",
        "bin",
        "quantity",
        "quantity_picked",
        "quantity_short",
        "status",
    )
    list_filter = ("status", "pick_list__warehouse")
    search_fields = ("pick_list__number", "order__number", "variant__sku")
    list_select_related = ("pick_list", "order", "variant", "bin")
    raw_id_fields = ("pick_list", "order", "line", "allocation", "variant", "bin", "lot", "picked_by")


class ShipmentLineInline(admin.TabularInline):
    model = ShipmentLine
    extra = 0
    raw_id_fields = ("line", "allocation")


class ParcelInline(admin.TabularInline):
    model = Parcel
    extra = 0
    raw_id_fields = ("box",)


class TrackingEventInline(ReadOnlyMixin, admin.TabularInline):
    model = TrackingEvent
    extra = 0
    fields = ("occurred_at", "status", "carrier_code", "description", "location", "exception", "source")
    readonly_fields = fields


class ShipmentEventInline(ReadOnlyMixin, admin.TabularInline):
    model = ShipmentEvent
    extra = 0
    fields = ("created_at", "name", "actor", "message")
    readonly_fields = fields


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ("number", "order", "warehouse", "carrier", "status", "tracking_number", "created_at")
    list_filter = ("status", "carrier", "warehouse")
    search_fields = ("number", "tracking_number", "order__number", "carrier_reference")
    list_select_related = ("order", "warehouse", "carrier")
    raw_id_fields = ("order", "manifest", "packed_by", "carrier_overridden_by")
    exclude = ("label_data",)
    date_hierarchy = "created_at"
    inlines = [ParcelInline, ShipmentLineInline, TrackingEventInline, ShipmentEventInline]


@admin.register(Parcel)
class ParcelAdmin(admin.ModelAdmin):
    list_display = ("shipment", "number", "box", "weight_kg", "desi", "barcode")
    search_fields = ("shipment__number", "barcode")
    list_select_related = ("shipment", "box")
    raw_id_fields = ("shipment",)


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("shipment", "occurred_at", "status", "carrier_code", "location", "exception", "source")
    list_filter = ("status", "source", "exception")
    search_fields = ("shipment__number", "shipment__tracking_number")
    list_select_related = ("shipment",)


@admin.register(ShipmentEvent)
class ShipmentEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("subject", "created_at", "name", "actor", "message")
    list_filter = ("name",)
    search_fields = ("subject__number",)
    list_select_related = ("subject", "actor")


@admin.register(Manifest)
class ManifestAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "carrier",
        "warehouse",
        "day",
        "parcel_count",
        "cod_total",
        "closed_by",
        "closed_at",
    )
    list_filter = ("carrier", "warehouse")
    search_fields = ("number",)
    list_select_related = ("carrier", "warehouse", "closed_by")
    raw_id_fields = ("closed_by",)
    date_hierarchy = "day"


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "kind",
        "warehouse",
        "order",
        "shipment",
        "assignee",
        "created_at",
        "resolved_at",
    )
    list_filter = ("kind", "warehouse", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("order__number", "shipment__number", "detail", "code")
    list_select_related = ("warehouse", "order", "shipment", "assignee")
    raw_id_fields = ("order", "shipment", "pick_task", "variant", "bin", "assignee", "resolved_by")


@admin.register(PickListOrder)
class PickListOrderAdmin(admin.ModelAdmin):
    list_display = ("pick_list", "order", "tote", "position")
    search_fields = ("pick_list__number", "order__number", "tote")
    list_select_related = ("pick_list", "order")
    raw_id_fields = ("pick_list", "order")


@admin.register(ShipmentLine)
class ShipmentLineAdmin(admin.ModelAdmin):
    list_display = ("shipment", "line", "quantity", "quantity_verified")
    search_fields = ("shipment__number", "line__sku")
    list_select_related = ("shipment", "line")
    raw_id_fields = ("shipment", "line", "allocation")
