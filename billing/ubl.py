"""UBL-TR 1.2 XML of an issued invoice or credit note (GİB e-Fatura / e-Arşiv), built with lxml.

One function, ``invoice_xml(invoice)``: everything comes from the invoice's own snapshot (seller,
buyer, lines, amounts), so the XML of an invoice is the same whenever it is exported. The seller's
MERSİS and trade registry numbers, phone, e-mail, website and IBAN are not snapshotted on the
invoice and are read from the current ``SellerProfile``.

What goes where:

- ``ProfileID`` is the invoice's profile (TEMELFATURA, TICARIFATURA, EARSIVFATURA);
  ``InvoiceTypeCode`` SATIS, or IADE for a credit note, which carries
  ``BillingReference/InvoiceDocumentReference`` (the original's number and issue date,
  ``DocumentTypeCode`` IADE) as GİB's schematron demands (IADEInvioceCheck-1).
- Parties: ``PartyIdentification/ID@schemeID`` VKN (10 digits) or TCKN (11); a VKN party has a
  ``PartyName``, a TCKN party a ``Person`` (FirstName = every word but the last, FamilyName = the
  last word; a one-word name gets "-" as its family name); ``PartyTaxScheme/TaxScheme/Name`` is
  the tax office. The seller also carries MERSISNO / TICARETSICILNO identifications when known.
- Amounts: every line's ``LineExtensionAmount`` is its net after its discount (quantity x
  ``PriceAmount`` - its ``AllowanceCharge``); ``LegalMonetaryTotal/LineExtensionAmount`` is their
  sum, ``TaxExclusiveAmount`` the same, ``TaxInclusiveAmount`` and ``PayableAmount`` with KDV.
  ``AllowanceTotalAmount`` holds *document-level* allowances only, as UBL defines it, and we never
  have any: the order discount is spread over the lines at sale (``orders.pricing``) and shows
  in each line's ``AllowanceCharge``. So it is 0.00 and
  ``TaxExclusive = LineExtension - AllowanceTotal`` holds, the arithmetic validators check.
- ``TaxTotal`` has one ``TaxSubtotal`` per KDV rate (and exemption code, for 0 %): KDV, type
  code 0015; a 0 % subtotal carries ``TaxExemptionReasonCode`` / ``TaxExemptionReason`` (e.g.
  351). Each line has its own ``TaxTotal`` too.
- ``Note``: the amount in words ("Yalnız ..."), the invoice's note, a credit note's reason, the
  payment reference for bank transfers.
- e-Arşiv (EARSIVFATURA) documents also carry the sending type GİB's e-Arşiv guide asks for:
  ``AdditionalDocumentReference`` with ``DocumentTypeCode`` SendingType and ``DocumentType``
  ELEKTRONIK (they are e-mailed, never printed by us). The internet-sale details (``Delivery``
  with the carrier, the web address in ``PaymentMeans/InstructionNote``) are left to the
  integrator, which has the shipment data in its own form; no XSLT is embedded (optional).
- ``PaymentMeans`` (invoices only): UN/ECE 4461 code by payment method (48 card, 42 bank
  account, 10 cash on delivery), the due date, and the seller's IBAN for transfers and on-account
  sales.
- A currency other than TRY needs ``PricingExchangeRate`` (GİB: CurrencyCodeCheck-6); invoices do
  not store a rate, so the caller passes ``exchange_rate`` (TRY per unit, the CBRT rate of the
  issue date) and without one ``InvalidInput`` is raised.

Signing is out of scope: an accredited integrator signs (XAdES) and submits the document. The XML
therefore has the ``ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent`` slot the signature
goes into, empty, and the ``cac:Signature`` block naming the signatory (the seller's VKN, address
and ``#Signature_<number>`` reference), which needs no key. Validated with ``efatura-kontrol``
(GİB's XSD and schematron), an unsigned document has exactly these findings and no others
(``SIGNATURE_FINDINGS``; the tests assert it):

- ``xsd-element-content`` at ``ext:ExtensionContent`` (error, "Missing child element(s)"): the
  XSD wants one element in it, the ``ds:Signature``; an error there does not stop the XSD, the
  schematron or the arithmetic checks from judging the rest (a test breaks the rest to show it);
- ``imza-yok`` (info): the document carries no electronic signature.
- ``xsd-ozet`` (info): the summary line the validator adds whenever there is an XSD finding.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from billing.models import Invoice, InvoiceLine, InvoiceProfile, SellerProfile
from billing.words import amount_in_words
from oms.errors import InvalidInput
from oms.money import ZERO
from orders.models import PaymentMethod

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS_EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {None: NS_INVOICE, "cac": NS_CAC, "cbc": NS_CBC, "ext": NS_EXT, "xsi": NS_XSI}
SCHEMA_LOCATION = f"{NS_INVOICE} UBL-Invoice-2.1.xsd"

UBL_VERSION = "2.1"
CUSTOMIZATION = "TR1.2"
KDV_NAME = "KDV"
KDV_CODE = "0015"
DEFAULT_UNIT = "C62"
COUNTRY_NAMES = {"TR": "Türkiye"}

# UN/ECE 4461 payment means by order payment method (GİB accepts the whole list).
PAYMENT_MEANS = {
    PaymentMethod.CARD: "48",  # bank card
    PaymentMethod.INSTALLMENTS: "48",
    PaymentMethod.BANK_TRANSFER: "42",  # payment to bank account
    PaymentMethod.ON_ACCOUNT: "42",
    PaymentMethod.CASH_ON_DELIVERY: "10",  # in cash
}
TRANSFER_METHODS = {PaymentMethod.BANK_TRANSFER, PaymentMethod.ON_ACCOUNT}

# What efatura-kontrol reports for an unsigned document (see the module docstring): the finding
# code prefix, its severity, and where (None: anywhere).
SIGNATURE_FINDINGS = (
    ("xsd-element-content", "hata", "ExtensionContent"),
    ("imza-yok", "bilgi", None),
    ("xsd-ozet", "bilgi", None),
)


def _cbc(parent: etree._Element, name: str, text=None, **attributes) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS_CBC}}}{name}", {k: str(v) for k, v in attributes.items()})
    if text is not None:
        element.text = str(text)
    return element


def _cac(parent: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{NS_CAC}}}{name}")


def amount_text(value: Decimal) -> str:
    """An amount as UBL-TR wants it: a dot and exactly two decimals (GİB decimalCheck)."""
    return f"{Decimal(value):.2f}"


def _number_text(value: Decimal, *, min_places: int = 0) -> str:
    """A quantity or unit price without trailing zeros (2.000 -> 2, 12.500000 -> 12.50)."""
    text = format(Decimal(value).normalize(), "f")
    whole, _dot, frac = text.partition(".")
    frac = frac.ljust(min_places, "0")
    return f"{whole}.{frac}" if frac else whole


def _money(parent: etree._Element, name: str, value: Decimal, currency: str) -> etree._Element:
    return _cbc(parent, name, amount_text(value), currencyID=currency)


def scheme_for(tax_number: str) -> str:
    """VKN for a 10-digit company tax number, TCKN for an 11-digit T.C. identity number."""
    return "TCKN" if len(tax_number) == 11 else "VKN"


def person_name(full_name: str) -> tuple[str, str]:
    """(FirstName, FamilyName) of a person's full name: the last word is the family name."""
    words = full_name.split()
    if len(words) < 2:
        return (words[0] if words else "-"), "-"
    return " ".join(words[:-1]), words[-1]


def _street(full: str, district: str, city: str) -> str:
    """The street part of an address snapshotted as "<line>, <district> / <city>"."""
    suffix = f"{district} / {city}".strip(" /")
    if suffix and full.endswith(f", {suffix}"):
        return full[: -len(suffix) - 2]
    return "" if full == suffix else full


def _seller_place(invoice: Invoice, seller: SellerProfile | None) -> tuple[str, str, str, str]:
    """(street, district, city, postal code) of the seller as on the invoice."""
    from billing.invoicing import seller_address

    if seller is not None and seller_address(seller) == invoice.seller_address:
        return seller.address_line, seller.district, seller.city, seller.postal_code
    # The profile moved since: read the snapshot "<line>, <district> / <city>" back.
    street, _comma, place = invoice.seller_address.rpartition(", ")
    district, _slash, city = place.rpartition(" / ")
    if not city:
        return invoice.seller_address, "", "", ""
    return street, district, city, ""


def _address(
    parent: etree._Element,
    *,
    street: str,
    district: str,
    city: str,
    country: str,
    postal_code: str = "",
    name: str = "PostalAddress",
) -> None:
    address = _cac(parent, name)
    if street:
        _cbc(address, "StreetName", street)
    _cbc(address, "CitySubdivisionName", district or city)
    _cbc(address, "CityName", city or district)
    if postal_code:
        _cbc(address, "PostalZone", postal_code)
    country_element = _cac(address, "Country")
    _cbc(country_element, "IdentificationCode", country)
    _cbc(country_element, "Name", COUNTRY_NAMES.get(country, country))


def _party(
    parent: etree._Element,
    *,
    name: str,
    tax_number: str,
    tax_office: str,
    street: str,
    district: str,
    city: str,
    country: str,
    postal_code: str = "",
    extra_ids: tuple[tuple[str, str], ...] = (),
    website: str = "",
    phone: str = "",
    email: str = "",
) -> etree._Element:
    party = _cac(parent, "Party")
    if website:
        _cbc(party, "WebsiteURI", website)
    scheme = scheme_for(tax_number)
    for scheme_id, value in ((scheme, tax_number), *extra_ids):
        if value:
            _cbc(_cac(party, "PartyIdentification"), "ID", value, schemeID=scheme_id)
    if scheme == "VKN":
        _cbc(_cac(party, "PartyName"), "Name", name)
    _address(party, street=street, district=district, city=city, country=country, postal_code=postal_code)
    if tax_office:
        _cbc(_cac(_cac(party, "PartyTaxScheme"), "TaxScheme"), "Name", tax_office)
    if phone or email:
        contact = _cac(party, "Contact")
        if phone:
            _cbc(contact, "Telephone", phone)
        if email:
            _cbc(contact, "ElectronicMail", email)
    if scheme == "TCKN":
        first, family = person_name(name)
        person = _cac(party, "Person")
        _cbc(person, "FirstName", first)
        _cbc(person, "FamilyName", family)
    return party


def _tax_subtotal(
    parent: etree._Element,
    *,
    base: Decimal,
    tax: Decimal,
    rate: int,
    currency: str,
    exemption: tuple[str, str] = ("", ""),
) -> None:
    subtotal = _cac(parent, "TaxSubtotal")
    _money(subtotal, "TaxableAmount", base, currency)
    _money(subtotal, "TaxAmount", tax, currency)
    _cbc(subtotal, "Percent", rate)
    category = _cac(subtotal, "TaxCategory")
    code, reason = exemption
    if rate == 0 and code:
        _cbc(category, "TaxExemptionReasonCode", code)
        _cbc(category, "TaxExemptionReason", reason or code)
    scheme = _cac(category, "TaxScheme")
    _cbc(scheme, "Name", KDV_NAME)
    _cbc(scheme, "TaxTypeCode", KDV_CODE)


def tax_groups(lines: list[InvoiceLine]) -> list[tuple[int, tuple[str, str], Decimal, Decimal]]:
    """(rate, (exemption code, reason), base, KDV) per KDV rate and exemption, highest rate first."""
    groups: dict[tuple[int, tuple[str, str]], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for line in lines:
        exemption = (line.exemption_code, line.exemption_reason) if line.tax_rate == 0 else ("", "")
        groups[(line.tax_rate, exemption)][0] += line.net_total
        groups[(line.tax_rate, exemption)][1] += line.tax_amount
    return [
        (rate, exemption, base, tax)
        for (rate, exemption), (base, tax) in sorted(
            groups.items(), key=lambda item: (-item[0][0], item[0][1])
        )
    ]


def _line(parent: etree._Element, line: InvoiceLine, currency: str) -> None:
    element = _cac(parent, "InvoiceLine")
    _cbc(element, "ID", line.position)
    _cbc(element, "InvoicedQuantity", _number_text(line.quantity), unitCode=line.unit_code or DEFAULT_UNIT)
    _money(element, "LineExtensionAmount", line.net_total, currency)
    if line.discount:
        allowance = _cac(element, "AllowanceCharge")
        _cbc(allowance, "ChargeIndicator", "false")
        base = line.net_total + line.discount
        if base:
            _cbc(
                allowance,
                "MultiplierFactorNumeric",
                _number_text((line.discount / base).quantize(Decimal("0.0001"))),
            )
        _money(allowance, "Amount", line.discount, currency)
        _money(allowance, "BaseAmount", base, currency)
    tax_total = _cac(element, "TaxTotal")
    _money(tax_total, "TaxAmount", line.tax_amount, currency)
    _tax_subtotal(
        tax_total,
        base=line.net_total,
        tax=line.tax_amount,
        rate=line.tax_rate,
        currency=currency,
        exemption=(line.exemption_code, line.exemption_reason),
    )
    item = _cac(element, "Item")
    _cbc(item, "Name", line.description)
    if line.sku:
        _cbc(_cac(item, "SellersItemIdentification"), "ID", line.sku)
    price = _cac(element, "Price")
    _cbc(price, "PriceAmount", _number_text(line.unit_price, min_places=2), currencyID=currency)


def invoice_lines(invoice: Invoice) -> list[InvoiceLine]:
    """The invoice's lines in order (from ``prefetch_related("lines")`` when there is one)."""
    return sorted(invoice.lines.all(), key=lambda line: line.position)


def invoice_xml(
    invoice: Invoice | int, *, exchange_rate: Decimal | None = None, seller: SellerProfile | None = None
) -> bytes:
    """The UBL-TR 1.2 document of an issued invoice or credit note, UTF-8 with an XML declaration.

    ``exchange_rate``: TRY per unit of the invoice's currency (required when it is not TRY).
    ``seller``: the seller profile, when the caller has it already (bulk exports).
    """
    if not isinstance(invoice, Invoice):
        invoice = Invoice.objects.select_related("original", "order").get(pk=invoice)
    currency = invoice.currency
    if currency != "TRY" and not exchange_rate:
        raise InvalidInput(
            _("Invoice %(number)s is in %(currency)s: its XML needs the exchange rate to TRY.")
            % {"number": invoice.number, "currency": currency},
            code="exchange_rate_required",
        )
    lines = invoice_lines(invoice)
    seller = seller or SellerProfile.objects.order_by("pk").first()

    root = etree.Element(f"{{{NS_INVOICE}}}Invoice", nsmap=NSMAP)
    root.set(f"{{{NS_XSI}}}schemaLocation", SCHEMA_LOCATION)
    # The slot for the integrator's XAdES signature (see the module docstring).
    extension = etree.SubElement(
        etree.SubElement(root, f"{{{NS_EXT}}}UBLExtensions"), f"{{{NS_EXT}}}UBLExtension"
    )
    etree.SubElement(extension, f"{{{NS_EXT}}}ExtensionContent")

    _cbc(root, "UBLVersionID", UBL_VERSION)
    _cbc(root, "CustomizationID", CUSTOMIZATION)
    _cbc(root, "ProfileID", invoice.profile)
    _cbc(root, "ID", invoice.number)
    _cbc(root, "CopyIndicator", "false")
    _cbc(root, "UUID", str(invoice.uuid))
    _cbc(root, "IssueDate", invoice.issue_date.isoformat())
    issued_at = timezone.localtime(invoice.issued_at) if invoice.issued_at else timezone.localtime()
    _cbc(root, "IssueTime", issued_at.strftime("%H:%M:%S"))
    _cbc(root, "InvoiceTypeCode", invoice.type_code)
    _cbc(root, "Note", amount_in_words(invoice.payable, currency))
    if invoice.is_credit_note and invoice.reason:
        _cbc(root, "Note", invoice.reason)
    if invoice.note:
        _cbc(root, "Note", invoice.note)
    if (
        not invoice.is_credit_note
        and invoice.payment_method in TRANSFER_METHODS
        and invoice.payment_reference
    ):
        _cbc(root, "Note", f"Ödeme referansı: {invoice.payment_reference}")
    _cbc(root, "DocumentCurrencyCode", currency)
    _cbc(root, "LineCountNumeric", len(lines))

    if invoice.order_id and invoice.order is not None:
        order_reference = _cac(root, "OrderReference")
        _cbc(order_reference, "ID", invoice.order.number)
        _cbc(order_reference, "IssueDate", timezone.localdate(invoice.order.placed_at).isoformat())
    if invoice.is_credit_note and invoice.original is not None:
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", invoice.original.number)
        _cbc(reference, "IssueDate", invoice.original.issue_date.isoformat())
        _cbc(reference, "DocumentTypeCode", "IADE")
    if invoice.profile == InvoiceProfile.EARCHIVE:
        sending = _cac(root, "AdditionalDocumentReference")
        _cbc(sending, "ID", "1")
        _cbc(sending, "IssueDate", invoice.issue_date.isoformat())
        _cbc(sending, "DocumentTypeCode", "SendingType")
        _cbc(sending, "DocumentType", "ELEKTRONIK")

    street, district, city, postal_code = _seller_place(invoice, seller)
    signature = _cac(root, "Signature")
    _cbc(signature, "ID", invoice.seller_tax_number, schemeID="VKN_TCKN")
    signatory = _cac(signature, "SignatoryParty")
    _cbc(
        _cac(signatory, "PartyIdentification"),
        "ID",
        invoice.seller_tax_number,
        schemeID=scheme_for(invoice.seller_tax_number),
    )
    _address(signatory, street=street, district=district, city=city, country="TR", postal_code=postal_code)
    _cbc(
        _cac(_cac(signature, "DigitalSignatureAttachment"), "ExternalReference"),
        "URI",
        f"#Signature_{invoice.number}",
    )

    _party(
        _cac(root, "AccountingSupplierParty"),
        name=invoice.seller_name,
        tax_number=invoice.seller_tax_number,
        tax_office=invoice.seller_tax_office,
        street=street,
        district=district,
        city=city,
        country="TR",
        postal_code=postal_code,
        extra_ids=(
            ("MERSISNO", seller.mersis_number if seller else ""),
            ("TICARETSICILNO", seller.trade_registry if seller else ""),
        ),
        website=seller.website if seller else "",
        phone=seller.phone if seller else "",
        email=seller.email if seller else "",
    )
    _party(
        _cac(root, "AccountingCustomerParty"),
        name=invoice.buyer_name,
        tax_number=invoice.buyer_tax_number,
        tax_office=invoice.buyer_tax_office,
        street=_street(invoice.buyer_address, invoice.buyer_district, invoice.buyer_city),
        district=invoice.buyer_district,
        city=invoice.buyer_city,
        country=invoice.buyer_country or "TR",
        email=invoice.buyer_email,
    )

    means_code = PAYMENT_MEANS.get(invoice.payment_method)
    if not invoice.is_credit_note and means_code:
        means = _cac(root, "PaymentMeans")
        _cbc(means, "PaymentMeansCode", means_code)
        if invoice.due_date:
            _cbc(means, "PaymentDueDate", invoice.due_date.isoformat())
        if invoice.payment_method in TRANSFER_METHODS and invoice.payment_reference:
            _cbc(means, "InstructionNote", invoice.payment_reference)
        if invoice.payment_method in TRANSFER_METHODS and seller and seller.iban:
            account = _cac(means, "PayeeFinancialAccount")
            _cbc(account, "ID", seller.iban.replace(" ", ""))
            _cbc(account, "CurrencyCode", currency)
            if seller.bank_name:
                _cbc(account, "PaymentNote", seller.bank_name)

    if currency != "TRY":
        rate = _cac(root, "PricingExchangeRate")
        _cbc(rate, "SourceCurrencyCode", currency)
        _cbc(rate, "TargetCurrencyCode", "TRY")
        _cbc(rate, "CalculationRate", _number_text(Decimal(exchange_rate).quantize(Decimal("0.000001"))))
        _cbc(rate, "Date", invoice.issue_date.isoformat())

    tax_total = _cac(root, "TaxTotal")
    _money(tax_total, "TaxAmount", invoice.tax_total, currency)
    for rate, exemption, base, tax in tax_groups(lines):
        _tax_subtotal(tax_total, base=base, tax=tax, rate=rate, currency=currency, exemption=exemption)

    totals = _cac(root, "LegalMonetaryTotal")
    _money(totals, "LineExtensionAmount", invoice.line_total, currency)
    _money(totals, "TaxExclusiveAmount", invoice.line_total, currency)
    _money(totals, "TaxInclusiveAmount", invoice.payable, currency)
    _money(totals, "AllowanceTotalAmount", ZERO, currency)  # document-level allowances: none
    _money(totals, "PayableAmount", invoice.payable, currency)

    for line in lines:
        _line(root, line, currency)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
