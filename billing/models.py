"""Billing: invoices and credit notes, payments, bank and cash-on-delivery reconciliation,
installments, B2B accounts with payment terms, quotes, and the finance queue.

Money is ``Decimal`` (``oms.money``: one rounding rule, half-up to kuruş). Issued documents are
immutable: an ``Invoice`` and its lines are written once, in one transaction, with a gap-free
number of their series; PostgreSQL refuses changes to their legal content (trigger in migration
0002); a correction is a credit note (``kind=credit_note``, e-invoice type IADE) referencing the
original. The ``Payment`` table is an append-only ledger: every authorisation, capture, refund and
failure is a row, traceable to a provider callback, a bank statement line or a carrier remittance.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from oms.models import TimelineEntry, WorkItem
from oms.money import ZERO, AmountField, CurrencyField


def adds_up(total: str, *parts: str) -> Q:
    """``total = sum(parts)`` as a check constraint. Exact on PostgreSQL (numeric); SQLite, the
    demo's database, keeps decimals as floats, so the comparison allows a thousandth of a kuruş."""
    summed = F(parts[0])
    for part in parts[1:]:
        summed = summed + F(part)
    epsilon = Decimal("0.00001")
    return Q(**{f"{total}__gte": summed - epsilon}) & Q(**{f"{total}__lte": summed + epsilon})


# --- Seller and buyers ------------------------------------------------------------------------------


class SellerProfile(models.Model):
    """The shop as it appears on its invoices (one row; edited in admin, snapshotted on each invoice)."""

    legal_name = models.CharField(_("legal name"), max_length=200)
    tax_number = models.CharField(_("VKN"), max_length=10)
    tax_office = models.CharField(_("tax office"), max_length=80)
    mersis_number = models.CharField(_("MERSİS number"), max_length=16, blank=True)
    trade_registry = models.CharField(_("trade registry number"), max_length=32, blank=True)
    address_line = models.CharField(_("address"), max_length=255)
    district = models.CharField(_("district"), max_length=80)
    city = models.CharField(_("city"), max_length=80)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.CharField(_("website"), max_length=120, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, help_text=_("For bank transfers."))
    bank_name = models.CharField(_("bank"), max_length=80, blank=True)
    einvoice_series = models.CharField(
        _("e-invoice series"), max_length=3, default="OMF", help_text=_("Three letters or digits.")
    )
    earchive_series = models.CharField(_("e-archive series"), max_length=3, default="OMA")
    credit_note_series = models.CharField(_("credit note series"), max_length=3, default="OMI")
    quote_series = models.CharField(_("quote series"), max_length=8, default="TKL")

    class Meta:
        verbose_name = _("seller profile")
        verbose_name_plural = _("seller profile")
        constraints = [
            models.CheckConstraint(
                condition=Q(einvoice_series__regex=r"^[A-Z0-9]{3}$")
                & Q(earchive_series__regex=r"^[A-Z0-9]{3}$")
                & Q(credit_note_series__regex=r"^[A-Z0-9]{3}$"),
                name="seller_series_format",
            )
        ]

    def __str__(self) -> str:
        return self.legal_name


class PaymentTerms(models.TextChoices):
    PREPAID = "prepaid", _("Prepaid")
    NET_15 = "net_15", _("Net 15 days")
    NET_30 = "net_30", _("Net 30 days")
    NET_60 = "net_60", _("Net 60 days")
    END_OF_MONTH = "eom", _("End of month")
    END_OF_NEXT_MONTH = "eom_30", _("End of the following month")


NET_DAYS = {
    PaymentTerms.PREPAID: 0,
    PaymentTerms.NET_15: 15,
    PaymentTerms.NET_30: 30,
    PaymentTerms.NET_60: 60,
}


def due_date_for(terms: str, issued: date) -> date:
    """When an invoice issued on ``issued`` under ``terms`` falls due (the one definition)."""
    if terms in NET_DAYS:
        return issued + timedelta(days=NET_DAYS[terms])
    first_of_next = (issued.replace(day=1) + timedelta(days=32)).replace(day=1)
    if terms == PaymentTerms.END_OF_MONTH:
        return first_of_next - timedelta(days=1)
    if terms == PaymentTerms.END_OF_NEXT_MONTH:
        return (first_of_next + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    raise ValueError(f"unknown payment terms {terms!r}")


class BillingAccount(models.Model):
    """What billing knows of a customer beyond the order: legal identity for invoices, whether it is
    an e-invoice registrant (then invoices use the e-invoice profile, else e-archive), and for B2B
    customers payment terms and a credit limit (checked when an on-account order comes in)."""

    customer = models.OneToOneField(
        "orders.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="billing"
    )
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    tax_number = models.CharField(
        _("tax number (VKN/TCKN)"), max_length=11, blank=True, help_text=_("10-digit VKN or 11-digit TCKN.")
    )
    tax_office = models.CharField(_("tax office"), max_length=80, blank=True)
    einvoice_registrant = models.BooleanField(
        _("e-invoice registrant"),
        default=False,
        help_text=_("Registered with GİB for e-invoices: its invoices are e-invoices, not e-archive."),
    )
    einvoice_alias = models.CharField(
        _("e-invoice alias"), max_length=120, blank=True, help_text=_("urn:mail:...@... (posta kutusu).")
    )
    commercial_profile = models.BooleanField(
        _("commercial invoice profile"),
        default=False,
        help_text=_("TICARIFATURA (the buyer may accept or reject) instead of TEMELFATURA."),
    )
    invoice_email = models.EmailField(_("invoice e-mail"), blank=True)
    payment_terms = models.CharField(
        _("payment terms"), max_length=8, choices=PaymentTerms.choices, default=PaymentTerms.PREPAID
    )
    credit_limit = AmountField(_("credit limit"), null=True, blank=True, help_text=_("Empty: no limit."))
    currency = CurrencyField(_("currency"))
    invoice_per_shipment = models.BooleanField(
        _("one invoice per shipment"), default=False, help_text=_("Otherwise one invoice per order.")
    )
    invoice_note = models.CharField(
        _("note on invoices"), max_length=255, blank=True, help_text=_("e.g. the buyer's order reference.")
    )
    reminders = models.BooleanField(_("send payment reminders"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("billing account")
        verbose_name_plural = _("billing accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="billing_credit_limit_positive",
            )
        ]

    def __str__(self) -> str:
        return self.legal_name or str(self.customer)

    @property
    def is_b2b(self) -> bool:
        return self.payment_terms != PaymentTerms.PREPAID


# --- Invoices and credit notes ----------------------------------------------------------------------


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceProfile(models.TextChoices):
    """UBL-TR ProfileID."""

    BASIC = "TEMELFATURA", _("e-invoice (basic)")
    COMMERCIAL = "TICARIFATURA", _("e-invoice (commercial)")
    EARCHIVE = "EARSIVFATURA", _("e-archive")


class InvoiceStatus(models.TextChoices):
    """Where the money stands; the document itself never changes after issue."""

    OPEN = "open", _("Open")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    CREDITED = "credited", _("Credited")  # fully offset by credit notes
    ISSUED = "issued", pgettext_lazy("credit note", "Issued")  # credit notes: they settle nothing themselves


class Invoice(models.Model):
    """An issued invoice or credit note. Everything on it is a snapshot taken at issue."""

    number = models.CharField(_("number"), max_length=16, unique=True)
    uuid = models.UUIDField(_("ETTN"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(
        _("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    profile = models.CharField(_("profile"), max_length=12, choices=InvoiceProfile.choices)
    original = models.ForeignKey(
        "self",
        verbose_name=_("original invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    customer = models.ForeignKey(
        "orders.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="invoices"
    )
    # What made it: "order:42" (whole order), "order:42:event:981" (a shipment's lines), "manual:<uuid>";
    # unique, so a retried task or a replayed event never issues twice.
    source_key = models.CharField(_("source"), max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True, help_text=_("Credit notes: why."))
    issue_date = models.DateField(_("issue date"))
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    # Seller snapshot.
    seller_name = models.CharField(_("seller"), max_length=200)
    seller_tax_number = models.CharField(_("seller VKN"), max_length=10)
    seller_tax_office = models.CharField(_("seller tax office"), max_length=80)
    seller_address = models.CharField(_("seller address"), max_length=400)
    # Buyer snapshot.
    buyer_name = models.CharField(_("buyer"), max_length=200)
    buyer_tax_number = models.CharField(_("buyer VKN/TCKN"), max_length=11)
    buyer_tax_office = models.CharField(_("buyer tax office"), max_length=80, blank=True)
    buyer_address = models.CharField(_("buyer address"), max_length=400)
    buyer_city = models.CharField(_("buyer city"), max_length=80)
    buyer_district = models.CharField(_("buyer district"), max_length=80, blank=True)
    buyer_country = models.CharField(_("buyer country"), max_length=2, default="TR")
    buyer_email = models.EmailField(_("buyer e-mail"), blank=True)
    buyer_alias = models.CharField(_("buyer e-invoice alias"), max_length=120, blank=True)
    # Amounts (all positive on credit notes too; the kind says which way they go).
    currency = CurrencyField(_("currency"))
    line_total = AmountField(_("lines before tax"), help_text=_("LineExtensionAmount: net of discounts."))
    discount_total = AmountField(_("discounts"), default=0)
    tax_total = AmountField(_("KDV"))
    payable = AmountField(_("total"), help_text=_("PayableAmount: KDV included."))
    taxes = models.JSONField(
        _("KDV by rate"), default=list, help_text=_('[{"rate": 20, "base": "100.00", "tax": "20.00"}]')
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=20, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=20, blank=True, db_index=True)
    # Mutable state (not the document): settled amount, status, delivery to the customer.
    paid_total = AmountField(_("paid"), default=0)
    credited_total = AmountField(_("credited"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    sent_at = models.DateTimeField(_("sent to the customer"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    timeline_model = "billing.InvoiceEvent"

    class Meta:
        ordering = ["-issue_date", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        permissions = [
            ("issue_invoice", "Can issue invoices and credit notes"),
            ("record_payment", "Can record payments and reconcile statements"),
            ("manage_credit", "Can set payment terms and credit limits"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__regex=r"^[A-Z0-9]{3}20[0-9]{2}[0-9]{9}$"), name="invoice_number_format"
            ),
            models.CheckConstraint(
                condition=Q(line_total__gte=0)
                & Q(tax_total__gte=0)
                & Q(payable__gte=0)
                & Q(discount_total__gte=0),
                name="invoice_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=adds_up("payable", "line_total", "tax_total"), name="invoice_payable_adds_up"
            ),
            models.CheckConstraint(
                condition=Q(kind=InvoiceKind.INVOICE, original__isnull=True)
                | Q(kind=InvoiceKind.CREDIT_NOTE, original__isnull=False),
                name="invoice_credit_note_has_original",
            ),
            models.CheckConstraint(
                condition=Q(paid_total__gte=0) & Q(credited_total__gte=0), name="invoice_settled_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-issue_date"], name="invoice_customer_idx"),
            models.Index(
                fields=["status", "due_date"], name="invoice_open_due_idx", condition=Q(kind="invoice")
            ),
            models.Index(fields=["updated_at", "id"], name="invoice_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def balance(self):
        """What is still owed on an invoice (0 for credit notes)."""
        if self.is_credit_note:
            return ZERO
        return self.payable - self.paid_total - self.credited_total

    @property
    def payment_method_label(self) -> str:
        from orders.models import PaymentMethod

        if self.payment_method in PaymentMethod.values:
            return str(PaymentMethod(self.payment_method).label)
        return self.payment_method

    @property
    def type_code(self) -> str:
        """UBL-TR InvoiceTypeCode."""
        return "IADE" if self.is_credit_note else "SATIS"


class InvoiceLine(models.Model):
    """One line as issued: quantities and net amounts (UBL wants prices before KDV)."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(_("line"))
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_shipping = models.BooleanField(_("shipping fee"), default=False)
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    description = models.CharField(_("description"), max_length=255)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_code = models.CharField(
        _("unit"), max_length=3, default="C62", help_text=_("UN/ECE rec. 20: C62 = piece.")
    )
    unit_price = models.DecimalField(
        _("unit price before KDV"),
        max_digits=18,
        decimal_places=6,
        help_text=_("More decimals than kuruş, as UBL allows."),
    )
    gross_total = AmountField(_("total with KDV"), help_text=_("What the customer paid for the line."))
    discount = AmountField(_("discount before KDV"), default=0)
    net_total = AmountField(_("total before KDV"), help_text=_("LineExtensionAmount."))
    tax_rate = models.PositiveSmallIntegerField(_("KDV %"))
    tax_amount = AmountField(_("KDV"))
    exemption_code = models.CharField(
        _("exemption code"), max_length=4, blank=True, help_text=_("GİB code for 0 % KDV, e.g. 351.")
    )
    exemption_reason = models.CharField(_("exemption reason"), max_length=255, blank=True)

    class Meta:
        ordering = ["invoice", "position"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="invoice_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(tax_rate__in=[0, 1, 10, 20]), name="invoice_line_tax_rate_valid"
            ),
            models.CheckConstraint(
                condition=adds_up("gross_total", "net_total", "tax_amount"), name="invoice_line_adds_up"
            ),
            models.CheckConstraint(
                condition=~Q(tax_rate=0) | ~Q(exemption_code=""), name="invoice_line_zero_rate_has_exemption"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}:{self.position}"


class InvoiceEvent(TimelineEntry):
    subject = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")

    class Meta(TimelineEntry.Meta):
        verbose_name = _("invoice event")
        verbose_name_plural = _("invoice events")
        indexes = [models.Index(fields=["subject", "-created_at"], name="invoice_event_subject_idx")]


# --- Payments ----------------------------------------------------------------------------------------


class PaymentKind(models.TextChoices):
    AUTHORIZATION = "authorization", _("Authorised")
    CAPTURE = "capture", _("Captured")
    REFUND = "refund", _("Refunded")
    FAILURE = "failure", _("Failed")


class PaymentSource(models.TextChoices):
    PAYTR = "paytr", "PayTR"
    IYZICO = "iyzico", "iyzico"
    BANK = "bank", _("Bank statement")
    COD = "cod", _("Carrier remittance")
    MANUAL = "manual", _("Entered by hand")


class Payment(models.Model):
    """One row of the payment ledger (append-only: PostgreSQL refuses UPDATE and DELETE).

    A capture or refund counts towards its invoice/order; an authorisation and a failure only
    record what happened. ``dedupe_key`` (unique) makes every source idempotent: the same
    provider callback, statement line or remittance line never counts twice.
    """

    kind = models.CharField(_("kind"), max_length=14, choices=PaymentKind.choices)
    method = models.CharField(_("method"), max_length=20, help_text=_("orders.PaymentMethod"))
    source = models.CharField(_("source"), max_length=8, choices=PaymentSource.choices)
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    customer = models.ForeignKey(
        "orders.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    amount = AmountField(_("amount"), help_text=_("Always positive; the kind says which way it goes."))
    currency = CurrencyField(_("currency"))
    received_on = models.DateField(_("value date"))
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=120, unique=True)
    installment = models.ForeignKey(
        "billing.Installment",
        verbose_name=_("installment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    bank_line = models.ForeignKey(
        "billing.BankStatementLine",
        verbose_name=_("bank statement line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    remittance_line = models.ForeignKey(
        "billing.CodRemittanceLine",
        verbose_name=_("remittance line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    callback = models.ForeignKey(
        "billing.ProviderCallback",
        verbose_name=_("provider callback"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(order__isnull=False) | Q(invoice__isnull=False) | Q(customer__isnull=False),
                name="payment_has_a_payer",
            ),
        ]
        indexes = [
            models.Index(fields=["order", "created_at"], name="payment_order_idx"),
            models.Index(fields=["invoice", "created_at"], name="payment_invoice_idx"),
            models.Index(fields=["source", "-created_at"], name="payment_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"

    @property
    def signed_amount(self):
        """What it adds to the money received: captures +, refunds -, the rest 0."""
        if self.kind == PaymentKind.CAPTURE:
            return self.amount
        if self.kind == PaymentKind.REFUND:
            return -self.amount
        return ZERO


class CallbackOutcome(models.TextChoices):
    APPLIED = "applied", _("Applied")
    DUPLICATE = "duplicate", _("Duplicate")
    REJECTED = "rejected", _("Rejected")  # bad signature or unreadable
    UNMATCHED = "unmatched", _("No such order")
    MISMATCH = "mismatch", _("Amount differs")


class ProviderCallback(models.Model):
    """Every callback a payment provider sent, as received (kept even when refused)."""

    provider = models.CharField(_("provider"), max_length=8, choices=PaymentSource.choices)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    body = models.TextField(_("body as received"))
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    signature_valid = models.BooleanField(_("signature valid"), default=False)
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=CallbackOutcome.choices)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    remote_addr = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("provider callback")
        verbose_name_plural = _("provider callbacks")

    def __str__(self) -> str:
        return f"{self.provider}:{self.reference}"


# --- Installments ------------------------------------------------------------------------------------


class InstallmentPlan(models.Model):
    """An installment offer: how many, and the surcharge the customer pays for it."""

    name = models.CharField(_("name"), max_length=80)
    count = models.PositiveSmallIntegerField(_("installments"))
    surcharge_percent = models.DecimalField(_("surcharge %"), max_digits=5, decimal_places=2, default=0)
    interval_days = models.PositiveSmallIntegerField(_("days between installments"), default=30)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["count", "name"]
        verbose_name = _("installment plan")
        verbose_name_plural = _("installment plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(count__gte=2) & Q(count__lte=36), name="installment_plan_count"
            ),
            models.CheckConstraint(condition=Q(surcharge_percent__gte=0), name="installment_plan_surcharge"),
        ]

    def __str__(self) -> str:
        return self.name


class InstallmentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", pgettext_lazy("installment", "Cancelled")


class Installment(models.Model):
    """One due date of an order's installment schedule. Overdue = open and past due (derived)."""

    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="installment_schedule"
    )
    plan = models.ForeignKey(
        InstallmentPlan,
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sequence = models.PositiveSmallIntegerField(_("no."))
    due_date = models.DateField(_("due date"))
    amount = AmountField(_("amount"))
    currency = CurrencyField(_("currency"))
    status = models.CharField(
        _("status"), max_length=10, choices=InstallmentStatus.choices, default=InstallmentStatus.OPEN
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        ordering = ["order", "sequence"]
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        constraints = [
            models.UniqueConstraint(fields=["order", "sequence"], name="installment_sequence_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="installment_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="installment_due_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.sequence}"


# --- Bank statements and carrier remittances ------------------------------------------------------


class StatementFormat(models.Model):
    """How one bank's CSV export is laid out: which column holds what, the date and number style."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, default=";")
    encoding = models.CharField(
        _("encoding"), max_length=16, blank=True, help_text=_("Empty: detect (UTF-8, else Windows-1254).")
    )
    skip_rows = models.PositiveSmallIntegerField(_("rows before the header"), default=0)
    date_column = models.CharField(_("date column"), max_length=60)
    date_format = models.CharField(_("date format"), max_length=20, default="%d.%m.%Y")
    amount_column = models.CharField(
        _("amount column"), max_length=60, help_text=_("Signed, or credits only.")
    )
    description_column = models.CharField(_("description column"), max_length=60)
    reference_column = models.CharField(_("bank reference column"), max_length=60, blank=True)
    sender_column = models.CharField(_("sender column"), max_length=60, blank=True)
    decimal_comma = models.BooleanField(_("decimal comma (1.234,56)"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("bank statement format")
        verbose_name_plural = _("bank statement formats")

    def __str__(self) -> str:
        return self.name


class BankStatement(models.Model):
    """One imported statement file; the same file twice is refused (by its SHA-256)."""

    format = models.ForeignKey(
        StatementFormat, verbose_name=_("format"), on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    encoding = models.CharField(_("encoding"), max_length=16)
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    matched_count = models.PositiveIntegerField(_("matched"), default=0)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")

    def __str__(self) -> str:
        return self.filename


class MatchStatus(models.TextChoices):
    MATCHED = "matched", _("Matched")
    PARTIAL = "partial", _("Partial payment")
    OVERPAID = "overpaid", _("Overpayment")
    UNMATCHED = "unmatched", _("Unmatched")
    IGNORED = "ignored", _("Ignored")  # a debit, fees, not a customer payment


class BankStatementLine(models.Model):
    statement = models.ForeignKey(
        BankStatement, verbose_name=_("statement"), on_delete=models.CASCADE, related_name="lines"
    )
    row_number = models.PositiveIntegerField(_("row"))
    booked_on = models.DateField(_("date"))
    amount = AmountField(_("amount"), help_text=_("Signed: credits positive."))
    currency = CurrencyField(_("currency"))
    description = models.CharField(_("description"), max_length=500)
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    sender = models.CharField(_("sender"), max_length=200, blank=True)
    found_reference = models.CharField(_("payment reference found"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MatchStatus.choices, default=MatchStatus.UNMATCHED
    )
    matched_order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    matched_invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    difference = AmountField(_("difference"), default=0, help_text=_("Received − expected."))

    class Meta:
        ordering = ["statement", "row_number"]
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        constraints = [
            models.UniqueConstraint(fields=["statement", "row_number"], name="bank_line_row_unique"),
            # One bank transaction counts once, whichever overlapping export brought it in (two
            # imports at the same moment meet here; the copies an import recognises are IGNORED).
            models.UniqueConstraint(
                fields=["bank_reference", "booked_on", "amount"],
                condition=~Q(bank_reference="") & ~Q(status="ignored"),
                name="bank_line_transaction_once",
            ),
        ]
        indexes = [models.Index(fields=["status", "booked_on"], name="bank_line_status_idx")]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount}"


class CodRemittance(models.Model):
    """A carrier's cash-on-delivery statement: what it collected and paid over to us."""

    carrier = models.ForeignKey(
        "fulfillment.CarrierAccount", verbose_name=_("carrier"), on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    total = AmountField(_("total"), default=0)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("COD remittance")
        verbose_name_plural = _("COD remittances")

    def __str__(self) -> str:
        return self.filename


class CodRemittanceLine(models.Model):
    remittance = models.ForeignKey(
        CodRemittance, verbose_name=_("remittance"), on_delete=models.CASCADE, related_name="lines"
    )
    row_number = models.PositiveIntegerField(_("row"))
    tracking_number = models.CharField(_("tracking number"), max_length=64, db_index=True)
    collected_on = models.DateField(_("collected on"), null=True, blank=True)
    amount = AmountField(_("amount"))
    shipment = models.ForeignKey(
        "fulfillment.Shipment",
        verbose_name=_("shipment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MatchStatus.choices, default=MatchStatus.UNMATCHED
    )
    difference = AmountField(_("difference"), default=0, help_text=_("Remitted − expected."))

    class Meta:
        ordering = ["remittance", "row_number"]
        verbose_name = _("COD remittance line")
        verbose_name_plural = _("COD remittance lines")
        constraints = [
            models.UniqueConstraint(fields=["remittance", "row_number"], name="cod_line_row_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tracking_number} {self.amount}"


# --- Finance queue and reminders ------------------------------------------------------------------


class FinanceIssueKind(models.TextChoices):
    PARTIAL_PAYMENT = "partial", _("Partial payment")
    OVERPAYMENT = "overpaid", _("Overpayment")
    UNMATCHED = "unmatched", _("Unmatched bank line")
    COD_DIFFERENCE = "cod_diff", _("COD amount differs")
    COD_MISSING = "cod_missing", _("COD not remitted")
    COD_UNKNOWN = "cod_unknown", _("COD line for an unknown parcel")
    CALLBACK = "callback", _("Provider callback to check")


class FinanceIssue(WorkItem):
    """Something a finance person must look at: money that does not match what is owed."""

    kind = models.CharField(_("kind"), max_length=12, choices=FinanceIssueKind.choices)
    amount = AmountField(_("amount"), default=0)
    currency = CurrencyField(_("currency"))
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bank_line = models.ForeignKey(
        BankStatementLine,
        verbose_name=_("bank line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issues",
    )
    remittance_line = models.ForeignKey(
        CodRemittanceLine,
        verbose_name=_("remittance line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issues",
    )
    shipment = models.ForeignKey(
        "fulfillment.Shipment",
        verbose_name=_("shipment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    callback = models.ForeignKey(
        ProviderCallback,
        verbose_name=_("callback"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # One open issue per thing and kind: an import run twice does not queue the same work twice.
    key = models.CharField(_("key"), max_length=80)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("finance issue")
        verbose_name_plural = _("finance issues")
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(resolved_at__isnull=True), name="finance_issue_one_open"
            )
        ]
        indexes = [
            models.Index(
                fields=["kind", "-created_at"],
                condition=Q(resolved_at__isnull=True),
                name="finance_issue_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    INSTALLMENT_DUE = "inst_due", _("Installment due")


class Reminder(models.Model):
    """A payment reminder that went out (or was handed to notifications): never twice for the same
    invoice, kind and step."""

    kind = models.CharField(_("kind"), max_length=10, choices=ReminderKind.choices)
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    installment = models.ForeignKey(
        Installment,
        verbose_name=_("installment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    step = models.PositiveSmallIntegerField(_("step"), default=0, help_text=_("Overdue: the nth reminder."))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    key = models.CharField(_("key"), max_length=60, unique=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("payment reminder")
        verbose_name_plural = _("payment reminders")

    def __str__(self) -> str:
        return self.key


# --- Quotes ------------------------------------------------------------------------------------------


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    CONVERTED = "converted", _("Converted to an order")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")


QUOTE_TRANSITIONS = {
    QuoteStatus.DRAFT: {QuoteStatus.SENT, QuoteStatus.CONVERTED, QuoteStatus.DECLINED},
    QuoteStatus.SENT: {
        QuoteStatus.ACCEPTED,
        QuoteStatus.CONVERTED,
        QuoteStatus.DECLINED,
        QuoteStatus.EXPIRED,
        QuoteStatus.DRAFT,
    },
    QuoteStatus.ACCEPTED: {QuoteStatus.CONVERTED, QuoteStatus.EXPIRED},
    QuoteStatus.CONVERTED: set(),
    QuoteStatus.DECLINED: set(),
    QuoteStatus.EXPIRED: {QuoteStatus.DRAFT},
}


class Quote(models.Model):
    """An offer to a (B2B) customer: lines and prices valid until a date; converts into an order."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        "orders.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="quotes"
    )
    channel = models.ForeignKey(
        "channels.SalesChannel", verbose_name=_("channel"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    valid_until = models.DateField(_("valid until"))
    currency = CurrencyField(_("currency"))
    discount = AmountField(_("discount"), default=0)
    shipping_fee = AmountField(_("shipping fee"), default=0)
    subtotal = AmountField(_("lines total"), default=0)
    tax_total = AmountField(_("KDV"), default=0)
    grand_total = AmountField(_("total"), default=0)
    payment_method = models.CharField(_("payment method"), max_length=20, default="on_account")
    note = models.TextField(_("note"), blank=True)
    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quote",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    timeline_model = "billing.QuoteEvent"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        permissions = [("manage_quotes", "Can write quotes and convert them into orders")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=QuoteStatus.CONVERTED, order__isnull=False)
                | (~Q(status=QuoteStatus.CONVERTED) & Q(order__isnull=True)),
                name="quote_converted_has_order",
            )
        ]
        indexes = [models.Index(fields=["status", "valid_until"], name="quote_status_idx")]

    def __str__(self) -> str:
        return self.number


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("line"))
    variant = models.ForeignKey(
        "inventory.Variant", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = AmountField(_("unit price"), help_text=_("KDV included."))
    discount = AmountField(_("discount"), default=0)
    tax_rate = models.PositiveSmallIntegerField(_("KDV %"))
    total = AmountField(_("line total"), default=0)

    class Meta:
        ordering = ["quote", "position"]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        constraints = [
            models.UniqueConstraint(fields=["quote", "position"], name="quote_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quote_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) & Q(discount__gte=0), name="quote_line_amounts"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quote_id}:{self.position}"


class QuoteEvent(TimelineEntry):
    subject = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="events")

    class Meta(TimelineEntry.Meta):
        verbose_name = _("quote event")
        verbose_name_plural = _("quote events")
