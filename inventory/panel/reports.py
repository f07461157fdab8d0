"""Inventory reports pages: a landing page and one page per report, each with a CSV download.

Filters are small Django forms read from the query string; missing or empty fields take their
defaults, invalid ones answer 422 with the errors and no report. The computations live in
``inventory.analytics``; these views only parse, call and render.

CSV downloads (``?export=csv`` on any report URL, same filters) are made for Turkish Excel by
``oms.csv_export``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from inventory import analytics, selectors
from inventory.analytics import Measure, Period, TurnoverGroup, TurnoverOrder
from inventory.models import Category, MovementKind, Variant, Warehouse
from inventory.transfers import request_transfer
from oms.access import role_required
from oms.csv_export import csv_response
from oms.views import render_list

TOP_DEFAULT = 50
TOP_MAX = 1000
MAX_RANGE_DAYS = 3 * 366
# Bars in the movement chart: days only for up to half a year, then weeks or months.
MAX_BUCKET_RANGE = {Period.DAY: 186, Period.WEEK: 3 * 366, Period.MONTH: 10 * 366}


# --- Forms ----------------------------------------------------------------------------------------


def _date_field(label) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _days_field(label, *, initial: int, maximum: int = 3650) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        initial=initial,
        min_value=1,
        max_value=maximum,
        widget=forms.NumberInput(attrs={"min": 1, "max": maximum, "inputmode": "numeric"}),
    )


class ReportForm(forms.Form):
    """Read from the query string: a field missing or left empty takes its initial value."""

    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.all(), required=False, empty_label="—"
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=Category.objects.order_by("name"),
        required=False,
        empty_label="—",
        help_text=gettext_lazy("Includes its subcategories."),
    )

    @classmethod
    def from_query(cls, query) -> ReportForm:
        form = cls()
        data = {}
        for name, field in form.fields.items():
            value = query.get(name, "")
            if value == "":
                initial = form.get_initial_for_field(field, name)
                if isinstance(field, forms.BooleanField):
                    value = "on" if initial else ""
                elif isinstance(initial, date):
                    value = initial.isoformat()
                else:
                    value = "" if initial is None else str(initial)
            data[name] = value
        return cls(data)

    def category_ids(self) -> list[int] | None:
        category = self.cleaned_data.get("category")
        return selectors.category_ids_with_descendants(category) if category else None


class TopMixin(forms.Form):
    limit = forms.IntegerField(
        label=gettext_lazy("Rows shown"),
        initial=TOP_DEFAULT,
        min_value=1,
        max_value=TOP_MAX,
        widget=forms.NumberInput(attrs={"min": 1, "max": TOP_MAX, "inputmode": "numeric"}),
        help_text=gettext_lazy("The CSV file has every row."),
    )


class PeriodMixin(forms.Form):
    """A range of whole days (Istanbul), the last ``default_days`` days up to today by default."""

    default_days = 90
    start = _date_field(gettext_lazy("From"))
    end = _date_field(gettext_lazy("To"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = analytics.local_today()
        self.fields["end"].initial = today
        self.fields["start"].initial = today - timedelta(days=self.default_days - 1)

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The end date must not be before the start date."))
            elif (end - start).days >= MAX_RANGE_DAYS:
                self.add_error("start", _("Choose a period of at most three years."))
        return data


class AbcForm(PeriodMixin, TopMixin, ReportForm):
    measure = forms.ChoiceField(label=gettext_lazy("By"), choices=Measure.choices, initial=Measure.REVENUE)
    class_a = forms.IntegerField(label=gettext_lazy("A (%)"), initial=80, min_value=1, max_value=98)
    class_b = forms.IntegerField(label=gettext_lazy("B (%)"), initial=15, min_value=1, max_value=98)
    class_c = forms.IntegerField(label=gettext_lazy("C (%)"), initial=5, min_value=1, max_value=98)
    per_warehouse = forms.BooleanField(label=gettext_lazy("Per warehouse"), required=False)

    field_order = ["start", "end", "measure", "class_a", "class_b", "class_c", "warehouse", "per_warehouse"]

    def clean(self) -> dict:
        data = super().clean()
        shares = [data.get(name) for name in ("class_a", "class_b", "class_c")]
        if all(share is not None for share in shares) and sum(shares) != 100:
            raise forms.ValidationError(
                _("The shares of A, B and C must add up to 100 (now %(sum)s).") % {"sum": sum(shares)},
                code="thresholds",
            )
        return data

    def arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "start": data["start"],
            "end": data["end"],
            "measure": data["measure"],
            "thresholds": (data["class_a"], data["class_b"], data["class_c"]),
            "warehouse": data["warehouse"],
            "per_warehouse": data["per_warehouse"],
            "category_ids": self.category_ids(),
        }


class ValuationForm(ReportForm):
    as_of = forms.DateField(
        label=gettext_lazy("As of the end of"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Empty: now. A past day is rebuilt from the ledger."),
    )

    field_order = ["as_of"]

    def clean_as_of(self) -> date | None:
        day = self.cleaned_data.get("as_of")
        if day and day >= analytics.local_today():
            return None  # today or later is now
        return day

    def arguments(self) -> dict:
        day = self.cleaned_data["as_of"]
        return {
            "as_of": analytics.local_range(day, day)[1] if day else None,
            "warehouse": self.cleaned_data["warehouse"],
            "category_ids": self.category_ids(),
        }


class TurnoverForm(PeriodMixin, TopMixin, ReportForm):
    group = forms.ChoiceField(
        label=gettext_lazy("Per"), choices=TurnoverGroup.choices, initial=TurnoverGroup.CATEGORY
    )
    order = forms.ChoiceField(
        label=gettext_lazy("Sort"), choices=TurnoverOrder.choices, initial=TurnoverOrder.TURNOVER
    )

    field_order = ["start", "end", "group", "order"]

    def arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "start": data["start"],
            "end": data["end"],
            "group": data["group"],
            "order": data["order"],
            "warehouse": data["warehouse"],
            "category_ids": self.category_ids(),
        }


class DeadStockForm(TopMixin, ReportForm):
    days = _days_field(gettext_lazy("No sale or transfer out for (days)"), initial=90)

    field_order = ["days"]

    def arguments(self) -> dict:
        data = self.cleaned_data
        return {"days": data["days"], "warehouse": data["warehouse"], "category_ids": self.category_ids()}


class MovementForm(PeriodMixin, ReportForm):
    default_days = 30
    period = forms.ChoiceField(label=gettext_lazy("Per"), choices=Period.choices, initial=Period.DAY)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=[("", "—"), *MovementKind.choices], required=False
    )

    field_order = ["start", "end", "period", "warehouse", "kind"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["category"]

    def clean(self) -> dict:
        data = super().clean()
        start, end, period = data.get("start"), data.get("end"), data.get("period")
        if start and end and period and start <= end and (end - start).days >= MAX_BUCKET_RANGE[period]:
            self.add_error(
                "period", _("Too many bars for this period: choose weeks or months, or a shorter period.")
            )
        return data

    def arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "start": data["start"],
            "end": data["end"],
            "period": data["period"],
            "warehouse": data["warehouse"],
            "kind": data["kind"] or None,
        }


class RebalancingForm(TopMixin, ReportForm):
    window_days = _days_field(gettext_lazy("Rate of sale over (days)"), initial=28, maximum=365)
    surplus_days = _days_field(gettext_lazy("Surplus above (days of cover)"), initial=60, maximum=365)

    field_order = ["window_days", "surplus_days"]

    def arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "window_days": data["window_days"],
            "surplus_days": data["surplus_days"],
            "warehouse": data["warehouse"],
            "category_ids": self.category_ids(),
        }


class RebalanceTransferForm(forms.Form):
    """One suggestion's transfer request (the button on a rebalancing row)."""

    variant = forms.ModelChoiceField(queryset=Variant.objects.all())
    source = forms.ModelChoiceField(queryset=Warehouse.objects.filter(is_active=True))
    destination = forms.ModelChoiceField(queryset=Warehouse.objects.filter(is_active=True))
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("source") and data.get("source") == data.get("destination"):
            raise forms.ValidationError(
                _("A transfer needs two different warehouses."), code="same_warehouse"
            )
        return data


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("export") == "csv"


# --- Views ----------------------------------------------------------------------------------------


def _url_or_none(name: str, *args) -> str | None:
    """Pages built in parallel (transfers) may not exist yet: link them only if they do."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _render(request: HttpRequest, template: str, form: ReportForm, context: dict, *, status: int = 200):
    response = render_list(request, template, {"form": form, **context})
    response.status_code = status
    return response


def _report(
    request: HttpRequest, template: str, form_class: type[ReportForm], compute, export
) -> HttpResponse:
    """The common shape of a report page: parse the filters (422 when invalid), compute, then
    render the page or stream the CSV (``export(form, report) -> (filename, header, rows)``)."""
    form = form_class.from_query(request.GET)
    if not form.is_valid():
        return _render(request, template, form, {}, status=422)
    report = compute(form)
    if _wants_csv(request):
        return csv_response(*export(form, report))
    return _render(request, template, form, {"report": report, **_extra(form, report)})


def _extra(form: ReportForm, report: Any) -> dict:
    """The page shows the first ``limit`` rows (top N); the totals and the CSV file cover them all."""
    limit = form.cleaned_data.get("limit")
    extra: dict = {"limit": limit}
    rows = getattr(report, "rows", None)
    if isinstance(rows, list) and limit:
        extra.update({"shown": rows[:limit], "more": max(len(rows) - limit, 0)})
    return extra


def _stamp() -> str:
    return analytics.local_today().isoformat()


@role_required("oms.access_inventory")
def report_index(request: HttpRequest) -> HttpResponse:
    """The reports, one card each with the question it answers."""
    return render(request, "inventory/reports/index.html")


# ABC ----------------------------------------------------------------------------------------------


def _abc_export(form: AbcForm, report: analytics.AbcReport):
    header = [
        _("Class"),
        _("SKU"),
        _("Product"),
        _("Warehouse"),
        _("Units sold"),
        _("Revenue"),
        _("Share (%)"),
        _("Cumulative (%)"),
    ]
    rows = (
        (r.abc_class, r.sku, r.product, r.warehouse, r.units, r.revenue, r.share, r.cumulative)
        for r in report.rows
    )
    return f"abc-{report.start}-{report.end}.csv", header, rows


@vary_on_headers("HX-Request")
@role_required("oms.access_inventory")
def abc_report(request: HttpRequest) -> HttpResponse:
    """ABC analysis: which variants make most of the sales."""
    return _report(
        request,
        "inventory/reports/abc.html",
        AbcForm,
        lambda form: analytics.abc_analysis(**form.arguments()),
        _abc_export,
    )


# Valuation ----------------------------------------------------------------------------------------


def _valuation_export(form: ValuationForm, report: analytics.Valuation):
    header = [_("Group"), _("Name"), _("On hand"), _("Value"), _("Quarantined"), _("Quarantined value")]
    stamp = form.cleaned_data["as_of"] or analytics.local_today()

    def rows():
        for group, lines in ((_("Warehouse"), report.by_warehouse), (_("Category"), report.by_category)):
            for line in lines:
                yield (
                    group,
                    line.label,
                    line.units,
                    line.value,
                    line.quarantined_units,
                    line.quarantined_value,
                )
        total = report.total
        yield _("Total"), "", total.units, total.value, total.quarantined_units, total.quarantined_value

    return f"stock-value-{stamp}.csv", header, rows()


@vary_on_headers("HX-Request")
@role_required("oms.access_inventory")
def valuation_report(request: HttpRequest) -> HttpResponse:
    """Stock valuation: what the stock is worth at cost, now or at the end of a past day."""
    return _report(
        request,
        "inventory/reports/valuation.html",
        ValuationForm,
        lambda form: analytics.stock_valuation(**form.arguments()),
        _valuation_export,
    )


# Turnover -----------------------------------------------------------------------------------------


def _turnover_export(form: TurnoverForm, report: analytics.TurnoverReport):
    header = [
        _("Variant") if report.group == TurnoverGroup.VARIANT else _("Category"),
        _("Product"),
        _("Units sold"),
        _("Cost of goods sold"),
        _("Value at start"),
        _("Value at end"),
        _("Average value"),
        _("Turnover"),
        _("Days of inventory"),
    ]

    def rows():
        for r in [*report.rows, report.total]:
            yield (
                r.label,
                r.detail,
                r.units_sold,
                r.cogs,
                r.start_value,
                r.end_value,
                r.average_value,
                r.turnover,
                r.days_of_inventory,
            )

    return f"turnover-{report.start}-{report.end}.csv", header, rows()


@vary_on_headers("HX-Request")
@role_required("oms.access_inventory")
def turnover_report(request: HttpRequest) -> HttpResponse:
    """Turnover: how often the average stock was sold in a period, and how long it lasts."""
    return _report(
        request,
        "inventory/reports/turnover.html",
        TurnoverForm,
        lambda form: analytics.turnover(**form.arguments()),
        _turnover_export,
    )


# Dead stock ---------------------------------------------------------------------------------------


def _dead_stock_export(form: DeadStockForm, report: analytics.DeadStockReport):
    header = [
        _("SKU"),
        _("Product"),
        _("Warehouse"),
        _("On hand"),
        _("Cost price"),
        _("Value"),
        _("Last sale or transfer out"),
        _("Last movement"),
    ]
    rows = (
        (r.sku, r.product, r.warehouse, r.on_hand, r.cost_price, r.value, r.last_outgoing, r.last_movement)
        for r in report.rows
    )
    return f"dead-stock-{report.days}d-{_stamp()}.csv", header, rows


def _dead_stock(form: DeadStockForm, request: HttpRequest) -> analytics.DeadStockReport:
    # The page shows the top rows; the CSV file has them all.
    limit = None if _wants_csv(request) else form.cleaned_data["limit"]
    return analytics.dead_stock(**form.arguments(), limit=limit)


@vary_on_headers("HX-Request")
@role_required("oms.access_inventory")
def dead_stock_report(request: HttpRequest) -> HttpResponse:
    """Dead stock: what has not sold or moved out for N days, by value tied up."""
    return _report(
        request,
        "inventory/reports/dead_stock.html",
        DeadStockForm,
        lambda form: _dead_stock(form, request),
        _dead_stock_export,
    )


# Movements ----------------------------------------------------------------------------------------

CHART_HEIGHT = 200
CHART_BAR = 12  # width of one period's slot in SVG units


def _coordinate(value: float) -> str:
    """An SVG number: a dot for decimals whatever the language, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def bar_chart(report: analytics.MovementReport) -> dict:
    """Geometry of a server-drawn SVG: per period a bar up for units in, a bar down for units out.

    The SVG scales to the page width (``viewBox``); labels are tooltips (``<title>``) and the first
    and last periods are written under the chart.
    """
    half = CHART_HEIGHT / 2
    peak = max([max(b.units_in, b.units_out) for b in report.buckets] or [0]) or 1
    bars = []
    for i, bucket in enumerate(report.buckets):
        up = bucket.units_in / peak * (half - 4)
        down = bucket.units_out / peak * (half - 4)
        bars.append(
            {
                "bucket": bucket,
                "x": _coordinate(i * CHART_BAR + 2),
                "width": _coordinate(CHART_BAR - 4),
                "in_y": _coordinate(half - up),
                "in_height": _coordinate(up) if up else "",
                "out_height": _coordinate(down) if down else "",
            }
        )
    return {
        "bars": bars,
        "width": _coordinate(max(len(bars), 1) * CHART_BAR),
        "height": _coordinate(CHART_HEIGHT),
        "middle": _coordinate(half),
        "peak": peak,
    }


def _movement_export(form: MovementForm, report: analytics.MovementReport):
    header = [_("Period"), _("Kind"), _("In"), _("Out"), _("Movements")]
    rows = (
        (bucket.start, line.label, line.units_in, line.units_out, line.movements)
        for bucket in report.buckets
        for line in bucket.lines
    )
    return f"movements-{report.period}-{report.start}-{report.end}.csv", header, rows


@vary_on_headers("HX-Request")
@role_required("oms.access_inventory")
def movement_report(request: HttpRequest) -> HttpResponse:
    """Movements: units in and out per kind, per day, week or month."""
    form = MovementForm.from_query(request.GET)
    template = "inventory/reports/movements.html"
    if not form.is_valid():
        return _render(request, template, form, {}, status=422)
    report = analytics.movement_report(**form.arguments())
    if _wants_csv(request):
        return csv_response(*_movement_export(form, report))
    return _render(request, template, form, {"report": report, "chart": bar_chart(report)})


# Rebalancing --------------------------------------------------------------------------------------


def _rebalancing_export(form: RebalancingForm, report: analytics.RebalancingReport):
    header = [
        _("SKU"),
        _("Product"),
        _("From"),
        _("To"),
        _("Quantity"),
        _("Available at source"),
        _("Sold per day at source"),
        _("Source keeps"),
        _("Available at destination"),
        _("Incoming at destination"),
        _("Sold per day at destination"),
        _("Reorder point at destination"),
    ]
    rows = (
        (
            s.sku,
            s.product,
            s.source,
            s.destination,
            s.quantity,
            s.source_available,
            s.source_daily,
            s.source_keeps,
            s.destination_available,
            s.destination_incoming,
            s.destination_daily,
            s.destination_reorder_point,
        )
        for s in report.rows
    )
    return f"rebalancing-{_stamp()}.csv", header, rows


def _rebalancing(form: RebalancingForm) -> analytics.RebalancingReport:
    return analytics.RebalancingReport(analytics.rebalancing_suggestions(**form.arguments()))


@vary_on_headers("HX-Request")
@role_required("oms.access_inventory")
def rebalancing_report(request: HttpRequest) -> HttpResponse:
    """Rebalancing: transfers that would move surplus stock to where it runs short."""
    return _report(
        request, "inventory/reports/rebalancing.html", RebalancingForm, _rebalancing, _rebalancing_export
    )


@role_required("oms.access_inventory", "inventory.transfer_stock")
@require_POST
def rebalancing_transfer(request: HttpRequest) -> HttpResponse:
    """Request the transfer of one suggestion (``inventory.transfers.request_transfer``).

    The units are reserved at the source at once; not enough free stock there raises
    ``InsufficientStock``, which the middleware shows as a message. Nothing is written then.
    """
    form = RebalanceTransferForm(request.POST)
    if not form.is_valid():
        filters = RebalancingForm.from_query({})
        filters.is_valid()
        report = _rebalancing(filters)
        return _render(
            request,
            "inventory/reports/rebalancing.html",
            filters,
            {"transfer_form": form, "report": report, **_extra(filters, report)},
            status=422,
        )
    data = form.cleaned_data
    transfer = request_transfer(
        source=data["source"],
        destination=data["destination"],
        lines=[(data["variant"], data["quantity"])],
        user=request.user,
        note=_("Rebalancing suggestion"),
    )
    text = _("Transfer %(number)s requested: %(quantity)s × %(sku)s from %(source)s to %(destination)s.") % {
        "number": transfer.number,
        "quantity": data["quantity"],
        "sku": data["variant"].sku,
        "source": data["source"].code,
        "destination": data["destination"].code,
    }
    url = _url_or_none("inventory:transfer", transfer.pk)
    messages.success(
        request, format_html('{} <a href="{}">{}</a>', text, url, _("View transfer")) if url else text
    )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("inventory:report_rebalancing")
