"""Credit control: on-account orders without terms or over the credit limit wait for approval, with
a reason naming the limit, the exposure and the excess; an operator's approval then lets them on."""

from decimal import Decimal

import pytest
from django.utils import translation

from billing.credit import credit_check, exposure
from billing.invoicing import issue_credit_note, issue_invoice
from billing.models import PaymentTerms
from billing.payments import record_payment
from orders import risk, services
from orders.customers import CustomerData
from orders.models import Customer, OrderStatus, Queue
from tests.billing.factories import make_account, make_seller, sold_order
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _registered():
    """What ``BillingConfig.ready()`` does; undone only if this fixture did it."""
    added = credit_check not in risk.APPROVAL_CHECKS
    risk.register_approval_check(credit_check)
    yield
    if added:
        risk.APPROVAL_CHECKS.remove(credit_check)


@pytest.fixture
def seller():
    return make_seller()


def _b2b_customer(**account) -> Customer:
    customer = Customer.objects.create(company="Demir Yapı Ltd.", email="alim@demiryapi.com.tr")
    if account is not None:
        make_account(customer, **account)
    return customer


def _on_account(customer, lines=((1, "1000.00", 20),), **fields):
    contact = CustomerData(email=customer.email, company=customer.company)
    return sold_order(lines, customer=contact, payment_method="on_account", **fields)


def test_on_account_order_without_an_account_is_held_for_approval_and_an_operator_approves_it():
    customer = Customer.objects.create(company="Yeni Müşteri A.Ş.", email="info@yeni.com.tr")
    order = _on_account(customer)
    assert order.status == OrderStatus.ON_HOLD
    assert order.needs_approval
    assert [r["message"] for r in order.approval_reasons] == [
        "No payment terms: on-account orders need approval."
    ]
    assert order.queue_items.filter(queue=Queue.TO_APPROVE, resolved_at__isnull=True).exists()
    services.approve(order, user=make_user(role="operator"))
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED
    assert order.approved_at is not None


def test_prepaid_terms_count_as_no_terms():
    customer = _b2b_customer(payment_terms=PaymentTerms.PREPAID, credit_limit=Decimal("99999"))
    order = _on_account(customer)
    assert order.status == OrderStatus.ON_HOLD
    assert order.approval_reasons[0]["code"] == "no_payment_terms"


def test_within_the_limit_the_order_goes_straight_through():
    customer = _b2b_customer(payment_terms=PaymentTerms.NET_30, credit_limit=Decimal("1000.00"))
    order = _on_account(customer, [(1, "1000.00", 20)])  # exactly the limit: allowed
    assert order.status == OrderStatus.ALLOCATED
    assert order.approval_reasons == []


def test_terms_without_a_limit_pass():
    customer = _b2b_customer(payment_terms=PaymentTerms.NET_60)
    order = _on_account(customer, [(3, "25000.00", 20)])
    assert not order.needs_approval


def test_over_the_limit_names_limit_exposure_and_excess_to_the_kurus(seller):
    customer = _b2b_customer(payment_terms=PaymentTerms.NET_30, credit_limit=Decimal("5000.00"))
    # given: an invoiced order (3,000.10 owed, 1,000 of it paid) and an uninvoiced one (1,234.56)
    first = _on_account(customer, [(1, "3000.10", 20)])
    invoice = issue_invoice(first)
    record_payment(kind="capture", amount="1000.00", dedupe_key="t:1", source="manual", invoice=invoice)
    _on_account(customer, [(1, "1234.56", 10)])
    assert exposure(customer).total == Decimal("3234.66")
    # when: 1,765.35 more makes 5,000.01
    order = _on_account(customer, [(1, "1765.35", 20)])
    # then
    assert order.status == OrderStatus.ON_HOLD
    (reason,) = order.approval_reasons
    assert reason["code"] == "credit_limit"
    assert reason["message"] == (
        "Credit limit ₺5,000.00 exceeded: exposure with this order ₺5,000.01, ₺0.01 over."
    )
    assert reason["params"]["excess"] == "0.01"
    services.approve(order, user=make_user(role="operator"))
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED


def test_exposure_counts_open_balances_and_uninvoiced_orders_not_settled_ones(seller):
    customer = _b2b_customer(payment_terms=PaymentTerms.NET_30)
    paid = _on_account(customer, [(1, "500.00", 20)])
    record_payment(
        kind="capture", amount="500.00", dedupe_key="t:paid", source="manual", invoice=issue_invoice(paid)
    )
    credited = _on_account(customer, [(2, "100.00", 20)])
    invoice = issue_invoice(credited)
    issue_credit_note(invoice, reason="one returned", quantities={invoice.lines.get().pk: Decimal(1)})
    cancelled = _on_account(customer, [(1, "700.00", 20)])
    services.cancel(cancelled, reason="customer changed their mind")
    uninvoiced = _on_account(customer, [(1, "250.00", 20)])
    card = sold_order([(1, "999.00", 20)], customer=CustomerData(email=customer.email, company="x"))
    assert card.customer_id == customer.pk
    found = exposure(customer)
    assert found.open_invoices == Decimal("100.00")  # 200 invoiced, 100 credited
    assert found.uninvoiced_orders == uninvoiced.grand_total == Decimal("250.00")
    assert found.total == Decimal("350.00")


def test_order_in_another_currency_than_the_account_waits_for_a_person():
    customer = _b2b_customer(
        payment_terms=PaymentTerms.NET_30, credit_limit=Decimal("100000"), currency="EUR"
    )
    order = _on_account(customer, [(1, "10.00", 20)])
    assert order.status == OrderStatus.ON_HOLD
    assert "EUR" in order.approval_reasons[0]["message"]
    assert "TRY" in order.approval_reasons[0]["message"]


def test_other_payment_methods_are_not_checked():
    customer = _b2b_customer(payment_terms=PaymentTerms.PREPAID, credit_limit=Decimal("1"))
    order = sold_order([(1, "500.00", 20)], customer=CustomerData(email=customer.email, company="x"))
    assert order.payment_method == "card"
    assert not order.needs_approval
