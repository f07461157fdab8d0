"""Quotes (teklif): an offer of lines and prices to a (B2B) customer, valid until a date, that
converts into an order in one step.

Totals follow the orders' rules exactly (``orders.pricing.order_totals``: prices include KDV, the
quote discount is spread over the lines, shipping carries 20 % KDV), so the order a quote becomes
has the quote's totals to the kuruş. Numbers come from the seller's quote series
(``TKL-2026-00001``, ``oms.sequences.next_number``).

Statuses follow ``billing.models.QUOTE_TRANSITIONS``: a draft is edited and sent; a sent quote is
accepted, declined, expires after its validity (daily job ``expire_quotes``) or goes back to draft
when it is edited; an accepted or sent (or draft) quote converts into an order.

Conversion (``convert_to_order``) runs the real intake (``orders.services.create_order``) with the
quote's channel, customer, default shipping address, payment method and unit prices, then marks
the quote converted with its order, all in one transaction; converting twice returns the same
order. The order number of the channel is the quote number, so intake's own duplicate check guards
it too. Intake refuses a unit price further from the price list than the channel's price
tolerance: a quote's lines are checked against the same rule when the quote is written, so a
quote that cannot convert is refused early, with the tolerance named (B2B price lists belong on a
channel of type B2B with a wide tolerance, or in its channel prices). Stock is reserved by
intake's allocation; an on-account order that needs approval (credit limit, no terms) is held and
reserves its stock when approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import QUOTE_TRANSITIONS, BillingAccount, Quote, QuoteLine, QuoteStatus, SellerProfile
from channels.models import ChannelPrice, SalesChannel
from inventory.models import Variant
from oms.errors import Conflict, InvalidInput
from oms.events import emit
from oms.money import CURRENCIES, round_money, to_decimal
from oms.sequences import next_number
from oms.states import check_transition
from orders.customers import CustomerData
from orders.models import Customer, CustomerAddress, Order, OrderSource, PaymentMethod
from orders.pricing import TotalsLine, order_totals

MAX_LINES = 200
QUOTE_NUMBER_WIDTH = 5
EDITABLE = (QuoteStatus.DRAFT, QuoteStatus.SENT, QuoteStatus.EXPIRED)  # editing a sent one re-drafts it
CONVERTIBLE = (QuoteStatus.DRAFT, QuoteStatus.SENT, QuoteStatus.ACCEPTED)


@dataclass
class QuoteLineData:
    variant: Variant | int
    quantity: int
    unit_price: Decimal | str | None = None  # KDV included; None: the channel's price list
    discount: Decimal | str = Decimal(0)


def _money(value, what: str) -> Decimal:
    try:
        amount = round_money(to_decimal(value if value not in (None, "") else 0))
    except (InvalidInput, TypeError):
        raise InvalidInput(_("“%(v)s” is not an amount (%(what)s).") % {"v": value, "what": what}) from None
    if amount < 0:
        raise InvalidInput(_("%(what)s cannot be negative.") % {"what": what}, code="negative_amount")
    return amount


def _lock(quote: Quote | int) -> Quote:
    pk = quote if isinstance(quote, int) else quote.pk
    return Quote.objects.select_for_update().select_related("customer", "channel").get(pk=pk)


def _move(
    quote: Quote, target: str, *, user, event: str, message: str = "", data: dict | None = None
) -> None:
    check_transition(current=quote.status, target=target, allowed=QUOTE_TRANSITIONS, choices=QuoteStatus)
    previous = quote.status
    quote.status = target
    quote.save(update_fields=["status", "updated_at"])
    emit(
        event,
        subject=quote,
        actor=user,
        message=message,
        data={"from": previous, "to": target, **(data or {})},
    )


def _clean_lines(
    lines: list[QuoteLineData], channel: SalesChannel
) -> list[tuple[Variant, int, Decimal, Decimal]]:
    if not lines:
        raise InvalidInput(_("A quote needs at least one line."), code="no_lines")
    if len(lines) > MAX_LINES:
        raise InvalidInput(_("At most %(n)s lines per quote.") % {"n": MAX_LINES}, code="too_many_lines")
    ids = [line.variant if isinstance(line.variant, int) else line.variant.pk for line in lines]
    variants = Variant.objects.select_related("product").in_bulk(ids)
    prices = dict(
        ChannelPrice.objects.filter(channel=channel, variant_id__in=ids).values_list("variant_id", "price")
    )
    out = []
    for position, (line, variant_id) in enumerate(zip(lines, ids, strict=True), start=1):
        variant = variants.get(variant_id)
        if variant is None:
            raise InvalidInput(_("Line %(n)s: unknown product.") % {"n": position}, code="unknown_variant")
        if not (variant.is_active and variant.product.is_active):
            raise InvalidInput(_("“%(sku)s” is not for sale.") % {"sku": variant.sku}, code="not_sellable")
        quantity = line.quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise InvalidInput(
                _("Line %(n)s: the quantity must be a whole number above zero.") % {"n": position},
                code="invalid_quantity",
            )
        list_price = prices.get(variant.pk, variant.list_price)
        what = _("unit price of %(sku)s") % {"sku": variant.sku}
        unit_price = list_price if line.unit_price in (None, "") else _money(line.unit_price, what)
        discount = _money(line.discount, _("discount of %(sku)s") % {"sku": variant.sku})
        if discount > unit_price * quantity:
            raise InvalidInput(
                _("The discount of %(sku)s is larger than the line.") % {"sku": variant.sku},
                code="discount_too_large",
            )
        # The rule intake applies (orders.services._clean_lines): refuse now what could not convert.
        if list_price and channel.price_tolerance is not None:
            drift = abs(unit_price - list_price) / list_price * 100
            if drift > channel.price_tolerance:
                raise InvalidInput(
                    _(
                        "Price %(p)s for %(sku)s is %(d)s%% off the price list (%(l)s); channel %(c)s "
                        "allows %(t)s%%. Quote on a B2B channel with a wider price tolerance, or set its "
                        "channel price."
                    )
                    % {
                        "p": unit_price,
                        "sku": variant.sku,
                        "d": round(drift, 1),
                        "l": list_price,
                        "c": channel.name,
                        "t": channel.price_tolerance,
                    },
                    code="price_out_of_tolerance",
                )
        out.append((variant, quantity, unit_price, discount))
    return out


def _next_quote_number() -> str:
    series = SellerProfile.objects.order_by("pk").values_list("quote_series", flat=True).first() or "TKL"
    return next_number(series, width=QUOTE_NUMBER_WIDTH)


@transaction.atomic
def save_quote(
    *,
    quote: Quote | int | None = None,
    customer: Customer | int,
    channel: SalesChannel | int,
    valid_until: date,
    lines: list[QuoteLineData],
    discount: Decimal | str = Decimal(0),
    shipping_fee: Decimal | str = Decimal(0),
    payment_method: str = PaymentMethod.ON_ACCOUNT,
    note: str = "",
    user=None,
) -> Quote:
    """Create a quote (``quote`` None) or replace an editable one's terms and lines.

    Totals are computed as intake computes an order's. Editing a sent or expired quote makes it a
    draft again (it has to be sent anew). Raises ``InvalidInput`` (bad lines, prices outside the
    channel's tolerance, a validity in the past) and ``IllegalTransition`` (accepted, declined or
    converted quotes are not edited).
    """
    previous = None
    if quote is not None:
        quote = _lock(quote)
        previous = quote.status
        if quote.status not in EDITABLE:
            check_transition(
                current=quote.status, target=QuoteStatus.DRAFT, allowed=QUOTE_TRANSITIONS, choices=QuoteStatus
            )
    channel = channel if isinstance(channel, SalesChannel) else SalesChannel.objects.get(pk=channel)
    customer_id = customer if isinstance(customer, int) else customer.pk
    if not channel.is_active:
        raise InvalidInput(_("Sales channel “%(c)s” is switched off.") % {"c": channel.name})
    if payment_method not in PaymentMethod.values:
        raise InvalidInput(_("Unknown payment method “%(m)s”.") % {"m": payment_method})
    if valid_until < timezone.localdate():
        raise InvalidInput(_("The quote must be valid until today or later."), code="valid_until_past")
    currency = channel.currency
    if currency not in CURRENCIES:
        raise InvalidInput(_("Unknown currency “%(c)s”.") % {"c": currency})
    cleaned = _clean_lines(lines, channel)
    quote_discount = _money(discount, _("discount"))
    fee = _money(shipping_fee, _("shipping fee"))
    totals = order_totals(
        [
            TotalsLine(price, quantity, line_discount, v.product.tax_rate)
            for v, quantity, price, line_discount in cleaned
        ],
        discount=quote_discount,
        shipping_fee=fee,
        currency=currency,
    )
    if totals.problems:
        raise InvalidInput(totals.problems[0], code="discount_too_large")
    if quote is None:
        quote = Quote(number=_next_quote_number(), created_by=user if getattr(user, "pk", None) else None)
    event = "quote.created" if quote._state.adding else "quote.updated"
    quote.customer_id = customer_id
    quote.channel = channel
    quote.valid_until = valid_until
    quote.currency = currency
    quote.discount = quote_discount
    quote.shipping_fee = fee
    quote.subtotal = totals.subtotal
    quote.tax_total = totals.tax_total
    quote.grand_total = totals.grand_total
    quote.payment_method = payment_method
    quote.note = (note or "").strip()
    quote.status = QuoteStatus.DRAFT
    quote.save()
    QuoteLine.objects.filter(quote=quote).delete()
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=quote,
            position=position,
            variant=variant,
            quantity=quantity,
            unit_price=price,
            discount=line_discount,
            tax_rate=variant.product.tax_rate,
            total=line_total,
        )
        for position, ((variant, quantity, price, line_discount), line_total) in enumerate(
            zip(cleaned, totals.line_totals, strict=True), start=1
        )
    )
    data = {"total": str(quote.grand_total), "lines": len(cleaned)}
    if previous and previous != QuoteStatus.DRAFT:
        data["from"] = previous
    emit(event, subject=quote, actor=user, message=f"{quote.grand_total} {currency}", data=data)
    return quote


@transaction.atomic
def send_quote(quote: Quote | int, *, user=None, to: str = "") -> Quote:
    """The quote goes to the customer: status sent and the event ``quote.sent`` (the notifications
    app e-mails the PDF when it exists; until then the panel offers the PDF to send by hand)."""
    quote = _lock(quote)
    if quote.valid_until < timezone.localdate():
        raise Conflict(_("The quote's validity has ended; change the date first."), code="quote_expired")
    _move(quote, QuoteStatus.SENT, user=user, event="quote.sent", message=to[:255], data={"to": to})
    return quote


@transaction.atomic
def accept_quote(quote: Quote | int, *, user=None, note: str = "") -> Quote:
    """The customer accepted (in writing, on the phone ...); refused after the validity."""
    quote = _lock(quote)
    if quote.valid_until < timezone.localdate():
        raise Conflict(_("The quote's validity has ended; it cannot be accepted."), code="quote_expired")
    _move(quote, QuoteStatus.ACCEPTED, user=user, event="quote.accepted", message=note)
    return quote


@transaction.atomic
def decline_quote(quote: Quote | int, *, user=None, reason: str = "") -> Quote:
    """The customer declined; the reason is kept on the quote's timeline."""
    quote = _lock(quote)
    _move(quote, QuoteStatus.DECLINED, user=user, event="quote.declined", message=(reason or "").strip())
    return quote


def expire_quotes(today: date | None = None) -> int:
    """Sent and accepted quotes whose validity ended before ``today`` become expired (daily job);
    returns how many. Quotes being converted right now are skipped (``skip_locked``) and seen
    again tomorrow, if still open."""
    today = today or timezone.localdate()
    count = 0
    with transaction.atomic():
        stale = (
            Quote.objects.select_for_update(skip_locked=True)
            .filter(status__in=[QuoteStatus.SENT, QuoteStatus.ACCEPTED], valid_until__lt=today)
            .order_by("pk")
        )
        for quote in stale:
            _move(
                quote,
                QuoteStatus.EXPIRED,
                user=None,
                event="quote.expired",
                data={"valid_until": str(quote.valid_until)},
            )
            count += 1
    return count


def _address(address: CustomerAddress, *, fallback_name: str, account: BillingAccount | None = None):
    from orders.services import AddressData

    return AddressData(
        name=(address.full_name or fallback_name)[:120],
        phone=address.phone,
        line1=address.address_line,
        neighbourhood=address.neighbourhood,
        district=address.district,
        city=address.province.name if address.province else "",
        postal_code=address.postal_code,
        country=address.country or "TR",
        tax_number=account.tax_number if account else "",
        tax_office=account.tax_office if account else "",
    )


def order_data_for(quote: Quote):
    """The intake payload of a quote's order (``orders.services.OrderData``)."""
    from orders.services import LineData, OrderData

    customer = quote.customer
    name = customer.company or customer.full_name or customer.email
    addresses = list(
        CustomerAddress.objects.select_related("province").filter(
            customer=customer, is_default_shipping=True
        )[:1]
    )
    if not addresses:
        raise InvalidInput(
            _("Customer %(customer)s has no default shipping address: add one before converting the quote.")
            % {"customer": name},
            code="no_shipping_address",
        )
    account = BillingAccount.objects.filter(customer=customer).first()
    billing = (
        CustomerAddress.objects.select_related("province")
        .filter(customer=customer, is_default_billing=True)
        .first()
    )
    bill_name = (account.legal_name if account and account.legal_name else name) or ""
    return OrderData(
        channel=quote.channel.code,
        channel_order_id=quote.number,
        currency=quote.currency,
        lines=[
            LineData(
                sku=line.variant.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
            )
            for line in quote.lines.select_related("variant").order_by("position")
        ],
        customer=CustomerData(
            email=customer.email,
            phone=customer.phone,
            first_name=customer.first_name,
            last_name=customer.last_name,
            company=customer.company,
            language=customer.language,
        ),
        shipping_address=_address(addresses[0], fallback_name=name),
        billing_address=_address(billing, fallback_name=bill_name, account=account) if billing else None,
        payment_method=quote.payment_method,
        discount=quote.discount,
        shipping_fee=quote.shipping_fee,
        notes=_("From quote %(number)s.") % {"number": quote.number}
        + (f"\n{quote.note}" if quote.note else ""),
    )


def convert_to_order(quote: Quote | int, *, user=None) -> Order:
    """Turn the quote into an order through the real intake and link them, in one transaction.

    Idempotent: a converted quote returns its order. Refused (``Conflict``) after the validity,
    for declined quotes (``IllegalTransition``), without a default shipping address
    (``InvalidInput``); intake's own refusals (``OrderInvalid``: price outside the tolerance,
    unknown SKU ...; ``OutOfStock`` when the channel takes no backorders) leave nothing written.
    """
    from orders import services as order_services

    with transaction.atomic():
        quote = _lock(quote)
        if quote.status == QuoteStatus.CONVERTED:
            return quote.order
        if quote.status not in CONVERTIBLE:
            check_transition(
                current=quote.status,
                target=QuoteStatus.CONVERTED,
                allowed=QUOTE_TRANSITIONS,
                choices=QuoteStatus,
            )
        if quote.valid_until < timezone.localdate():
            raise Conflict(
                _("Quote %(number)s expired on %(date)s; renew it before converting.")
                % {"number": quote.number, "date": quote.valid_until.isoformat()},
                code="quote_expired",
            )
        order, _created = order_services.create_order(
            order_data_for(quote), source=OrderSource.PANEL, user=user
        )
        check_transition(
            current=quote.status, target=QuoteStatus.CONVERTED, allowed=QUOTE_TRANSITIONS, choices=QuoteStatus
        )
        previous = quote.status
        quote.status, quote.order = QuoteStatus.CONVERTED, order
        quote.save(update_fields=["status", "order", "updated_at"])  # together: quote_converted_has_order
        emit(
            "quote.converted",
            subject=quote,
            actor=user,
            message=order.number,
            data={"from": previous, "to": QuoteStatus.CONVERTED, "order": order.pk, "number": order.number},
        )
        emit(
            "order.created_from_quote",
            subject=order,
            actor=user,
            message=quote.number,
            data={"quote": quote.pk, "number": quote.number},
        )
    return order


def quote_pdf(quote: Quote) -> bytes:
    from billing.receivables import seller_header
    from oms.pdf import render_pdf

    lines = list(quote.lines.select_related("variant__product").order_by("position"))
    account = BillingAccount.objects.filter(customer_id=quote.customer_id).first()
    seller = SellerProfile.objects.order_by("pk").first()
    return render_pdf(
        "billing/pdf/quote.html",
        {
            "quote": quote,
            "lines": lines,
            "account": account,
            "seller": seller,
            "company": seller_header(),
            "payment_label": PaymentMethod(quote.payment_method).label
            if quote.payment_method in PaymentMethod.values
            else quote.payment_method,
        },
    )
