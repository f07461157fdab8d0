"""Django admin for billing: the data behind the panel, for administrators.

Issued documents and the payment ledger are immutable (PostgreSQL refuses changes to them as
well): invoices, credit notes, their lines, payments, provider callbacks, imported statements and
remittances, reminders and timelines are read-only here. Set-up is editable: the seller profile,
billing accounts (terms, credit limits), installment plans and bank statement formats. Finance
issues and quotes change through their services in the panel, so admin only shows them.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from billing.models import (
    BankStatement,
    BankStatementLine,
    BillingAccount,
    CodRemittance,
    CodRemittanceLine,
    FinanceIssue,
    Installment,
    InstallmentPlan,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    Payment,
    ProviderCallback,
    Quote,
    QuoteEvent,
    QuoteLine,
    Reminder,
    SellerProfile,
    StatementFormat,
)
from oms.admin import ReadOnlyAdmin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Set-up (editable) -----------------------------------------------------------------------------


@admin.register(SellerProfile)
class SellerProfileAdmin(admin.ModelAdmin):
    """One row: what every invoice snapshots of the shop at issue."""

    list_display = ("legal_name", "tax_number", "tax_office", "city", "einvoice_series", "earchive_series")
    search_fields = ("legal_name", "tax_number")
    fieldsets = (
        (None, {"fields": ("legal_name", "tax_number", "tax_office", "mersis_number", "trade_registry")}),
        (
            _("Address and contact"),
            {"fields": ("address_line", "district", "city", "postal_code", "phone", "email", "website")},
        ),
        (_("Bank"), {"fields": ("iban", "bank_name")}),
        (
            _("Number series"),
            {"fields": ("einvoice_series", "earchive_series", "credit_note_series", "quote_series")},
        ),
    )

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not SellerProfile.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    list_display = (
        "customer",
        "legal_name",
        "tax_number",
        "einvoice_registrant",
        "payment_terms",
        "credit_limit",
        "currency",
        "invoice_per_shipment",
        "reminders",
    )
    list_filter = (
        "payment_terms",
        "einvoice_registrant",
        "commercial_profile",
        "invoice_per_shipment",
        "reminders",
    )
    search_fields = ("legal_name", "tax_number", "customer__email", "customer__last_name", "invoice_email")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(InstallmentPlan)
class InstallmentPlanAdmin(admin.ModelAdmin):
    list_display = ("name", "count", "surcharge_percent", "interval_days", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)


@admin.register(StatementFormat)
class StatementFormatAdmin(admin.ModelAdmin):
    list_display = ("name", "delimiter", "encoding", "date_column", "amount_column", "decimal_comma")
    search_fields = ("name",)


# --- Invoices and the ledger (read-only) -----------------------------------------------------------


class InvoiceLineInline(ReadOnlyInline):
    model = InvoiceLine
    fields = (
        "position",
        "sku",
        "description",
        "quantity",
        "unit_price",
        "discount",
        "net_total",
        "tax_rate",
        "tax_amount",
        "gross_total",
        "exemption_code",
    )
    readonly_fields = fields


class InvoicePaymentInline(ReadOnlyInline):
    model = Payment
    fields = ("created_at", "kind", "source", "amount", "currency", "received_on", "provider_reference")
    readonly_fields = fields


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "kind",
        "profile",
        "issue_date",
        "order",
        "buyer_name",
        "payable",
        "balance_display",
        "currency",
        "status",
        "due_date",
        "sent_at",
    )
    list_filter = ("kind", "status", "profile", "currency", "issue_date")
    search_fields = (
        "=number",
        "=uuid",
        "=order__number",
        "=buyer_tax_number",
        "buyer_name",
        "=payment_reference",
    )
    list_select_related = ("order",)
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline, InvoicePaymentInline]

    @admin.display(description=_("balance"))
    def balance_display(self, obj: Invoice):
        return obj.balance


@admin.register(InvoiceLine)
class InvoiceLineAdmin(ReadOnlyAdmin):
    list_display = ("invoice", "position", "sku", "description", "quantity", "tax_rate", "gross_total")
    list_filter = ("tax_rate", "is_shipping")
    search_fields = ("=invoice__number", "sku", "description")
    list_select_related = ("invoice",)


@admin.register(InvoiceEvent)
class InvoiceEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subject", "name", "actor", "message")
    list_filter = ("name",)
    search_fields = ("=subject__number", "message")
    list_select_related = ("subject", "actor")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "source",
        "method",
        "amount",
        "currency",
        "order",
        "invoice",
        "received_on",
        "provider_reference",
    )
    list_filter = ("kind", "source", "method", "currency")
    search_fields = ("=order__number", "=invoice__number", "provider_reference", "dedupe_key")
    list_select_related = ("order", "invoice")
    date_hierarchy = "created_at"


@admin.register(ProviderCallback)
class ProviderCallbackAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "provider",
        "reference",
        "outcome",
        "signature_valid",
        "detail",
        "remote_addr",
    )
    list_filter = ("provider", "outcome", "signature_valid")
    search_fields = ("reference", "detail")
    date_hierarchy = "received_at"


@admin.register(Installment)
class InstallmentAdmin(ReadOnlyAdmin):
    list_display = ("order", "sequence", "due_date", "amount", "currency", "status", "paid_at", "plan")
    list_filter = ("status", "plan")
    search_fields = ("=order__number",)
    list_select_related = ("order", "plan")


# --- Statements and remittances (read-only) --------------------------------------------------------


class BankStatementLineInline(ReadOnlyInline):
    model = BankStatementLine
    fields = ("row_number", "booked_on", "amount", "description", "found_reference", "status", "difference")
    readonly_fields = fields


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyAdmin):
    list_display = (
        "filename",
        "format",
        "imported_at",
        "imported_by",
        "line_count",
        "matched_count",
        "encoding",
    )
    list_filter = ("format",)
    search_fields = ("filename", "sha256")
    list_select_related = ("format", "imported_by")
    inlines = [BankStatementLineInline]


@admin.register(BankStatementLine)
class BankStatementLineAdmin(ReadOnlyAdmin):
    list_display = ("statement", "row_number", "booked_on", "amount", "currency", "found_reference", "status")
    list_filter = ("status", "currency")
    search_fields = ("description", "found_reference", "bank_reference", "sender")
    list_select_related = ("statement",)


class CodRemittanceLineInline(ReadOnlyInline):
    model = CodRemittanceLine
    fields = ("row_number", "tracking_number", "collected_on", "amount", "status", "difference")
    readonly_fields = fields


@admin.register(CodRemittance)
class CodRemittanceAdmin(ReadOnlyAdmin):
    list_display = ("filename", "carrier", "paid_on", "imported_at", "line_count", "total")
    list_filter = ("carrier",)
    search_fields = ("filename", "sha256")
    list_select_related = ("carrier",)
    inlines = [CodRemittanceLineInline]


@admin.register(CodRemittanceLine)
class CodRemittanceLineAdmin(ReadOnlyAdmin):
    list_display = ("remittance", "row_number", "tracking_number", "amount", "status", "difference")
    list_filter = ("status",)
    search_fields = ("=tracking_number",)
    list_select_related = ("remittance",)


# --- Work and reminders ------------------------------------------------------------------------------


class OpenFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("resolved", _("Resolved"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(FinanceIssue)
class FinanceIssueAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "kind",
        "amount",
        "currency",
        "order",
        "invoice",
        "assignee",
        "resolved_at",
        "detail",
    )
    list_filter = (OpenFilter, "kind", "assignee")
    search_fields = ("key", "detail", "=order__number", "=invoice__number")
    list_select_related = ("order", "invoice", "assignee")
    date_hierarchy = "created_at"


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ("sent_at", "kind", "invoice", "installment", "step", "key")
    list_filter = ("kind",)
    search_fields = ("key", "=invoice__number")
    list_select_related = ("invoice", "installment")


# --- Quotes ------------------------------------------------------------------------------------------


class QuoteLineInline(ReadOnlyInline):
    model = QuoteLine
    fields = ("position", "variant", "quantity", "unit_price", "discount", "tax_rate", "total")
    readonly_fields = fields


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    """Quotes are written and converted in the panel (``billing.quotes``); admin shows them."""

    list_display = (
        "number",
        "customer",
        "channel",
        "status",
        "valid_until",
        "grand_total",
        "currency",
        "order",
        "created_at",
    )
    list_filter = ("status", "channel")
    search_fields = ("=number", "customer__email", "customer__last_name", "=order__number")
    list_select_related = ("customer", "channel", "order")
    date_hierarchy = "created_at"
    inlines = [QuoteLineInline]


@admin.register(QuoteLine)
class QuoteLineAdmin(ReadOnlyAdmin):
    list_display = ("quote", "position", "variant", "quantity", "unit_price", "total")
    search_fields = ("=quote__number", "variant__sku")
    list_select_related = ("quote", "variant")


@admin.register(QuoteEvent)
class QuoteEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "subject", "name", "actor", "message")
    list_filter = ("name",)
    search_fields = ("=subject__number", "message")
    list_select_related = ("subject", "actor")
