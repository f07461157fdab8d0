"""Billing admin: every model's change list loads in a few queries; issued documents and the
payment ledger cannot be added, changed or deleted there; set-up (seller, accounts) can be edited."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from billing import models as m
from billing.invoicing import issue_credit_note, issue_invoice
from billing.payments import record_payment
from fulfillment.models import CarrierAccount
from tests.billing.factories import make_account, make_seller, sold_order
from tests.inventory.factories import make_variant
from tests.orders.factories import make_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    """A few rows of every billing model, so change lists render real rows (and N+1s would show)."""
    seller = make_seller()
    invoices = []
    for _ in range(2):
        order = sold_order([(2, "100.00", 20)], payment_method="bank_transfer")
        make_account(order.customer, legal_name="Alıcı Ltd.", payment_terms="net_30")
        invoice = issue_invoice(order)
        invoices.append(invoice)
        record_payment(
            kind="capture", amount="50.00", dedupe_key=f"bank:{invoice.pk}", source="bank", invoice=invoice
        )
        issue_credit_note(invoice, reason="Damaged", quantities={invoice.lines.get().pk: 1})
        m.Reminder.objects.create(kind="overdue", invoice=invoice, key=f"overdue:{invoice.pk}")
        plan = m.InstallmentPlan.objects.create(name=f"3 x {invoice.pk}", count=3)
        m.Installment.objects.create(
            order=order, plan=plan, sequence=1, due_date=timezone.localdate(), amount=Decimal("10")
        )
    callback = m.ProviderCallback.objects.create(
        provider="paytr", body="{}", reference="o1", outcome="applied"
    )
    statement_format = m.StatementFormat.objects.create(
        name="Bank", date_column="Tarih", amount_column="Tutar", description_column="Açıklama"
    )
    statement = m.BankStatement.objects.create(
        format=statement_format, filename="s.csv", sha256="0" * 64, encoding="utf-8"
    )
    bank_line = m.BankStatementLine.objects.create(
        statement=statement, row_number=1, booked_on=timezone.localdate(), amount=5, description="?"
    )
    carrier = CarrierAccount.objects.create(code="yk", name="Yurtiçi", connector="manual")
    remittance = m.CodRemittance.objects.create(carrier=carrier, filename="cod.csv", sha256="1" * 64)
    m.CodRemittanceLine.objects.create(remittance=remittance, row_number=1, tracking_number="YK1", amount=5)
    m.FinanceIssue.objects.create(
        kind="unmatched", key="bank:1", amount=5, bank_line=bank_line, callback=callback, invoice=invoices[0]
    )
    quote = m.Quote.objects.create(
        number="TKL-1",
        customer=invoices[0].customer,
        channel=make_channel(),
        valid_until=timezone.localdate(),
    )
    m.QuoteLine.objects.create(
        quote=quote, position=1, variant=make_variant(), quantity=1, unit_price=Decimal("10"), tax_rate=20
    )
    m.QuoteEvent.objects.create(subject=quote, name="quote.created")
    return {
        "seller": seller,
        "invoice": invoices[0],
        "statement": statement,
        "quote": quote,
        "remittance": remittance,
    }


BILLING_MODELS = [
    model
    for model in (getattr(m, name) for name in dir(m))
    if isinstance(model, type)
    and issubclass(model, m.models.Model)
    and model._meta.app_label == "billing"
    and not model._meta.abstract
]


def test_every_billing_model_is_in_admin():
    missing = [model.__name__ for model in BILLING_MODELS if model not in admin.site._registry]
    assert not missing
    assert len(BILLING_MODELS) == 19


@pytest.mark.parametrize("model", BILLING_MODELS, ids=lambda model: model.__name__)
def test_change_lists_load_in_a_few_queries(admin_client, data, model, django_assert_max_num_queries):
    url = reverse(f"admin:billing_{model._meta.model_name}_changelist")
    with django_assert_max_num_queries(16):
        response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1
    assert admin_client.get(url, {"q": "x"}).status_code == 200


def test_change_pages_with_inlines_load(admin_client, data):
    for key in ("invoice", "statement", "quote", "remittance", "seller"):
        obj = data[key]
        url = reverse(f"admin:billing_{obj._meta.model_name}_change", args=[obj.pk])
        response = admin_client.get(url)
        assert response.status_code == 200, key
    body = admin_client.get(
        reverse("admin:billing_invoice_change", args=[data["invoice"].pk])
    ).content.decode()
    assert data["invoice"].lines.get().description in body  # the lines inline


@pytest.mark.parametrize("model", [m.Invoice, m.InvoiceLine, m.Payment, m.ProviderCallback, m.BankStatement])
def test_documents_and_the_ledger_cannot_be_added_changed_or_deleted(admin_client, data, model):
    obj = model.objects.order_by("pk").first()
    name = model._meta.model_name
    assert admin_client.get(reverse(f"admin:billing_{name}_add")).status_code == 403
    change = admin_client.post(reverse(f"admin:billing_{name}_change", args=[obj.pk]), {})
    assert change.status_code == 403
    delete = admin_client.post(reverse(f"admin:billing_{name}_delete", args=[obj.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_the_invoice_page_offers_no_save(admin_client, data):
    body = admin_client.get(
        reverse("admin:billing_invoice_change", args=[data["invoice"].pk])
    ).content.decode()
    assert 'name="_save"' not in body


def test_the_seller_profile_is_edited_in_admin_and_only_one_exists(admin_client, data):
    seller = data["seller"]
    url = reverse("admin:billing_sellerprofile_change", args=[seller.pk])
    form = admin_client.get(url).context["adminform"].form
    payload = {k: v for k, v in form.initial.items() if v is not None}
    payload["tax_office"] = "Beşiktaş"
    response = admin_client.post(url, payload)
    assert response.status_code == 302, response.context["adminform"].form.errors
    seller.refresh_from_db()
    assert seller.tax_office == "Beşiktaş"
    assert admin_client.get(reverse("admin:billing_sellerprofile_add")).status_code == 403


def test_billing_account_terms_are_edited_in_admin(admin_client, data):
    account = m.BillingAccount.objects.order_by("pk").first()
    url = reverse("admin:billing_billingaccount_change", args=[account.pk])
    form = admin_client.get(url).context["adminform"].form
    payload = {k: v for k, v in form.initial.items() if v is not None and v is not False}
    payload.update({"payment_terms": "net_60", "credit_limit": "5000.00", "customer": account.customer_id})
    response = admin_client.post(url, payload)
    assert response.status_code == 302, response.context["adminform"].form.errors
    account.refresh_from_db()
    assert (account.payment_terms, account.credit_limit) == ("net_60", Decimal("5000.00"))
