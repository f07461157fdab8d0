"""Quotes: totals as orders compute them, numbers, statuses, expiry, one-step conversion into an
order (stock reserved, idempotent, refused when expired or without an address), PDF."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from billing.credit import credit_check
from billing.models import PaymentTerms, Quote, QuoteEvent, QuoteLine, QuoteStatus
from billing.quotes import (
    QuoteLineData,
    accept_quote,
    convert_to_order,
    decline_quote,
    expire_quotes,
    quote_pdf,
    save_quote,
    send_quote,
)
from inventory.models import StockLevel
from oms.errors import Conflict, IllegalTransition, InvalidInput
from orders import risk
from orders.models import Customer, CustomerAddress, Order, OrderStatus
from orders.pricing import TotalsLine, order_totals
from tests.billing.factories import make_account, make_seller
from tests.factories import make_user
from tests.inventory.factories import make_variant, stocked
from tests.orders.factories import make_channel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def b2b():
    return make_channel(type="b2b", price_tolerance=Decimal("100"))


@pytest.fixture
def customer():
    customer = Customer.objects.create(company="Kaya İnşaat Ltd.", email="satinalma@kaya.com.tr")
    CustomerAddress.objects.create(
        customer=customer,
        full_name="Kaya İnşaat Depo",
        address_line="Sanayi Cad. 12",
        district="Çankaya",
        province_id=6,
        postal_code="06100",
        is_default_shipping=True,
    )
    return customer


def _variant(price="100.00", rate=20, stock=10):
    variant = make_variant(list_price=Decimal(price))
    variant.product.tax_rate = rate
    variant.product.save(update_fields=["tax_rate"])
    if stock:
        stocked(stock, variant=variant)
    return variant


def _quote(customer, channel, lines=None, **fields):
    lines = [QuoteLineData(_variant(), 3, Decimal("90.00"))] if lines is None else lines
    return save_quote(
        customer=customer,
        channel=channel,
        valid_until=fields.pop("valid_until", timezone.localdate() + timedelta(days=14)),
        lines=lines,
        **fields,
    )


def test_totals_follow_the_order_rules_to_the_kurus_and_numbers_come_from_the_quote_series(customer, b2b):
    make_seller(quote_series="TKL")
    a, b = _variant("99.99", 20), _variant("45.50", 10)
    quote = _quote(
        customer,
        b2b,
        [QuoteLineData(a, 3, "89.99", "5.00"), QuoteLineData(b, 2, None)],
        discount="10.00",
        shipping_fee="29.90",
    )
    expected = order_totals(
        [
            TotalsLine(Decimal("89.99"), 3, Decimal("5.00"), 20),
            TotalsLine(Decimal("45.50"), 2, Decimal(0), 10),
        ],
        discount=Decimal("10.00"),
        shipping_fee=Decimal("29.90"),
        currency="TRY",
    )
    assert (quote.subtotal, quote.tax_total, quote.grand_total) == (
        expected.subtotal,
        expected.tax_total,
        expected.grand_total,
    )
    lines = list(quote.lines.order_by("position"))
    assert [line.unit_price for line in lines] == [Decimal("89.99"), Decimal("45.50")]  # None: list price
    assert [line.total for line in lines] == expected.line_totals
    assert [line.tax_rate for line in lines] == [20, 10]
    year = timezone.localdate().year
    assert quote.number == f"TKL-{year}-00001"
    assert _quote(customer, b2b).number == f"TKL-{year}-00002"


def test_prices_outside_the_channels_tolerance_are_refused_when_the_quote_is_written(customer):
    web = make_channel(price_tolerance=Decimal("10"))
    with pytest.raises(InvalidInput, match=r"20\.0% off the price list") as error:
        _quote(customer, web, [QuoteLineData(_variant("100.00"), 1, "80.00")])
    assert error.value.code == "price_out_of_tolerance"
    assert not Quote.objects.exists()


def test_bad_input_is_refused_and_nothing_is_written(customer, b2b):
    variant = _variant()
    for lines, kwargs in [
        ([], {}),
        ([QuoteLineData(variant, 0, "10")], {}),
        ([QuoteLineData(variant, 1, "-1")], {}),
        ([QuoteLineData(variant, 1, "10", "11")], {}),
        ([QuoteLineData(variant, 1, "10")], {"discount": "11"}),
        ([QuoteLineData(variant, 1, "10")], {"valid_until": timezone.localdate() - timedelta(days=1)}),
    ]:
        with pytest.raises(InvalidInput):
            _quote(customer, b2b, lines, **kwargs)
    assert not Quote.objects.exists()
    assert not QuoteLine.objects.exists()


def test_editing_a_sent_quote_makes_it_a_draft_and_replaces_its_lines(customer, b2b):
    quote = send_quote(_quote(customer, b2b))
    assert quote.status == QuoteStatus.SENT
    variant = _variant("50.00")
    edited = save_quote(
        quote=quote,
        customer=customer,
        channel=b2b,
        valid_until=quote.valid_until,
        lines=[QuoteLineData(variant, 4, "50.00")],
    )
    assert edited.status == QuoteStatus.DRAFT
    assert [(line.variant_id, line.quantity) for line in edited.lines.all()] == [(variant.pk, 4)]
    assert edited.grand_total == Decimal("200.00")
    assert edited.number == quote.number
    accept_quote(send_quote(edited))
    with pytest.raises(IllegalTransition):
        save_quote(quote=quote, customer=customer, channel=b2b, valid_until=quote.valid_until, lines=[])


def test_statuses_and_their_timeline(customer, b2b):
    quote = _quote(customer, b2b)
    send_quote(quote, to="satinalma@kaya.com.tr")
    decline_quote(quote, reason="Too expensive")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DECLINED
    with pytest.raises(IllegalTransition):
        accept_quote(quote)
    names = list(QuoteEvent.objects.filter(subject=quote).order_by("pk").values_list("name", flat=True))
    assert names == ["quote.created", "quote.sent", "quote.declined"]
    assert QuoteEvent.objects.get(subject=quote, name="quote.declined").message == "Too expensive"


def test_expire_quotes_expires_sent_and_accepted_ones_past_validity_only(customer, b2b):
    today = timezone.localdate()
    sent = send_quote(_quote(customer, b2b, valid_until=today))
    accepted = accept_quote(send_quote(_quote(customer, b2b, valid_until=today + timedelta(days=1))))
    draft = _quote(customer, b2b, valid_until=today)
    valid = send_quote(_quote(customer, b2b, valid_until=today + timedelta(days=5)))
    assert expire_quotes(today + timedelta(days=1)) == 1
    assert expire_quotes(today + timedelta(days=2)) == 1
    assert expire_quotes(today + timedelta(days=2)) == 0
    statuses = {q.pk: q.status for q in Quote.objects.all()}
    assert statuses == {
        sent.pk: QuoteStatus.EXPIRED,
        accepted.pk: QuoteStatus.EXPIRED,
        draft.pk: QuoteStatus.DRAFT,
        valid.pk: QuoteStatus.SENT,
    }


def test_convert_creates_the_order_with_quote_prices_reserves_stock_and_is_idempotent(customer, b2b):
    make_account(customer, payment_terms=PaymentTerms.NET_30)
    variant = _variant("100.00", stock=10)
    quote = accept_quote(
        send_quote(_quote(customer, b2b, [QuoteLineData(variant, 3, "75.00")], shipping_fee="20"))
    )
    user = make_user(role="operator")
    order = convert_to_order(quote, user=user)
    quote.refresh_from_db()
    assert (quote.status, quote.order_id) == (QuoteStatus.CONVERTED, order.pk)
    order.refresh_from_db()
    assert order.customer_id == customer.pk
    assert order.channel_id == b2b.pk
    assert order.payment_method == "on_account"
    assert order.grand_total == quote.grand_total == Decimal("245.00")
    assert order.ship_line == "Sanayi Cad. 12"
    assert order.ship_city == "Ankara"
    assert order.channel_order_id == quote.number
    assert [(line.unit_price, line.quantity) for line in order.lines.all()] == [(Decimal("75.00"), 3)]
    assert order.status == OrderStatus.ALLOCATED
    assert sum(StockLevel.objects.filter(variant=variant).values_list("reserved", flat=True)) == 3
    assert order.created_by == user
    # twice: the same order, nothing more reserved
    assert convert_to_order(quote, user=user).pk == order.pk
    assert Order.objects.filter(customer=customer).count() == 1
    assert sum(StockLevel.objects.filter(variant=variant).values_list("reserved", flat=True)) == 3
    assert QuoteEvent.objects.filter(subject=quote, name="quote.converted").count() == 1


def test_an_expired_quote_cannot_be_converted(customer, b2b):
    quote = send_quote(_quote(customer, b2b, valid_until=timezone.localdate()))
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    with pytest.raises(Conflict, match="expired"):
        convert_to_order(quote)
    expire_quotes()
    with pytest.raises(IllegalTransition):
        convert_to_order(quote)
    assert not Order.objects.exists()
    quote.refresh_from_db()
    assert quote.order_id is None


def test_without_a_default_shipping_address_conversion_is_refused_clearly(b2b):
    customer = Customer.objects.create(company="Adressiz A.Ş.", email="a@adressiz.com.tr")
    quote = _quote(customer, b2b)
    with pytest.raises(InvalidInput, match="has no default shipping address"):
        convert_to_order(quote)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT
    assert not Order.objects.exists()


def test_converted_on_account_order_over_the_credit_limit_waits_for_approval(customer, b2b):
    make_account(customer, payment_terms=PaymentTerms.NET_30, credit_limit=Decimal("100.00"))
    added = credit_check not in risk.APPROVAL_CHECKS
    risk.register_approval_check(credit_check)
    try:
        quote = _quote(customer, b2b, [QuoteLineData(_variant(), 2, "100.00")])
        user = make_user(role="operator")
        order = convert_to_order(quote, user=user)
    finally:
        if added:
            risk.APPROVAL_CHECKS.remove(credit_check)
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD
    assert order.approval_reasons[0]["code"] == "credit_limit"
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.CONVERTED


def test_quote_pdf_renders(customer, b2b):
    make_seller()
    pdf = quote_pdf(_quote(customer, b2b))
    assert pdf.startswith(b"%PDF")
