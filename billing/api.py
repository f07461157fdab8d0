"""Billing JSON API: invoices and credit notes for syncing (ERP, accounting), with their PDF and
UBL-TR XML.

Amounts are decimal strings (never floats). A sync asks with ``updated_since`` and gets documents
in order of their last change (a payment or a credit note changes an invoice's settlement), keyset
paginated: keep the last ``updated_at`` and ask again from there.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from billing.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceProfile,
    InvoiceStatus,
    Payment,
    PaymentKind,
)
from oms.apikeys import api_auth
from oms.errors import NotFound
from oms.money import ZERO
from oms.pagination import paginate
from oms.pdf import pdf_response

# Invoices are order data for integrations until a ``billing:read`` scope exists.
READ_AUTH = api_auth("billing:read", "oms.access_billing")
MAX_LIMIT = 200
XML_CONTENT_TYPE = "application/xml"

router = Router(tags=["billing"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]


# --- Output ---------------------------------------------------------------------------------------


class TaxOut(Schema):
    rate: int = Field(description="KDV rate in percent.")
    base: str
    tax: str


class PartyOut(Schema):
    name: str
    tax_number: str = Field(description="VKN (10 digits) or TCKN (11 digits).")
    tax_office: str
    address: str


class BuyerOut(PartyOut):
    city: str
    district: str
    country: str
    email: str
    einvoice_alias: str


class InvoiceOut(Schema):
    id: int
    number: str
    uuid: UUID = Field(description="ETTN.")
    kind: InvoiceKind
    type_code: str = Field(description="UBL-TR InvoiceTypeCode: SATIS, or IADE for a credit note.")
    profile: InvoiceProfile
    status: InvoiceStatus
    original_id: int | None = Field(description="Credit notes: the invoice they correct.")
    original_number: str | None
    order_id: int | None
    order_number: str | None
    customer_id: int
    issue_date: date
    due_date: date | None
    seller: PartyOut
    buyer: BuyerOut
    currency: str
    line_total: str = Field(description="Before KDV, net of discounts.")
    discount_total: str
    tax_total: str
    payable: str = Field(description="KDV included.")
    taxes: list[TaxOut]
    paid_total: str
    credited_total: str
    balance: str = Field(description="Still owed (0 for credit notes).")
    payment_reference: str
    reason: str
    note: str
    sent_at: datetime | None
    issued_at: datetime
    updated_at: datetime


class InvoiceLineOut(Schema):
    position: int
    order_line_id: int | None
    is_shipping: bool
    sku: str
    description: str
    quantity: str
    unit_code: str
    unit_price: str = Field(description="Before KDV, up to 6 decimals.")
    discount: str
    net_total: str
    tax_rate: int
    tax_amount: str
    gross_total: str
    exemption_code: str
    exemption_reason: str


class PaymentOut(Schema):
    id: int
    kind: PaymentKind
    source: str
    method: str
    amount: str
    currency: str
    received_on: date
    provider_reference: str


class PaymentsOut(Schema):
    captured: str
    refunded: str
    items: list[PaymentOut]


class CreditNoteRef(Schema):
    id: int
    number: str
    issue_date: date
    payable: str
    reason: str


class InvoiceDetailOut(InvoiceOut):
    lines: list[InvoiceLineOut]
    payments: PaymentsOut
    credit_notes: list[CreditNoteRef]


class InvoicePage(Schema):
    items: list[InvoiceOut]
    next_cursor: str | None


def _invoices() -> QuerySet[Invoice]:
    return Invoice.objects.select_related("order", "original")


def _invoice_out(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "uuid": invoice.uuid,
        "kind": invoice.kind,
        "type_code": invoice.type_code,
        "profile": invoice.profile,
        "status": invoice.status,
        "original_id": invoice.original_id,
        "original_number": invoice.original.number if invoice.original_id else None,
        "order_id": invoice.order_id,
        "order_number": invoice.order.number if invoice.order_id else None,
        "customer_id": invoice.customer_id,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "seller": {
            "name": invoice.seller_name,
            "tax_number": invoice.seller_tax_number,
            "tax_office": invoice.seller_tax_office,
            "address": invoice.seller_address,
        },
        "buyer": {
            "name": invoice.buyer_name,
            "tax_number": invoice.buyer_tax_number,
            "tax_office": invoice.buyer_tax_office,
            "address": invoice.buyer_address,
            "city": invoice.buyer_city,
            "district": invoice.buyer_district,
            "country": invoice.buyer_country,
            "email": invoice.buyer_email,
            "einvoice_alias": invoice.buyer_alias,
        },
        "currency": invoice.currency,
        "line_total": str(invoice.line_total),
        "discount_total": str(invoice.discount_total),
        "tax_total": str(invoice.tax_total),
        "payable": str(invoice.payable),
        "taxes": [
            {"rate": int(t["rate"]), "base": str(t["base"]), "tax": str(t["tax"])}
            for t in invoice.taxes or []
        ],
        "paid_total": str(invoice.paid_total),
        "credited_total": str(invoice.credited_total),
        "balance": str(invoice.balance),
        "payment_reference": invoice.payment_reference,
        "reason": invoice.reason,
        "note": invoice.note,
        "sent_at": invoice.sent_at,
        "issued_at": invoice.issued_at,
        "updated_at": invoice.updated_at,
    }


def _line_out(line: InvoiceLine) -> dict[str, Any]:
    return {
        "position": line.position,
        "order_line_id": line.order_line_id,
        "is_shipping": line.is_shipping,
        "sku": line.sku,
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_code": line.unit_code,
        "unit_price": str(line.unit_price),
        "discount": str(line.discount),
        "net_total": str(line.net_total),
        "tax_rate": line.tax_rate,
        "tax_amount": str(line.tax_amount),
        "gross_total": str(line.gross_total),
        "exemption_code": line.exemption_code,
        "exemption_reason": line.exemption_reason,
    }


def _get(invoice_id: int, queryset: QuerySet[Invoice] | None = None) -> Invoice:
    invoice = (queryset if queryset is not None else Invoice.objects.all()).filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound(_("There is no invoice %(id)s.") % {"id": invoice_id}, code="unknown_invoice")
    return invoice


# --- Endpoints ------------------------------------------------------------------------------------


@router.get("/invoices", response=InvoicePage, auth=READ_AUTH, summary="List invoices and credit notes")
def invoice_list(
    request: HttpRequest,
    status: Annotated[InvoiceStatus | None, Query(description="Only documents in this status.")] = None,
    kind: Annotated[InvoiceKind | None, Query(description="invoice or credit_note.")] = None,
    customer: Annotated[int | None, Query(description="Customer id.")] = None,
    order: Annotated[int | None, Query(description="Order id.")] = None,
    updated_since: Annotated[
        datetime | None,
        Query(description="ISO datetime; documents changed at or after it, oldest change first."),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
):
    """Invoices and credit notes, newest first; with ``updated_since`` in order of their last
    change. Keyset paginated: pass ``next_cursor`` back as ``cursor``."""
    invoices = _invoices()
    if status:
        invoices = invoices.filter(status=status)
    if kind:
        invoices = invoices.filter(kind=kind)
    if customer is not None:
        invoices = invoices.filter(customer_id=customer)
    if order is not None:
        invoices = invoices.filter(order_id=order)
    ordering: tuple[str, ...] = ("-id",)  # ids follow the issue order
    if updated_since:
        invoices = invoices.filter(updated_at__gte=updated_since)
        ordering = ("updated_at", "id")
    page = paginate(request, invoices, ordering=ordering, per_page=limit)
    return {"items": [_invoice_out(i) for i in page.object_list], "next_cursor": page.next_cursor}


@router.get("/invoices/{int:invoice_id}", response=InvoiceDetailOut, auth=READ_AUTH, summary="One invoice")
def invoice_detail(request: HttpRequest, invoice_id: int):
    """The document with its lines, the payments recorded against it and its credit notes."""
    invoice = _get(
        invoice_id,
        _invoices().prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")),
            Prefetch("payments", queryset=Payment.objects.order_by("created_at", "pk")),
            Prefetch("credit_notes", queryset=Invoice.objects.order_by("pk")),
        ),
    )
    payments = list(invoice.payments.all())
    captured = sum((p.amount for p in payments if p.kind == PaymentKind.CAPTURE), ZERO)
    refunded = sum((p.amount for p in payments if p.kind == PaymentKind.REFUND), ZERO)
    return {
        **_invoice_out(invoice),
        "lines": [_line_out(line) for line in invoice.lines.all()],
        "payments": {
            "captured": str(captured),
            "refunded": str(refunded),
            "items": [
                {
                    "id": p.pk,
                    "kind": p.kind,
                    "source": p.source,
                    "method": p.method,
                    "amount": str(p.amount),
                    "currency": p.currency,
                    "received_on": p.received_on,
                    "provider_reference": p.provider_reference,
                }
                for p in payments
            ],
        },
        "credit_notes": [
            {
                "id": note.pk,
                "number": note.number,
                "issue_date": note.issue_date,
                "payable": str(note.payable),
                "reason": note.reason,
            }
            for note in invoice.credit_notes.all()
        ],
    }


@router.get("/invoices/{int:invoice_id}.pdf", auth=READ_AUTH, summary="Invoice PDF")
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """The printable document (``application/pdf``)."""
    from billing.documents import invoice_pdf as render_pdf

    invoice = _get(invoice_id)
    return pdf_response(render_pdf(invoice), invoice.number, inline=False)


@router.get("/invoices/{int:invoice_id}.xml", auth=READ_AUTH, summary="Invoice UBL-TR XML")
def invoice_xml(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """The e-invoice / e-archive document as UBL-TR 1.2 XML (``application/xml``)."""
    from billing.ubl import invoice_xml as render_xml

    invoice = _get(invoice_id)
    response = HttpResponse(render_xml(invoice), content_type=XML_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.xml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
