"""Admin for orders: orders are read-only here (statuses change only through the services, which
keep stock, timelines and queues right); customers, rules and saved views are editable."""

from django.contrib import admin

from oms.admin import ReadOnlyAdmin
from orders.models import (
    AllocationDecision,
    ApprovalRule,
    Customer,
    CustomerAddress,
    Order,
    OrderAllocation,
    OrderEvent,
    OrderLine,
    QueueItem,
    SavedView,
)


class CustomerAddressInline(admin.StackedInline):
    model = CustomerAddress
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "email",
        "phone",
        "segment",
        "is_vip",
        "orders_count",
        "lifetime_value",
        "merged_into",
    )
    list_filter = ("segment", "is_vip", "language", "notification_channel", "consent_email", "consent_sms")
    search_fields = ("first_name", "last_name", "company", "email", "phone")
    readonly_fields = (
        "orders_count",
        "lifetime_value",
        "problem_orders",
        "failed_deliveries",
        "returned_orders",
        "first_order_at",
        "last_order_at",
        "merged_into",
        "created_at",
        "updated_at",
    )
    inlines = [CustomerAddressInline]
    show_full_result_count = False


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = (
        "sku",
        "name",
        "quantity",
        "unit_price",
        "discount",
        "tax_rate",
        "total",
        "quantity_allocated",
        "quantity_backordered",
        "quantity_shipped",
        "quantity_cancelled",
        "quantity_returned",
        "promise_date",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class OrderAllocationInline(admin.TabularInline):
    model = OrderAllocation
    extra = 0
    can_delete = False
    fields = ("line", "warehouse", "quantity", "reservation", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "channel",
        "channel_order_id",
        "customer_name",
        "status",
        "grand_total",
        "currency",
        "special_code",
        "risk_score",
        "created_at",
    )
    list_filter = ("status", "channel", "payment_method", "special_kind", "source")
    search_fields = ("=number", "=channel_order_id", "=customer_email", "=customer_phone", "=special_code")
    list_select_related = ("channel",)
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderAllocationInline]
    show_full_result_count = False


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subject", "name", "actor", "message")
    list_filter = ("name",)
    search_fields = ("=subject__number",)
    list_select_related = ("subject", "actor")
    show_full_result_count = False


@admin.register(AllocationDecision)
class AllocationDecisionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "order", "kind", "complete", "summary")
    list_filter = ("kind", "complete")
    search_fields = ("=order__number",)
    list_select_related = ("order",)


@admin.register(QueueItem)
class QueueItemAdmin(admin.ModelAdmin):
    list_display = ("order", "queue", "reason", "assignee", "opened_at", "resolved_at")
    list_filter = ("queue", "reason")
    search_fields = ("=order__number",)
    list_select_related = ("order", "assignee")
    raw_id_fields = ("order",)
    readonly_fields = ("opened_at", "resolved_at", "resolved_by")


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "min_total", "category", "channel", "is_active")
    list_filter = ("is_active", "channel")


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "is_shared", "query")
    list_filter = ("is_shared",)
