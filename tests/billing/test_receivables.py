"""Aged receivables (buckets by days past due, credit notes and unapplied payments reduce the
balance, few queries) and statements of account (opening, movements, running and closing balance)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from billing.invoicing import issue_credit_note, issue_invoice
from billing.models import PaymentTerms
from billing.payments import record_payment
from billing.receivables import aged_receivables, aging_csv_rows, statement, statement_pdf
from oms.errors import InvalidInput
from orders.customers import CustomerData
from orders.models import Customer
from tests.billing.factories import make_account, make_seller, sold_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def seller():
    return make_seller()


def _customer(name, **account):
    customer = Customer.objects.create(company=name, email=f"{name.split()[0].lower()}@example.com")
    make_account(customer, payment_terms=account.pop("payment_terms", PaymentTerms.NET_30), **account)
    return customer


def _invoice(customer, price, *, rate=20):
    order = sold_order(
        [(1, price, rate)],
        customer=CustomerData(email=customer.email, company=customer.company),
        payment_method="on_account",
    )
    return issue_invoice(order)


def test_aging_buckets_by_days_past_due_with_credit_notes_and_unapplied_payments(
    django_assert_max_num_queries,
):
    acme = _customer("Acme Ltd.", credit_limit=Decimal("1000.00"))
    beta = _customer("Beta A.Ş.")
    first = _invoice(acme, "1000.00")  # due in 30 days
    second = _invoice(acme, "500.00")
    issue_credit_note(second, reason="price correction", quantities={second.lines.get().pk: Decimal("0.5")})
    third = _invoice(beta, "300.00")
    record_payment(kind="capture", amount="100.00", dedupe_key="t:b", source="manual", invoice=third)
    record_payment(kind="capture", amount="50.00", dedupe_key="t:u", source="bank", customer_id=beta.pk)
    paid = _invoice(beta, "80.00")
    record_payment(kind="capture", amount="80.00", dedupe_key="t:p", source="manual", invoice=paid)
    due = first.due_date
    with django_assert_max_num_queries(4):
        aging = aged_receivables(today=due + timedelta(days=45))
    rows = {row.name: row for row in aging.rows}
    assert set(rows) == {"Acme Ltd.", "Beta A.Ş."}
    assert rows["Acme Ltd."].buckets == {
        "not_due": Decimal(0),
        "days_0_30": Decimal(0),
        "days_31_60": Decimal("1250.00"),  # 1000 + 500 - 250 credited
        "days_61_90": Decimal(0),
        "days_90_plus": Decimal(0),
    }
    assert rows["Acme Ltd."].over_limit
    assert rows["Beta A.Ş."].buckets["days_31_60"] == Decimal("200.00")
    assert rows["Beta A.Ş."].unapplied == Decimal("50.00")
    assert rows["Beta A.Ş."].total == Decimal("150.00")
    assert [row.name for row in aging.rows] == ["Acme Ltd.", "Beta A.Ş."]  # largest first
    assert aging.totals["days_31_60"] == Decimal("1450.00")
    assert aging.total == Decimal("1400.00")
    # the same invoices on other days
    assert aged_receivables(today=due - timedelta(days=1)).totals["not_due"] == Decimal("1450.00")
    assert aged_receivables(today=due).totals["days_0_30"] == Decimal("1450.00")
    assert aged_receivables(today=due + timedelta(days=61)).totals["days_61_90"] == Decimal("1450.00")
    assert aged_receivables(today=due + timedelta(days=91)).totals["days_90_plus"] == Decimal("1450.00")
    # narrowing and the CSV
    assert [row.name for row in aged_receivables(today=due, query="beta").rows] == ["Beta A.Ş."]
    header, csv_rows = aging_csv_rows(aging)
    csv_rows = list(csv_rows)
    assert header[0] == "Customer"
    assert csv_rows[-1][0] == "Total"
    assert len(csv_rows) == 3


def test_other_currencies_stay_out_of_a_try_aging():
    customer = _customer("Gamma GmbH")
    _invoice(customer, "100.00")
    assert aged_receivables(currency="EUR").rows == []


def test_statement_has_opening_movements_running_and_closing_balance():
    customer = _customer("Delta Ltd.")
    today = timezone.localdate()
    old = _invoice(customer, "400.00")
    record_payment(
        kind="capture",
        amount="150.00",
        dedupe_key="t:old",
        source="bank",
        invoice=old,
        received_on=today - timedelta(days=40),
    )
    new = _invoice(customer, "1000.00")
    note = issue_credit_note(new, reason="returned", quantities={new.lines.get().pk: Decimal(1)})
    record_payment(kind="refund", amount="20.00", dedupe_key="t:r", source="manual", invoice=old)
    record_payment(
        kind="capture", amount="300.00", dedupe_key="t:new", source="bank", customer_id=customer.pk
    )
    record_payment(kind="authorization", amount="999.00", dedupe_key="t:auth", source="paytr", invoice=new)
    # the period starts after the early payment: it is in the opening balance
    account = statement(customer, start=today - timedelta(days=30), end=today)
    assert account.opening == Decimal("-150.00")
    kinds = [(e.kind, e.debit, e.credit) for e in account.entries]
    assert kinds == [
        ("invoice", Decimal("400.00"), Decimal(0)),
        ("invoice", Decimal("1000.00"), Decimal(0)),
        ("credit_note", Decimal(0), Decimal("1000.00")),
        ("payment", Decimal(0), Decimal("300.00")),
        ("refund", Decimal("20.00"), Decimal(0)),
    ]
    assert [e.balance for e in account.entries] == [
        Decimal("250.00"),
        Decimal("1250.00"),
        Decimal("250.00"),
        Decimal("-50.00"),
        Decimal("-30.00"),
    ]
    assert account.entries[2].reference == note.number
    assert account.closing == Decimal("-30.00") == account.entries[-1].balance
    assert account.name == "Delta Ltd."
    # a later period opens where this one closed
    later = statement(customer, start=today + timedelta(days=1), end=today + timedelta(days=2))
    assert later.opening == account.closing
    assert later.entries == []
    assert statement_pdf(account).startswith(b"%PDF")


def test_statement_refuses_a_period_ending_before_it_starts():
    customer = _customer("Epsilon Ltd.")
    today = timezone.localdate()
    with pytest.raises(InvalidInput):
        statement(customer, start=today, end=today - timedelta(days=1))
