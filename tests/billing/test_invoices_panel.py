"""Billing panel: the overview figures, the invoice list (filters, htmx, constant queries, bulk
ZIP), one invoice's page with its acts, issuing by hand, and who may do what."""

import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

import billing.events_invoices  # noqa: F401 - timeline labels (billing/apps.py imports it in the project)
from billing.invoicing import issue_credit_note, issue_invoice
from billing.models import (
    BankStatement,
    BankStatementLine,
    FinanceIssue,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    StatementFormat,
)
from billing.payments import record_payment
from tests.billing.factories import make_account, make_seller, sold_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def seller():
    return make_seller()


def login(client, user_factory, role):
    client.force_login(user_factory(role=role, language="en"))
    return client


@pytest.fixture
def finance(client, user_factory):
    return login(client, user_factory, "finance")


@pytest.fixture
def operator_client(client, user_factory):
    return login(client, user_factory, "operator")


@pytest.fixture
def invoice():
    return issue_invoice(sold_order([(2, "100.00", 20), (1, "50.00", 10)], payment_method="bank_transfer"))


def issued_days_ago(monkeypatch, days: int, lines=((1, "100.00", 20),)) -> Invoice:
    """An invoice of a bank-transfer order issued ``days`` ago (due that day: overdue since)."""
    order = sold_order(lines, payment_method="bank_transfer")
    past = timezone.localdate() - timedelta(days=days)
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "localdate", lambda *args, **kwargs: past)
        return issue_invoice(order)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Access ---------------------------------------------------------------------------------------


def test_warehouse_staff_may_not_open_the_billing_section(client, user_factory, invoice):
    login(client, user_factory, "warehouse")
    for url in (
        reverse("billing:index"),
        reverse("billing:invoices"),
        reverse("billing:invoice_detail", args=[invoice.pk]),
        reverse("billing:invoice_pdf", args=[invoice.pk]),
    ):
        assert client.get(url).status_code == 403, url


def test_operators_see_invoices_but_may_not_issue_credit_or_mark_sent(operator_client, invoice):
    assert operator_client.get(reverse("billing:invoices")).status_code == 200
    page = operator_client.get(reverse("billing:invoice_detail", args=[invoice.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert invoice.number in body
    assert reverse("billing:invoice_credit", args=[invoice.pk]) not in body
    assert reverse("billing:invoice_mark_sent", args=[invoice.pk]) not in body

    line = invoice.lines.first()
    credit = operator_client.post(
        reverse("billing:invoice_credit", args=[invoice.pk]), {"reason": "x", f"line_{line.pk}": "1"}
    )
    assert credit.status_code == 403
    assert operator_client.post(reverse("billing:invoice_mark_sent", args=[invoice.pk])).status_code == 403
    assert operator_client.get(reverse("billing:invoice_issue")).status_code == 403
    invoice.refresh_from_db()
    assert invoice.sent_at is None
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()


def test_anonymous_users_go_to_the_login_page(client, invoice):
    response = client.get(reverse("billing:invoices"))
    assert response.status_code == 302
    assert "login" in response["Location"]


# --- Overview -------------------------------------------------------------------------------------


def test_overview_shows_receivables_overdue_and_finance_work(
    finance, monkeypatch, django_assert_max_num_queries
):
    issued_days_ago(monkeypatch, 40, [(1, "1000.00", 20)])
    paid = issue_invoice(sold_order([(1, "80.00", 20)]))
    record_payment(kind="capture", amount="80.00", dedupe_key="bank:x:1", source="bank", invoice=paid)
    issue_invoice(sold_order([(1, "250.00", 20)]))
    statement = BankStatement.objects.create(
        format=StatementFormat.objects.create(
            name="Bank", date_column="d", amount_column="a", description_column="t"
        ),
        filename="s.csv",
        sha256="0" * 64,
        encoding="utf-8",
    )
    BankStatementLine.objects.create(
        statement=statement, row_number=1, booked_on=timezone.localdate(), amount=5, description="?"
    )
    FinanceIssue.objects.create(kind="unmatched", key="bank:1", amount=5)

    with django_assert_max_num_queries(12):
        response = finance.get(reverse("billing:index"))

    assert response.status_code == 200
    context = response.context
    assert context["receivables"] == [(Decimal("1250.00"), "TRY")]
    assert context["overdue"] == [(Decimal("1000.00"), "TRY")]
    assert (context["open_count"], context["overdue_count"], context["issued_count"]) == (2, 1, 2)
    assert (context["unmatched_lines"], context["open_issues"]) == (1, 1)
    body = response.content.decode()
    assert f'href="{reverse("billing:invoices")}?overdue=on"' in body
    assert reverse("billing:invoices") in body  # the sub-navigation


# --- List -----------------------------------------------------------------------------------------


def test_list_filters_by_kind_status_search_and_overdue(finance, invoice, monkeypatch):
    other = issue_invoice(sold_order([(1, "40.00", 20)]))
    note = issue_credit_note(other, reason="Damaged")
    late = issued_days_ago(monkeypatch, 2)
    paid_late = issued_days_ago(monkeypatch, 2)
    record_payment(kind="capture", amount="100.00", dedupe_key="b:1", source="bank", invoice=paid_late)

    def listed(**query):
        response = finance.get(reverse("billing:invoices"), query)
        assert response.status_code == 200
        return {i.pk for i in response.context["page"]}

    assert listed() == {invoice.pk, other.pk, note.pk, late.pk, paid_late.pk}
    assert listed(kind="credit_note") == {note.pk}
    assert listed(status="credited") == {other.pk}
    assert listed(status=["open", "credited"]) == {invoice.pk, other.pk, late.pk}
    assert listed(q=invoice.number.lower()) == {invoice.pk}
    assert listed(q=invoice.order.number) == {invoice.pk}
    assert listed(overdue="on") == {late.pk}
    assert listed(issued_from=(timezone.localdate() + timedelta(days=1)).isoformat()) == set()
    assert listed(customer=invoice.customer_id) == {invoice.pk}


def test_list_htmx_returns_only_the_results(finance, invoice):
    response = finance.get(reverse("billing:invoices"), {"kind": "invoice"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="results"')
    assert invoice.number in body
    assert "<html" not in body


def test_list_query_count_does_not_grow(finance, settings, django_assert_max_num_queries):
    settings.PANEL_PAGE_SIZE = 50
    for _ in range(3):
        issue_invoice(sold_order([(1, "10.00", 20)]))
    with django_assert_max_num_queries(12) as few:
        finance.get(reverse("billing:invoices"))
    for _ in range(6):
        issue_invoice(sold_order([(1, "10.00", 20)]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = finance.get(reverse("billing:invoices"))
    assert len(response.context["page"]) == 9


def test_list_pages_with_a_cursor(finance, settings):
    settings.PANEL_PAGE_SIZE = 2
    made = [issue_invoice(sold_order([(1, "10.00", 20)])) for _ in range(3)]
    first = finance.get(reverse("billing:invoices"))
    assert [i.pk for i in first.context["page"]] == [made[2].pk, made[1].pk]
    second = finance.get(reverse("billing:invoices"), {"cursor": first.context["page"].next_cursor})
    assert [i.pk for i in second.context["page"]] == [made[0].pk]


def test_bulk_download_zips_the_ticked_invoices(operator_client, invoice):
    other = issue_invoice(sold_order([(1, "40.00", 20)]))
    response = operator_client.post(
        reverse("billing:invoice_download"), {"ids": [invoice.pk, other.pk], "xml": "on"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert len(names) == 2
    assert all(name.endswith(".xml") for name in names)
    assert any(invoice.number in name for name in names)


def test_bulk_download_of_the_whole_page_with_pdfs(operator_client, invoice):
    response = operator_client.post(
        reverse("billing:invoice_download"), {"whole_page": "on", "page_ids": [invoice.pk], "pdf": "on"}
    )
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert [name for name in names if name.endswith(".pdf")]
    assert not [name for name in names if name.endswith(".xml")]


def test_bulk_download_without_a_choice_says_so(operator_client, invoice):
    response = operator_client.post(reverse("billing:invoice_download"), {"pdf": "on"}, follow=True)
    assert "Tick the invoices first." in messages_of(response)


# --- One invoice ----------------------------------------------------------------------------------


def test_detail_shows_lines_taxes_payments_and_timeline(finance, invoice, django_assert_max_num_queries):
    record_payment(kind="capture", amount="100.00", dedupe_key="bank:1:1", source="bank", invoice=invoice)
    issue_credit_note(invoice, reason="Broken glass", quantities={invoice.lines.first().pk: 1})
    with django_assert_max_num_queries(14):
        response = finance.get(reverse("billing:invoice_detail", args=[invoice.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "KDV 20 %" in body
    assert "KDV 10 %" in body
    assert "Bank statement" in body  # the payment row
    assert "Broken glass" in body  # the credit note
    assert "Invoice issued" in body  # timeline label
    assert reverse("billing:invoice_credit", args=[invoice.pk]) in body


def test_detail_also_lists_payments_taken_on_the_order_before_the_invoice(finance):
    order = sold_order([(1, "70.00", 20)])
    record_payment(
        kind="capture",
        amount="70.00",
        dedupe_key="paytr:pre",
        source="paytr",
        order=order,
        provider_reference="PTR-PRE-1",
    )
    invoice = issue_invoice(order)
    body = finance.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert "PTR-PRE-1" in body
    assert "on the order" in body


def test_pdf_and_xml_downloads(operator_client, invoice):
    pdf = operator_client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    xml = operator_client.get(reverse("billing:invoice_xml", args=[invoice.pk]))
    assert xml.status_code == 200
    assert xml["Content-Type"] == "application/xml"
    assert invoice.number.encode() in xml.content


def test_finance_marks_an_invoice_as_sent(finance, invoice):
    response = finance.post(reverse("billing:invoice_mark_sent", args=[invoice.pk]), follow=True)
    invoice.refresh_from_db()
    assert invoice.sent_at is not None
    assert invoice.events.filter(name="invoice.sent").exists()
    assert f"{invoice.number} marked as sent." in messages_of(response)


def test_finance_issues_a_partial_credit_note(finance, invoice):
    line = invoice.lines.order_by("position").first()
    response = finance.post(
        reverse("billing:invoice_credit", args=[invoice.pk]), {"reason": "Returned", f"line_{line.pk}": "1"}
    )
    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:invoice_detail", args=[note.pk])
    assert note.payable == Decimal("100.00")
    assert note.reason == "Returned"
    invoice.refresh_from_db()
    assert invoice.credited_total == Decimal("100.00")
    assert invoice.status == InvoiceStatus.OPEN


def test_a_credit_note_without_a_reason_or_too_large_is_refused(finance, invoice):
    line = invoice.lines.order_by("position").first()
    url = reverse("billing:invoice_credit", args=[invoice.pk])
    no_reason = finance.post(url, {"reason": "  ", f"line_{line.pk}": "1"})
    assert no_reason.status_code == 422
    assert no_reason.context["credit_form"].errors["reason"]
    too_many = finance.post(url, {"reason": "Returned", f"line_{line.pk}": "5"})
    assert too_many.status_code == 422
    assert too_many.context["credit_form"].errors[f"line_{line.pk}"]
    issue_credit_note(invoice, reason="All back")
    again = finance.post(url, {"reason": "Again"}, follow=True)
    assert any("fully credited" in m for m in messages_of(again))
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1


# --- Issuing by hand ------------------------------------------------------------------------------


def test_finance_issues_an_invoice_by_hand_in_two_steps_and_a_double_submit_issues_once(finance):
    order = sold_order([(3, "100.00", 20), (1, "60.00", 10)], shipping_fee="20.00")
    first, second = order.lines.order_by("pk")

    step_one = finance.get(reverse("billing:invoice_issue"))
    assert step_one.status_code == 200
    step_two = finance.get(reverse("billing:invoice_issue"), {"order": order.number.lower()})
    assert step_two.status_code == 200
    form = step_two.context["form"]
    token = form.initial["token"]
    data = {"order_number": order.number, "token": token, f"line_{first.pk}": "2", f"line_{second.pk}": "0"}

    issued = finance.post(reverse("billing:invoice_issue"), data)
    invoice = Invoice.objects.get(order=order)
    assert issued.status_code == 302
    assert issued["Location"] == reverse("billing:invoice_detail", args=[invoice.pk])
    assert invoice.source_key == f"manual:{token}"
    assert [(line.order_line_id, line.quantity) for line in invoice.lines.filter(is_shipping=False)] == [
        (first.pk, Decimal(2))
    ]
    assert invoice.issued_by is not None

    again = finance.post(reverse("billing:invoice_issue"), data, follow=True)
    assert Invoice.objects.filter(order=order).count() == 1
    assert f"{invoice.number} was issued already." in messages_of(again)


def test_issuing_by_hand_reports_an_unknown_order_and_a_bad_tax_number(finance):
    missing = finance.get(reverse("billing:invoice_issue"), {"order": "SIP-0000-000000"})
    assert missing.status_code == 422
    assert missing.context["order_form"].errors["order_number"]

    order = sold_order([(1, "100.00", 20)])
    make_account(order.customer, tax_number="1234567891")  # bad checksum
    form = finance.get(reverse("billing:invoice_issue"), {"order": order.number}).context["form"]
    response = finance.post(
        reverse("billing:invoice_issue"),
        {"order_number": order.number, "token": form.initial["token"], f"line_{order.lines.get().pk}": "1"},
        follow=True,
    )
    assert any("1234567891" in m for m in messages_of(response))
    assert not Invoice.objects.exists()


def test_issuing_an_order_with_nothing_left_says_so(finance, invoice):
    response = finance.get(reverse("billing:invoice_issue"), {"order": invoice.order.number})
    assert response.status_code == 200
    assert "form" not in response.context or response.context.get("form") is None
    assert any("nothing left to invoice" in m for m in messages_of(response))
