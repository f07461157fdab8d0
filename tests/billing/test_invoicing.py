"""Issuing invoices and credit notes: amounts to the kuruş, gap-free numbers, identities,
immutability, idempotency."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from billing.invoicing import (
    ANONYMOUS_TCKN,
    BillingSetupMissing,
    NothingToInvoice,
    is_valid_reference,
    issue_credit_note,
    issue_invoice,
    payment_reference,
)
from billing.models import (
    Invoice,
    InvoiceLine,
    InvoiceProfile,
    InvoiceStatus,
    Payment,
    PaymentTerms,
    due_date_for,
)
from oms.errors import Conflict, InvalidInput
from orders.models import OrderEvent
from tests.billing.factories import BUYER_TCKN, BUYER_VKN, make_account, make_seller, sold_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def seller():
    return make_seller()


def test_invoice_of_a_whole_order_adds_up_to_the_order_to_the_kurus(seller):
    order = sold_order(
        [(3, "99.99", 20), (1, "45.50", 10), (2, "12.34", 1)], shipping_fee="29.90", discount="10.00"
    )
    invoice = issue_invoice(order)
    assert invoice.payable == order.grand_total
    assert abs(invoice.tax_total - order.tax_total) <= Decimal("0.02")  # per rate, not per line
    assert invoice.line_total + invoice.tax_total == invoice.payable
    lines = list(invoice.lines.order_by("position"))
    assert [line.tax_rate for line in lines] == [20, 10, 1, 20]  # goods, then shipping at 20 %
    assert lines[-1].is_shipping
    assert lines[-1].gross_total == Decimal("29.90")
    for line in lines:
        assert line.net_total + line.tax_amount == line.gross_total
        # The unit price (6 decimals) times the quantity, less the discount, is the net total.
        assert abs(line.unit_price * line.quantity - line.discount - line.net_total) < Decimal("0.01")
    assert {t["rate"] for t in invoice.taxes} == {1, 10, 20}
    assert sum(Decimal(t["tax"]) for t in invoice.taxes) == invoice.tax_total
    assert invoice.discount_total > 0  # the order discount shows, net of KDV


def test_numbers_follow_the_ubl_format_and_have_no_gaps(seller):
    first = issue_invoice(sold_order())
    second = issue_invoice(sold_order())
    year = first.issue_date.year
    assert first.number == f"OMA{year}000000001"  # e-archive series for a consumer
    assert second.number == f"OMA{year}000000002"
    # A failed issue (the seller loses its VKN mid-way) gives its number back.
    seller.tax_number = ""
    seller.save()
    with pytest.raises(BillingSetupMissing):
        issue_invoice(sold_order())
    seller.tax_number = "1234567890"
    seller.save()
    assert issue_invoice(sold_order()).number == f"OMA{year}000000003"


def test_e_invoice_registrant_gets_an_e_invoice_with_its_vkn_and_terms(seller):
    order = sold_order(payment_method="on_account")
    make_account(
        order.customer,
        legal_name="Alıcı Ltd. Şti.",
        tax_number=BUYER_VKN,
        tax_office="Çankaya",
        einvoice_registrant=True,
        payment_terms=PaymentTerms.NET_30,
    )
    invoice = issue_invoice(order)
    assert invoice.profile == InvoiceProfile.BASIC
    assert invoice.number.startswith("OMF")
    assert (invoice.buyer_name, invoice.buyer_tax_number) == ("Alıcı Ltd. Şti.", BUYER_VKN)
    assert invoice.due_date == due_date_for(PaymentTerms.NET_30, invoice.issue_date)


def test_consumer_without_tax_number_is_e_archive_with_the_anonymous_tckn(seller):
    invoice = issue_invoice(sold_order())
    assert invoice.profile == InvoiceProfile.EARCHIVE
    assert invoice.buyer_tax_number == ANONYMOUS_TCKN


def test_a_bad_tax_number_checksum_is_refused_and_nothing_is_written(seller):
    order = sold_order()
    make_account(order.customer, tax_number="9876543210")  # wrong check digit
    with pytest.raises(InvalidInput, match="9876543210"):
        issue_invoice(order)
    assert not Invoice.objects.exists()
    order2 = sold_order()
    make_account(order2.customer, tax_number=BUYER_TCKN)
    assert issue_invoice(order2).buyer_tax_number == BUYER_TCKN


def test_registrant_without_a_tax_number_is_refused(seller):
    order = sold_order()
    make_account(order.customer, einvoice_registrant=True)
    with pytest.raises(InvalidInput, match="no VKN"):
        issue_invoice(order)


def test_partial_invoices_add_up_and_the_shipping_fee_goes_on_the_first(seller):
    order = sold_order([(3, "10.00", 20)], shipping_fee="5.00", discount="1.00")
    line = order.lines.get()
    first = issue_invoice(order, quantities={line.pk: 1})
    second = issue_invoice(order, quantities={line.pk: 1})
    third = issue_invoice(order)
    assert [i.lines.filter(is_shipping=True).count() for i in (first, second, third)] == [1, 0, 0]
    assert first.payable + second.payable + third.payable == order.grand_total
    with pytest.raises(NothingToInvoice):
        issue_invoice(order)
    with pytest.raises(InvalidInput, match="not invoiced yet"):
        issue_invoice(order, quantities={line.pk: 1})


def test_the_same_source_never_issues_twice(seller):
    order = sold_order()
    issue_invoice(order, source_key="order:test:event:1", quantities={order.lines.get().pk: 1})
    with pytest.raises(Conflict):
        issue_invoice(order, source_key="order:test:event:1", quantities={order.lines.get().pk: 1})
    assert Invoice.objects.count() == 1


def test_credit_note_references_the_invoice_and_never_exceeds_it(seller):
    order = sold_order([(2, "100.00", 20)], shipping_fee="20.00")
    invoice = issue_invoice(order)
    goods = invoice.lines.get(is_shipping=False)
    with pytest.raises(InvalidInput, match="why"):
        issue_credit_note(invoice, reason=" ")
    note = issue_credit_note(invoice, reason="Return of one unit", quantities={goods.pk: 1})
    assert note.kind == "credit_note"
    assert note.type_code == "IADE"
    assert note.original == invoice
    assert note.number.startswith("OMI")
    assert note.payable == Decimal("100.00")
    invoice.refresh_from_db()
    assert invoice.credited_total == Decimal("100.00")
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.balance == Decimal("120.00")
    with pytest.raises(InvalidInput, match="only 1"):
        issue_credit_note(invoice, reason="too much", quantities={goods.pk: 2})
    rest = issue_credit_note(invoice, reason="Cancelled")
    invoice.refresh_from_db()
    assert rest.payable == Decimal("120.00")
    assert invoice.credited_total == invoice.payable
    assert invoice.status == InvoiceStatus.CREDITED
    with pytest.raises(NothingToInvoice):
        issue_credit_note(invoice, reason="again")
    # Credited units can be invoiced again (e.g. re-shipped after a return).
    assert issue_invoice(order).payable == Decimal("220.00")


def test_issued_invoice_content_and_payment_rows_cannot_change_in_the_database(seller):
    invoice = issue_invoice(sold_order())
    with pytest.raises(DatabaseError, match="cannot change"), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(payable=Decimal("1.00"))
    with pytest.raises(DatabaseError, match=r"append-only|never deleted"), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).delete()
    with (
        pytest.raises(DatabaseError, match="never deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM billing_invoice WHERE id = %s", [invoice.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        InvoiceLine.objects.filter(invoice=invoice).update(description="changed")
    # Settlement columns still move.
    Invoice.objects.filter(pk=invoice.pk).update(paid_total=invoice.payable, status=InvoiceStatus.PAID)
    payment = Payment.objects.create(
        kind="capture",
        method="card",
        source="manual",
        order=invoice.order,
        amount=Decimal("1.00"),
        received_on=date.today(),
        dedupe_key="t:1",
    )
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(amount=Decimal("2.00"))


def test_issuing_records_events_on_the_invoice_and_the_order(seller):
    invoice = issue_invoice(sold_order())
    assert invoice.events.filter(name="invoice.issued").exists()
    assert OrderEvent.objects.filter(subject=invoice.order, name="order.invoiced").exists()


def test_payment_reference_has_check_digits_that_catch_typos(seller):
    order = sold_order()
    reference = payment_reference(order)
    assert reference.startswith(order.number.replace("-", ""))
    assert is_valid_reference(reference)
    assert not is_valid_reference(reference[:-1] + str((int(reference[-1]) + 1) % 10))
    assert issue_invoice(order).payment_reference == reference


@pytest.mark.parametrize(
    ("terms", "issued", "due"),
    [
        (PaymentTerms.NET_30, date(2026, 1, 15), date(2026, 2, 14)),
        (PaymentTerms.END_OF_MONTH, date(2026, 2, 10), date(2026, 2, 28)),
        (PaymentTerms.END_OF_NEXT_MONTH, date(2026, 1, 31), date(2026, 2, 28)),
        (PaymentTerms.END_OF_NEXT_MONTH, date(2026, 12, 5), date(2027, 1, 31)),
    ],
)
def test_due_dates(terms, issued, due):
    assert due_date_for(terms, issued) == due


def test_each_rates_kdv_is_computed_on_the_rates_total_not_summed_from_rounded_lines(seller):
    order = sold_order([(1, "10.00", 20)] * 20)  # 20 lines: per-line KDV 1.67 each would make 33.40
    invoice = issue_invoice(order)
    (tax,) = invoice.taxes
    assert Decimal(tax["tax"]) == Decimal("33.33") == invoice.tax_total
    assert abs(Decimal(tax["base"]) * 20 / 100 - Decimal(tax["tax"])) <= Decimal("0.01")
    lines = list(invoice.lines.all())
    assert all(line.net_total + line.tax_amount == line.gross_total for line in lines)
    assert invoice.payable == Decimal("200.00")
