"""Receivables: who owes what since when (aged receivables) and a customer's statement of account.

Aged receivables group what is still owed on each invoice (``payable - paid - credited``: a credit
note reduces its invoice's balance when it is issued) by the days past its due date (the issue
date when it has none): not due yet, 0-30, 31-60, 61-90 and over 90 days. Payments a customer made
without naming an invoice or an order (an on-account transfer) are shown as unapplied and reduce
the customer's total. The whole table is two grouped queries, whatever the number of customers.

A statement of account is the customer's ledger in one currency over a period: the opening balance
(everything before it), invoices (+), credit notes (-), payments received (-) and refunds paid
back (+) in date order with a running balance, and the closing balance. A positive balance is
owed by the customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.credit import Exposure, exposures, invoice_balance, open_invoices
from billing.models import BillingAccount, Invoice, InvoiceKind, Payment, PaymentKind, SellerProfile
from oms.errors import InvalidInput
from oms.money import ZERO, round_money
from orders.models import Customer

BUCKETS = (
    ("not_due", gettext_lazy("Not due")),
    ("days_0_30", gettext_lazy("0–30 days")),
    ("days_31_60", gettext_lazy("31–60 days")),
    ("days_61_90", gettext_lazy("61–90 days")),
    ("days_90_plus", gettext_lazy("Over 90 days")),
)
BUCKET_KEYS = tuple(key for key, _label in BUCKETS)


@dataclass
class AgingRow:
    customer_id: int
    name: str
    buckets: dict[str, Decimal]
    unapplied: Decimal = ZERO
    credit_limit: Decimal | None = None
    exposure: Exposure | None = None

    @property
    def owed(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def total(self) -> Decimal:
        return self.owed - self.unapplied

    @property
    def overdue(self) -> Decimal:
        return self.owed - self.buckets["not_due"]

    @property
    def over_limit(self) -> bool:
        return (
            self.credit_limit is not None
            and self.exposure is not None
            and self.exposure.total > self.credit_limit
        )

    @property
    def bucket_list(self) -> list[Decimal]:
        return [self.buckets[key] for key in BUCKET_KEYS]


@dataclass
class Aging:
    today: date
    currency: str
    rows: list[AgingRow]
    totals: dict[str, Decimal] = field(default_factory=dict)
    unapplied: Decimal = ZERO

    @property
    def owed(self) -> Decimal:
        return sum(self.totals.values(), ZERO)

    @property
    def total(self) -> Decimal:
        return self.owed - self.unapplied

    @property
    def total_list(self) -> list[Decimal]:
        return [self.totals[key] for key in BUCKET_KEYS]


def customer_name(
    *, legal_name: str = "", company: str = "", first_name: str = "", last_name: str = "", email: str = ""
) -> str:
    return legal_name or company or f"{first_name} {last_name}".strip() or email


def _bucket_filters(today: date) -> dict[str, Q]:
    due = "due"
    return {
        "not_due": Q(**{f"{due}__gt": today}),
        "days_0_30": Q(**{f"{due}__lte": today, f"{due}__gte": today - timedelta(days=30)}),
        "days_31_60": Q(
            **{f"{due}__lt": today - timedelta(days=30), f"{due}__gte": today - timedelta(days=60)}
        ),
        "days_61_90": Q(
            **{f"{due}__lt": today - timedelta(days=60), f"{due}__gte": today - timedelta(days=90)}
        ),
        "days_90_plus": Q(**{f"{due}__lt": today - timedelta(days=90)}),
    }


def _customer_match(query: str) -> Q:
    return (
        Q(customer__company__icontains=query)
        | Q(customer__last_name__icontains=query)
        | Q(customer__first_name__icontains=query)
        | Q(customer__email__icontains=query)
        | Q(customer__billing__legal_name__icontains=query)
        | Q(customer__billing__tax_number=query)
    )


def aged_receivables(
    *,
    today: date | None = None,
    currency: str = "TRY",
    query: str = "",
    overdue_only: bool = False,
    with_exposure: bool = True,
) -> Aging:
    """The aging table in ``currency``: a row per customer owing something (or holding unapplied
    money), largest total first, and the column totals. ``query`` narrows to customers by name,
    e-mail or tax number. ``with_exposure``: each row also carries the credit limit and exposure."""
    today = today or timezone.localdate()
    query = (query or "").strip()
    invoices = open_invoices(currency).annotate(due=Coalesce("due_date", "issue_date"))
    if query:
        invoices = invoices.filter(_customer_match(query))
    balance = invoice_balance()
    grouped = (
        invoices.order_by()
        .values(
            "customer_id",
            "customer__company",
            "customer__first_name",
            "customer__last_name",
            "customer__email",
            "customer__billing__legal_name",
            "customer__billing__credit_limit",
        )
        .annotate(
            **{key: Sum(balance, filter=condition) for key, condition in _bucket_filters(today).items()}
        )
    )
    rows: dict[int, AgingRow] = {}
    for values in grouped:
        rows[values["customer_id"]] = AgingRow(
            customer_id=values["customer_id"],
            name=customer_name(
                legal_name=values["customer__billing__legal_name"] or "",
                company=values["customer__company"],
                first_name=values["customer__first_name"],
                last_name=values["customer__last_name"],
                email=values["customer__email"],
            ),
            buckets={key: round_money(values[key] or ZERO) for key in BUCKET_KEYS},
            credit_limit=values["customer__billing__credit_limit"],
        )
    if not overdue_only:
        _add_unapplied(rows, currency=currency, query=query)
    result = [row for row in rows.values() if not overdue_only or row.overdue > 0]
    if with_exposure and result:
        found = exposures([row.customer_id for row in result], currency=currency)
        for row in result:
            row.exposure = found[row.customer_id]
    result.sort(key=lambda row: (-row.total, row.name.casefold(), row.customer_id))
    aging = Aging(today=today, currency=currency, rows=result)
    aging.totals = {key: sum((row.buckets[key] for row in result), ZERO) for key in BUCKET_KEYS}
    aging.unapplied = sum((row.unapplied for row in result), ZERO)
    return aging


def _add_unapplied(rows: dict[int, AgingRow], *, currency: str, query: str) -> None:
    """Money received from customers without an invoice or order to settle (captures - refunds)."""
    payments = Payment.objects.filter(
        invoice__isnull=True,
        order__isnull=True,
        customer__isnull=False,
        currency=currency,
        kind__in=[PaymentKind.CAPTURE, PaymentKind.REFUND],
    )
    if query:
        payments = payments.filter(_customer_match(query))
    grouped = (
        payments.order_by()
        .values(
            "customer_id",
            "customer__company",
            "customer__first_name",
            "customer__last_name",
            "customer__email",
            "customer__billing__legal_name",
            "customer__billing__credit_limit",
        )
        .annotate(
            captured=Sum("amount", filter=Q(kind=PaymentKind.CAPTURE)),
            refunded=Sum("amount", filter=Q(kind=PaymentKind.REFUND)),
        )
    )
    for values in grouped:
        unapplied = (values["captured"] or ZERO) - (values["refunded"] or ZERO)
        if not unapplied:
            continue
        row = rows.get(values["customer_id"])
        if row is None:
            row = rows[values["customer_id"]] = AgingRow(
                customer_id=values["customer_id"],
                name=customer_name(
                    legal_name=values["customer__billing__legal_name"] or "",
                    company=values["customer__company"],
                    first_name=values["customer__first_name"],
                    last_name=values["customer__last_name"],
                    email=values["customer__email"],
                ),
                buckets=dict.fromkeys(BUCKET_KEYS, ZERO),
                credit_limit=values["customer__billing__credit_limit"],
            )
        row.unapplied = unapplied


def aging_csv_rows(aging: Aging):
    """Header and rows of the aging table for ``oms.csv_export.csv_response``."""
    header = [
        _("Customer"),
        *[str(label) for _key, label in BUCKETS],
        _("Unapplied payments"),
        _("Total"),
        _("Credit limit"),
        _("Exposure"),
        _("Currency"),
    ]

    def rows():
        for row in aging.rows:
            yield [
                row.name,
                *row.bucket_list,
                row.unapplied,
                row.total,
                row.credit_limit,
                row.exposure.total if row.exposure else None,
                aging.currency,
            ]
        yield [_("Total"), *aging.total_list, aging.unapplied, aging.total, None, None, aging.currency]

    return header, rows()


# --- Statement of account ----------------------------------------------------------------------------


@dataclass
class StatementEntry:
    date: date
    kind: str  # invoice | credit_note | payment | refund
    label: str
    reference: str
    debit: Decimal  # adds to what the customer owes
    credit: Decimal
    balance: Decimal = ZERO
    due_date: date | None = None
    invoice_id: int | None = None


@dataclass
class Statement:
    customer: Customer
    account: BillingAccount | None
    currency: str
    start: date
    end: date
    opening: Decimal
    entries: list[StatementEntry]

    @property
    def total_debit(self) -> Decimal:
        return sum((e.debit for e in self.entries), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((e.credit for e in self.entries), ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.total_debit - self.total_credit

    @property
    def name(self) -> str:
        account = self.account
        customer = self.customer
        return customer_name(
            legal_name=account.legal_name if account else "",
            company=customer.company,
            first_name=customer.first_name,
            last_name=customer.last_name,
            email=customer.email,
        )


ENTRY_ORDER = {"invoice": 0, "credit_note": 1, "payment": 2, "refund": 3}


def _ledger_before(customer_id: int, currency: str, start: date) -> Decimal:
    documents = (
        Invoice.objects.filter(customer_id=customer_id, currency=currency, issue_date__lt=start)
        .order_by()
        .aggregate(
            invoiced=Sum("payable", filter=Q(kind=InvoiceKind.INVOICE)),
            credited=Sum("payable", filter=Q(kind=InvoiceKind.CREDIT_NOTE)),
        )
    )
    money = (
        Payment.objects.filter(customer_id=customer_id, currency=currency, received_on__lt=start)
        .order_by()
        .aggregate(
            captured=Sum("amount", filter=Q(kind=PaymentKind.CAPTURE)),
            refunded=Sum("amount", filter=Q(kind=PaymentKind.REFUND)),
        )
    )
    return (
        (documents["invoiced"] or ZERO)
        - (documents["credited"] or ZERO)
        - (money["captured"] or ZERO)
        + (money["refunded"] or ZERO)
    )


def statement(customer: Customer | int, *, start: date, end: date, currency: str | None = None) -> Statement:
    """The statement of account of ``customer`` from ``start`` to ``end`` (both included), in
    ``currency`` (default: its billing account's, else TRY). Raises ``InvalidInput`` for a period
    that ends before it starts."""
    if end < start:
        raise InvalidInput(_("The period ends before it starts."), code="bad_period")
    customer = customer if isinstance(customer, Customer) else Customer.objects.get(pk=customer)
    account = BillingAccount.objects.filter(customer=customer).first()
    currency = currency or (account.currency if account else "TRY")
    entries: list[StatementEntry] = []
    documents = Invoice.objects.filter(
        customer=customer, currency=currency, issue_date__gte=start, issue_date__lte=end
    ).values("pk", "kind", "number", "issue_date", "due_date", "payable", "reason", "original__number")
    for doc in documents:
        credit_note = doc["kind"] == InvoiceKind.CREDIT_NOTE
        entries.append(
            StatementEntry(
                date=doc["issue_date"],
                kind="credit_note" if credit_note else "invoice",
                label=(
                    _("Credit note for %(number)s") % {"number": doc["original__number"]}
                    if credit_note
                    else _("Invoice")
                ),
                reference=doc["number"],
                debit=ZERO if credit_note else doc["payable"],
                credit=doc["payable"] if credit_note else ZERO,
                due_date=None if credit_note else doc["due_date"],
                invoice_id=doc["pk"],
            )
        )
    payments = Payment.objects.filter(
        customer=customer,
        currency=currency,
        kind__in=[PaymentKind.CAPTURE, PaymentKind.REFUND],
        received_on__gte=start,
        received_on__lte=end,
    ).values(
        "pk",
        "kind",
        "amount",
        "received_on",
        "source",
        "provider_reference",
        "invoice__number",
        "order__number",
    )
    for pay in payments:
        refund = pay["kind"] == PaymentKind.REFUND
        reference = (
            pay["invoice__number"] or pay["order__number"] or pay["provider_reference"] or f"#{pay['pk']}"
        )
        entries.append(
            StatementEntry(
                date=pay["received_on"],
                kind="refund" if refund else "payment",
                label=_("Refund") if refund else _("Payment received"),
                reference=reference,
                debit=pay["amount"] if refund else ZERO,
                credit=ZERO if refund else pay["amount"],
            )
        )
    entries.sort(key=lambda e: (e.date, ENTRY_ORDER[e.kind], e.reference))
    opening = _ledger_before(customer.pk, currency, start)
    running = opening
    for entry in entries:
        running += entry.debit - entry.credit
        entry.balance = running
    return Statement(
        customer=customer,
        account=account,
        currency=currency,
        start=start,
        end=end,
        opening=opening,
        entries=entries,
    )


def default_period(today: date | None = None) -> tuple[date, date]:
    """The current year to date: what a customer usually asks for."""
    today = today or timezone.localdate()
    return today.replace(month=1, day=1), today


def seller_header() -> dict:
    """The seller as the PDF header shows it (``company`` in ``templates/pdf/base.html``)."""
    from oms.pdf import company

    seller = SellerProfile.objects.order_by("pk").first()
    if seller is None:
        return company()
    return {
        "name": seller.legal_name,
        "address": seller.address_line,
        "district": seller.district,
        "province": seller.city,
        "tax_office": seller.tax_office,
        "tax_number": seller.tax_number,
        "phone": seller.phone,
        "email": seller.email,
        "website": seller.website,
    }


def statement_pdf(account_statement: Statement) -> bytes:
    from oms.pdf import render_pdf

    return render_pdf(
        "billing/pdf/statement.html",
        {"statement": account_statement, "company": seller_header(), "today": timezone.localdate()},
    )
