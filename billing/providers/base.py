"""What the providers' callbacks share: storing them as received, finding our order by its payment
reference, and turning a verified result into ledger rows and finance issues.

A provider module only authenticates and reads its own format; it hands ``apply`` a ``Verified``
(what the provider confirms happened) and ``apply`` does the business act, the same for all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Replace, Upper
from django.utils.translation import gettext as _

from billing.invoicing import is_valid_reference, payment_reference
from billing.models import (
    CallbackOutcome,
    FinanceIssue,
    FinanceIssueKind,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    PaymentKind,
    ProviderCallback,
)
from billing.payments import received_for_order, record_payment
from oms.errors import NotFound
from oms.money import CURRENCIES, ZERO, round_money
from orders.models import Order, PaymentStatus

# Headers worth keeping with a callback (never cookies or authorisation).
KEPT_HEADERS = (
    "Content-Type",
    "Content-Length",
    "User-Agent",
    "X-Forwarded-For",
    "X-Real-IP",
    "X-IYZ-SIGNATURE-V3",
)
# Order numbers as orders.services writes them (SIP-2026-000042), without their dashes.
_NUMBER_PARTS = re.compile(r"^([A-Z]+)(20\d{2})(\d{6,})$")


class UnknownProvider(NotFound):
    pass


@dataclass(frozen=True)
class Reply:
    """What we answer the provider (each wants its own shape: PayTR a plain ``OK``)."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Verified:
    """A provider's authenticated word on one payment attempt of the order ``reference``."""

    source: str  # PaymentSource
    reference: str  # our payment reference (PayTR merchant_oid, iyzico paymentConversationId)
    succeeded: bool
    dedupe_key: str
    provider_reference: str
    amount: Decimal | None  # what was charged; None on a failure that names no amount
    currency: str = ""  # ISO code; "" = the order's
    base_amount: Decimal | None = None  # the amount we asked for, when the provider repeats it
    installments: int = 1
    failure_reason: str = ""


# --- Finding the order -----------------------------------------------------------------------------


def order_for_reference(reference: str) -> Order | None:
    """The order whose payment reference is ``reference`` (``billing.invoicing.payment_reference``:
    the order number without dashes + 2 check digits); ``None`` for a reference with wrong check
    digits or of no order. Our own numbers are rebuilt (one indexed lookup); other numbering
    falls back to comparing numbers without their dashes."""
    reference = (reference or "").strip().upper()
    if not is_valid_reference(reference):
        return None
    base = reference[:-2]
    match = _NUMBER_PARTS.match(base)
    order = None
    if match:
        order = Order.objects.filter(number="-".join(match.groups())).first()
    if order is None:
        order = (
            Order.objects.annotate(plain=Replace(Upper("number"), Value("-"), Value("")))
            .filter(plain=base)
            .order_by("pk")
            .first()
        )
    if order is None or payment_reference(order) != reference:
        return None
    return order


# --- Storing ---------------------------------------------------------------------------------------


def store_callback(
    provider: str, body: bytes, *, headers: Mapping[str, str], remote_addr: str | None
) -> ProviderCallback:
    """The callback as received, committed before anything else happens (outcome ``rejected``
    until the handling says otherwise, so a crash in between leaves no false ``applied``)."""
    kept = {name: headers[name] for name in KEPT_HEADERS if headers.get(name)}
    with transaction.atomic():
        return ProviderCallback.objects.create(
            provider=provider,
            body=body.decode("utf-8", "replace"),
            headers=kept,
            remote_addr=remote_addr or None,
            outcome=CallbackOutcome.REJECTED,
            detail=_("Received; not handled yet."),
        )


def finish(
    callback: ProviderCallback,
    *,
    outcome: str,
    detail: str,
    signature_valid: bool | None = None,
    reference: str | None = None,
) -> ProviderCallback:
    """Write what came of a stored callback."""
    callback.outcome = outcome
    callback.detail = str(detail)[:255]
    fields = ["outcome", "detail"]
    if signature_valid is not None:
        callback.signature_valid = signature_valid
        fields.append("signature_valid")
    if reference is not None:
        callback.reference = reference[:100]
        fields.append("reference")
    callback.save(update_fields=fields)
    return callback


def open_callback_issue(
    callback: ProviderCallback, *, detail: str, amount: Decimal, currency: str, order: Order | None = None
) -> FinanceIssue:
    """Queue the callback for finance (once: the key is the callback's), through the finance
    queue's one door (``billing.reconciliation.queue.open_issue``)."""
    from billing.reconciliation.queue import open_issue

    issue, _created = open_issue(
        kind=FinanceIssueKind.CALLBACK,
        key=f"callback:{callback.pk}",
        detail=str(detail),
        amount=round_money(amount),
        currency=currency if currency in CURRENCIES else "TRY",
        order=order,
        callback=callback,
    )
    return issue


# --- Recording -------------------------------------------------------------------------------------


def _open_invoice(order: Order) -> Invoice | None:
    """The order's invoice a card payment settles: only when there is exactly one open invoice
    (several, as with one invoice per shipment, leave the payment on the order)."""
    invoices = list(
        Invoice.objects.filter(
            order=order,
            kind=InvoiceKind.INVOICE,
            status__in=[InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID],
        ).only("pk")[:2]
    )
    return invoices[0] if len(invoices) == 1 else None


def _seen_before(callback: ProviderCallback, outcome: str) -> bool:
    """Whether this very callback (same provider, reference and body) came before and ended in
    ``outcome`` without a ledger row to dedupe on: its retry must not queue the work twice."""
    return (
        ProviderCallback.objects.filter(
            provider=callback.provider, reference=callback.reference, outcome=outcome, body=callback.body
        )
        .exclude(pk=callback.pk)
        .exists()
    )


def _money(amount: Decimal, currency: str) -> str:
    return f"{round_money(amount)} {currency}"


@transaction.atomic
def apply(callback: ProviderCallback, verified: Verified) -> tuple[str, str]:
    """Record what a verified callback says; returns (outcome, detail) for the callback row.

    - no such order: ``unmatched`` and a finance issue (the money is somewhere; someone must look);
    - a different currency than the order's: ``mismatch``, a finance issue, nothing recorded;
    - failure: a ``failure`` row, and the order's payment status ``failed`` unless money came in;
    - success: a ``capture`` of the amount charged (the order's one open invoice settled too).
      More than the order owes is an installment surcharge the customer chose: recorded as
      received and noted. Less than it owes, or an order paid already: recorded and queued.
    - the same callback again: ``duplicate``, nothing changes.
    """
    from orders import services as order_services

    order = order_for_reference(verified.reference)
    shown_amount = verified.amount if verified.amount is not None else ZERO
    if order is None:
        if _seen_before(callback, CallbackOutcome.UNMATCHED):
            return CallbackOutcome.DUPLICATE, _("Already queued for finance (same callback as before).")
        detail = _("No order has the payment reference “%(ref)s”.") % {"ref": verified.reference}
        open_callback_issue(callback, detail=detail, amount=shown_amount, currency=verified.currency)
        return CallbackOutcome.UNMATCHED, detail
    order = Order.objects.select_for_update().get(pk=order.pk)
    currency = verified.currency or order.currency
    if currency != order.currency:
        if _seen_before(callback, CallbackOutcome.MISMATCH):
            return CallbackOutcome.DUPLICATE, _("Already queued for finance (same callback as before).")
        detail = _("Paid in %(paid)s but order %(order)s is in %(currency)s.") % {
            "paid": currency,
            "order": order.number,
            "currency": order.currency,
        }
        open_callback_issue(callback, detail=detail, amount=shown_amount, currency=currency, order=order)
        return CallbackOutcome.MISMATCH, detail

    if not verified.succeeded:
        attempted = verified.amount or verified.base_amount or order.grand_total
        reason = verified.failure_reason or _("no reason given")
        recorded = record_payment(
            kind=PaymentKind.FAILURE,
            amount=attempted,
            dedupe_key=verified.dedupe_key,
            source=verified.source,
            method="card",
            order=order,
            currency=currency,
            provider_reference=verified.provider_reference,
            note=reason,
            callback=callback,
        )
        if not recorded.created:
            return CallbackOutcome.DUPLICATE, _("Already recorded.")
        if order.payment_status in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED) and (
            received_for_order(order.pk) <= 0
        ):
            order_services.set_payment_status(
                order,
                PaymentStatus.FAILED,
                message=reason,
                data={"callback": callback.pk, "source": verified.source},
            )
        return CallbackOutcome.APPLIED, _("Payment failed: %(reason)s") % {"reason": reason}

    amount = round_money(verified.amount)
    received_before = received_for_order(order.pk)
    outstanding = order.grand_total - received_before
    notes = []
    if verified.installments > 1:
        notes.append(_("%(n)s installments") % {"n": verified.installments})
    surcharge = amount - outstanding
    if received_before < order.grand_total and surcharge > 0:
        notes.append(_("installment surcharge %(amount)s") % {"amount": _money(surcharge, currency)})
    recorded = record_payment(
        kind=PaymentKind.CAPTURE,
        amount=amount,
        dedupe_key=verified.dedupe_key,
        source=verified.source,
        method="card",
        order=order,
        invoice=_open_invoice(order),
        currency=currency,
        provider_reference=verified.provider_reference,
        note="; ".join(str(n) for n in notes),
        callback=callback,
    )
    if not recorded.created:
        return CallbackOutcome.DUPLICATE, _("Already recorded.")
    if received_before >= order.grand_total:
        detail = _("Order %(order)s was paid already; %(amount)s received again.") % {
            "order": order.number,
            "amount": _money(amount, currency),
        }
        open_callback_issue(callback, detail=detail, amount=amount, currency=currency, order=order)
        return CallbackOutcome.MISMATCH, detail
    if amount < outstanding:
        detail = _("Amount differs: %(amount)s received, %(owed)s owed on order %(order)s.") % {
            "amount": _money(amount, currency),
            "owed": _money(outstanding, currency),
            "order": order.number,
        }
        open_callback_issue(
            callback, detail=detail, amount=outstanding - amount, currency=currency, order=order
        )
        return CallbackOutcome.MISMATCH, detail
    detail = _("Captured %(amount)s for order %(order)s.") % {
        "amount": _money(amount, currency),
        "order": order.number,
    }
    if notes:
        detail = f"{detail} ({'; '.join(str(n) for n in notes)})"
    return CallbackOutcome.APPLIED, detail


def run(callback: ProviderCallback, verified: Verified, *, ok: Reply) -> Reply:
    """Apply a verified callback and record the outcome; an unexpected error is written on the
    callback and re-raised (the provider sees a 500 and retries, the replay is idempotent)."""
    try:
        outcome, detail = apply(callback, verified)
    except Exception as error:
        finish(callback, outcome=CallbackOutcome.REJECTED, detail=f"error: {type(error).__name__}: {error}")
        raise
    finish(callback, outcome=outcome, detail=detail)
    return ok


# --- Dispatch --------------------------------------------------------------------------------------


def _handlers() -> dict[str, Callable[..., Reply]]:
    from billing.providers import iyzico, paytr

    return {"paytr": paytr.handle_callback, "iyzico": iyzico.handle_callback}


PROVIDERS = ("paytr", "iyzico")


def handle_callback(
    provider: str, *, body: bytes, headers: Mapping[str, str], remote_addr: str | None = None
) -> Reply:
    """Store, verify and record one callback of ``provider``; returns the answer it expects."""
    handler = _handlers().get(provider)
    if handler is None:
        raise UnknownProvider(
            _("There is no payment provider “%(name)s”.") % {"name": provider}, code="unknown_provider"
        )
    return handler(body, headers=headers, remote_addr=remote_addr)
