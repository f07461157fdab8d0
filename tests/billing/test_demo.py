"""The billing demo (billing/demo.py) on a sliver of the demo shop: invoices numbered in the order of
their dates, payments from every source, reconciliation queues, quotes, and pages that render it."""

import random

import pytest
from django.db import transaction
from django.urls import reverse

from billing.demo import seed_billing
from billing.models import (
    BankStatement,
    BillingAccount,
    CodRemittance,
    FinanceIssue,
    Invoice,
    InvoiceKind,
    Payment,
    Quote,
    SellerProfile,
)
from inventory.ledger import verify_stock

pytestmark = pytest.mark.django_db

SMALL = 0.05


def _shop(seed: int = 2026):
    from channels.demo import seed_channels
    from fulfillment.demo import seed_fulfillment
    from inventory.demo import seed_inventory
    from oms.demo import seed_users
    from orders.demo import seed_orders

    rng = random.Random(seed)
    users = seed_users(rng)
    seed_inventory(rng, admin=users[0], scale=SMALL)
    channels = seed_channels(rng)
    seed_orders(rng, users=users, channels=channels, scale=SMALL)
    seed_fulfillment(rng, admin=users[0])
    return rng, users


def test_demo_billing_is_consistent_and_its_pages_render(client):
    rng, users = _shop()
    counts = seed_billing(rng, admin=users[0])

    seller = SellerProfile.objects.get()
    assert seller.tax_number == "1234567890"
    assert counts["invoices"] > 10
    assert counts["invoices"] == Invoice.objects.filter(kind=InvoiceKind.INVOICE).count()
    # Numbers follow issue dates within each series (the law wants them in date order, no gaps).
    for prefix in {i.number[:7] for i in Invoice.objects.all()}:
        series = list(Invoice.objects.filter(number__startswith=prefix).order_by("number"))
        assert [int(i.number[7:]) for i in series] == list(range(1, len(series) + 1))
        dates = [i.issue_date for i in series]
        assert dates == sorted(dates)
    assert BillingAccount.objects.filter(payment_terms__in=["net_30", "net_60", "eom", "net_15"]).exists()
    assert Payment.objects.filter(source="paytr").exists()
    assert Invoice.objects.filter(status="paid").exists()
    assert Invoice.objects.filter(kind=InvoiceKind.INVOICE, status__in=["open", "partially_paid"]).exists()
    assert BankStatement.objects.exists()
    assert FinanceIssue.objects.filter(resolved_at__isnull=True).exists()
    assert {q.status for q in Quote.objects.all()} >= {"draft", "sent", "converted"}
    assert verify_stock() == []
    if CodRemittance.objects.exists():
        assert Payment.objects.filter(source="cod").exists()

    client.force_login(users[0])
    invoice = Invoice.objects.filter(kind=InvoiceKind.INVOICE).first()
    for url in [
        reverse("billing:index"),
        reverse("billing:invoices"),
        reverse("billing:invoice_detail", args=[invoice.pk]),
        reverse("billing:payments"),
        reverse("billing:finance_queue"),
        reverse("billing:bank_statements"),
        reverse("billing:receivables"),
        reverse("billing:quotes"),
        reverse("billing:installments"),
        reverse("billing:accounts"),
    ]:
        assert client.get(url).status_code == 200, url


def test_the_same_seed_gives_the_same_invoices():
    def run():
        with transaction.atomic():
            rng, users = _shop(seed=7)
            seed_billing(rng, admin=users[0])
            result = sorted(Invoice.objects.values_list("number", "kind", "payable", "status"))
            transaction.set_rollback(True)
        return result

    first = run()
    assert first
    assert run() == first
