"""Documents of issued invoices and credit notes: the PDF (WeasyPrint through ``oms.pdf``) and a
ZIP of PDFs and UBL-TR XMLs for bulk download.

The PDF shows what the invoice snapshotted at issue (seller, buyer, lines, amounts); the seller's
MERSİS and trade registry numbers, contact details and IBAN come from the current
``SellerProfile`` (they are not part of the snapshot). It is laid out as Turkish invoices are:
seller block with VKN, tax office and MERSİS; buyer block with VKN/TCKN and tax office; the
document title (e-Arşiv Fatura, e-Fatura, or İade Faturası with the original's number and date);
number, ETTN, dates, order; the lines (quantity and unit, unit price before KDV, discount, KDV
rate and amount, line total); totals per KDV rate; the amount in words ("Yalnız ...",
``billing.words``); the payment reference and IBAN when the customer pays by transfer.

The PDF is rendered in the site's language (``settings.LANGUAGE_CODE``, Turkish) whatever the
user's, since it is the legal document the buyer receives; ``language=`` overrides it. The amount
in words and the e-Arşiv delivery phrase GİB prescribes are always Turkish.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import Invoice, InvoiceProfile, SellerProfile
from billing.ubl import TRANSFER_METHODS, invoice_lines, invoice_xml, scheme_for, tax_groups
from billing.words import amount_in_words
from oms.errors import InvalidInput
from oms.money import format_money
from oms.pdf import html_to_pdfs, render_html, render_pdf

TEMPLATE = "billing/pdf/invoice.html"
# A ZIP is built in memory: ~26 KB per 20-line PDF and a few KB per XML, so 500 invoices stay
# under ~15 MB. Rendering takes ~0.3 s per PDF (bench/billing_pdf.py): 500 PDFs are ~2.5 minutes,
# longer than a web request should wait, so the panel should hand more than ~50 PDFs to a task
# (XML alone is milliseconds per invoice). Beyond 500, export in several parts.
MAX_ZIP_INVOICES = 500
# GİB: an e-Arşiv invoice delivered electronically must say so on its face (a fixed legal phrase).
EARCHIVE_NOTE = "e-Arşiv izni kapsamında elektronik ortamda iletilmiştir."
UNIT_LABELS = {"C62": gettext_lazy("pcs")}


def document_title(invoice: Invoice) -> str:
    """e-Arşiv Fatura / e-Fatura / İade Faturası, in the active language."""
    if invoice.is_credit_note:
        return _("Credit note")
    if invoice.profile == InvoiceProfile.EARCHIVE:
        return _("e-Archive invoice")
    return _("e-Invoice")


def _decimal(value: Decimal, *, min_places: int = 0, max_places: int = 6) -> str:
    """A quantity or price for people: trailing zeros trimmed (down to ``min_places``), the active
    language's separators (``1.234,5`` in Turkish)."""
    value = Decimal(value).quantize(Decimal(1).scaleb(-max_places)).normalize()
    places = max(min_places, -value.as_tuple().exponent if value.as_tuple().exponent < 0 else 0)
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def _rows(invoice: Invoice) -> list[dict]:
    currency = invoice.currency
    rows = []
    for line in invoice_lines(invoice):
        rows.append(
            {
                "position": line.position,
                "description": line.description,
                "sku": line.sku,
                "quantity": _decimal(line.quantity),
                "unit": UNIT_LABELS.get(line.unit_code, line.unit_code),
                "unit_price": _decimal(line.unit_price, min_places=2, max_places=4),
                "discount": format_money(line.discount, currency) if line.discount else "",
                "tax_rate": line.tax_rate,
                "tax_amount": format_money(line.tax_amount, currency),
                "net_total": format_money(line.net_total, currency),
                "exemption": f"{line.exemption_code} {line.exemption_reason}".strip()
                if line.tax_rate == 0
                else "",
            }
        )
    return rows


def invoice_context(invoice: Invoice, *, seller: SellerProfile | None = None) -> dict:
    """Everything the invoice template shows, formatted in the active language."""
    currency = invoice.currency
    seller = seller or SellerProfile.objects.order_by("pk").first()
    lines = invoice_lines(invoice)
    money = lambda amount: format_money(amount, currency)  # noqa: E731
    taxes = [
        {"rate": rate, "base": money(base), "tax": money(tax), "exemption": code}
        for rate, (code, _reason), base, tax in tax_groups(lines)
    ]
    transfer = not invoice.is_credit_note and invoice.payment_method in TRANSFER_METHODS
    order = invoice.order
    issued_at = timezone.localtime(invoice.issued_at) if invoice.issued_at else None
    return {
        "company": {},  # the seller block comes from the invoice, not settings.COMPANY
        "invoice": invoice,
        "seller": seller,
        "title": document_title(invoice),
        "buyer_scheme": scheme_for(invoice.buyer_tax_number),
        "issued_at": issued_at,
        "order": order,
        "order_date": timezone.localdate(order.placed_at) if order is not None else None,
        "original": invoice.original if invoice.is_credit_note else None,
        "payment_method": invoice.payment_method_label,
        "transfer": transfer,
        "iban": (seller.iban if seller else "") if transfer else "",
        "bank_name": (seller.bank_name if seller else "") if transfer else "",
        "rows": _rows(invoice),
        "taxes": taxes,
        "goods_total": money(invoice.line_total + invoice.discount_total),
        "discount_total": money(invoice.discount_total) if invoice.discount_total else "",
        "line_total": money(invoice.line_total),
        "tax_total": money(invoice.tax_total),
        "payable": money(invoice.payable),
        "in_words": amount_in_words(invoice.payable, currency),
        "earchive_note": EARCHIVE_NOTE if invoice.profile == InvoiceProfile.EARCHIVE else "",
    }


def _fresh(invoice: Invoice | int) -> Invoice:
    pk = invoice if isinstance(invoice, int) else invoice.pk
    return Invoice.objects.select_related("order", "original").prefetch_related("lines").get(pk=pk)


def invoice_pdf(
    invoice: Invoice | int, *, language: str | None = None, seller: SellerProfile | None = None
) -> bytes:
    """The PDF of an issued invoice or credit note (A4, page numbers on every page)."""
    if not isinstance(invoice, Invoice) or "lines" not in getattr(invoice, "_prefetched_objects_cache", {}):
        invoice = _fresh(invoice)
    with translation.override(language or settings.LANGUAGE_CODE):
        return render_pdf(TEMPLATE, invoice_context(invoice, seller=seller))


def invoice_html(
    invoice: Invoice, *, language: str | None = None, seller: SellerProfile | None = None
) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return render_html(TEMPLATE, invoice_context(invoice, seller=seller))


def invoices_zip(
    invoices: Iterable[Invoice | int], *, pdf: bool = True, xml: bool = True, language: str | None = None
) -> bytes:
    """A ZIP of ``<number>.pdf`` and/or ``<number>.xml`` per invoice, for bulk download.

    Built in memory, at most ``MAX_ZIP_INVOICES`` invoices (``InvalidInput`` beyond). PDFs are
    stored as they are (already compressed), XML deflated. An invoice whose XML cannot be made
    (a foreign currency without an exchange rate, ``billing.ubl``) is listed in ``ERRORS.txt``
    instead of failing the whole download.
    """
    if not (pdf or xml):
        raise InvalidInput(_("Choose PDF, XML or both."), code="nothing_to_export")
    ids = list(dict.fromkeys(item if isinstance(item, int) else item.pk for item in invoices))
    if len(ids) > MAX_ZIP_INVOICES:
        raise InvalidInput(
            _("At most %(limit)s invoices can be downloaded at once (%(count)s chosen).")
            % {"limit": MAX_ZIP_INVOICES, "count": len(ids)},
            code="too_many_invoices",
        )
    seller = SellerProfile.objects.order_by("pk").first()
    rows = Invoice.objects.filter(pk__in=ids).select_related("order", "original").prefetch_related("lines")
    problems = []
    rows = list(rows.order_by("number"))
    # The PDFs of a batch are written together, in a child process for larger batches (oms.pdf).
    pdfs = html_to_pdfs([invoice_html(i, language=language, seller=seller) for i in rows]) if pdf else []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n, invoice in enumerate(rows):
            if pdf:
                archive.writestr(f"{invoice.number}.pdf", pdfs[n], compress_type=zipfile.ZIP_STORED)
            if xml:
                try:
                    content = invoice_xml(invoice, seller=seller)
                except InvalidInput as error:
                    problems.append(f"{invoice.number}: {error}")
                    continue
                archive.writestr(f"{invoice.number}.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        if problems:
            archive.writestr("ERRORS.txt", "\n".join(problems) + "\n", compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
