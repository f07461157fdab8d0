"""The billing section's overview: what is owed, what is late, what was issued this month and what
waits for finance, each figure linking to its list. A handful of aggregate queries."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from billing.models import (
    BankStatementLine,
    CodRemittanceLine,
    FinanceIssue,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    MatchStatus,
)
from oms.access import role_required

ACCESS = "oms.access_billing"
OPEN_STATUSES = [InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID]


def invoice_figures(today: date) -> list[dict]:
    """Per currency: receivables (open balance), overdue balance, invoices issued this month."""
    balance = F("payable") - F("paid_total") - F("credited_total")
    is_open = Q(status__in=OPEN_STATUSES)
    is_overdue = is_open & Q(due_date__lt=today)
    issued = Q(issue_date__gte=today.replace(day=1))
    return list(
        Invoice.objects.filter(kind=InvoiceKind.INVOICE)
        .filter(is_open | issued)
        .values("currency")
        .annotate(
            receivable=Sum(balance, filter=is_open),
            open_count=Count("pk", filter=is_open),
            overdue=Sum(balance, filter=is_overdue),
            overdue_count=Count("pk", filter=is_overdue),
            issued_count=Count("pk", filter=issued),
            issued_amount=Sum("payable", filter=issued),
        )
        .order_by("currency")
    )


def cod_awaiting() -> list[dict]:
    """Delivered cash-on-delivery parcels no carrier remittance has accounted for yet, per currency."""
    from fulfillment.models import Shipment, ShipmentStatus

    remitted = CodRemittanceLine.objects.filter(shipment_id=OuterRef("pk"))
    return list(
        Shipment.objects.filter(cod_amount__gt=0, status=ShipmentStatus.DELIVERED)
        .filter(~Exists(remitted))
        .values("currency")
        .annotate(count=Count("pk"), total=Sum("cod_amount"))
        .order_by("currency")
    )


def _amounts(rows: list[dict], key: str) -> list[tuple]:
    """(amount, currency) of the rows with an amount under ``key``."""
    return [(row[key], row["currency"]) for row in rows if row[key]]


@role_required(ACCESS)
def index(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    invoices = invoice_figures(today)
    cod = cod_awaiting()
    context = {
        "today": today,
        "receivables": _amounts(invoices, "receivable"),
        "overdue": _amounts(invoices, "overdue"),
        "issued": _amounts(invoices, "issued_amount"),
        "open_count": sum(row["open_count"] for row in invoices),
        "overdue_count": sum(row["overdue_count"] for row in invoices),
        "issued_count": sum(row["issued_count"] for row in invoices),
        "unmatched_lines": BankStatementLine.objects.filter(status=MatchStatus.UNMATCHED).count(),
        "open_issues": FinanceIssue.objects.filter(resolved_at__isnull=True).count(),
        "cod": _amounts(cod, "total"),
        "cod_count": sum(row["count"] for row in cod),
        "month_start": today.replace(day=1),
    }
    return render(request, "billing/dashboard.html", context)
