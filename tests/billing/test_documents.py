"""Invoice and credit-note PDFs, and the ZIP of PDFs and XMLs for bulk download."""

import io
import shutil
import subprocess
import zipfile
from decimal import Decimal

import pytest
from django.utils import translation
from lxml import etree

from billing import documents
from billing.documents import EARCHIVE_NOTE, invoice_context, invoice_pdf, invoices_zip
from billing.invoicing import ANONYMOUS_TCKN, issue_credit_note, issue_invoice
from billing.models import PaymentTerms
from oms.errors import InvalidInput
from tests.billing.factories import BUYER_VKN, SELLER_VKN, make_account, make_seller, sold_order

pytestmark = pytest.mark.django_db

IBAN = "TR330006100519786457841326"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def seller():
    return make_seller(mersis_number="0123456789012345", trade_registry="123456-5")


def pdf_text(content: bytes) -> str:
    """The PDF's text, whitespace collapsed (poppler's pdftotext; make test installs poppler-utils)."""
    assert content.startswith(b"%PDF")
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is not installed (poppler-utils)")
    result = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True, timeout=30
    )
    return " ".join(result.stdout.decode().split())


def company_invoice():
    order = sold_order(
        [(3, "99.99", 20), (1, "45.50", 10), (1, "50.00", 0)],
        shipping_fee="29.90",
        discount="10.00",
        payment_method="bank_transfer",
    )
    make_account(
        order.customer,
        legal_name="Anadolu Yapı Malzemeleri Ltd. Şti.",
        tax_number=BUYER_VKN,
        tax_office="Çankaya",
        einvoice_registrant=True,
        payment_terms=PaymentTerms.NET_30,
        invoice_note="Satın alma siparişi PO-4411",
    )
    return issue_invoice(order)


def test_invoice_pdf_shows_the_legal_identities_numbers_and_amount_in_words(seller):
    invoice = company_invoice()
    text = pdf_text(invoice_pdf(invoice, language="en"))
    for shown in (
        "e-Invoice".upper(),  # the title (upper-cased by the stylesheet)
        invoice.number,
        str(invoice.uuid),  # ETTN
        "Örnek Ticaret A.Ş.",
        f"VKN: {SELLER_VKN}",
        "MERSİS no.: 0123456789012345",
        "Trade registry no.: 123456-5",
        "Anadolu Yapı Malzemeleri Ltd. Şti.",
        f"VKN: {BUYER_VKN}",
        "Tax office: Çankaya",
        invoice.order.number,
        invoice.issue_date.strftime("%d.%m.%Y"),
        invoice.due_date.strftime("%d.%m.%Y"),  # net 30
        "Yalnız",
        invoice.payment_reference,
        IBAN,
        "Satın alma siparişi PO-4411",
        "Page 1 / 1",
    ):
        assert shown in text, shown
    assert invoice_context(invoice)["in_words"] in text  # "Yalnız ... Türk Lirası ... Kuruş" in full
    # Lines with SKU, rate and the exemption of the 0 % line; totals per rate.
    for line in invoice.lines.all():
        assert line.description in text
    assert "351" in text
    for rate in ("KDV (20 %)", "KDV (10 %)", "KDV (0 %)"):
        assert rate in text
    assert f"Payable ₺{invoice.payable:,.2f}" in text
    assert EARCHIVE_NOTE not in text  # e-Fatura, not e-Arşiv


def test_earchive_pdf_to_a_consumer_paying_by_card(seller):
    invoice = issue_invoice(sold_order([(2, "100.00", 20)]))
    text = pdf_text(invoice_pdf(invoice, language="en"))
    assert "e-Archive invoice".upper() in text
    assert f"TCKN: {ANONYMOUS_TCKN}" in text
    assert "Yalnız İki Yüz Türk Lirası" in text
    assert EARCHIVE_NOTE in text  # GİB: e-Arşiv sent electronically says so on its face
    assert IBAN not in text  # paid by card: no bank details
    assert invoice.payment_reference not in text


def test_credit_note_pdf_names_the_original_invoice(seller):
    invoice = company_invoice()
    note = issue_credit_note(
        invoice, reason="Hasarlı ürün iadesi", quantities={invoice.lines.get(position=1).pk: 1}
    )
    text = pdf_text(invoice_pdf(note, language="en"))
    assert "Credit note".upper() in text
    assert note.number in text
    assert str(note.uuid) in text
    assert f"Credit note for invoice {invoice.number} of {invoice.issue_date:%d.%m.%Y}" in text
    assert "Reason: Hasarlı ürün iadesi" in text
    assert "Yalnız" in text
    assert IBAN not in text  # nothing to pay on a credit note


def test_the_pdf_is_in_the_site_language_unless_asked(seller, settings):
    invoice = issue_invoice(sold_order())
    assert settings.LANGUAGE_CODE == "tr"
    default = pdf_text(invoice_pdf(invoice))  # the active language is English (fixture)
    english = pdf_text(invoice_pdf(invoice, language="en"))
    assert "Sayfa 1 / 1" in default
    assert "Page 1 / 1" in english
    assert "Yalnız" in default  # always Turkish
    assert "Yalnız" in english


def test_a_long_invoice_runs_over_pages_with_numbers(seller):
    invoice = issue_invoice(sold_order([(1, "10.00", 20)] * 30))
    text = pdf_text(invoice_pdf(invoice, language="en"))
    assert "Page 1 / 2" in text
    assert "Page 2 / 2" in text
    assert text.count(invoice.number) >= 2  # the number in every page's footer
    assert "Yalnız Üç Yüz Türk Lirası" in text


def test_invoice_pdf_accepts_an_id_and_uses_few_queries(seller, django_assert_max_num_queries):
    invoice = issue_invoice(sold_order())
    with django_assert_max_num_queries(4):  # invoice with order and original, lines, seller
        content = invoice_pdf(invoice.pk, language="en")
    assert invoice.number in pdf_text(content)


# --- ZIP --------------------------------------------------------------------------------------------


def test_zip_has_a_pdf_and_an_xml_per_invoice(seller, django_assert_max_num_queries):
    invoices = [issue_invoice(sold_order()) for _ in range(3)]
    note = issue_credit_note(invoices[0], reason="İptal")
    chosen = [*invoices, note]
    with django_assert_max_num_queries(4):  # the same few queries whatever the number of invoices
        content = invoices_zip(chosen)
    archive = zipfile.ZipFile(io.BytesIO(content))
    expected = sorted(f"{i.number}.{ext}" for i in chosen for ext in ("pdf", "xml"))
    assert sorted(archive.namelist()) == expected
    for invoice in chosen:
        assert archive.read(f"{invoice.number}.pdf").startswith(b"%PDF")
        root = etree.fromstring(archive.read(f"{invoice.number}.xml"))
        ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
        assert root.findtext("cbc:ID", namespaces=ns) == invoice.number
        assert root.findtext("cbc:InvoiceTypeCode", namespaces=ns) == invoice.type_code
    assert archive.getinfo(f"{note.number}.xml").compress_type == zipfile.ZIP_DEFLATED
    assert archive.getinfo(f"{note.number}.pdf").compress_type == zipfile.ZIP_STORED


def test_zip_of_only_xml_or_only_pdf(seller):
    invoices = [issue_invoice(sold_order()) for _ in range(2)]
    only_xml = zipfile.ZipFile(io.BytesIO(invoices_zip([i.pk for i in invoices], pdf=False)))
    assert sorted(only_xml.namelist()) == sorted(f"{i.number}.xml" for i in invoices)
    only_pdf = zipfile.ZipFile(io.BytesIO(invoices_zip(invoices, xml=False)))
    assert sorted(only_pdf.namelist()) == sorted(f"{i.number}.pdf" for i in invoices)
    # The same invoice twice is in the ZIP once.
    twice = zipfile.ZipFile(io.BytesIO(invoices_zip([invoices[0], invoices[0].pk], pdf=False)))
    assert twice.namelist() == [f"{invoices[0].number}.xml"]
    with pytest.raises(InvalidInput):
        invoices_zip(invoices, pdf=False, xml=False)


def test_zip_refuses_more_than_its_limit(seller, monkeypatch):
    invoices = [issue_invoice(sold_order()) for _ in range(3)]
    monkeypatch.setattr(documents, "MAX_ZIP_INVOICES", 2)
    with pytest.raises(InvalidInput) as error:
        invoices_zip(invoices)
    assert error.value.code == "too_many_invoices"
    assert "At most 2 invoices" in error.value.message


def test_zip_lists_invoices_whose_xml_cannot_be_made(seller):
    lira = issue_invoice(sold_order())
    dollars = issue_invoice(sold_order([(1, "80.00", 20)], currency="USD"))
    archive = zipfile.ZipFile(io.BytesIO(invoices_zip([lira, dollars])))
    names = set(archive.namelist())
    assert {f"{lira.number}.pdf", f"{lira.number}.xml", f"{dollars.number}.pdf", "ERRORS.txt"} == names
    errors = archive.read("ERRORS.txt").decode()
    assert dollars.number in errors
    assert "exchange rate" in errors


def test_context_amounts(seller):
    invoice = company_invoice()
    context = invoice_context(invoice)
    assert context["title"] == "e-Invoice"
    assert context["buyer_scheme"] == "VKN"
    assert context["transfer"] is True
    assert context["iban"] == IBAN
    assert [t["rate"] for t in context["taxes"]] == [20, 10, 0]
    assert context["payable"] == f"₺{invoice.payable:,.2f}"
    assert context["goods_total"] == f"₺{invoice.line_total + invoice.discount_total:,.2f}"
    assert invoice.discount_total > Decimal(0)
    assert context["discount_total"] == f"₺{invoice.discount_total:,.2f}"
