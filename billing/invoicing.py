"""Issuing invoices and credit notes: the only code that writes them.

Amounts come from the order as it was sold. Orders store KDV-inclusive line totals (after the
line's own discount and its share of the order discount, ``orders.pricing``); an invoice line takes
the part of that total its quantity accounts for, and splits it into net and KDV with
``oms.money.tax_included`` (half-up to kuruş, the one rounding rule). Partial quantities take their
share rounded, and the last invoice of a line takes what is left, so the invoices of an order add
up to its total to the kuruş. The shipping fee goes on the order's first invoice.

Numbers are gap-free per series and year (``oms.sequences.next_number``: the counter row stays
locked until the issuing transaction commits; a failed issue gives its number back). Each
document carries a ``source_key``: the same order, event or request can never issue twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import (
    BillingAccount,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceProfile,
    InvoiceStatus,
    PaymentTerms,
    SellerProfile,
    due_date_for,
)
from oms.errors import Conflict, DomainError, InvalidInput
from oms.events import emit
from oms.identity import validate_tax_number
from oms.money import ZERO, round_money, tax_included
from oms.sequences import next_number
from orders.models import Order, PaymentMethod

SHIPPING_TAX_RATE = 20
# GİB: an e-archive invoice to a consumer who gave no T.C. identity number carries this one.
ANONYMOUS_TCKN = "11111111111"
# 0 % KDV needs an exemption code on the line (GİB list); 351 = "İstisna olmayan diğer".
DEFAULT_EXEMPTION = ("351", "KDV - İstisna Olmayan Diğer")
NUMBER_WIDTH = 9  # ABC + year + 9 digits = the 16 characters of a UBL-TR invoice ID
QUANTITY = Decimal("0.001")
UNIT_PRICE = Decimal("0.000001")


class NothingToInvoice(DomainError):
    code = "nothing_to_invoice"
    status = 409
    title = _("Nothing to invoice")


class BillingSetupMissing(DomainError):
    code = "billing_setup_missing"
    status = 409
    title = _("Billing is not set up")


# --- Seller and buyer --------------------------------------------------------------------------------


def current_seller() -> SellerProfile:
    """The seller profile; made once from ``settings.COMPANY`` (the ``COMPANY_*`` environment)."""
    from oms.pdf import company

    seller = SellerProfile.objects.order_by("pk").first()
    if seller is not None:
        return seller
    info = company()
    return SellerProfile.objects.create(
        legal_name=info.get("name") or "",
        tax_number=(info.get("tax_number") or "")[:10],
        tax_office=info.get("tax_office") or "",
        address_line=info.get("address") or "",
        district=info.get("district") or "",
        city=info.get("province") or "",
        phone=info.get("phone") or "",
        email=info.get("email") or "",
        website=info.get("website") or "",
    )


def _check_seller(seller: SellerProfile) -> None:
    problems = []
    if not seller.legal_name:
        problems.append(_("legal name"))
    try:
        validate_tax_number(seller.tax_number)
    except ValidationError:
        problems.append(_("VKN"))
    if not seller.tax_office:
        problems.append(_("tax office"))
    if problems:
        raise BillingSetupMissing(
            _("Fill in the seller profile before issuing invoices: %(fields)s.")
            % {"fields": ", ".join(problems)}
        )


def seller_address(seller: SellerProfile) -> str:
    return ", ".join(p for p in [seller.address_line, f"{seller.district} / {seller.city}".strip(" /")] if p)


@dataclass(frozen=True)
class Buyer:
    name: str
    tax_number: str
    tax_office: str
    address: str
    city: str
    district: str
    country: str
    email: str
    alias: str
    einvoice: bool
    commercial: bool


def buyer_for(order: Order, account: BillingAccount | None) -> Buyer:
    """Who the invoice is made out to: the billing account's legal identity when there is one,
    else the order's billing details, else the customer as a consumer (e-archive, anonymous TCKN).

    Raises ``InvalidInput`` for a tax number with a bad checksum (naming it) and for an e-invoice
    registrant without one: GİB would reject the document.
    """
    raw = (account.tax_number if account and account.tax_number else order.bill_tax_number) or ""
    einvoice = bool(account and account.einvoice_registrant)
    if raw:
        try:
            tax_number = validate_tax_number(raw)
        except ValidationError as error:
            raise InvalidInput(
                _("The buyer's tax number %(number)s is not valid: %(reason)s")
                % {"number": raw, "reason": " ".join(error.messages)},
                code="invalid_tax_number",
            ) from error
    elif einvoice:
        raise InvalidInput(
            _("Customer %(customer)s is an e-invoice registrant but has no VKN/TCKN.")
            % {"customer": order.customer_name},
            code="tax_number_required",
        )
    else:
        tax_number = ANONYMOUS_TCKN
    line = order.bill_line or order.ship_line
    city = order.bill_city or order.ship_city
    district = order.bill_district if order.bill_line else order.ship_district
    return Buyer(
        name=((account.legal_name if account else "") or order.bill_name or order.customer_name)[:200],
        tax_number=tax_number,
        tax_office=((account.tax_office if account else "") or order.bill_tax_office)[:80],
        address=", ".join(p for p in [line, f"{district} / {city}".strip(" /")] if p)[:400],
        city=city[:80],
        district=(district or "")[:80],
        country=(order.bill_country or order.ship_country or "TR")[:2],
        email=((account.invoice_email if account else "") or order.customer_email)[:254],
        alias=(account.einvoice_alias if account else "")[:120],
        einvoice=einvoice,
        commercial=bool(account and account.commercial_profile),
    )


def profile_for(buyer: Buyer) -> str:
    if not buyer.einvoice:
        return InvoiceProfile.EARCHIVE
    return InvoiceProfile.COMMERCIAL if buyer.commercial else InvoiceProfile.BASIC


def series_for(seller: SellerProfile, *, profile: str, credit_note: bool) -> str:
    if credit_note:
        return seller.credit_note_series
    return seller.earchive_series if profile == InvoiceProfile.EARCHIVE else seller.einvoice_series


# --- Payment references --------------------------------------------------------------------------


def payment_reference(order: Order) -> str:
    """What a customer writes in a bank transfer's description: the order number without dashes
    and two check digits (ISO 7064 mod 97-10, as IBANs), so a mistyped reference is never matched
    to another order. ``SIP-2026-000370`` -> ``SIP202600037052``-like."""
    base = "".join(ch for ch in order.number if ch.isalnum()).upper()
    return base + _check_digits(base)


def _check_digits(base: str) -> str:
    digits = "".join(str(int(ch, 36)) for ch in base)  # letters as 10..35, as IBAN does
    return f"{98 - (int(digits) * 100) % 97:02d}"


def is_valid_reference(reference: str) -> bool:
    reference = reference.upper()
    return len(reference) > 2 and reference[:-2].isalnum() and _check_digits(reference[:-2]) == reference[-2:]


# --- What is billable -------------------------------------------------------------------------------


@dataclass
class Draft:
    """An invoice or credit note before it is written (``preview`` shows it, ``_write`` stores it)."""

    order: Order
    buyer: Buyer
    lines: list[InvoiceLine] = field(default_factory=list)

    @property
    def payable(self) -> Decimal:
        return sum((line.gross_total for line in self.lines), ZERO)


def _invoiced(order: Order) -> tuple[dict[int, tuple[Decimal, Decimal]], bool]:
    """Per order line: (quantity, gross) invoiced net of credit notes; and whether the shipping fee
    is on an invoice already (and not credited)."""
    rows = (
        InvoiceLine.objects.filter(invoice__order=order)
        .values("order_line_id", "is_shipping", "invoice__kind")
        .annotate(quantity=Sum("quantity"), gross=Sum("gross_total"))
        .order_by()
    )
    per_line: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    shipping = Decimal(0)
    for row in rows:
        sign = -1 if row["invoice__kind"] == InvoiceKind.CREDIT_NOTE else 1
        if row["is_shipping"]:
            shipping += sign * row["quantity"]
        elif row["order_line_id"]:
            per_line[row["order_line_id"]][0] += sign * row["quantity"]
            per_line[row["order_line_id"]][1] += sign * row["gross"]
    return {pk: (q, g) for pk, (q, g) in per_line.items()}, shipping > 0


def _split(gross: Decimal, rate: int) -> tuple[Decimal, Decimal]:
    """(net, KDV) of a KDV-inclusive amount."""
    tax = tax_included(gross, rate)
    return gross - tax, tax


def _line(
    *, position: int, gross: Decimal, quantity: Decimal, rate: int, description: str, sku: str = "", **extra
) -> InvoiceLine:
    net, tax = _split(gross, rate)
    discount_gross = extra.pop("discount_gross", ZERO)
    discount = discount_gross - tax_included(discount_gross, rate) if discount_gross else ZERO
    exemption = DEFAULT_EXEMPTION if rate == 0 else ("", "")
    return InvoiceLine(
        position=position,
        sku=sku[:64],
        description=description[:255],
        quantity=quantity.quantize(QUANTITY),
        unit_price=((net + discount) / quantity).quantize(UNIT_PRICE),
        gross_total=gross,
        discount=discount,
        net_total=net,
        tax_rate=rate,
        tax_amount=tax,
        exemption_code=exemption[0],
        exemption_reason=exemption[1],
        **extra,
    )


def balance_taxes(lines: list[InvoiceLine]) -> list[InvoiceLine]:
    """Make each KDV rate's total exact: the KDV of the rate's summed amount, not the sum of
    per-line roundings (20 lines of 10.00 at 20 % carry 33.33 KDV, not 20 x 1.67 = 33.40: GİB's
    check compares base x rate with the amount). The difference, a few kuruş at most, goes to the
    largest lines one kuruş each; every line still adds up (net + KDV = its amount)."""
    cent = Decimal("0.01")
    by_rate: dict[int, list[InvoiceLine]] = defaultdict(list)
    for line in lines:
        by_rate[line.tax_rate].append(line)
    for rate, group in by_rate.items():
        gross = sum((line.gross_total for line in group), ZERO)
        difference = tax_included(gross, rate) - sum((line.tax_amount for line in group), ZERO)
        step = cent if difference > 0 else -cent
        for line in sorted(group, key=lambda item: (-item.gross_total, item.position)) * 2:
            if not difference:
                break
            if line.tax_amount + step < 0 or line.net_total - step < 0:
                continue
            line.tax_amount += step
            line.net_total -= step
            line.unit_price = ((line.net_total + line.discount) / line.quantity).quantize(UNIT_PRICE)
            difference -= step
    return lines


def _share(total: Decimal, part: Decimal, whole: Decimal, *, last: bool, done: Decimal) -> Decimal:
    """``part`` of ``whole`` units of a ``total``; the last share takes what is left (exact sums)."""
    return total - done if last else round_money(total * part / whole)


def billable_lines(
    order: Order, *, quantities: dict[int, int] | None = None, shipping: bool | None = None, cap: bool = False
) -> list[InvoiceLine]:
    """The invoice lines for ``quantities`` ({order line id: units}; default: every unit sold and
    not invoiced yet, cancelled units excluded) plus the shipping fee on the first invoice."""
    invoiced, shipping_done = _invoiced(order)
    lines: list[InvoiceLine] = []
    for order_line in order.lines.order_by("pk"):
        done_quantity, done_gross = invoiced.get(order_line.pk, (Decimal(0), Decimal(0)))
        sold = order_line.quantity - order_line.quantity_cancelled
        open_quantity = Decimal(sold) - done_quantity
        wanted = Decimal(quantities.get(order_line.pk, 0)) if quantities is not None else open_quantity
        if cap:  # what an event asks for, less what was invoiced meanwhile (by hand, say)
            wanted = min(wanted, open_quantity)
        if wanted <= 0:
            continue
        if wanted > open_quantity:
            raise InvalidInput(
                _("Line %(sku)s: %(wanted)s to invoice but only %(open)s not invoiced yet.")
                % {"sku": order_line.sku, "wanted": wanted, "open": open_quantity},
                code="over_invoiced",
            )
        last = wanted == open_quantity and sold == order_line.quantity
        gross = _share(order_line.total, wanted, Decimal(order_line.quantity), last=last, done=done_gross)
        discount_gross = round_money(order_line.discount * wanted / order_line.quantity)
        lines.append(
            _line(
                position=len(lines) + 1,
                gross=gross,
                quantity=wanted,
                rate=order_line.tax_rate,
                description=order_line.name,
                sku=order_line.sku,
                order_line=order_line,
                discount_gross=discount_gross,
            )
        )
    with_shipping = (not shipping_done) if shipping is None else shipping
    if with_shipping and order.shipping_fee > 0 and (lines or shipping):
        lines.append(
            _line(
                position=len(lines) + 1,
                gross=order.shipping_fee,
                quantity=Decimal(1),
                rate=SHIPPING_TAX_RATE,
                description=_("Shipping"),
                is_shipping=True,
            )
        )
    return balance_taxes(lines)


# --- Issuing -----------------------------------------------------------------------------------------


def _account(customer_id: int) -> BillingAccount | None:
    return BillingAccount.objects.filter(customer_id=customer_id).first()


def _taxes(lines: list[InvoiceLine]) -> list[dict]:
    by_rate: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for line in lines:
        by_rate[line.tax_rate][0] += line.net_total
        by_rate[line.tax_rate][1] += line.tax_amount
    return [
        {"rate": rate, "base": str(base), "tax": str(tax)} for rate, (base, tax) in sorted(by_rate.items())
    ]


def _write(
    *,
    order: Order,
    buyer: Buyer,
    lines: list[InvoiceLine],
    source_key: str,
    kind: str,
    original: Invoice | None,
    user,
    reason: str = "",
    account: BillingAccount | None = None,
) -> Invoice:
    seller = current_seller()
    _check_seller(seller)
    credit = kind == InvoiceKind.CREDIT_NOTE
    profile = profile_for(buyer)
    if original is not None:
        # A credit note stays on its original's side (e-invoice or e-archive), but GİB accepts the
        # IADE type only under TEMELFATURA or EARSIVFATURA (schematron InvoiceTypeCodeCheck).
        profile = InvoiceProfile.BASIC if original.profile == InvoiceProfile.COMMERCIAL else original.profile
    issue_date = timezone.localdate()
    line_total = sum((line.net_total for line in lines), ZERO)
    tax_total = sum((line.tax_amount for line in lines), ZERO)
    terms = account.payment_terms if account else PaymentTerms.PREPAID
    due = None
    if not credit:
        if terms != PaymentTerms.PREPAID:
            due = due_date_for(terms, issue_date)
        elif order.payment_method in (PaymentMethod.BANK_TRANSFER, PaymentMethod.ON_ACCOUNT):
            due = issue_date
    invoice = Invoice(
        number=next_number(
            series_for(seller, profile=profile, credit_note=credit),
            width=NUMBER_WIDTH,
            separator="",
            year=issue_date.year,
        ),
        uuid=uuid.uuid4(),
        kind=kind,
        profile=profile,
        original=original,
        order=order,
        customer_id=order.customer_id,
        source_key=source_key[:64],
        reason=reason[:255],
        issue_date=issue_date,
        issued_by=user if getattr(user, "pk", None) else None,
        due_date=due,
        seller_name=seller.legal_name,
        seller_tax_number=seller.tax_number,
        seller_tax_office=seller.tax_office,
        seller_address=seller_address(seller)[:400],
        buyer_name=buyer.name,
        buyer_tax_number=buyer.tax_number,
        buyer_tax_office=buyer.tax_office,
        buyer_address=buyer.address,
        buyer_city=buyer.city,
        buyer_district=buyer.district,
        buyer_country=buyer.country,
        buyer_email=buyer.email,
        buyer_alias=buyer.alias,
        currency=order.currency,
        line_total=line_total,
        discount_total=sum((line.discount for line in lines), ZERO),
        tax_total=tax_total,
        payable=line_total + tax_total,
        taxes=_taxes(lines),
        note=(account.invoice_note if account else "")[:500],
        payment_method=order.payment_method,
        payment_reference=payment_reference(order),
        status=InvoiceStatus.ISSUED if credit else InvoiceStatus.OPEN,
    )
    try:
        with transaction.atomic():  # a savepoint: a duplicate source leaves the caller's transaction usable
            invoice.save(force_insert=True)
    except IntegrityError as error:
        if Invoice.objects.filter(source_key=invoice.source_key).exists():
            raise Conflict(
                _("This has been invoiced already (%(source)s).") % {"source": invoice.source_key},
                code="already_invoiced",
            ) from error
        raise
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    if not credit:
        from billing.payments import allocate_to_invoices  # payments builds on this module

        allocate_to_invoices(order.pk)  # money received before the invoice (a card at checkout)
        invoice.refresh_from_db(fields=["paid_total", "status"])
    emit(
        "invoice.credit_note_issued" if credit else "invoice.issued",
        subject=invoice,
        actor=user,
        message=f"{invoice.number} {invoice.payable} {invoice.currency}",
        data={"order": order.number, "source": invoice.source_key},
    )
    emit(
        "order.credit_note_issued" if credit else "order.invoiced",
        subject=order,
        actor=user,
        message=invoice.number,
        data={"invoice": invoice.pk, "number": invoice.number, "amount": str(invoice.payable)},
    )
    return invoice


@transaction.atomic
def issue_invoice(
    order: Order | int,
    *,
    user=None,
    quantities: dict[int, int] | None = None,
    source_key: str | None = None,
    cap: bool = False,
) -> Invoice:
    """Invoice ``quantities`` of the order (default: all not yet invoiced). ``source_key`` names
    what asked for it (an event, a request); the same key never issues twice (``Conflict``).
    ``cap``: quantities beyond what is still open are cut to it instead of refused (automatic
    invoicing of a shipment whose units were invoiced by hand). Raises ``NothingToInvoice`` when
    nothing is billable."""
    order = Order.objects.select_for_update().get(pk=order if isinstance(order, int) else order.pk)
    account = _account(order.customer_id)
    buyer = buyer_for(order, account)
    lines = billable_lines(order, quantities=quantities, cap=cap)
    if not lines:
        raise NothingToInvoice(
            _("Order %(number)s has nothing left to invoice.") % {"number": order.number}, order=order.number
        )
    # Under the order's row lock: the nth invoice of the order has key "order:<id>:<n>".
    key = source_key or f"order:{order.pk}:{Invoice.objects.filter(order=order).count() + 1}"
    return _write(
        order=order,
        buyer=buyer,
        lines=lines,
        source_key=key,
        kind=InvoiceKind.INVOICE,
        original=None,
        user=user,
        account=account,
    )


def _credit_lines(original: Invoice, quantities: dict[int, Decimal] | None) -> list[InvoiceLine]:
    """Lines of a credit note against ``original``: ``quantities`` per original invoice line id
    (default: everything not credited yet), each taking its share of the original line's amount."""
    credited: dict[tuple[int | None, bool], tuple[Decimal, Decimal]] = {}
    for row in (
        InvoiceLine.objects.filter(invoice__original=original)
        .values("order_line_id", "is_shipping")
        .annotate(quantity=Sum("quantity"), gross=Sum("gross_total"))
        .order_by()
    ):
        credited[(row["order_line_id"], row["is_shipping"])] = (row["quantity"], row["gross"])
    lines: list[InvoiceLine] = []
    for source in original.lines.order_by("position"):
        done_quantity, done_gross = credited.get((source.order_line_id, source.is_shipping), (ZERO, ZERO))
        open_quantity = source.quantity - done_quantity
        wanted = Decimal(quantities.get(source.pk, 0)) if quantities is not None else open_quantity
        if wanted <= 0:
            continue
        if wanted > open_quantity:
            raise InvalidInput(
                _("Line %(line)s: %(wanted)s to credit but only %(open)s on the invoice not credited yet.")
                % {"line": source.description, "wanted": wanted, "open": open_quantity},
                code="over_credited",
            )
        gross = _share(
            source.gross_total, wanted, source.quantity, last=wanted == open_quantity, done=done_gross
        )
        lines.append(
            _line(
                position=len(lines) + 1,
                gross=gross,
                quantity=wanted,
                rate=source.tax_rate,
                description=source.description,
                sku=source.sku,
                order_line_id=source.order_line_id,
                is_shipping=source.is_shipping,
            )
        )
    return balance_taxes(lines)


@transaction.atomic
def issue_credit_note(
    invoice: Invoice | int,
    *,
    reason: str,
    user=None,
    quantities: dict[int, Decimal] | None = None,
    source_key: str | None = None,
) -> Invoice:
    """A credit note (e-invoice type IADE) against an issued invoice: for ``quantities`` of its
    lines (``{invoice line id: quantity}``) or everything not credited yet. Never more than the
    invoice: per line and in total. The invoice's credited amount and status follow."""
    original = Invoice.objects.select_for_update().get(pk=invoice if isinstance(invoice, int) else invoice.pk)
    if original.is_credit_note:
        raise InvalidInput(_("A credit note is issued against an invoice, not another credit note."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput(_("Say why the credit note is issued."), code="reason_required")
    lines = _credit_lines(original, quantities)
    if not lines:
        raise NothingToInvoice(
            _("Invoice %(number)s is fully credited already.") % {"number": original.number}
        )
    amount = sum((line.gross_total for line in lines), ZERO)
    if original.credited_total + amount > original.payable:
        raise InvalidInput(
            _("The credit note (%(amount)s) would exceed what is left of invoice %(number)s (%(left)s).")
            % {
                "amount": amount,
                "number": original.number,
                "left": original.payable - original.credited_total,
            },
            code="credit_exceeds_invoice",
        )
    order = Order.objects.select_for_update().get(pk=original.order_id)
    buyer = Buyer(
        name=original.buyer_name,
        tax_number=original.buyer_tax_number,
        tax_office=original.buyer_tax_office,
        address=original.buyer_address,
        city=original.buyer_city,
        district=original.buyer_district,
        country=original.buyer_country,
        email=original.buyer_email,
        alias=original.buyer_alias,
        einvoice=original.profile != InvoiceProfile.EARCHIVE,
        commercial=original.profile == InvoiceProfile.COMMERCIAL,
    )
    note = _write(
        order=order,
        buyer=buyer,
        lines=lines,
        source_key=source_key or f"credit:{original.pk}:{uuid.uuid4().hex[:12]}",
        kind=InvoiceKind.CREDIT_NOTE,
        original=original,
        user=user,
        reason=reason,
    )
    original.credited_total += amount
    original.status = settlement_status(original)
    original.save(update_fields=["credited_total", "status", "updated_at"])
    if original.order_id:
        from billing.payments import allocate_to_invoices

        allocate_to_invoices(original.order_id)  # what was paid for the credited part moves on
    return note


def settlement_status(invoice: Invoice) -> str:
    """The status an invoice's paid and credited amounts give it."""
    if invoice.is_credit_note:
        return InvoiceStatus.ISSUED
    if invoice.credited_total >= invoice.payable:
        return InvoiceStatus.CREDITED
    if invoice.paid_total + invoice.credited_total >= invoice.payable:
        return InvoiceStatus.PAID
    if invoice.paid_total > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.OPEN


@transaction.atomic
def mark_sent(invoice: Invoice | int, *, user=None, to: str = "") -> Invoice:
    """The invoice went to the customer (e-mail through the notifications outbox, or by hand)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice if isinstance(invoice, int) else invoice.pk)
    invoice.sent_at = timezone.now()
    invoice.save(update_fields=["sent_at", "updated_at"])
    emit("invoice.sent", subject=invoice, actor=user, message=to[:255])
    return invoice
