"""Payments pages: the ledger, recording a payment or refund by hand, provider callbacks, and
installments with the overdue report.

Everyone with the billing section reads them; recording money needs ``billing.record_payment``
(finance), checked by ``role_required`` (403 otherwise). The acts are ``billing.payments`` and
``billing.installments`` services; a refusal is a ``DomainError`` shown as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from billing.forms_payments import CallbackFilter, InstallmentFilter, PaymentFilter, RecordPaymentForm
from billing.installments import installment_list, installment_summary, paid_on_installment, pay_installment
from billing.models import Installment, Invoice, InvoiceKind, Payment, PaymentSource, ProviderCallback
from billing.payments import received_for_order, record_payment
from oms.access import role_required
from oms.errors import InvalidInput
from oms.pagination import paginate
from oms.views import render_list
from orders.models import Order

ACCESS = "oms.access_billing"
RECORD = "billing.record_payment"


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def payment_list(request: HttpRequest) -> HttpResponse:
    """The ledger, newest first: every authorisation, capture, refund and failure with its origin."""
    payments = Payment.objects.select_related("order", "invoice", "created_by")
    filterset = PaymentFilter(request.GET, queryset=payments, request=request)
    page = paginate(request, filterset.qs, ordering=("-created_at", "-id"))
    return render_list(
        request,
        "billing/payments/list.html",
        {"filter": filterset, "page": page, "may_record": request.user.has_perm(RECORD)},
    )


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def callback_list(request: HttpRequest) -> HttpResponse:
    """Provider callbacks as received, with what came of each (read-only)."""
    filterset = CallbackFilter(request.GET, queryset=ProviderCallback.objects.all(), request=request)
    page = paginate(request, filterset.qs, ordering=("-received_at", "-id"))
    return render_list(request, "billing/payments/callbacks.html", {"filter": filterset, "page": page})


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def installment_list_view(request: HttpRequest) -> HttpResponse:
    """Installments by due date with the overdue report's figures; ``?overdue=true`` lists only
    the overdue ones."""
    today = timezone.localdate()
    filterset = InstallmentFilter(
        request.GET, queryset=installment_list(today=today), request=request, today=today
    )
    page = paginate(request, filterset.qs, ordering=("due_date", "id"))
    return render_list(
        request,
        "billing/payments/installments.html",
        {
            "filter": filterset,
            "page": page,
            "summary": installment_summary(today),
            "today": today,
            "may_record": request.user.has_perm(RECORD),
        },
    )


def _target(request: HttpRequest) -> dict:
    """What the payment is for, from ``?order=``, ``?invoice=`` or ``?installment=`` (ids)."""
    for name in ("installment", "invoice", "order"):
        raw = request.GET.get(name, "")
        if not raw:
            continue
        if not raw.isdigit():
            raise InvalidInput(_("Choose an order, an invoice or an installment to record a payment for."))
        if name == "installment":
            installment = get_object_or_404(Installment.objects.select_related("order"), pk=int(raw))
            return {"installment": installment, "order": installment.order}
        if name == "invoice":
            invoice = get_object_or_404(Invoice.objects.select_related("order"), pk=int(raw))
            return {"invoice": invoice, "order": invoice.order}
        return {"order": get_object_or_404(Order, pk=int(raw))}
    raise InvalidInput(_("Choose an order, an invoice or an installment to record a payment for."))


@role_required(ACCESS, RECORD)
def record_payment_view(request: HttpRequest) -> HttpResponse:
    """Record a payment received (or a refund paid out) for an order, an invoice or an
    installment: bank transfers seen outside a statement, cash, corrections. PRG."""
    target = _target(request)
    installment = target.get("installment")
    invoice = target.get("invoice")
    order = target.get("order")
    initial = {"method": (order.payment_method if order else invoice.payment_method) or "bank_transfer"}
    if installment is not None:
        initial["amount"] = installment.amount - paid_on_installment(installment)
    elif invoice is not None and invoice.kind == InvoiceKind.INVOICE:
        initial["amount"] = invoice.balance
    form = RecordPaymentForm(request.POST or None, initial=initial, installment=installment is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        common = {
            "amount": data["amount"],
            "dedupe_key": f"manual:{data['token']}",
            "source": PaymentSource.MANUAL,
            "received_on": data["received_on"],
            "provider_reference": data["provider_reference"],
            "note": data["note"],
            "user": request.user,
        }
        if installment is not None:
            recorded = pay_installment(installment, **common)
        else:
            recorded = record_payment(
                kind=data["kind"],
                method=data["method"],
                order=None if invoice else order,
                invoice=invoice,
                **common,
            )
        if recorded.created:
            messages.success(
                request,
                _("%(what)s of %(amount)s recorded.")
                % {"what": recorded.payment.get_kind_display(), "amount": recorded.payment.amount},
            )
        else:
            messages.info(request, _("This payment was recorded already."))
        number = order.number if order else invoice.number
        return redirect(f"{reverse('billing:payments')}?{urlencode({'order': number})}")
    context = {
        "form": form,
        "installment": installment,
        "invoice": invoice,
        "order": order,
        "received": received_for_order(order.pk) if order else None,
    }
    return render(request, "billing/payments/record.html", context)
