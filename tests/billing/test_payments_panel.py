"""Payments pages: the ledger with filters and stable query counts, recording a payment or refund
(finance only, once per form), provider callbacks, installments with the overdue filter."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.installments import create_schedule
from billing.invoicing import issue_invoice
from billing.models import CallbackOutcome, InstallmentStatus, InvoiceStatus, Payment, ProviderCallback
from billing.payments import record_payment
from orders.models import PaymentStatus
from tests.billing.factories import make_seller, sold_order
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seller():
    make_seller()


@pytest.fixture
def finance_client(client):
    client.force_login(make_user(role="finance", language="en"))
    return client


@pytest.fixture
def operator_client(client):
    client.force_login(make_user(role="operator", language="en"))
    return client


def record_url(**target) -> str:
    key, value = next(iter(target.items()))
    return f"{reverse('billing:payment_record')}?{key}={value}"


def form_data(response, **fields) -> dict:
    """The record form as shown (its one-time token included), with ``fields`` filled in."""
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


# --- Permissions ------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("billing:payments"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_operator_reads_the_ledger_but_cannot_record_money(operator_client):
    order = sold_order(payment_method="bank_transfer")
    assert operator_client.get(reverse("billing:payments")).status_code == 200
    assert operator_client.get(reverse("billing:installments")).status_code == 200
    assert operator_client.get(reverse("billing:callbacks")).status_code == 200
    assert operator_client.get(record_url(order=order.pk)).status_code == 403
    response = operator_client.post(
        record_url(order=order.pk),
        {
            "kind": "capture",
            "amount": "200.00",
            "received_on": "2026-01-05",
            "method": "bank_transfer",
            "token": "6f1c7c1e-4d8c-4a51-9d7c-2d2a4b0c9f11",
        },
    )
    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_a_user_without_the_billing_section_gets_403(client):
    client.force_login(make_user(role="warehouse", language="en"))
    assert client.get(reverse("billing:payments")).status_code == 403


# --- Recording ---------------------------------------------------------------------------------------


def test_finance_records_a_bank_transfer_once_even_when_the_form_is_sent_twice(finance_client):
    order = sold_order(payment_method="bank_transfer")  # 200.00
    page = finance_client.get(record_url(order=order.pk))
    assert page.status_code == 200
    data = form_data(page, amount="200.00", provider_reference="EFT-778812", note="seen on the bank portal")
    response = finance_client.post(record_url(order=order.pk), data)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('billing:payments')}?order={order.number}"
    again = finance_client.post(record_url(order=order.pk), data, follow=True)
    assert "recorded already" in again.content.decode()
    payment = Payment.objects.get()
    assert (payment.kind, payment.source, payment.amount, payment.provider_reference) == (
        "capture",
        "manual",
        Decimal("200.00"),
        "EFT-778812",
    )
    assert payment.created_by is not None
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID


def test_finance_records_a_refund_against_an_invoice(finance_client):
    order = sold_order(payment_method="bank_transfer")
    invoice = issue_invoice(order)
    record_payment(kind="capture", amount="200.00", dedupe_key="bank:1:1", source="bank", invoice=invoice)
    page = finance_client.get(record_url(invoice=invoice.pk))
    assert page.context["form"]["amount"].value() == Decimal("0.00")  # nothing owed any more
    finance_client.post(record_url(invoice=invoice.pk), form_data(page, kind="refund", amount="50.00"))
    invoice.refresh_from_db()
    assert invoice.paid_total == Decimal("150.00")
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    assert Payment.objects.filter(kind="refund", invoice=invoice).count() == 1


def test_an_invalid_amount_shows_the_form_again_and_records_nothing(finance_client):
    order = sold_order(payment_method="bank_transfer")
    page = finance_client.get(record_url(order=order.pk))
    response = finance_client.post(record_url(order=order.pk), form_data(page, amount="0"))
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert not Payment.objects.exists()


def test_recording_needs_an_order_invoice_or_installment(finance_client):
    response = finance_client.get(reverse("billing:payment_record"))
    assert response.status_code == 422


def test_paying_an_installment_from_the_panel_marks_it_paid(finance_client):
    order = sold_order(payment_method="installments", installments=2)
    first, _second = create_schedule(order)
    page = finance_client.get(record_url(installment=first.pk))
    assert page.context["form"]["amount"].value() == Decimal("100.00")
    assert [value for value, _label in page.context["form"].fields["kind"].choices] == ["capture"]
    finance_client.post(record_url(installment=first.pk), form_data(page))
    first.refresh_from_db()
    assert first.status == InstallmentStatus.PAID
    assert Payment.objects.get().installment == first


# --- Lists ---------------------------------------------------------------------------------------------


def test_ledger_filters_by_kind_source_order_and_value_date(finance_client):
    one = sold_order(payment_method="bank_transfer")
    two = sold_order(payment_method="card")
    bank = record_payment(
        kind="capture", amount="200.00", dedupe_key="bank:1:1", source="bank", order=one
    ).payment
    card = record_payment(
        kind="capture", amount="200.00", dedupe_key="paytr:x:success", source="paytr", order=two
    ).payment
    refund = record_payment(
        kind="refund",
        amount="20.00",
        dedupe_key="manual:r",
        source="manual",
        order=two,
        received_on=timezone.localdate() - timedelta(days=10),
    ).payment
    url = reverse("billing:payments")

    def listed(**params):
        return [p.pk for p in finance_client.get(url, params).context["page"]]

    assert listed() == [refund.pk, card.pk, bank.pk]
    assert listed(kind="refund") == [refund.pk]
    assert listed(source="bank") == [bank.pk]
    assert listed(order=two.number) == [refund.pk, card.pk]
    assert listed(received_from=str(timezone.localdate() - timedelta(days=1))) == [card.pk, bank.pk]


def test_ledger_query_count_does_not_grow_with_rows(finance_client, settings, django_assert_max_num_queries):
    settings.PANEL_PAGE_SIZE = 50
    url = reverse("billing:payments")
    orders = [sold_order(payment_method="bank_transfer") for _ in range(6)]
    for n, order in enumerate(orders[:2]):
        record_payment(kind="capture", amount="10.00", dedupe_key=f"m:{n}", source="manual", order=order)
    with django_assert_max_num_queries(12) as few:
        finance_client.get(url)
    for n, order in enumerate(orders[2:]):
        invoice = issue_invoice(order)
        record_payment(kind="capture", amount="10.00", dedupe_key=f"m:x{n}", source="bank", invoice=invoice)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = finance_client.get(url)
    assert len(response.context["page"]) == 6


def test_ledger_htmx_request_gets_only_the_results(finance_client):
    response = finance_client.get(reverse("billing:payments"), headers={"HX-Request": "true"})
    content = response.content.decode()
    assert 'id="results"' in content
    assert "<html" not in content


def test_callbacks_list_shows_each_outcome_read_only(finance_client, django_assert_max_num_queries):
    for n, outcome in enumerate(
        [CallbackOutcome.APPLIED, CallbackOutcome.REJECTED, CallbackOutcome.UNMATCHED]
    ):
        ProviderCallback.objects.create(
            provider="paytr", body=f"merchant_oid=X{n}", reference=f"X{n}", outcome=outcome, detail=f"d{n}"
        )
    url = reverse("billing:callbacks")
    with django_assert_max_num_queries(10):
        response = finance_client.get(url)
    content = response.content.decode()
    assert "No such order" in content
    assert "Rejected" in content
    assert '<form method="post"' not in content
    rejected = finance_client.get(url, {"outcome": "rejected"}).context["page"]
    assert [c.reference for c in rejected] == ["X1"]


def test_installments_list_filters_overdue_and_reports_the_figures(
    finance_client, django_assert_max_num_queries
):
    late = sold_order(payment_method="installments", installments=2)
    fresh = sold_order(payment_method="installments", installments=2)
    late_rows = create_schedule(late)
    create_schedule(fresh)
    # the first order was placed 45 days ago: its first installment is two weeks late
    start = timezone.localdate() - timedelta(days=45)
    for n, row in enumerate(late_rows, start=1):
        row.due_date = start + timedelta(days=30 * n)
        row.save(update_fields=["due_date"])
    url = reverse("billing:installments")
    with django_assert_max_num_queries(10):
        response = finance_client.get(url)
    assert len(response.context["page"]) == 4
    assert response.context["summary"].overdue_count == 1
    overdue = finance_client.get(url, {"overdue": "true"}).context["page"]
    assert [(i.order_id, i.sequence) for i in overdue] == [(late.pk, 1)]
    assert "Overdue" in finance_client.get(url, {"overdue": "true"}).content.decode()
