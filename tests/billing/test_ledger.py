"""The payment ledger core: settling invoices and orders, replays, refunds."""

from decimal import Decimal

import pytest

from billing.invoicing import issue_credit_note, issue_invoice
from billing.models import InvoiceStatus, Payment
from billing.payments import record_payment
from oms.errors import InvalidInput
from orders.models import OrderEvent, PaymentStatus
from tests.billing.factories import make_seller, sold_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seller():
    make_seller()


def test_capture_settles_the_invoice_and_the_order_and_a_replay_changes_nothing():
    order = sold_order([(1, "150.00", 20)], payment_method="bank_transfer")
    invoice = issue_invoice(order)
    part = record_payment(
        kind="capture", amount="100.00", dedupe_key="bank:1:1", source="bank", invoice=invoice
    )
    invoice.refresh_from_db()
    order.refresh_from_db()
    assert part.created
    assert (invoice.paid_total, invoice.status) == (Decimal("100.00"), InvoiceStatus.PARTIALLY_PAID)
    assert order.payment_status == PaymentStatus.PENDING
    again = record_payment(
        kind="capture", amount="100.00", dedupe_key="bank:1:1", source="bank", invoice=invoice
    )
    assert not again.created
    assert again.payment == part.payment
    assert Payment.objects.count() == 1
    record_payment(kind="capture", amount="50.00", dedupe_key="bank:1:2", source="bank", invoice=invoice)
    invoice.refresh_from_db()
    order.refresh_from_db()
    assert (invoice.balance, invoice.status) == (Decimal("0.00"), InvoiceStatus.PAID)
    assert order.payment_status == PaymentStatus.PAID
    assert OrderEvent.objects.filter(subject=order, name="order.paid").count() == 1


def test_refunds_against_a_credit_note_and_the_order_status_follows():
    order = sold_order([(2, "50.00", 20)])
    record_payment(
        kind="capture", amount="100.00", dedupe_key="paytr:o1:success", source="paytr", order=order
    )
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID
    invoice = issue_invoice(order)
    note = issue_credit_note(invoice, reason="Returned", quantities={invoice.lines.get().pk: 1})
    record_payment(kind="refund", amount="50.00", dedupe_key="refund:1", source="manual", invoice=note)
    note.refresh_from_db()
    order.refresh_from_db()
    assert note.paid_total == Decimal("50.00")
    assert order.payment_status == PaymentStatus.PAID  # half refunded: still paid, the ledger shows the rest
    record_payment(kind="refund", amount="50.00", dedupe_key="refund:2", source="manual", order=order)
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.REFUNDED


def test_bad_payments_are_refused_and_nothing_is_written():
    order = sold_order()
    with pytest.raises(InvalidInput):
        record_payment(kind="capture", amount="0", dedupe_key="x", source="manual", order=order)
    with pytest.raises(InvalidInput):
        record_payment(kind="gift", amount="1", dedupe_key="y", source="manual", order=order)
    with pytest.raises(InvalidInput):
        record_payment(kind="capture", amount="1", dedupe_key="z", source="manual")
    assert not Payment.objects.exists()


def test_money_received_before_the_invoice_pays_it_when_it_is_issued():
    order = sold_order([(1, "80.00", 20)], shipping_fee="20.00")
    record_payment(kind="capture", amount="100.00", dedupe_key="paytr:early", source="paytr", order=order)
    invoice = issue_invoice(order)
    assert (invoice.paid_total, invoice.status) == (Decimal("100.00"), InvoiceStatus.PAID)


def test_an_order_payment_is_spread_over_its_invoices_oldest_first():
    order = sold_order([(4, "25.00", 20)])
    line = order.lines.get()
    first = issue_invoice(order, quantities={line.pk: 2})
    second = issue_invoice(order, quantities={line.pk: 2})
    record_payment(kind="capture", amount="70.00", dedupe_key="bank:x:1", source="bank", order=order)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.paid_total, first.status) == (Decimal("50.00"), InvoiceStatus.PAID)
    assert (second.paid_total, second.status) == (Decimal("20.00"), InvoiceStatus.PARTIALLY_PAID)
    # Crediting the first invoice's last unit moves what was paid for it to the second.
    issue_credit_note(first, reason="One unit broken", quantities={first.lines.get().pk: 1})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.paid_total, first.status) == (Decimal("25.00"), InvoiceStatus.PAID)
    assert (second.paid_total, second.status) == (Decimal("45.00"), InvoiceStatus.PARTIALLY_PAID)
