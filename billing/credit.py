"""Credit control of B2B customers: what a customer owes and will owe (its *exposure*), and the
approval check that holds an on-account order when there are no payment terms or the order would
take the customer over its credit limit.

Exposure, in the account's currency:
- open invoices: what is still owed on each (``payable - paid - credited``: credit notes already
  reduce it, ``billing.invoicing.issue_credit_note`` moves ``credited_total``);
- on-account orders not yet fully invoiced: their total less the cancelled lines' share and less
  what has been invoiced of them. Cancelled and fully returned orders owe nothing; every other
  status counts (a completed order of a channel invoicing by hand still owes its total until it
  is invoiced, and once invoiced its remainder is 0);
- at intake, the new order itself (``credit_check``).

Items in another currency are not converted (there is no exchange rate here): they are left out
of the sum, and an on-account order in another currency than the account's waits for a person.

``orders`` cannot import billing: ``BillingConfig.ready()`` registers ``credit_check`` with
``orders.risk.register_approval_check``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext as _

from billing.models import BillingAccount, Invoice, InvoiceKind, InvoiceStatus, PaymentTerms
from oms.money import ZERO, format_money, round_money
from orders.models import Customer, Order, OrderLine, OrderStatus, PaymentMethod

OPEN_INVOICE_STATUSES = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)
# On-account orders in these statuses owe nothing (anything invoiced of them counts as an invoice).
SETTLED_ORDER_STATUSES = (OrderStatus.CANCELLED, OrderStatus.RETURNED)

_MONEY = DecimalField(max_digits=20, decimal_places=6)


@dataclass(frozen=True)
class Exposure:
    """What a customer owes (open invoices) and has ordered on account but not been invoiced."""

    currency: str
    open_invoices: Decimal = ZERO
    uninvoiced_orders: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.open_invoices + self.uninvoiced_orders


def open_invoices(currency: str | None = None):
    """Invoices (not credit notes) with something still owed, in ``currency`` when given."""
    invoices = Invoice.objects.filter(kind=InvoiceKind.INVOICE, status__in=OPEN_INVOICE_STATUSES)
    return invoices.filter(currency=currency) if currency else invoices


def invoice_balance():
    """The SQL of ``Invoice.balance`` for an invoice."""
    return ExpressionWrapper(F("payable") - F("paid_total") - F("credited_total"), output_field=_MONEY)


def _uninvoiced_orders(customer_ids: Iterable[int], currency: str):
    invoiced = (
        Invoice.objects.filter(order=OuterRef("pk"), kind=InvoiceKind.INVOICE)
        .order_by()
        .values("order")
        .annotate(s=Sum("payable"))
        .values("s")
    )
    cancelled = (
        OrderLine.objects.filter(order=OuterRef("pk"), quantity_cancelled__gt=0)
        .order_by()
        .values("order")
        .annotate(s=Sum(F("total") * F("quantity_cancelled") / F("quantity"), output_field=_MONEY))
        .values("s")
    )
    zero = Value(Decimal(0), output_field=_MONEY)
    return (
        Order.objects.filter(
            customer_id__in=list(customer_ids), payment_method=PaymentMethod.ON_ACCOUNT, currency=currency
        )
        .exclude(status__in=SETTLED_ORDER_STATUSES)
        .annotate(
            uninvoiced=Greatest(
                F("grand_total")
                - Coalesce(Subquery(invoiced, output_field=_MONEY), zero)
                - Coalesce(Subquery(cancelled, output_field=_MONEY), zero),
                zero,
                output_field=_MONEY,
            )
        )
    )


def exposures(customer_ids: Iterable[int], *, currency: str) -> dict[int, Exposure]:
    """``Exposure`` of each customer in ``currency``: two grouped queries whatever the number."""
    ids = list(customer_ids)
    if not ids:
        return {}
    owed = dict(
        open_invoices(currency)
        .filter(customer_id__in=ids)
        .order_by()
        .values("customer_id")
        .annotate(s=Sum(invoice_balance()))
        .values_list("customer_id", "s")
    )
    ordered = dict(
        _uninvoiced_orders(ids, currency)
        .order_by()
        .values("customer_id")
        .annotate(s=Sum("uninvoiced"))
        .values_list("customer_id", "s")
    )
    return {
        pk: Exposure(
            currency=currency,
            open_invoices=round_money(owed.get(pk) or ZERO),
            uninvoiced_orders=round_money(ordered.get(pk) or ZERO),
        )
        for pk in ids
    }


def exposure(customer: Customer | int, *, currency: str | None = None) -> Exposure:
    """What ``customer`` owes and has on order on account, in ``currency`` (default: its billing
    account's currency, else TRY)."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    if currency is None:
        currency = (
            BillingAccount.objects.filter(customer_id=customer_id).values_list("currency", flat=True).first()
            or "TRY"
        )
    return exposures([customer_id], currency=currency)[customer_id]


def credit_check(order: Order) -> list[dict]:
    """Approval reasons for a new on-account order (``orders.risk`` approval check).

    ``order`` is not saved yet (no pk; customer, currency and totals set). Reasons: no billing
    account or prepaid terms; another currency than the account's; exposure including this order
    above the credit limit (naming the limit, the exposure and the excess, to the kuruş). Other
    payment methods and accounts without a limit pass.
    """
    if order.payment_method != PaymentMethod.ON_ACCOUNT or order.customer_id is None:
        return []
    account = BillingAccount.objects.filter(customer_id=order.customer_id).first()
    if account is None or account.payment_terms == PaymentTerms.PREPAID:
        return [
            {
                "rule": "billing.payment_terms",
                "code": "no_payment_terms",
                "message": _("No payment terms: on-account orders need approval."),
            }
        ]
    if account.credit_limit is None:
        return []
    if order.currency != account.currency:
        return [
            {
                "rule": "billing.credit_limit",
                "code": "credit_currency",
                "message": _(
                    "The order is in %(order)s but the account's credit limit is in %(account)s: "
                    "the limit cannot be checked, approval needed."
                )
                % {"order": order.currency, "account": account.currency},
            }
        ]
    current = exposure(order.customer_id, currency=account.currency)
    total = current.total + order.grand_total
    if total <= account.credit_limit:
        return []
    excess = total - account.credit_limit
    return [
        {
            "rule": "billing.credit_limit",
            "code": "credit_limit",
            "message": _(
                "Credit limit %(limit)s exceeded: exposure with this order %(exposure)s, %(excess)s over."
            )
            % {
                "limit": format_money(account.credit_limit, account.currency),
                "exposure": format_money(total, account.currency),
                "excess": format_money(excess, account.currency),
            },
            "params": {
                "limit": str(account.credit_limit),
                "exposure": str(total),
                "excess": str(excess),
                "currency": account.currency,
            },
        }
    ]
