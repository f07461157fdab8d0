"""The payment ledger: every source of money (provider callbacks, bank statement lines, carrier
remittances, a person at the panel) records through ``record_payment``.

A row is written once (``Payment`` is append-only) under a ``dedupe_key`` that names its origin
(``paytr:<merchant_oid>:success``, ``bank:<statement>:<row>`` ...): recording the same thing again
returns the first row and changes nothing, so callbacks and imports can be replayed safely.
Captures and refunds move the invoice's paid amount and status and the order's payment status
(``orders.services.set_payment_status``), under the invoice's and the order's row locks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.invoicing import settlement_status
from billing.models import Invoice, InvoiceKind, Payment, PaymentKind
from oms.errors import InvalidInput
from oms.events import emit
from oms.money import ZERO, check_currency, round_money, to_decimal
from orders.models import Order, PaymentStatus


@dataclass(frozen=True)
class Recorded:
    payment: Payment
    created: bool  # False: this origin was recorded before (a replay); nothing changed


def _totals(payments) -> tuple[Decimal, Decimal]:
    """(captured, refunded) of a payment queryset."""
    rows = (
        payments.filter(kind__in=[PaymentKind.CAPTURE, PaymentKind.REFUND])
        .values("kind")
        .annotate(total=Sum("amount"))
    )
    totals = {row["kind"]: row["total"] for row in rows.order_by()}
    return totals.get(PaymentKind.CAPTURE, ZERO), totals.get(PaymentKind.REFUND, ZERO)


def _order_payments(order_id: int):
    return Payment.objects.filter(Q(order_id=order_id) | Q(invoice__order_id=order_id))


def received_for_order(order_id: int) -> Decimal:
    """Captured minus refunded for the order (its invoices' payments included)."""
    captured, refunded = _totals(_order_payments(order_id))
    return captured - refunded


def _paid_on_invoice(invoice: Invoice) -> Decimal:
    captured, refunded = _totals(invoice.payments.all())
    return captured - refunded


def order_payment_status(order: Order) -> str:
    """The order's payment status from its ledger: paid once captures cover the total; refunded
    when everything captured went back; a partial refund leaves it paid (the ledger shows it);
    a partial payment leaves it awaiting the rest."""
    captured, refunded = _totals(_order_payments(order.pk))
    received = captured - refunded
    if captured > 0 and received <= 0:
        return PaymentStatus.REFUNDED
    if received >= order.grand_total:
        return PaymentStatus.PAID
    if refunded > 0 and order.payment_status == PaymentStatus.PAID:
        return PaymentStatus.PAID
    if captured > 0:
        return PaymentStatus.PENDING
    return order.payment_status


@transaction.atomic
def record_payment(
    *,
    kind: str,
    amount: Decimal | str,
    dedupe_key: str,
    source: str,
    method: str = "",
    order: Order | int | None = None,
    invoice: Invoice | int | None = None,
    customer_id: int | None = None,
    currency: str = "",
    received_on: date | None = None,
    provider_reference: str = "",
    note: str = "",
    user=None,
    **links,
) -> Recorded:
    """Write one ledger row and settle what it pays. ``links``: ``bank_line``, ``remittance_line``,
    ``callback``, ``installment`` (instances or ``*_id``).

    A capture larger than what is owed is recorded as received (the overpayment stays visible on
    the order; reconciliation queues it for a person); nothing is silently dropped or capped.
    """
    if kind not in PaymentKind.values:
        raise InvalidInput(_("Unknown payment kind “%(kind)s”.") % {"kind": kind})
    amount = round_money(to_decimal(amount))
    if amount <= 0:
        raise InvalidInput(_("A payment amount must be positive."), code="invalid_amount")
    existing = Payment.objects.filter(dedupe_key=dedupe_key[:120]).first()
    if existing is not None:
        return Recorded(existing, created=False)
    invoice_obj = None
    if invoice is not None:
        invoice_obj = Invoice.objects.select_for_update().get(
            pk=invoice if isinstance(invoice, int) else invoice.pk
        )
        if order is None and invoice_obj.order_id:
            order = invoice_obj.order_id
    order_obj = None
    if order is not None:
        order_obj = Order.objects.select_for_update().get(pk=order if isinstance(order, int) else order.pk)
    payer = customer_id or (
        order_obj.customer_id if order_obj else invoice_obj.customer_id if invoice_obj else None
    )
    if order_obj is None and invoice_obj is None and payer is None:
        raise InvalidInput(_("A payment must name an order, an invoice or a customer."))
    currency = check_currency(
        currency or (invoice_obj.currency if invoice_obj else order_obj.currency if order_obj else "TRY")
    )
    payment = Payment(
        kind=kind,
        method=method or (order_obj.payment_method if order_obj else ""),
        source=source,
        order=order_obj,
        invoice=invoice_obj,
        customer_id=payer,
        amount=amount,
        currency=currency,
        received_on=received_on or timezone.localdate(),
        provider_reference=provider_reference[:100],
        dedupe_key=dedupe_key[:120],
        note=note[:255],
        created_by=user if getattr(user, "pk", None) else None,
        **links,
    )
    try:
        with transaction.atomic():  # a concurrent twin of this origin: keep theirs
            payment.save(force_insert=True)
    except IntegrityError:
        twin = Payment.objects.filter(dedupe_key=payment.dedupe_key).first()
        if twin is None:
            raise
        return Recorded(twin, created=False)
    if kind in (PaymentKind.CAPTURE, PaymentKind.REFUND):
        _settle(payment, invoice_obj, order_obj, user=user)
    subject = invoice_obj or order_obj
    if subject is not None:
        emit(
            f"payment.{kind}",
            subject=subject,
            actor=user,
            message=f"{amount} {currency}",
            data={"payment": payment.pk, "source": source, "reference": provider_reference},
        )
    return Recorded(payment, created=True)


def allocate_to_invoices(order_id: int) -> None:
    """Spread what the order has received (captures less refunds, whatever they were recorded
    against) over its invoices, oldest first, each up to what is owed after its credit notes.

    Money often arrives before the invoice (a card at checkout) or against the order rather than
    one invoice (a bank transfer naming the order): the invoices' paid amounts and statuses are
    derived from the order's ledger, never kept as a second truth. Credit notes keep their own
    paid amount: the refunds recorded against them.
    """
    remaining = received_for_order(order_id)
    invoices = list(
        Invoice.objects.select_for_update()
        .filter(order_id=order_id, kind=InvoiceKind.INVOICE)
        .order_by("issue_date", "pk")
    )
    for invoice in invoices:
        owed = max(invoice.payable - invoice.credited_total, ZERO)
        paid = min(owed, max(remaining, ZERO))
        remaining -= paid
        status = settlement_status(_with_paid(invoice, paid))
        if (paid, status) != (invoice.paid_total, invoice.status):
            invoice.paid_total, invoice.status = paid, status
            invoice.save(update_fields=["paid_total", "status", "updated_at"])


def _with_paid(invoice: Invoice, paid: Decimal) -> Invoice:
    probe = Invoice(payable=invoice.payable, credited_total=invoice.credited_total, kind=invoice.kind)
    probe.paid_total = paid
    return probe


def _settle(payment: Payment, invoice: Invoice | None, order: Order | None, *, user) -> None:
    from orders import services as order_services

    if invoice is not None and invoice.kind == InvoiceKind.CREDIT_NOTE:
        # A refund against a credit note: what was paid back for it.
        invoice.paid_total = max(-_paid_on_invoice(invoice), ZERO)
        invoice.save(update_fields=["paid_total", "updated_at"])
    if order is not None:
        allocate_to_invoices(order.pk)
        status = order_payment_status(order)
        if status != order.payment_status:
            order_services.set_payment_status(
                order, status, user=user, data={"payment": payment.pk, "amount": str(payment.amount)}
            )
