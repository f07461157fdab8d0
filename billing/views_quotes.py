"""Quote pages: the list (status and customer filters), the create/edit form with its lines, the
detail page with its acts (send, accept, decline, convert into an order) and the PDF.

Everyone with the billing section sees quotes; writing and acting on them needs
``billing.manage_quotes`` (sales operators and finance), else 403. Acts call ``billing.quotes``;
their refusals (``DomainError``) become messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from billing import quotes as services
from billing.forms_b2b import DeclineForm, QuoteFilter, QuoteForm, QuoteLineFormSet
from billing.models import Quote, QuoteStatus
from oms.access import role_required
from oms.errors import DomainError
from oms.events import timeline_for
from oms.pagination import paginate
from oms.pdf import pdf_response
from oms.views import render_list
from orders.models import PaymentMethod

ACCESS = "oms.access_billing"
MANAGE = "billing.manage_quotes"
ORDERING = ("-created_at", "-id")


def _require_manage(request: HttpRequest) -> None:
    if not request.user.has_perm(MANAGE):
        raise PermissionDenied


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def quote_list(request: HttpRequest) -> HttpResponse:
    quotes = Quote.objects.select_related("customer", "channel", "order").only(
        "number",
        "status",
        "valid_until",
        "currency",
        "grand_total",
        "created_at",
        "customer_id",
        "customer__company",
        "customer__first_name",
        "customer__last_name",
        "customer__email",
        "channel_id",
        "channel__name",
        "order_id",
        "order__number",
    )
    filterset = QuoteFilter(request.GET, queryset=quotes)
    page = paginate(request, filterset.qs, ordering=ORDERING)
    return render_list(
        request,
        "billing/quotes/list.html",
        {"filter": filterset, "page": page, "may_manage": request.user.has_perm(MANAGE)},
    )


def _initial(quote: Quote) -> tuple[dict, list[dict]]:
    header = {
        "customer": quote.customer_id,
        "channel": quote.channel_id,
        "valid_until": quote.valid_until,
        "payment_method": quote.payment_method,
        "discount": quote.discount,
        "shipping_fee": quote.shipping_fee,
        "note": quote.note,
    }
    lines = [
        {
            "sku": line.variant.sku,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount": line.discount or None,
        }
        for line in quote.lines.select_related("variant").order_by("position")
    ]
    return header, lines


def _quote_form(request: HttpRequest, quote: Quote | None) -> HttpResponse:
    _require_manage(request)
    if quote is not None and quote.status not in services.EDITABLE:
        messages.error(
            request, _("A quote that is %(s)s cannot be changed.") % {"s": quote.get_status_display()}
        )
        return redirect("billing:quote_detail", quote.pk)
    header, lines = _initial(quote) if quote is not None else ({}, [])
    if quote is None and request.GET.get("customer", "").isdigit():
        header["customer"] = int(request.GET["customer"])
    current = header.get("customer")
    form = QuoteForm(request.POST or None, initial=header, current_customer_id=current)
    formset = QuoteLineFormSet(request.POST or None, initial=lines or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_quote(
                quote=quote,
                customer=data["customer"],
                channel=data["channel"],
                valid_until=data["valid_until"],
                lines=formset.lines(),
                discount=data["discount"] or 0,
                shipping_fee=data["shipping_fee"] or 0,
                payment_method=data["payment_method"],
                note=data["note"],
                user=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            message = _("Quote %(number)s saved.") if quote else _("Quote %(number)s created.")
            messages.success(request, message % {"number": saved.number})
            return redirect("billing:quote_detail", saved.pk)
    return render(request, "billing/quotes/form.html", {"form": form, "formset": formset, "quote": quote})


@role_required(ACCESS)
def quote_create(request: HttpRequest) -> HttpResponse:
    return _quote_form(request, None)


@role_required(ACCESS)
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _quote_form(request, get_object_or_404(Quote, pk=pk))


@role_required(ACCESS)
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_object_or_404(
        Quote.objects.select_related("customer", "channel", "order", "created_by"), pk=pk
    )
    lines = quote.lines.select_related("variant__product").order_by("position")
    status = quote.status
    may = request.user.has_perm(MANAGE)
    return render(
        request,
        "billing/quotes/detail.html",
        {
            "quote": quote,
            "lines": lines,
            "timeline": timeline_for(quote)[:30],
            "decline_form": DeclineForm(),
            "payment_label": PaymentMethod(quote.payment_method).label
            if quote.payment_method in PaymentMethod.values
            else quote.payment_method,
            "may_manage": may,
            "can_edit": may and status in services.EDITABLE,
            "can_send": may and status == QuoteStatus.DRAFT,
            "can_accept": may and status == QuoteStatus.SENT,
            "can_decline": may and status in (QuoteStatus.DRAFT, QuoteStatus.SENT),
            "can_convert": may and status in services.CONVERTIBLE,
        },
    )


@role_required(ACCESS)
@require_POST
def quote_send(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manage(request)
    quote = services.send_quote(pk, user=request.user, to=request.POST.get("to", "")[:255])
    messages.success(request, _("Quote %(number)s marked as sent.") % {"number": quote.number})
    return redirect("billing:quote_detail", pk)


@role_required(ACCESS)
@require_POST
def quote_accept(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manage(request)
    quote = services.accept_quote(pk, user=request.user)
    messages.success(request, _("Quote %(number)s accepted.") % {"number": quote.number})
    return redirect("billing:quote_detail", pk)


@role_required(ACCESS)
@require_POST
def quote_decline(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manage(request)
    form = DeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    quote = services.decline_quote(pk, user=request.user, reason=reason)
    messages.success(request, _("Quote %(number)s declined.") % {"number": quote.number})
    return redirect("billing:quote_detail", pk)


@role_required(ACCESS)
@require_POST
def quote_convert(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manage(request)
    order = services.convert_to_order(pk, user=request.user)
    if order.status == "on_hold":
        messages.warning(
            request,
            _("Order %(number)s created; it waits for approval and reserves its stock when approved.")
            % {"number": order.number},
        )
    else:
        messages.success(request, _("Order %(number)s created from the quote.") % {"number": order.number})
    return redirect("orders:detail", order.pk)


@role_required(ACCESS)
def quote_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_object_or_404(Quote.objects.select_related("customer"), pk=pk)
    return pdf_response(services.quote_pdf(quote), f"quote-{quote.number}", inline=True)
