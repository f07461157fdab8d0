"""B2B panel pages: receivables (table, htmx, CSV), statements (page, PDF), billing accounts and
quotes; who may see and who may change; list pages in a bounded number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from billing.invoicing import issue_invoice
from billing.models import BillingAccount, PaymentTerms, Quote, QuoteStatus
from billing.quotes import QuoteLineData, save_quote
from inventory.models import StockLevel
from orders.customers import CustomerData
from orders.models import Customer, CustomerAddress, Order, OrderStatus
from tests.billing.factories import BUYER_VKN, make_account, make_seller, sold_order
from tests.factories import make_user
from tests.inventory.factories import make_variant, stocked
from tests.orders.factories import make_channel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def seller():
    return make_seller()


@pytest.fixture
def finance(client):
    user = make_user(role="finance", language="en")
    client.force_login(user)
    return user


@pytest.fixture
def operator(client):
    user = make_user(role="operator", language="en")
    client.force_login(user)
    return user


@pytest.fixture
def b2b():
    return make_channel(type="b2b", price_tolerance=Decimal("100"))


def _customer(name="Kaya İnşaat Ltd.", **account):
    customer = Customer.objects.create(company=name, email=f"{name.split()[0].lower()}@example.com")
    make_account(customer, payment_terms=PaymentTerms.NET_30, **account)
    CustomerAddress.objects.create(
        customer=customer,
        address_line="Sanayi Cad. 12",
        district="Çankaya",
        province_id=6,
        postal_code="06100",
        is_default_shipping=True,
    )
    return customer


def _invoice(customer, price="1000.00"):
    contact = CustomerData(email=customer.email, company=customer.company)
    return issue_invoice(sold_order([(1, price, 20)], customer=contact, payment_method="on_account"))


def _variant(price="100.00"):
    variant = make_variant(list_price=Decimal(price))
    stocked(20, variant=variant)
    return variant


def _quote(customer, channel, **fields):
    return save_quote(
        customer=customer,
        channel=channel,
        valid_until=timezone.localdate() + timedelta(days=10),
        lines=fields.pop("lines", None) or [QuoteLineData(_variant(), 2, "90.00")],
        **fields,
    )


# --- Receivables and statements ----------------------------------------------------------------------


def test_receivables_page_shows_the_aging_in_few_queries_and_htmx_gets_the_table(
    client, finance, django_assert_max_num_queries
):
    for i in range(6):
        _invoice(_customer(f"Firma{i} Ltd."), f"{100 + i}.00")
    url = reverse("billing:receivables")
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Firma5 Ltd." in body
    assert "<html" in body
    with django_assert_max_num_queries(10):
        partial = client.get(url, {"q": "Firma3"}, headers={"HX-Request": "true"})
    fragment = partial.content.decode()
    assert "<html" not in fragment
    assert 'id="results"' in fragment
    assert "Firma3 Ltd." in fragment
    assert "Firma4 Ltd." not in fragment


def test_receivables_csv_is_excel_ready(client, finance):
    _invoice(_customer("Acme Ltd."), "1234.50")
    response = client.get(reverse("billing:receivables_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffCustomer;Not due;")
    assert "Acme Ltd.;1234,50;" in body


def test_statement_page_and_pdf(client, finance):
    customer = _customer("Delta Ltd.")
    invoice = _invoice(customer, "500.00")
    url = reverse("billing:statement", args=[customer.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert invoice.number in response.content.decode()
    bad = client.get(url, {"start": "2026-02-01", "end": "2026-01-01"})
    assert bad.status_code == 200
    assert "The period ends before it starts." in bad.content.decode()
    pdf = client.get(reverse("billing:statement_pdf", args=[customer.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_billing_pages_need_the_billing_section(client):
    client.force_login(make_user(role="warehouse", language="en"))
    customer = _customer()
    for url in (
        reverse("billing:receivables"),
        reverse("billing:accounts"),
        reverse("billing:quotes"),
        reverse("billing:statement", args=[customer.pk]),
    ):
        assert client.get(url).status_code == 403


# --- Billing accounts --------------------------------------------------------------------------------


def test_accounts_list_in_few_queries(client, finance, django_assert_max_num_queries):
    for i in range(8):
        _customer(f"Hesap{i} A.Ş.", credit_limit=Decimal("1000"))
    with django_assert_max_num_queries(9):
        response = client.get(reverse("billing:accounts"))
    assert response.status_code == 200
    assert "Hesap7 A.Ş." in response.content.decode()


def test_only_finance_changes_terms_and_limits(client, operator):
    customer = _customer()
    url = reverse("billing:account_edit", args=[customer.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"payment_terms": "net_60", "credit_limit": "5"}).status_code == 403
    assert BillingAccount.objects.get(customer=customer).payment_terms == PaymentTerms.NET_30


def _account_post(**changes):
    data = {
        "legal_name": "Kaya İnşaat Limited Şirketi",
        "tax_number": BUYER_VKN,
        "tax_office": "Çankaya",
        "einvoice_registrant": "on",
        "einvoice_alias": "urn:mail:defaultpk@kaya.com.tr",
        "invoice_email": "fatura@kaya.com.tr",
        "payment_terms": "net_60",
        "credit_limit": "25000.00",
        "currency": "TRY",
        "invoice_note": "",
        "reminders": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_finance_saves_an_account_and_a_bad_vkn_is_refused(client, finance):
    customer = Customer.objects.create(company="Yeni A.Ş.", email="yeni@example.com")
    url = reverse("billing:account_edit", args=[customer.pk])
    assert client.get(url).status_code == 200
    bad = client.post(url, _account_post(tax_number="1234567891"))
    assert bad.status_code == 200
    assert not BillingAccount.objects.filter(customer=customer).exists()
    response = client.post(url, _account_post())
    assert response.status_code == 302
    account = BillingAccount.objects.get(customer=customer)
    assert (account.tax_number, account.payment_terms, account.credit_limit) == (
        BUYER_VKN,
        PaymentTerms.NET_60,
        Decimal("25000.00"),
    )
    assert account.einvoice_registrant


# --- Quotes ------------------------------------------------------------------------------------------


def test_quote_list_filters_and_stays_within_a_query_budget(
    client, operator, b2b, django_assert_max_num_queries
):
    customer, other = _customer("Alfa Ltd."), _customer("Beta Ltd.")
    mine = [_quote(customer, b2b) for _ in range(5)]
    sent = _quote(other, b2b)
    Quote.objects.filter(pk=sent.pk).update(status=QuoteStatus.SENT)
    url = reverse("billing:quotes")
    with django_assert_max_num_queries(7):
        response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert all(quote.number in body for quote in [*mine, sent])
    partial = client.get(url, {"status": "sent"}, headers={"HX-Request": "true"}).content.decode()
    assert sent.number in partial
    assert "<html" not in partial
    by_customer = client.get(url, {"customer": customer.pk}).content.decode()
    assert sent.number not in by_customer
    assert mine[0].number in by_customer


def _quote_post(customer, channel, lines, **fields):
    data = {
        "customer": customer.pk,
        "channel": channel.pk,
        "valid_until": (timezone.localdate() + timedelta(days=20)).isoformat(),
        "payment_method": "on_account",
        "discount": "0",
        "shipping_fee": "0",
        "note": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    for i, (sku, quantity, price) in enumerate(lines):
        data.update(
            {f"lines-{i}-sku": sku, f"lines-{i}-quantity": str(quantity), f"lines-{i}-unit_price": price}
        )
    data.update(fields)
    return data


def test_an_operator_writes_sends_and_converts_a_quote_from_the_panel(client, operator, b2b):
    customer = _customer()
    variant = _variant("100.00")
    response = client.post(
        reverse("billing:quote_create"), _quote_post(customer, b2b, [(variant.sku, 3, "80.00")])
    )
    assert response.status_code == 302
    quote = Quote.objects.get()
    assert quote.grand_total == Decimal("240.00")
    assert response["Location"] == reverse("billing:quote_detail", args=[quote.pk])
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert quote.number in detail.content.decode()
    assert client.post(reverse("billing:quote_send", args=[quote.pk])).status_code == 302
    assert client.post(reverse("billing:quote_accept", args=[quote.pk])).status_code == 302
    converted = client.post(reverse("billing:quote_convert", args=[quote.pk]))
    order = Order.objects.get()
    assert converted["Location"] == reverse("orders:detail", args=[order.pk])
    quote.refresh_from_db()
    assert (quote.status, quote.order_id) == (QuoteStatus.CONVERTED, order.pk)
    assert order.status == OrderStatus.ALLOCATED
    assert sum(StockLevel.objects.filter(variant=variant).values_list("reserved", flat=True)) == 3
    # a second click: the same order, nothing new
    again = client.post(reverse("billing:quote_convert", args=[quote.pk]))
    assert again["Location"] == converted["Location"]
    assert Order.objects.count() == 1
    pdf = client.get(reverse("billing:quote_pdf", args=[quote.pk]))
    assert pdf.content.startswith(b"%PDF")


def test_quote_form_shows_refusals_without_writing(client, operator):
    customer = _customer()
    web = make_channel(price_tolerance=Decimal("10"))
    variant = _variant("100.00")
    response = client.post(
        reverse("billing:quote_create"), _quote_post(customer, web, [(variant.sku, 1, "50.00")])
    )
    assert response.status_code == 200
    assert "off the price list" in response.content.decode()
    unknown = client.post(reverse("billing:quote_create"), _quote_post(customer, web, [("NOPE-1", 1, "")]))
    assert "Unknown SKU" in unknown.content.decode()
    assert not Quote.objects.exists()


def test_refused_conversion_becomes_a_message_not_an_error(client, operator, b2b):
    customer = Customer.objects.create(company="Adressiz A.Ş.", email="adressiz@example.com")
    quote = _quote(customer, b2b)
    detail = reverse("billing:quote_detail", args=[quote.pk])
    response = client.post(reverse("billing:quote_convert", args=[quote.pk]), headers={"Referer": detail})
    assert response.status_code == 302
    follow = client.get(detail)
    assert "has no default shipping address" in follow.content.decode()
    assert not Order.objects.exists()


def test_seeing_quotes_is_not_changing_them(client, b2b):
    user = make_user(language="en")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="oms", codename="access_billing")
    )
    client.force_login(user)
    quote = _quote(_customer(), b2b)
    assert client.get(reverse("billing:quotes")).status_code == 200
    assert client.get(reverse("billing:quote_detail", args=[quote.pk])).status_code == 200
    assert client.get(reverse("billing:quote_create")).status_code == 403
    assert client.post(reverse("billing:quote_send", args=[quote.pk])).status_code == 403
    assert client.post(reverse("billing:quote_convert", args=[quote.pk])).status_code == 403
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT
