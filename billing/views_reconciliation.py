"""Reconciliation pages: bank statements (upload, lines, match by hand), COD remittances (upload,
lines) and the finance queue (take, release, resolve).

Viewing needs ``oms.access_billing``; everything that records money or decides about it also
needs ``billing.record_payment`` (403 otherwise). Acts call ``billing.reconciliation``; a refusal
is a ``DomainError``: upload errors go back into the form, the rest become a message. With htmx
an act on a row swaps only that row.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from billing.forms_reconciliation import (
    BankLineFilter,
    FinanceIssueFilter,
    MatchLineForm,
    RemittanceFilter,
    RemittanceUploadForm,
    ResolveIssueForm,
    StatementUploadForm,
)
from billing.models import (
    BankStatement,
    BankStatementLine,
    CodRemittance,
    CodRemittanceLine,
    FinanceIssue,
    MatchStatus,
)
from billing.reconciliation import bank, cod
from billing.reconciliation import queue as finance_queue
from oms.access import role_required
from oms.errors import DomainError, InvalidInput
from oms.http import is_partial
from oms.pagination import paginate
from oms.views import render_list

ACCESS = "oms.access_billing"
RECORD = "billing.record_payment"
NEWEST = ("-imported_at", "-id")
ROWS = ("row_number", "id")
QUEUE_ORDERING = ("-created_at", "-id")


def _next_or(request: HttpRequest, default: str, *args) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(default, *args)


# --- Bank statements ------------------------------------------------------------------------------


def _statements():
    return BankStatement.objects.select_related("format", "imported_by").annotate(
        unmatched=Count("lines", filter=Q(lines__status=MatchStatus.UNMATCHED)),
        partial=Count("lines", filter=Q(lines__status__in=[MatchStatus.PARTIAL, MatchStatus.OVERPAID])),
    )


def _statement_page(request: HttpRequest, form: StatementUploadForm, *, status: int = 200) -> HttpResponse:
    context = {"page": paginate(request, _statements(), ordering=NEWEST), "form": form}
    if status != 200:
        return render(request, "billing/reconciliation/statements.html", context, status=status)
    return render_list(request, "billing/reconciliation/statements.html", context)


@vary_on_headers("HX-Request")
@role_required(ACCESS)
@require_GET
def statement_list(request: HttpRequest) -> HttpResponse:
    return _statement_page(request, StatementUploadForm())


@role_required(ACCESS, RECORD)
@require_POST
def statement_upload(request: HttpRequest) -> HttpResponse:
    form = StatementUploadForm(request.POST, request.FILES)
    if form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            statement = bank.import_statement(
                uploaded.read(), uploaded.name, form.cleaned_data["format"], request.user
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(
                request,
                _("%(file)s imported: %(lines)s lines, %(matched)s matched.")
                % {
                    "file": statement.filename,
                    "lines": statement.line_count,
                    "matched": statement.matched_count,
                },
            )
            return redirect("billing:bank_statement_detail", statement.pk)
    return _statement_page(request, form, status=422)


def _line_rows():
    return BankStatementLine.objects.select_related("matched_order", "matched_invoice")


@vary_on_headers("HX-Request")
@role_required(ACCESS)
@require_GET
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = get_object_or_404(BankStatement.objects.select_related("format", "imported_by"), pk=pk)
    filterset = BankLineFilter(
        request.GET, queryset=_line_rows().filter(statement=statement), request=request
    )
    page = paginate(request, filterset.qs, ordering=ROWS)
    counts = dict(
        statement.lines.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    summary = [(value, label, counts.get(value, 0)) for value, label in MatchStatus.choices]
    return render_list(
        request,
        "billing/reconciliation/statement_detail.html",
        {
            "statement": statement,
            "filter": filterset,
            "page": page,
            "summary": summary,
            "match_form": MatchLineForm(),
        },
    )


@role_required(ACCESS, RECORD)
@require_POST
def line_match(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(BankStatementLine, pk=pk)
    form = MatchLineForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(
            _("Type the order number, payment reference or invoice number."), code="target_required"
        )
    target = bank.find_order_or_invoice(form.cleaned_data["target"])
    line = bank.match_line_by_hand(line, target, request.user)
    messages.success(
        request,
        _("Line %(row)s recorded as a payment for %(target)s (%(status)s).")
        % {"row": line.row_number, "target": target.number, "status": line.get_status_display()},
    )
    if is_partial(request):
        line = _line_rows().get(pk=line.pk)
        return render(
            request, "billing/reconciliation/_bank_line.html", {"line": line, "match_form": MatchLineForm()}
        )
    return _next_or(request, "billing:bank_statement_detail", line.statement_id)


# --- COD remittances ------------------------------------------------------------------------------


def _remittance_page(request: HttpRequest, form: RemittanceUploadForm, *, status: int = 200) -> HttpResponse:
    queryset = CodRemittance.objects.select_related("carrier", "imported_by").annotate(
        flagged=Count(
            "lines",
            filter=Q(lines__status__in=[MatchStatus.UNMATCHED, MatchStatus.PARTIAL, MatchStatus.OVERPAID]),
        )
    )
    filterset = RemittanceFilter(request.GET, queryset=queryset, request=request)
    page = paginate(request, filterset.qs, ordering=NEWEST)
    context = {"page": page, "form": form, "filter": filterset}
    if status != 200:
        return render(request, "billing/reconciliation/remittances.html", context, status=status)
    return render_list(request, "billing/reconciliation/remittances.html", context)


@vary_on_headers("HX-Request")
@role_required(ACCESS)
@require_GET
def remittance_list(request: HttpRequest) -> HttpResponse:
    return _remittance_page(request, RemittanceUploadForm())


@role_required(ACCESS, RECORD)
@require_POST
def remittance_upload(request: HttpRequest) -> HttpResponse:
    form = RemittanceUploadForm(request.POST, request.FILES)
    if form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            remittance = cod.import_remittance(
                uploaded.read(), uploaded.name, form.cleaned_data["carrier"], request.user
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(
                request,
                _("%(file)s imported: %(lines)s parcels.")
                % {"file": remittance.filename, "lines": remittance.line_count},
            )
            return redirect("billing:cod_remittance_detail", remittance.pk)
    return _remittance_page(request, form, status=422)


@vary_on_headers("HX-Request")
@role_required(ACCESS)
@require_GET
def remittance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    remittance = get_object_or_404(CodRemittance.objects.select_related("carrier", "imported_by"), pk=pk)
    lines = CodRemittanceLine.objects.filter(remittance=remittance).select_related(
        "shipment", "shipment__order"
    )
    filterset = BankLineFilter(request.GET, queryset=lines, request=request)
    page = paginate(request, filterset.qs, ordering=ROWS)
    return render_list(
        request,
        "billing/reconciliation/remittance_detail.html",
        {"remittance": remittance, "filter": filterset, "page": page},
    )


# --- Finance queue --------------------------------------------------------------------------------


def _issues():
    return FinanceIssue.objects.select_related(
        "order",
        "invoice",
        "bank_line",
        "remittance_line",
        "shipment",
        "assignee",
        "resolved_by",
    )


@vary_on_headers("HX-Request")
@role_required(ACCESS)
@require_GET
def issue_list(request: HttpRequest) -> HttpResponse:
    filterset = FinanceIssueFilter(request.GET, queryset=_issues(), request=request)
    page = paginate(request, filterset.qs, ordering=QUEUE_ORDERING)
    open_counts = (
        FinanceIssue.objects.filter(resolved_at__isnull=True)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    labels = dict(FinanceIssue._meta.get_field("kind").choices)
    summary = [{"kind": kind, "label": labels.get(kind, kind), "n": n} for kind, n in sorted(open_counts)]
    return render_list(
        request,
        "billing/reconciliation/queue.html",
        {"filter": filterset, "page": page, "summary": summary, "resolve_form": ResolveIssueForm()},
    )


def _after_act(request: HttpRequest, issue_id: int) -> HttpResponse:
    if is_partial(request):
        issue = get_object_or_404(_issues(), pk=issue_id)
        return render(
            request,
            "billing/reconciliation/_issue.html",
            {"issue": issue, "resolve_form": ResolveIssueForm()},
        )
    return _next_or(request, "billing:finance_queue")


@role_required(ACCESS, RECORD)
@require_POST
def issue_take(request: HttpRequest, pk: int) -> HttpResponse:
    finance_queue.take_issue(pk, user=request.user)
    messages.success(request, _("You are working on this issue now."))
    return _after_act(request, pk)


@role_required(ACCESS, RECORD)
@require_POST
def issue_release(request: HttpRequest, pk: int) -> HttpResponse:
    finance_queue.release_issue(
        pk, user=request.user, force=request.user.has_perm("billing.change_financeissue")
    )
    messages.success(request, _("Issue put back in the queue."))
    return _after_act(request, pk)


@role_required(ACCESS, RECORD)
@require_POST
def issue_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    form = ResolveIssueForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(_("Write what was done to resolve the issue."), code="resolution_required")
    finance_queue.resolve_issue(pk, user=request.user, resolution=form.cleaned_data["resolution"])
    messages.success(request, _("Issue resolved."))
    return _after_act(request, pk)
