"""Receivables pages: the aged receivables table (and its CSV), a customer's statement of account
(and its PDF), and the billing accounts with their terms and credit limits.

Everyone with the billing section reads them; changing an account (terms, credit limit, identity)
needs ``billing.manage_credit`` (finance), else 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from billing import accounts as account_services
from billing import receivables
from billing.credit import exposures
from billing.forms_b2b import AccountSearchForm, BillingAccountForm, ReceivablesForm, StatementForm
from billing.models import BillingAccount
from oms.access import role_required
from oms.csv_export import csv_response
from oms.errors import DomainError
from oms.pagination import paginate
from oms.pdf import pdf_response
from oms.views import render_list
from orders.models import Customer

ACCESS = "oms.access_billing"
MANAGE_CREDIT = "billing.manage_credit"


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def receivables_list(request: HttpRequest) -> HttpResponse:
    form = ReceivablesForm(request.GET or None)
    aging = receivables.aged_receivables(**form.values())
    return render_list(
        request,
        "billing/receivables/list.html",
        {"form": form, "aging": aging, "buckets": receivables.BUCKETS},
    )


@role_required(ACCESS)
def receivables_csv(request: HttpRequest) -> HttpResponse:
    form = ReceivablesForm(request.GET or None)
    aging = receivables.aged_receivables(**form.values())
    header, rows = receivables.aging_csv_rows(aging)
    filename = f"receivables-{aging.currency}-{aging.today.isoformat()}.csv"
    return csv_response(filename, header, rows, language=get_language())


def _statement(request: HttpRequest, customer: Customer):
    start, end = receivables.default_period()
    form = StatementForm(request.GET or None, initial={"start": start, "end": end})
    currency = None
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        currency = form.cleaned_data["currency"] or None
    return form, receivables.statement(customer, start=start, end=end, currency=currency)


@role_required(ACCESS)
def customer_statement(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_id)
    form, account_statement = _statement(request, customer)
    return render(
        request,
        "billing/receivables/statement.html",
        {"form": form, "statement": account_statement, "customer": customer},
    )


@role_required(ACCESS)
def customer_statement_pdf(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_id)
    _form, account_statement = _statement(request, customer)
    pdf = receivables.statement_pdf(account_statement)
    name = (
        f"statement-{customer.pk}-{account_statement.start.isoformat()}-{account_statement.end.isoformat()}"
    )
    return pdf_response(pdf, name, inline=False)


# --- Billing accounts --------------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def account_list(request: HttpRequest) -> HttpResponse:
    form = AccountSearchForm(request.GET or None)
    query, b2b_only = "", False
    if form.is_valid():
        query, b2b_only = form.cleaned_data["q"], form.cleaned_data["b2b"]
    page = paginate(
        request,
        account_services.account_list(query=query, b2b_only=b2b_only),
        ordering=("-updated_at", "-id"),
    )
    by_currency: dict[str, list[int]] = {}
    for account in page:
        by_currency.setdefault(account.currency, []).append(account.customer_id)
    found = {}
    for currency, ids in by_currency.items():
        found.update(exposures(ids, currency=currency))
    rows = [{"account": account, "exposure": found.get(account.customer_id)} for account in page]
    return render_list(
        request,
        "billing/accounts/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "may_change": request.user.has_perm(MANAGE_CREDIT),
        },
    )


@role_required(ACCESS)
def account_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Create or change a customer's billing account (finance only)."""
    if not request.user.has_perm(MANAGE_CREDIT):
        raise PermissionDenied
    customer = get_object_or_404(Customer, pk=customer_id)
    account = BillingAccount.objects.filter(customer=customer).first()
    form = BillingAccountForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in account_services.ACCOUNT_FIELDS}
        try:
            account_services.save_account(customer=customer, user=request.user, **values)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Billing account of %(customer)s saved.") % {"customer": customer})
            return redirect("billing:accounts")
    return render(
        request,
        "billing/accounts/form.html",
        {"form": form, "customer": customer, "account": account, "today": timezone.localdate()},
    )
