"""Invoice pages: the filtered list with bulk PDF/XML download, one invoice with its payments,
credit notes and timeline, and issuing an invoice or a credit note by hand.

Everyone with the billing section sees invoices; issuing, crediting and marking as sent need
``billing.issue_invoice`` (finance). Every act calls ``billing.invoicing``; its refusals
(``DomainError``) become messages.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from billing import invoicing
from billing.forms_invoices import (
    CreditNoteForm,
    InvoiceFilter,
    InvoiceIdsForm,
    IssueOrderForm,
    IssueQuantitiesForm,
)
from billing.models import Invoice, InvoiceLine, Payment
from oms.access import role_required
from oms.errors import Conflict, DomainError
from oms.events import timeline_for
from oms.pagination import paginate
from oms.pdf import pdf_response
from oms.views import render_list
from orders.models import Order

ACCESS = "oms.access_billing"
ISSUE = "billing.issue_invoice"
# Numbers and ids follow the issue order; a keyset on the id alone is one index scan per page.
ORDERING = ("-id",)
XML_CONTENT_TYPE = "application/xml"
ZIP_CONTENT_TYPE = "application/zip"


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


def invoice_list_queryset():
    return Invoice.objects.select_related("order").only(
        "number",
        "kind",
        "profile",
        "status",
        "issue_date",
        "due_date",
        "buyer_name",
        "buyer_tax_number",
        "currency",
        "payable",
        "paid_total",
        "credited_total",
        "sent_at",
        "order_id",
        "order__number",
        "customer_id",
        "original_id",
    )


# --- List and bulk download ------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def invoice_list(request: HttpRequest) -> HttpResponse:
    """Newest first, keyset-paginated: the same few queries on every page."""
    filterset = InvoiceFilter(request.GET, queryset=invoice_list_queryset(), request=request)
    page = paginate(request, filterset.qs, ordering=ORDERING)
    return render_list(
        request,
        "billing/invoices/list.html",
        {
            "filter": filterset,
            "page": page,
            "today": timezone.localdate(),
            "may_issue": request.user.has_perm(ISSUE),
        },
    )


@require_POST
@role_required(ACCESS)
def invoice_download(request: HttpRequest) -> HttpResponse:
    """A ZIP of the ticked invoices' PDFs and/or UBL-TR XML files."""
    from billing.documents import invoices_zip

    form = InvoiceIdsForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.non_field_errors()[0])
        return _back(request, reverse("billing:invoices"))
    data = form.cleaned_data
    chosen = list(Invoice.objects.filter(pk__in=data["invoice_ids"]).prefetch_related("lines").order_by("pk"))
    archive = invoices_zip(chosen, pdf=data["pdf"], xml=data["xml"])
    response = HttpResponse(archive, content_type=ZIP_CONTENT_TYPE)
    name = f"invoices-{timezone.localdate():%Y%m%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- One invoice -----------------------------------------------------------------------------------


def _invoice(pk: int) -> Invoice:
    return get_object_or_404(
        Invoice.objects.select_related("order", "customer", "original", "issued_by").prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.order_by("position")),
            Prefetch("credit_notes", queryset=Invoice.objects.order_by("pk")),
            Prefetch(
                "payments", queryset=Payment.objects.select_related("created_by").order_by("created_at")
            ),
        ),
        pk=pk,
    )


@role_required(ACCESS)
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice(pk)
    may_issue = request.user.has_perm(ISSUE)
    credit_form = None
    if may_issue and not invoice.is_credit_note and invoice.credited_total < invoice.payable:
        credit_form = CreditNoteForm(lines=invoice.lines.all())
    return render(request, "billing/invoices/detail.html", _detail_context(invoice, may_issue, credit_form))


def _detail_context(invoice: Invoice, may_issue: bool, credit_form) -> dict:
    return {
        "invoice": invoice,
        "lines": invoice.lines.all(),
        "payments": invoice.payments.all(),
        # Captured before the invoice existed (a card payment at checkout): recorded on the order.
        "order_payments": Payment.objects.filter(order_id=invoice.order_id, invoice__isnull=True)
        .select_related("created_by")
        .order_by("created_at")
        if invoice.order_id and not invoice.is_credit_note
        else [],
        "credit_notes": invoice.credit_notes.all(),
        "timeline": timeline_for(invoice).order_by("-created_at", "-id")[:200],
        "may_issue": may_issue,
        "credit_form": credit_form,
        "today": timezone.localdate(),
    }


@role_required(ACCESS)
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from billing.documents import invoice_pdf as render_invoice_pdf

    invoice = get_object_or_404(Invoice, pk=pk)
    return pdf_response(
        render_invoice_pdf(invoice), invoice.number, inline=request.GET.get("download") != "1"
    )


@role_required(ACCESS)
def invoice_xml(request: HttpRequest, pk: int) -> HttpResponse:
    from billing.ubl import invoice_xml as render_invoice_xml

    invoice = get_object_or_404(Invoice, pk=pk)
    return xml_response(render_invoice_xml(invoice), invoice.number)


def xml_response(xml: bytes, number: str) -> HttpResponse:
    response = HttpResponse(xml, content_type=XML_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{number}.xml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@role_required(ACCESS)
def invoice_mark_sent(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, ISSUE)
    invoice = get_object_or_404(Invoice, pk=pk)
    invoicing.mark_sent(invoice, user=request.user, to=request.POST.get("to", "").strip())
    messages.success(request, _("%(number)s marked as sent.") % {"number": invoice.number})
    return redirect("billing:invoice_detail", pk=invoice.pk)


@require_POST
@role_required(ACCESS)
def invoice_credit(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a credit note for the quantities given (or everything not credited yet)."""
    _require(request, ISSUE)
    invoice = _invoice(pk)
    if invoice.is_credit_note:
        messages.error(request, _("A credit note is issued against an invoice, not another credit note."))
        return redirect("billing:invoice_detail", pk=invoice.pk)
    form = CreditNoteForm(request.POST, lines=invoice.lines.all())
    if not form.is_valid():
        return render(
            request, "billing/invoices/detail.html", _detail_context(invoice, True, form), status=422
        )
    try:
        note = invoicing.issue_credit_note(
            invoice, reason=form.cleaned_data["reason"], user=request.user, quantities=form.quantities()
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("billing:invoice_detail", pk=invoice.pk)
    messages.success(
        request,
        _("Credit note %(number)s issued for %(amount)s %(currency)s.")
        % {"number": note.number, "amount": note.payable, "currency": note.currency},
    )
    return redirect("billing:invoice_detail", pk=note.pk)


# --- Issuing by hand -------------------------------------------------------------------------------


@role_required(ACCESS, ISSUE)
def invoice_issue(request: HttpRequest) -> HttpResponse:
    """Two steps: the order number, then units per line (default: all not invoiced yet) and issue.

    The second step carries a one-time token as the invoice's source: a double submit issues once.
    """
    number = (request.POST.get("order_number") or request.GET.get("order") or "").strip().upper()
    if not number:
        return render(request, "billing/invoices/issue.html", {"order_form": IssueOrderForm()})
    order_form = IssueOrderForm({"order_number": number})
    order = Order.objects.select_related("channel").filter(number=number).first()
    if order is None:
        order_form.is_valid()
        order_form.add_error("order_number", _("There is no order %(number)s.") % {"number": number})
        return render(request, "billing/invoices/issue.html", {"order_form": order_form}, status=422)
    token = request.POST.get("token", "") if request.method == "POST" else ""
    done = Invoice.objects.filter(source_key=f"manual:{token}").first() if token else None
    if done is not None:  # a double submit: the first one issued it
        messages.info(request, _("%(number)s was issued already.") % {"number": done.number})
        return redirect("billing:invoice_detail", pk=done.pk)
    try:
        preview = invoicing.billable_lines(order)
    except DomainError as error:
        messages.error(request, error.message)
        preview = []
    goods = [line for line in preview if not line.is_shipping]
    context = {"order_form": order_form, "order": order, "preview": preview}
    if not goods:
        messages.info(request, _("Order %(number)s has nothing left to invoice.") % {"number": order.number})
        return render(request, "billing/invoices/issue.html", context)
    if token:
        form = IssueQuantitiesForm(request.POST, lines=goods)
        if form.is_valid():
            return _issue(request, order, form)
    else:
        form = IssueQuantitiesForm(initial={"token": uuid.uuid4()}, lines=goods)
    rows = [(line, None if line.is_shipping else form[f"line_{line.order_line_id}"]) for line in preview]
    return render(request, "billing/invoices/issue.html", {**context, "form": form, "rows": rows})


def _issue(request: HttpRequest, order: Order, form: IssueQuantitiesForm) -> HttpResponse:
    source = f"manual:{form.cleaned_data['token']}"
    try:
        invoice = invoicing.issue_invoice(
            order, user=request.user, quantities=form.quantities(), source_key=source
        )
    except Conflict:
        invoice = Invoice.objects.filter(source_key=source).first()
        if invoice is None:
            raise
        messages.info(request, _("%(number)s was issued already.") % {"number": invoice.number})
        return redirect("billing:invoice_detail", pk=invoice.pk)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(f"{reverse('billing:invoice_issue')}?order={order.number}")
    messages.success(
        request,
        _("Invoice %(number)s issued for %(amount)s %(currency)s.")
        % {"number": invoice.number, "amount": invoice.payable, "currency": invoice.currency},
    )
    return redirect("billing:invoice_detail", pk=invoice.pk)
