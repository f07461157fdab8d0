"""Bank statements: reading the file (encodings, layouts, bad rows), matching credit lines by
reference, order number, amount and name; partial, over- and unmatched payments; matching by
hand; the panel pages."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from billing.invoicing import issue_invoice, payment_reference
from billing.models import (
    BankStatement,
    BankStatementLine,
    FinanceIssue,
    FinanceIssueKind,
    InvoiceStatus,
    MatchStatus,
    Payment,
    StatementFormat,
)
from billing.reconciliation.bank import import_statement, match_line_by_hand, parse_statement
from oms.errors import Conflict, InvalidInput
from orders.customers import CustomerData
from orders.models import PaymentStatus
from tests.billing.factories import make_seller, sold_order
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
HEADER = "Tarih;Açıklama;Gönderen;Tutar;Dekont No"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _seller():
    make_seller()


@pytest.fixture
def generic():
    return StatementFormat.objects.get(name="Genel CSV")


def statement(*rows, header=HEADER, encoding="utf-8", bom=False) -> bytes:
    text = "\r\n".join([header, *[";".join(row) for row in rows]]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def bank_order(total="150.00", **fields):
    return sold_order([(1, total, 20)], payment_method="bank_transfer", **fields)


def nothing_written():
    return not (
        BankStatement.objects.exists()
        or BankStatementLine.objects.exists()
        or Payment.objects.exists()
        or FinanceIssue.objects.exists()
    )


# --- Reading the file -----------------------------------------------------------------------------


def test_a_payment_reference_matches_the_order_and_records_one_payment(generic):
    order = bank_order()
    data = statement(("05.03.2026", f"FAST GELEN {payment_reference(order)}", "AYSE YILMAZ", "150,00", "D1"))

    result = import_statement(data, "march.csv", generic)

    line = result.lines.get()
    payment = Payment.objects.get()
    order.refresh_from_db()
    assert (line.status, line.matched_order, line.difference) == (MatchStatus.MATCHED, order, Decimal("0.00"))
    assert line.found_reference == payment_reference(order)
    assert (payment.bank_line, payment.order, payment.amount) == (line, order, Decimal("150.00"))
    assert payment.dedupe_key == f"bank:{result.pk}:2"
    assert (payment.source, payment.method, payment.received_on.isoformat()) == (
        "bank",
        "bank_transfer",
        "2026-03-05",
    )
    assert order.payment_status == PaymentStatus.PAID
    assert (result.line_count, result.matched_count, result.encoding) == (1, 1, "utf-8")
    assert not FinanceIssue.objects.exists()


@pytest.mark.parametrize(
    ("encoding", "bom", "detected"),
    [("utf-8", False, "utf-8"), ("utf-8", True, "utf-8-sig"), ("cp1254", False, "cp1254")],
)
def test_utf8_with_or_without_bom_and_windows_1254_are_read(generic, encoding, bom, detected):
    text = "HAVALE ĞÜŞİÖÇ ığüşöç"
    data = statement(("05.03.2026", text, "İSMAİL ÇAĞLAR", "10,00", "D1"), encoding=encoding, bom=bom)

    result = import_statement(data, "x.csv", generic)

    line = result.lines.get()
    assert result.encoding == detected
    assert (line.description, line.sender) == (text, "İSMAİL ÇAĞLAR")


def test_a_file_in_neither_encoding_is_refused_naming_the_line(generic):
    data = statement(("05.03.2026", "ok", "", "10,00", "D1")) + b"06.03.2026;bad \x81\xfe;;5,00;D2\r\n"

    with pytest.raises(InvalidInput) as error:
        import_statement(data, "broken.csv", generic)

    assert "line 3" in error.value.message
    assert "neither UTF-8 nor Windows-1254" in error.value.message
    assert nothing_written()


def test_a_wrong_layout_lists_the_missing_columns_and_the_headers_found():
    garanti = StatementFormat.objects.get(name="Garanti BBVA")
    data = statement(("2026-03-05", "x", "1.00"), header="Date;Text;Amount")

    with pytest.raises(InvalidInput) as error:
        import_statement(data, "wrong.csv", garanti)

    message = error.value.message
    assert "“Tarih”" in message
    assert "“Tutar”" in message
    assert "“Açıklama”" in message
    assert "“Date”" in message
    assert "“Amount”" in message
    assert error.value.code == "wrong_layout"
    assert nothing_written()


def test_the_same_file_twice_is_refused_naming_the_earlier_import(generic):
    order = bank_order()
    data = statement(("05.03.2026", payment_reference(order), "", "150,00", "D1"))
    first = import_statement(data, "march.csv", generic)

    with pytest.raises(Conflict) as error:
        import_statement(data, "march-again.csv", generic)

    assert "march.csv" in error.value.message
    assert f"#{first.pk}" in error.value.message
    assert BankStatement.objects.count() == 1
    assert Payment.objects.count() == 1


def test_an_unreadable_amount_refuses_the_whole_file_and_writes_nothing(generic):
    order = bank_order()
    data = statement(
        ("05.03.2026", payment_reference(order), "", "150,00", "D1"),
        ("06.03.2026", "other", "", "12,34,56", "D2"),
        ("07.03.2026", "other", "", "10,00", "D3"),
    )

    with pytest.raises(InvalidInput) as error:
        import_statement(data, "bad.csv", generic)

    assert "line 3" in error.value.message
    assert "12,34,56" in error.value.message
    assert nothing_written()
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PENDING


def test_debits_are_kept_as_ignored_lines_and_rows_without_a_date_are_skipped(generic):
    data = statement(
        ("05.03.2026", "HESAP İŞLETİM ÜCRETİ", "", "-25,00", "D1"),
        ("", "Toplam", "", "-25,00", ""),
    )

    result = import_statement(data, "fees.csv", generic)

    line = result.lines.get()
    assert (line.status, line.amount) == (MatchStatus.IGNORED, Decimal("-25.00"))
    assert not Payment.objects.exists()
    assert not FinanceIssue.objects.exists()


def test_date_and_time_columns_and_dot_decimals_follow_the_format():
    isbank = StatementFormat.objects.get(name="İş Bankası")
    data = statement(
        ("31/03/2026-14:05:00", "1.234,56", "Gelen EFT", "TRX1"),
        ("30/03/2026", "-5,00", "Ücret", "TRX2"),
        header="Tarih/Saat;İşlem Tutarı;Açıklama;Dekont No",
    )
    lines, _encoding = parse_statement(data, isbank)
    assert (lines[0].booked_on.isoformat(), lines[0].amount) == ("2026-03-31", Decimal("1234.56"))
    assert (lines[1].booked_on.isoformat(), lines[1].amount) == ("2026-03-30", Decimal("-5.00"))
    with pytest.raises(InvalidInput) as error:
        parse_statement(
            statement(("2026-03-31", "1,00", "x", "T"), header="Tarih/Saat;İşlem Tutarı;Açıklama;Dekont No"),
            isbank,
        )
    assert "31/01/2026-14:05:00" in error.value.message

    dotted = StatementFormat.objects.create(
        name="Dot",
        delimiter=",",
        date_column="Date",
        date_format="%Y-%m-%d",
        amount_column="Amount",
        description_column="Text",
        decimal_comma=False,
    )
    lines, _encoding = parse_statement(b"Date,Text,Amount\n2026-03-01,x,1234.56\n", dotted)
    assert lines[0].amount == Decimal("1234.56")


# --- Matching -------------------------------------------------------------------------------------


def test_less_than_owed_is_a_partial_payment_recorded_and_queued(generic):
    order = bank_order("150.00")
    result = import_statement(
        statement(("05.03.2026", payment_reference(order), "", "100,00", "D1")), "a", generic
    )

    line = result.lines.get()
    issue = FinanceIssue.objects.get()
    order.refresh_from_db()
    assert (line.status, line.difference) == (MatchStatus.PARTIAL, Decimal("-50.00"))
    assert Payment.objects.get().amount == Decimal("100.00")
    assert (issue.kind, issue.amount, issue.order, issue.bank_line) == (
        FinanceIssueKind.PARTIAL_PAYMENT,
        Decimal("50.00"),
        order,
        line,
    )
    assert issue.resolved_at is None
    assert order.payment_status == PaymentStatus.PENDING


def test_more_than_owed_is_recorded_in_full_and_queued_as_overpayment(generic):
    order = bank_order("150.00")
    result = import_statement(
        statement(("05.03.2026", payment_reference(order), "", "200,00", "D1")), "a", generic
    )

    line = result.lines.get()
    issue = FinanceIssue.objects.get()
    assert (line.status, line.difference) == (MatchStatus.OVERPAID, Decimal("50.00"))
    assert Payment.objects.get().amount == Decimal("200.00")
    assert (issue.kind, issue.amount) == (FinanceIssueKind.OVERPAYMENT, Decimal("50.00"))


def test_a_line_without_any_reference_or_known_sender_is_unmatched_and_queued(generic):
    bank_order("150.00")
    result = import_statement(
        statement(("05.03.2026", "ödeme", "MEHMET DEMİR", "150,00", "D1")), "a", generic
    )

    line = result.lines.get()
    issue = FinanceIssue.objects.get()
    assert line.status == MatchStatus.UNMATCHED
    assert line.matched_order is None
    assert (issue.kind, issue.bank_line, issue.amount) == (
        FinanceIssueKind.UNMATCHED,
        line,
        Decimal("150.00"),
    )
    assert not Payment.objects.exists()


def test_a_reference_with_a_typo_is_not_matched_to_any_order(generic):
    first = bank_order("150.00")
    second = bank_order("150.00")
    reference = payment_reference(first)
    wrong_check = reference[:-2] + f"{(int(reference[-2:]) + 1) % 100:02d}"
    other_base = (
        "".join(ch for ch in second.number if ch.isalnum()) + reference[-2:]
    )  # second's number, first's digits
    data = statement(
        ("05.03.2026", f"HAVALE {wrong_check}", "MEHMET DEMİR", "150,00", "D1"),
        ("05.03.2026", f"HAVALE {other_base}", "MEHMET DEMİR", "150,00", "D2"),
    )

    result = import_statement(data, "typo.csv", generic)

    assert set(result.lines.values_list("status", flat=True)) == {MatchStatus.UNMATCHED}
    assert not Payment.objects.exists()
    details = list(FinanceIssue.objects.values_list("detail", flat=True))
    assert all("check digits are wrong" in detail for detail in details), details


@pytest.mark.parametrize("style", ["dashes", "compact", "spaced"])
def test_a_bare_order_number_is_matched(generic, style):
    order = bank_order("150.00")
    written = {
        "dashes": order.number,
        "compact": order.number.replace("-", ""),
        "spaced": order.number.replace("-", " ").lower(),
    }[style]

    result = import_statement(
        statement(("05.03.2026", f"sipariş {written}", "", "150,00", "D1")), "a", generic
    )

    line = result.lines.get()
    assert (line.status, line.matched_order) == (MatchStatus.MATCHED, order)


def test_an_open_invoice_is_paid_by_its_orders_reference(generic):
    order = bank_order("150.00")
    invoice = issue_invoice(order)

    result = import_statement(
        statement(("05.03.2026", invoice.payment_reference, "", "150,00", "D1")), "a", generic
    )

    line = result.lines.get()
    invoice.refresh_from_db()
    assert (line.status, line.matched_invoice) == (MatchStatus.MATCHED, invoice)
    assert Payment.objects.get().invoice == invoice
    assert (invoice.status, invoice.paid_total) == (InvoiceStatus.PAID, Decimal("150.00"))


def test_without_a_reference_the_amount_and_sender_name_find_the_one_order(generic):
    customer = CustomerData(email="isil@example.com", first_name="Işıl", last_name="Doğan")
    order = bank_order("349.90", customer=customer)
    bank_order("349.90")  # same amount, another customer
    bank_order(
        "120.00", customer=CustomerData(email="isil@example.com", first_name="Işıl", last_name="Doğan")
    )

    result = import_statement(
        statement(("05.03.2026", "EFT GELEN", "ISIL DOGAN", "349,90", "D1")), "a", generic
    )

    line = result.lines.get()
    assert (line.status, line.matched_order) == (MatchStatus.MATCHED, order)


def test_two_open_orders_of_that_amount_in_that_name_are_left_to_a_person(generic):
    for _n in range(2):
        bank_order(
            "349.90", customer=CustomerData(email="inci@example.com", first_name="İnci", last_name="Şahin")
        )

    result = import_statement(statement(("05.03.2026", "EFT", "INCI SAHIN", "349,90", "D1")), "a", generic)

    assert result.lines.get().status == MatchStatus.UNMATCHED
    assert "2 open orders" in FinanceIssue.objects.get().detail
    assert not Payment.objects.exists()


def test_a_line_already_in_an_earlier_overlapping_statement_is_not_counted_twice(generic):
    order = bank_order("150.00")
    paid = ("05.03.2026", payment_reference(order), "", "150,00", "D1")
    import_statement(statement(paid), "first-half.csv", generic)

    second = import_statement(statement(paid, ("06.03.2026", "fee", "", "-1,00", "D2")), "month.csv", generic)

    assert list(second.lines.values_list("status", flat=True)) == [MatchStatus.IGNORED, MatchStatus.IGNORED]
    assert Payment.objects.count() == 1


# --- By hand --------------------------------------------------------------------------------------


def test_matching_by_hand_records_the_payment_and_resolves_the_unmatched_issue(generic):
    order = bank_order("150.00")
    finance = make_user(role="finance")
    result = import_statement(statement(("05.03.2026", "ödeme", "", "150,00", "D1")), "a", generic)
    line = result.lines.get()

    match_line_by_hand(line, order, finance)

    line.refresh_from_db()
    result.refresh_from_db()
    issue = FinanceIssue.objects.get()
    assert (line.status, line.matched_order) == (MatchStatus.MATCHED, order)
    assert Payment.objects.get().dedupe_key == f"bank:{result.pk}:{line.row_number}"
    assert issue.resolved_by == finance
    assert order.number in issue.resolution
    assert result.matched_count == 1
    with pytest.raises(Conflict):
        match_line_by_hand(line, order, finance)
    assert Payment.objects.count() == 1


def test_matching_a_debit_by_hand_is_refused(generic):
    order = bank_order()
    line = import_statement(statement(("05.03.2026", "fee", "", "-5,00", "D1")), "a", generic).lines.get()
    with pytest.raises(InvalidInput):
        match_line_by_hand(line, order, None)
    assert not Payment.objects.exists()


# --- The sample files -----------------------------------------------------------------------------


def test_the_documented_samples_parse_with_their_formats():
    garanti = StatementFormat.objects.get(name="Garanti BBVA")
    ziraat = StatementFormat.objects.get(name="Ziraat Bankası")

    utf8_lines, utf8 = parse_statement((SAMPLES / "bank-statement-garanti-utf8.csv").read_bytes(), garanti)
    cp_lines, cp = parse_statement((SAMPLES / "bank-statement-ziraat-cp1254.csv").read_bytes(), ziraat)

    assert (utf8, len(utf8_lines)) == ("utf-8", 5)
    assert (cp, len(cp_lines)) == ("cp1254", 4)
    assert "ĞÜŞİÖÇ ığüşöç" in cp_lines[0].description
    assert [line.amount for line in utf8_lines][:2] == [Decimal("1250.00"), Decimal("349.90")]
    assert cp_lines[2].amount == Decimal("-12.50")
    result = import_statement((SAMPLES / "bank-statement-ziraat-cp1254.csv").read_bytes(), "z.csv", ziraat)
    assert result.lines.filter(status=MatchStatus.IGNORED).count() == 1


# --- Panel ----------------------------------------------------------------------------------------


def test_statement_pages_need_billing_access_and_uploading_needs_record_payment(client, generic):
    client.force_login(make_user(role="warehouse", language="en"))
    assert client.get(reverse("billing:bank_statements")).status_code == 403

    client.force_login(make_user(role="operator", language="en"))
    assert client.get(reverse("billing:bank_statements")).status_code == 200
    upload = SimpleUploadedFile("a.csv", statement(("05.03.2026", "x", "", "1,00", "D1")))
    response = client.post(reverse("billing:bank_statement_upload"), {"format": generic.pk, "file": upload})
    assert response.status_code == 403
    assert not BankStatement.objects.exists()


def test_finance_uploads_a_statement_and_filters_its_lines(client, generic):
    order = bank_order()
    client.force_login(make_user(role="finance", language="en"))
    data = statement(
        ("05.03.2026", payment_reference(order), "", "150,00", "D1"), ("05.03.2026", "who?", "", "9,00", "D2")
    )

    response = client.post(
        reverse("billing:bank_statement_upload"),
        {"format": generic.pk, "file": SimpleUploadedFile("m.csv", data)},
    )

    result = BankStatement.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("billing:bank_statement_detail", args=[result.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    assert order.number in page.content.decode()
    partial = client.get(response.url, {"status": "unmatched"}, headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert "who?" in body
    assert order.number not in body
    assert "<html" not in body


def test_an_upload_error_is_shown_in_the_form(client, generic):
    client.force_login(make_user(role="finance", language="en"))
    upload = SimpleUploadedFile("wrong.csv", statement(("x", "y"), header="Date;Amount"))

    response = client.post(reverse("billing:bank_statement_upload"), {"format": generic.pk, "file": upload})

    assert response.status_code == 422
    assert "missing column(s)" in response.content.decode()
    assert not BankStatement.objects.exists()


def test_match_by_hand_from_the_statement_page_swaps_the_row(client, generic):
    order = bank_order("150.00")
    line = import_statement(statement(("05.03.2026", "ödeme", "", "150,00", "D1")), "a", generic).lines.get()
    url = reverse("billing:bank_line_match", args=[line.pk])

    client.force_login(make_user(role="operator", language="en"))
    assert client.post(url, {"target": order.number}).status_code == 403

    client.force_login(make_user(role="finance", language="en"))
    response = client.post(url, {"target": order.number.replace("-", "")}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="bank-line-{line.pk}"' in body
    assert "Matched" in body
    assert "<html" not in body
    line.refresh_from_db()
    assert line.status == MatchStatus.MATCHED


def test_statement_list_queries_do_not_grow_with_the_rows(client, generic, django_assert_max_num_queries):
    client.force_login(make_user(role="finance", language="en"))
    for n in range(2):
        import_statement(statement(("05.03.2026", f"x{n}", "", "1,00", f"D{n}")), f"{n}.csv", generic)
    with django_assert_max_num_queries(15) as few:
        assert client.get(reverse("billing:bank_statements")).status_code == 200
    for n in range(2, 8):
        import_statement(statement(("05.03.2026", f"x{n}", "", "1,00", f"D{n}")), f"{n}.csv", generic)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("billing:bank_statements")).status_code == 200


def test_statement_detail_queries_do_not_grow_with_the_lines(client, generic, django_assert_max_num_queries):
    client.force_login(make_user(role="finance", language="en"))
    orders = [bank_order("10.00") for _n in range(4)]
    rows = [("05.03.2026", payment_reference(o), "", "10,00", f"D{i}") for i, o in enumerate(orders)]
    small = import_statement(statement(*rows[:1]), "1.csv", generic)
    big = import_statement(statement(*rows[1:], ("05.03.2026", "?", "", "3,00", "DX")), "2.csv", generic)
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("billing:bank_statement_detail", args=[small.pk]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("billing:bank_statement_detail", args=[big.pk])).status_code == 200


def test_statement_page_and_queue_link_the_invoice_and_the_line(client, generic):
    order = bank_order("150.00")
    invoice = issue_invoice(order)
    result = import_statement(
        statement(("05.03.2026", invoice.payment_reference, "", "100,00", "D1")), "a", generic
    )
    client.force_login(make_user(role="finance", language="en"))

    page = client.get(reverse("billing:bank_statement_detail", args=[result.pk])).content.decode()
    queue_page = client.get(reverse("billing:finance_queue")).content.decode()

    assert invoice.number in page
    assert "Partial payment" in page
    assert invoice.number in queue_page
    assert reverse("billing:bank_statement_detail", args=[result.pk]) in queue_page
    assert "still to come" in queue_page
