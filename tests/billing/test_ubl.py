"""UBL-TR 1.2 XML of invoices and credit notes, checked against GİB's XSD and schematron with the
``efatura-kontrol`` package (offline), and parsed back to check that its amounts add up."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from efatura_kontrol.kontrol import kontrol_et
from lxml import etree

from billing.invoicing import ANONYMOUS_TCKN, issue_credit_note, issue_invoice
from billing.models import InvoiceProfile, PaymentTerms
from billing.ubl import SIGNATURE_FINDINGS, amount_text, invoice_xml, person_name
from oms.errors import InvalidInput
from tests.billing.factories import BUYER_TCKN, BUYER_VKN, SELLER_VKN, make_account, make_seller, sold_order

pytestmark = pytest.mark.django_db

NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def seller():
    return make_seller(mersis_number="0123456789012345", phone="+902160000000", website="ornek.example")


def _is_signature_finding(finding) -> bool:
    for prefix, level, where in SIGNATURE_FINDINGS:
        matches = finding.kod.startswith(prefix) and finding.seviye == level
        if matches and (where is None or where in f"{finding.mesaj} {finding.konum or ''}"):
            return True
    return False


def validate(xml: bytes) -> list[str]:
    """Every finding of GİB's XSD, schematron and the arithmetic checks (errors, warnings and
    notes alike) except the documented ones of an unsigned document."""
    report = kontrol_et(xml)
    signature = [f for f in report.bulgular if _is_signature_finding(f)]
    # What is skipped is exactly the empty signature slot and the missing signature, nothing else.
    assert sorted(f.kod for f in signature) == ["imza-yok", "xsd-element-content", "xsd-ozet"], report.metin()
    return [f"{f.seviye} {f.kod}: {f.mesaj}" for f in report.bulgular if not _is_signature_finding(f)]


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def text(root, path: str) -> str:
    return root.findtext(path, namespaces=NS)


def amount(root, path: str) -> Decimal:
    return Decimal(text(root, path))


def company_invoice(**account_fields):
    """An e-invoice to a VKN company: KDV 20, 10, 1 and a 0 % exempt line, shipping, an order
    discount, on account with net 30 terms."""
    order = sold_order(
        [(3, "99.99", 20), (1, "45.50", 10), (2, "12.34", 1), (1, "50.00", 0)],
        shipping_fee="29.90",
        discount="10.00",
        payment_method="on_account",
    )
    make_account(
        order.customer,
        legal_name="Anadolu Yapı Malzemeleri Ltd. Şti.",
        tax_number=BUYER_VKN,
        tax_office="Çankaya",
        einvoice_registrant=True,
        einvoice_alias="urn:mail:defaultpk@anadolu.example",
        payment_terms=PaymentTerms.NET_30,
        invoice_note="Satın alma siparişi PO-4411",
        **account_fields,
    )
    return issue_invoice(order)


# --- The three kinds of document pass GİB's checks ---------------------------------------------------


def test_earchive_invoice_to_a_consumer_passes_the_validator(seller):
    invoice = issue_invoice(sold_order([(2, "100.00", 20), (1, "35.00", 10)], shipping_fee="19.90"))
    assert invoice.profile == InvoiceProfile.EARCHIVE
    assert invoice.buyer_tax_number == ANONYMOUS_TCKN
    xml = invoice_xml(invoice)
    assert validate(xml) == []

    root = parse(xml)
    assert text(root, "cbc:UBLVersionID") == "2.1"
    assert text(root, "cbc:CustomizationID") == "TR1.2"
    assert text(root, "cbc:ProfileID") == "EARSIVFATURA"
    assert text(root, "cbc:ID") == invoice.number
    assert text(root, "cbc:CopyIndicator") == "false"
    assert text(root, "cbc:UUID") == str(invoice.uuid)
    assert text(root, "cbc:IssueDate") == invoice.issue_date.isoformat()
    assert len(text(root, "cbc:IssueTime")) == 8  # HH:MM:SS, e-Arşiv wants the time
    assert text(root, "cbc:InvoiceTypeCode") == "SATIS"
    assert text(root, "cbc:DocumentCurrencyCode") == "TRY"
    assert text(root, "cbc:LineCountNumeric") == "3"
    assert text(root, "cbc:Note").startswith("Yalnız ")
    # The consumer: a TCKN party is a Person, not a PartyName.
    customer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    scheme_id = customer.find("cac:PartyIdentification/cbc:ID", NS)
    assert (scheme_id.get("schemeID"), scheme_id.text) == ("TCKN", ANONYMOUS_TCKN)
    assert customer.find("cac:PartyName", NS) is None
    first, family = invoice.buyer_name.rsplit(" ", 1)
    assert text(customer, "cac:Person/cbc:FirstName") == first
    assert text(customer, "cac:Person/cbc:FamilyName") == family
    assert text(customer, "cac:PostalAddress/cbc:CitySubdivisionName") == "Çankaya"
    assert text(customer, "cac:PostalAddress/cbc:CityName") == "Ankara"
    assert text(customer, "cac:PostalAddress/cbc:StreetName") == "Atatürk Bulvarı 1"
    # e-Arşiv: sent electronically.
    sending = root.find("cac:AdditionalDocumentReference", NS)
    assert text(sending, "cbc:DocumentTypeCode") == "SendingType"
    assert text(sending, "cbc:DocumentType") == "ELEKTRONIK"
    # Card payment.
    assert text(root, "cac:PaymentMeans/cbc:PaymentMeansCode") == "48"
    assert root.find("cac:PaymentMeans/cac:PayeeFinancialAccount", NS) is None


def test_einvoice_to_a_company_with_mixed_rates_and_an_exempt_line_passes_the_validator(seller):
    invoice = company_invoice()
    assert invoice.profile == InvoiceProfile.BASIC
    xml = invoice_xml(invoice)
    assert validate(xml) == []

    root = parse(xml)
    assert text(root, "cbc:ProfileID") == "TEMELFATURA"
    assert root.find("cac:AdditionalDocumentReference", NS) is None  # e-Arşiv only
    supplier = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    ids = {e.get("schemeID"): e.text for e in supplier.iterfind("cac:PartyIdentification/cbc:ID", NS)}
    assert ids == {"VKN": SELLER_VKN, "MERSISNO": "0123456789012345"}
    assert text(supplier, "cac:PartyName/cbc:Name") == "Örnek Ticaret A.Ş."
    assert text(supplier, "cac:PartyTaxScheme/cac:TaxScheme/cbc:Name") == "Kadıköy"
    assert text(supplier, "cac:PostalAddress/cbc:CityName") == "İstanbul"
    customer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    assert customer.find("cac:PartyIdentification/cbc:ID", NS).get("schemeID") == "VKN"
    assert text(customer, "cac:PartyIdentification/cbc:ID") == BUYER_VKN
    assert text(customer, "cac:PartyName/cbc:Name") == "Anadolu Yapı Malzemeleri Ltd. Şti."
    assert text(customer, "cac:PartyTaxScheme/cac:TaxScheme/cbc:Name") == "Çankaya"
    assert customer.find("cac:Person", NS) is None
    # One subtotal per rate, KDV 0015; the 0 % one with its exemption.
    subtotals = root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    assert [text(s, "cbc:Percent") for s in subtotals] == ["20", "10", "1", "0"]
    for subtotal in subtotals:
        assert text(subtotal, "cac:TaxCategory/cac:TaxScheme/cbc:Name") == "KDV"
        assert text(subtotal, "cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode") == "0015"
    exempt = subtotals[-1]
    assert amount(exempt, "cbc:TaxAmount") == 0
    assert text(exempt, "cac:TaxCategory/cbc:TaxExemptionReasonCode") == "351"
    assert text(exempt, "cac:TaxCategory/cbc:TaxExemptionReason")
    # The order discount shows on the lines it was spread over.
    allowances = root.findall("cac:InvoiceLine/cac:AllowanceCharge", NS)
    assert allowances
    assert all(text(a, "cbc:ChargeIndicator") == "false" for a in allowances)
    assert sum(amount(a, "cbc:Amount") for a in allowances) == invoice.discount_total
    # On account: pay to the seller's IBAN by the due date, quoting the reference.
    means = root.find("cac:PaymentMeans", NS)
    assert text(means, "cbc:PaymentMeansCode") == "42"
    assert text(means, "cbc:PaymentDueDate") == invoice.due_date.isoformat()
    assert text(means, "cbc:InstructionNote") == invoice.payment_reference
    assert text(means, "cac:PayeeFinancialAccount/cbc:ID") == "TR330006100519786457841326"
    notes = [n.text for n in root.findall("cbc:Note", NS)]
    assert "Satın alma siparişi PO-4411" in notes
    assert f"Ödeme referansı: {invoice.payment_reference}" in notes
    lines = root.findall("cac:InvoiceLine", NS)
    assert (
        text(lines[0], "cac:Item/cac:SellersItemIdentification/cbc:ID") == invoice.lines.get(position=1).sku
    )
    assert lines[0].find("cbc:InvoicedQuantity", NS).get("unitCode") == "C62"


def test_credit_note_is_iade_with_a_reference_to_the_original_and_passes_the_validator(seller):
    invoice = company_invoice()
    first_line = invoice.lines.get(position=1)
    note = issue_credit_note(invoice, reason="Hasarlı ürün iadesi", quantities={first_line.pk: 1})
    xml = invoice_xml(note)
    assert validate(xml) == []

    root = parse(xml)
    assert text(root, "cbc:InvoiceTypeCode") == "IADE"
    assert text(root, "cbc:ProfileID") == "TEMELFATURA"
    assert text(root, "cbc:ID") == note.number
    reference = root.find("cac:BillingReference/cac:InvoiceDocumentReference", NS)
    assert text(reference, "cbc:ID") == invoice.number
    assert text(reference, "cbc:IssueDate") == invoice.issue_date.isoformat()
    assert text(reference, "cbc:DocumentTypeCode") == "IADE"
    assert "Hasarlı ürün iadesi" in [n.text for n in root.findall("cbc:Note", NS)]
    assert root.find("cac:PaymentMeans", NS) is None  # a credit note is not paid by the buyer
    assert text(root, "cbc:LineCountNumeric") == "1"
    assert amount(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == note.payable


def test_earchive_credit_note_passes_the_validator(seller):
    invoice = issue_invoice(sold_order([(2, "100.00", 20)]))
    note = issue_credit_note(invoice, reason="Cayma hakkı")
    xml = invoice_xml(note)
    assert validate(xml) == []
    root = parse(xml)
    assert (text(root, "cbc:ProfileID"), text(root, "cbc:InvoiceTypeCode")) == ("EARSIVFATURA", "IADE")


def test_einvoice_to_a_person_with_a_tckn(seller):
    order = sold_order([(1, "250.00", 20)], payment_method="bank_transfer")
    make_account(
        order.customer, legal_name="Mehmet Ali Demir", tax_number=BUYER_TCKN, einvoice_registrant=True
    )
    invoice = issue_invoice(order)
    xml = invoice_xml(invoice)
    assert validate(xml) == []
    customer = parse(xml).find("cac:AccountingCustomerParty/cac:Party", NS)
    assert customer.find("cac:PartyIdentification/cbc:ID", NS).get("schemeID") == "TCKN"
    assert text(customer, "cac:Person/cbc:FirstName") == "Mehmet Ali"
    assert text(customer, "cac:Person/cbc:FamilyName") == "Demir"
    assert customer.find("cac:PartyTaxScheme", NS) is None  # no tax office given


def test_commercial_profile(seller):
    invoice = company_invoice(commercial_profile=True)
    xml = invoice_xml(invoice)
    assert validate(xml) == []
    assert text(parse(xml), "cbc:ProfileID") == "TICARIFATURA"


def test_credit_note_of_a_commercial_invoice_passes_the_validator(seller):
    invoice = company_invoice(commercial_profile=True)
    note = issue_credit_note(invoice, reason="İade")
    # GİB allows IADE only under TEMELFATURA or EARSIVFATURA (schematron InvoiceTypeCodeCheck-2).
    xml = invoice_xml(note)
    assert validate(xml) == []
    assert (text(parse(xml), "cbc:ProfileID"), text(parse(xml), "cbc:InvoiceTypeCode")) == (
        "TEMELFATURA",
        "IADE",
    )


# --- The validator still sees real mistakes ------------------------------------------------------------


def test_the_skipped_signature_findings_do_not_hide_other_errors(seller):
    """The empty signature slot is an XSD error at the top of the document: a mistake further down
    must still be reported by the XSD, the schematron and the arithmetic checks."""
    root = parse(invoice_xml(issue_invoice(sold_order([(2, "100.00", 20)]))))
    root.find("cbc:ID", NS).text = "ABC123"  # schematron InvoiceIDCheck-1
    line = root.find("cac:InvoiceLine", NS)
    line.remove(line.find("cac:Price", NS))  # XSD: Price is required
    root.find("cac:LegalMonetaryTotal/cbc:PayableAmount", NS).text = "1.00"  # arithmetic
    findings = validate(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert any("InvoiceIDCheck-1" in f for f in findings), findings
    assert any("xsd-" in f and "Price" in f for f in findings), findings
    assert any("hesap-dip-odenecek" in f for f in findings), findings


# --- Amounts --------------------------------------------------------------------------------------------


def test_amounts_in_the_xml_add_up(seller):
    invoice = company_invoice()
    root = parse(invoice_xml(invoice))
    currency_ids = {e.get("currencyID") for e in root.iter() if e.get("currencyID")}
    assert currency_ids == {"TRY"}
    totals = root.find("cac:LegalMonetaryTotal", NS)
    lines = root.findall("cac:InvoiceLine", NS)
    assert len(lines) == invoice.lines.count() == 5  # four products and the shipping fee

    line_sum = sum(amount(line, "cbc:LineExtensionAmount") for line in lines)
    assert line_sum == amount(totals, "cbc:LineExtensionAmount") == invoice.line_total
    assert amount(totals, "cbc:AllowanceTotalAmount") == 0  # discounts are on the lines
    assert amount(totals, "cbc:TaxExclusiveAmount") == line_sum
    for line in lines:
        quantity = amount(line, "cbc:InvoicedQuantity")
        price = amount(line, "cac:Price/cbc:PriceAmount")
        discount = sum((amount(a, "cbc:Amount") for a in line.findall("cac:AllowanceCharge", NS)), Decimal(0))
        assert abs(quantity * price - discount - amount(line, "cbc:LineExtensionAmount")) < Decimal("0.01")
        assert amount(line, "cac:TaxTotal/cbc:TaxAmount") == amount(
            line, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount"
        )

    tax_total = root.find("cac:TaxTotal", NS)
    subtotals = tax_total.findall("cac:TaxSubtotal", NS)
    assert sum(amount(s, "cbc:TaxAmount") for s in subtotals) == amount(tax_total, "cbc:TaxAmount")
    assert sum(amount(s, "cbc:TaxableAmount") for s in subtotals) == line_sum
    assert amount(tax_total, "cbc:TaxAmount") == invoice.tax_total
    line_taxes = sum(amount(line, "cac:TaxTotal/cbc:TaxAmount") for line in lines)
    assert line_taxes == invoice.tax_total
    for subtotal in subtotals:  # each rate's KDV is its base's, to the kuruş
        rate = Decimal(text(subtotal, "cbc:Percent"))
        assert abs(
            amount(subtotal, "cbc:TaxableAmount") * rate / 100 - amount(subtotal, "cbc:TaxAmount")
        ) <= Decimal("0.01")
    by_rate = {int(text(s, "cbc:Percent")): amount(s, "cbc:TaxAmount") for s in subtotals}
    assert by_rate == {t["rate"]: Decimal(t["tax"]) for t in invoice.taxes}

    assert amount(totals, "cbc:TaxInclusiveAmount") == line_sum + amount(tax_total, "cbc:TaxAmount")
    assert amount(totals, "cbc:PayableAmount") == amount(totals, "cbc:TaxInclusiveAmount") == invoice.payable
    assert invoice.payable == invoice.order.grand_total
    # Amounts are written with exactly two decimals (GİB decimalCheck).
    assert text(totals, "cbc:PayableAmount") == amount_text(invoice.payable)
    assert all(
        "." in e.text and len(e.text.split(".")[1]) == 2
        for e in root.iter()
        if e.get("currencyID") and e.tag.endswith("Amount") and not e.tag.endswith("PriceAmount")
    )


# --- Other details --------------------------------------------------------------------------------------


def test_foreign_currency_needs_an_exchange_rate(seller):
    invoice = issue_invoice(sold_order([(1, "80.00", 20)], currency="USD"))
    assert invoice.currency == "USD"
    with pytest.raises(InvalidInput) as error:
        invoice_xml(invoice)
    assert error.value.code == "exchange_rate_required"
    xml = invoice_xml(invoice, exchange_rate=Decimal("34.1234"))
    assert validate(xml) == []
    root = parse(xml)
    assert text(root, "cac:PricingExchangeRate/cbc:SourceCurrencyCode") == "USD"
    assert text(root, "cac:PricingExchangeRate/cbc:TargetCurrencyCode") == "TRY"
    assert text(root, "cac:PricingExchangeRate/cbc:CalculationRate") == "34.1234"
    assert text(root, "cbc:Note") == "Yalnız Seksen Amerikan Doları"
    assert {e.get("currencyID") for e in root.iter() if e.get("currencyID")} == {"USD"}


def test_the_xml_is_the_snapshot_even_after_the_seller_profile_changes(seller):
    invoice = issue_invoice(sold_order())
    before = invoice_xml(invoice)
    seller.address_line = "Yeni Adres Sok. No: 9"
    seller.district = "Üsküdar"
    seller.save()
    after = parse(invoice_xml(invoice))
    supplier = after.find("cac:AccountingSupplierParty/cac:Party/cac:PostalAddress", NS)
    assert text(supplier, "cbc:StreetName") == "Caferağa Mah. Moda Cad. No: 1"
    assert text(supplier, "cbc:CitySubdivisionName") == "Kadıköy"
    assert text(supplier, "cbc:CityName") == "İstanbul"
    assert b"Yeni Adres" not in before
    assert validate(etree.tostring(after, xml_declaration=True, encoding="UTF-8")) == []


def test_invoice_xml_accepts_an_id(seller):
    invoice = issue_invoice(sold_order())
    assert text(parse(invoice_xml(invoice.pk)), "cbc:ID") == invoice.number


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("Ayşe Yılmaz", ("Ayşe", "Yılmaz")),
        ("Mehmet Ali Demir", ("Mehmet Ali", "Demir")),
        ("  Zeynep   Kaya ", ("Zeynep", "Kaya")),
        ("Cher", ("Cher", "-")),
    ],
)
def test_person_name(name, parts):
    assert person_name(name) == parts


def test_issue_date_is_the_invoice_date(seller):
    invoice = issue_invoice(sold_order())
    assert date.fromisoformat(text(parse(invoice_xml(invoice)), "cbc:IssueDate")) == invoice.issue_date
