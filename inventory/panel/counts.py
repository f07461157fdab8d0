"""Cycle counts in the panel: the list, starting a count, the blind counting station (tablet and
keyboard-wedge scanner), the review with its differences, recount and posting.

The business acts are ``inventory.counting``'s; these views parse, call one service and redirect
(or, for the station's htmx requests, answer with the station fragment and a scan feedback header).
The expected quantity is shown only to users who may post counts, and never on the station.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import django_filters
from django import forms
from django.contrib import messages
from django.db.models import Q
from django.db.models.functions import Upper
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from inventory import counting, selectors
from inventory.counting import ScopeKind
from inventory.models import (
    Bin,
    CountStatus,
    StockCount,
    StockCountLine,
    StockLot,
    Tracking,
    Variant,
    Warehouse,
)
from oms.access import role_required
from oms.errors import DomainError
from oms.http import is_partial, scan_feedback
from oms.pagination import paginate
from oms.views import render_list

ACCESS = "oms.access_inventory"
COUNT = "inventory.count_stock"
REVIEW = "inventory.post_count"


# --- Filters and forms ----------------------------------------------------------------------------


class CountFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=CountStatus.choices, empty_label=gettext_lazy("All")
    )
    warehouse = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.all(), empty_label=gettext_lazy("All")
    )

    class Meta:
        model = StockCount
        fields = ["status", "warehouse"]


class CountStartForm(forms.Form):
    """Where to count: a warehouse and one kind of scope; ``clean`` resolves it to bins, products
    or an expiry date for ``counting.start_count``."""

    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.filter(is_active=True), empty_label="—"
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Count"),
        choices=ScopeKind.choices,
        initial=ScopeKind.BINS,
        widget=forms.RadioSelect,
    )
    bins = forms.CharField(
        label=gettext_lazy("Bin code or prefix"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("A-01 is aisle 1 of zone A; A-01-02 one shelf; a full code one bin."),
        widget=forms.TextInput(attrs={"placeholder": "A-01", "autocapitalize": "characters"}),
    )
    bins_to = forms.CharField(
        label=gettext_lazy("… to bin (optional)"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("Counts the range from the first code to this one."),
        widget=forms.TextInput(attrs={"placeholder": "A-02", "autocapitalize": "characters"}),
    )
    zone = forms.CharField(
        label=gettext_lazy("Zone"),
        max_length=8,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "B", "autocapitalize": "characters"}),
    )
    skus = forms.CharField(
        label=gettext_lazy("SKUs or barcodes"),
        required=False,
        help_text=gettext_lazy("One per line or separated by commas; every bin holding them is counted."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    expiring_days = forms.IntegerField(
        label=gettext_lazy("Expiring within (days)"),
        required=False,
        min_value=0,
        max_value=365,
        initial=30,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=255, required=False)

    def clean(self) -> dict:
        data = super().clean()
        warehouse, scope = data.get("warehouse"), data.get("scope")
        if warehouse is None or not scope:
            return data
        self.arguments: dict = {"warehouse": warehouse, "note": data.get("note", "").strip()}
        if scope == ScopeKind.BINS:
            self._clean_bins(warehouse, data)
        elif scope == ScopeKind.ZONE:
            self._clean_zone(warehouse, data)
        elif scope == ScopeKind.SKUS:
            self._clean_skus(warehouse, data)
        else:
            self._clean_expiring(warehouse, data)
        return data

    def _clean_bins(self, warehouse: Warehouse, data: dict) -> None:
        first, last = data.get("bins", "").strip().upper(), data.get("bins_to", "").strip().upper()
        if not first:
            self.add_error("bins", _("Enter a bin code or prefix."))
            return
        if last:
            bins = list(counting.bins_matching(warehouse=warehouse, first=first, last=last))
        else:
            bins = list(counting.bins_matching(warehouse=warehouse, prefix=first))
        if not bins:
            self.add_error("bins", _("No bin of %(warehouse)s matches.") % {"warehouse": warehouse.code})
            return
        self.arguments.update(
            bins=bins,
            scope={"kind": ScopeKind.BINS, "value": first, "first": first, "last": last or first},
        )

    def _clean_zone(self, warehouse: Warehouse, data: dict) -> None:
        zone = data.get("zone", "").strip().upper()
        bins = list(
            Bin.objects.filter(warehouse=warehouse, zone__iexact=zone, is_quarantine=False, is_active=True)
        )
        if not zone or not bins:
            self.add_error(
                "zone",
                _("%(warehouse)s has no zone “%(zone)s”.") % {"warehouse": warehouse.code, "zone": zone},
            )
            return
        self.arguments.update(bins=bins, scope={"kind": ScopeKind.ZONE, "value": zone})

    def _clean_skus(self, warehouse: Warehouse, data: dict) -> None:
        codes = [c for c in data.get("skus", "").replace(",", " ").split() if c]
        if not codes:
            self.add_error("skus", _("Enter at least one SKU or barcode."))
            return
        found = list(
            Variant.objects.annotate(upper_sku=Upper("sku")).filter(
                Q(upper_sku__in=[c.upper() for c in codes]) | Q(barcode__in=codes)
            )
        )
        known = {v.sku.upper() for v in found} | {v.barcode for v in found if v.barcode}
        unknown = [c for c in codes if c.upper() not in known and c not in known]
        if unknown:
            self.add_error("skus", _("Unknown SKU or barcode: %(codes)s.") % {"codes": ", ".join(unknown)})
            return
        if not StockLot.objects.filter(warehouse=warehouse, variant__in=found).exists():
            self.add_error(
                "skus",
                _("None of these products has a place in %(warehouse)s.") % {"warehouse": warehouse.code},
            )
            return
        self.arguments.update(
            variants=found, scope={"kind": ScopeKind.SKUS, "value": sorted({v.sku for v in found})}
        )

    def _clean_expiring(self, warehouse: Warehouse, data: dict) -> None:
        days = data.get("expiring_days")
        if days is None:
            if "expiring_days" not in self.errors:
                self.add_error("expiring_days", _("Enter a number of days."))
            return
        by = timezone.localdate() + timedelta(days=days)
        if not counting.expiring_lots(warehouse=warehouse, by=by).exists():
            self.add_error(
                "expiring_days",
                _("No lot in %(warehouse)s expires by %(date)s.") % {"warehouse": warehouse.code, "date": by},
            )
            return
        self.arguments.update(expiring_by=by, scope={"kind": ScopeKind.EXPIRING, "value": by.isoformat()})


class CountLineForm(forms.Form):
    """The station's quantity box: a typed figure, or a tap on − / + (one less or one more)."""

    counted = forms.IntegerField(
        label=gettext_lazy("Counted"), min_value=0, max_value=10_000_000, required=False
    )
    step = forms.TypedChoiceField(
        choices=[("-1", "-1"), ("1", "+1")], coerce=int, required=False, empty_value=0
    )

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors and data.get("counted") is None and not data.get("step"):
            self.add_error("counted", _("Enter the counted quantity."))
        return data

    def new_figure(self, current: int | None) -> int:
        data = self.cleaned_data
        base = data["counted"] if data.get("counted") is not None else (current or 0)
        return max(0, base + (data.get("step") or 0))


class FoundItemForm(forms.Form):
    """Units on the shelf that the list does not have."""

    code = forms.CharField(
        label=gettext_lazy("SKU or barcode"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    bin = forms.CharField(label=gettext_lazy("Bin"), max_length=32)
    quantity = forms.IntegerField(
        label=gettext_lazy("Quantity"),
        min_value=1,
        max_value=1_000_000,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    lot_number = forms.CharField(label=gettext_lazy("Lot number"), max_length=64, required=False)
    serial = forms.CharField(label=gettext_lazy("Serial number"), max_length=64, required=False)
    expiry_date = forms.DateField(
        label=gettext_lazy("Expiry date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, count: StockCount, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.count = count

    def clean_code(self) -> Variant:
        variant = selectors.variant_for_code(self.cleaned_data["code"])
        if variant is None:
            raise forms.ValidationError(_("No product has this SKU or barcode."), code="unknown")
        return variant

    def clean_bin(self) -> Bin:
        code = self.cleaned_data["bin"].strip()
        found = Bin.objects.filter(warehouse_id=self.count.warehouse_id, code__iexact=code).first()
        if found is None:
            raise forms.ValidationError(
                _("%(warehouse)s has no bin %(bin)s.")
                % {"warehouse": self.count.warehouse.code, "bin": code},
                code="unknown",
            )
        return found

    def clean(self) -> dict:
        data = super().clean()
        variant = data.get("code")
        if (
            variant is not None
            and variant.product.tracking == Tracking.SERIAL
            and data.get("quantity", 1) > 1
        ):
            self.add_error("quantity", _("A serial number is one unit: report serial numbers one by one."))
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "variant": data["code"],
            "bin": data["bin"],
            "quantity": data["quantity"],
            "lot_number": data.get("lot_number") or "",
            "serial": data.get("serial") or "",
            "expiry_date": data.get("expiry_date"),
        }


# --- List and start -------------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def count_list(request: HttpRequest) -> HttpResponse:
    """Counts, newest first, with their progress; differences only for reviewers."""
    filterset = CountFilter(request.GET, queryset=counting.count_list())
    page = paginate(request, filterset.qs, ordering=("-pk",))
    counting.attach_scopes(page.object_list)
    return render_list(request, "inventory/counts/list.html", {"filter": filterset, "page": page})


@role_required(ACCESS, COUNT)
def count_start(request: HttpRequest) -> HttpResponse:
    """Choose a warehouse and what to count; the count opens with one line per lot in scope."""
    if request.method == "POST":
        form = CountStartForm(request.POST)
        if form.is_valid():
            count = counting.start_count(user=request.user, **form.arguments)
            messages.success(
                request,
                _("Count %(number)s started with %(n)s line(s).")
                % {"number": count.number, "n": count.lines.count()},
            )
            return redirect("inventory:count_station", pk=count.pk)
        return render(request, "inventory/counts/start.html", {"form": form}, status=422)
    initial = {}
    if "warehouse" in request.GET:
        initial["warehouse"] = request.GET["warehouse"]
    return render(request, "inventory/counts/start.html", {"form": CountStartForm(initial=initial)})


# --- Detail and review ----------------------------------------------------------------------------


@dataclass
class ReviewFigures:
    lines: int = 0
    counted: int = 0
    differing: int = 0
    units_over: int = 0
    units_short: int = 0
    value_net: Decimal = Decimal("0")
    value_absolute: Decimal = Decimal("0")
    currency: str = "TRY"

    @property
    def units_net(self) -> int:
        return self.units_over - self.units_short


def _review_rows(lines: list[StockCountLine], drift: dict[int, int]) -> ReviewFigures:
    figures = ReviewFigures(lines=len(lines))
    for line in lines:
        variant = line.lot.variant
        figures.currency = variant.currency
        line.drift = drift.get(line.pk)
        line.value = None
        if line.counted is None:
            continue
        figures.counted += 1
        difference = line.counted - line.expected
        line.value = variant.cost_price * difference
        if difference:
            figures.differing += 1
            figures.value_net += line.value
            figures.value_absolute += abs(line.value)
            if difference > 0:
                figures.units_over += difference
            else:
                figures.units_short -= difference
    return figures


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def count_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A count's lines. Reviewers see expected, counted and the difference in units and at cost;
    everyone else sees only what was counted (a recount stays blind)."""
    count = get_object_or_404(
        StockCount.objects.select_related("warehouse", "created_by", "posted_by"), pk=pk
    )
    counting.attach_scopes([count])
    # While counting, nobody sees the expectation here: an operator may be counting too.
    reviewer = request.user.has_perm(REVIEW) and count.status != CountStatus.COUNTING
    lines = list(counting.count_lines(count, blind=not reviewer))
    context: dict = {
        "count": count,
        "reviewer": reviewer,
        "may_review": request.user.has_perm(REVIEW),
        "may_count": request.user.has_perm(COUNT),
        "total_lines": len(lines),
        "progress": sum(1 for x in lines if x.counted is not None),
        "differences_only": False,
    }
    if reviewer:
        drift = counting.count_drift(count)
        context["figures"] = _review_rows(lines, drift)
        context["drift_lines"] = len(drift)
        context["moves"] = counting.moves_since_start(count) if count.status == CountStatus.REVIEW else 0
        if request.GET.get("differences"):
            context["differences_only"] = True
            lines = [x for x in lines if x.counted is None or x.counted != x.expected or x.pk in drift]
    context["lines"] = lines
    return render_list(request, "inventory/counts/detail.html", context, partial="lines")


def _count_for_update(pk: int) -> StockCount:
    return get_object_or_404(StockCount, pk=pk)


@role_required(ACCESS, REVIEW)
@require_POST
def count_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Send back for a recount: the chosen lines, or all of them (``all``)."""
    count = _count_for_update(pk)
    if request.POST.get("all"):
        chosen = list(count.lines.values_list("pk", flat=True))
    else:
        chosen = [int(v) for v in request.POST.getlist("line") if v.isdigit()]
        if not chosen:
            messages.error(request, _("Tick the lines to count again, or choose “Recount all”."))
            return redirect("inventory:count", pk=count.pk)
    counting.reopen_count(count=count, user=request.user, lines=chosen)
    messages.success(
        request,
        _("%(number)s is back in counting: %(n)s line(s) to count again.")
        % {"number": count.number, "n": len(chosen)},
    )
    return redirect("inventory:count", pk=count.pk)


@role_required(ACCESS, REVIEW)
@require_POST
def count_post(request: HttpRequest, pk: int) -> HttpResponse:
    """Post the differences as ``count`` ledger rows."""
    count = counting.post_count(count=_count_for_update(pk), user=request.user)
    messages.success(request, _("Count %(number)s posted.") % {"number": count.number})
    return redirect("inventory:count", pk=count.pk)


@role_required(ACCESS, REVIEW)
@require_POST
def count_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    count = counting.cancel_count(count=_count_for_update(pk), user=request.user)
    messages.success(request, _("Count %(number)s cancelled; nothing was posted.") % {"number": count.number})
    return redirect("inventory:count", pk=count.pk)


# --- The blind counting station -------------------------------------------------------------------


def _bin_key(count: StockCount) -> str:
    return f"count-station-bin-{count.pk}"


def _current_bin(request: HttpRequest, count: StockCount) -> Bin | None:
    bin_id = request.session.get(_bin_key(count))
    if not bin_id:
        return None
    return Bin.objects.filter(pk=bin_id, warehouse_id=count.warehouse_id).first()


def _station(
    request: HttpRequest,
    count: StockCount,
    *,
    line_id: int | None = None,
    result: tuple[bool, str] | None = None,
    found_form: FoundItemForm | None = None,
    line_form: CountLineForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The station page (or, for htmx, its body) with the current line; never the expectation."""
    lines = list(counting.count_lines(count, blind=True))
    place = _current_bin(request, count)
    current = next((x for x in lines if x.pk == line_id), None)
    if current is None and place is not None:
        current = next((x for x in lines if x.lot.bin_id == place.pk and x.counted is None), None)
    if current is None:
        current = next((x for x in lines if x.counted is None), None)
    counted = sum(1 for x in lines if x.counted is not None)
    if found_form is None:
        found_form = FoundItemForm(count=count, initial={"bin": place.code if place else "", "quantity": 1})
    context = {
        "count": count,
        "lines": lines,
        "current": current,
        "place": place,
        "counted": counted,
        "uncounted": len(lines) - counted,
        "result": result,
        "found_form": found_form,
        "line_form": line_form,
        "may_count": count.status == CountStatus.COUNTING,
    }
    template = "inventory/counts/station.html"
    if is_partial(request):
        template += "#station"
    response = render(request, template, context, status=status)
    if result is not None and is_partial(request):
        scan_feedback(response, result[0], message=result[1])
    return response


def _answer(
    request: HttpRequest, count: StockCount, ok: bool, message: str, *, line_id: int | None = None, **extra
) -> HttpResponse:
    """htmx: the station body with the result and the scan feedback (422 when refused); a plain
    form post: the message and back to the station (PRG)."""
    if is_partial(request):
        return _station(
            request, count, line_id=line_id, result=(ok, message), status=200 if ok else 422, **extra
        )
    (messages.success if ok else messages.error)(request, message)
    url = reverse("inventory:count_station", args=[count.pk])
    return redirect(f"{url}?line={line_id}" if line_id else url)


@vary_on_headers("HX-Request")
@role_required(ACCESS, COUNT)
def count_station(request: HttpRequest, pk: int) -> HttpResponse:
    """The tablet screen: scan a bin, then its items; type or tap a quantity; report what is not
    on the list; submit. Shows bin, product, lot, serial and expiry, never the expected quantity."""
    count = get_object_or_404(StockCount.objects.select_related("warehouse"), pk=pk)
    if count.status != CountStatus.COUNTING:
        messages.info(request, _("Count %(number)s is not open for counting.") % {"number": count.number})
        return redirect("inventory:count", pk=count.pk)
    line = request.GET.get("line", "")
    return _station(request, count, line_id=int(line) if line.isdigit() else None)


def _open(pk: int) -> StockCount:
    return get_object_or_404(StockCount.objects.select_related("warehouse"), pk=pk)


@role_required(ACCESS, COUNT)
@require_POST
def count_scan(request: HttpRequest, pk: int) -> HttpResponse:
    """One scan: a bin code selects the bin; a lot number selects that lot's line; a serial number,
    barcode or SKU counts one unit of the matching line in that bin (the selected lot first).
    Anything else is refused with a reason, and nothing is written."""
    count = _open(pk)
    code = request.POST.get("code", "").strip()
    selected = request.POST.get("line", "")
    selected_id = int(selected) if selected.isdigit() else None
    if count.status != CountStatus.COUNTING:
        return _answer(request, count, False, _("This count is no longer open for counting."))
    if not code:
        return _answer(request, count, False, _("Nothing was scanned."), line_id=selected_id)
    place = Bin.objects.filter(warehouse_id=count.warehouse_id, code__iexact=code).first()
    if place is not None:
        request.session[_bin_key(count)] = place.pk
        return _answer(request, count, True, _("Bin %(bin)s: scan its items.") % {"bin": place.code})
    place = _current_bin(request, count)
    if place is None:
        return _answer(request, count, False, _("Scan the bin first."), line_id=selected_id)
    in_bin = list(counting.count_lines(count, blind=True).filter(lot__bin=place))
    line = next((x for x in in_bin if x.lot.serial and x.lot.serial.upper() == code.upper()), None)
    lots = [x for x in in_bin if x.lot.lot_number and x.lot.lot_number.upper() == code.upper()]
    if line is None and len(lots) == 1:
        # A lot label picks which lot of the product the next item scans count.
        return _answer(
            request,
            count,
            True,
            _("Lot %(lot)s of %(sku)s: scan its items.")
            % {"lot": lots[0].lot.lot_number, "sku": lots[0].lot.variant.sku},
            line_id=lots[0].pk,
        )
    variant = None
    if line is None:
        variant = selectors.variant_for_code(code)
        if variant is None:
            return _answer(
                request, count, False, _("Unknown code “%(code)s”.") % {"code": code}, line_id=selected_id
            )
        if variant.product.tracking == Tracking.SERIAL:
            return _answer(
                request,
                count,
                False,
                _("%(sku)s is tracked by serial number: scan the serial number.") % {"sku": variant.sku},
                line_id=selected_id,
            )
        matching = [x for x in in_bin if x.lot.variant_id == variant.pk]
        line = (
            next((x for x in matching if x.pk == selected_id), None)
            or next((x for x in matching if x.counted is None), None)
            or next(iter(matching), None)
        )
    if line is None:
        sku = variant.sku if variant else code
        found_form = FoundItemForm(count=count, initial={"code": sku, "bin": place.code, "quantity": 1})
        found_form.opened = True
        return _station(
            request,
            count,
            line_id=selected_id,
            result=(
                False,
                _("%(sku)s is not on the list for bin %(bin)s: report it as found below.")
                % {"sku": sku, "bin": place.code},
            ),
            found_form=found_form,
            status=422,
        )
    try:
        line = counting.add_to_count(line=line, user=request.user)
    except DomainError as error:
        return _answer(request, count, False, error.message, line_id=line.pk)
    return _answer(
        request,
        count,
        True,
        _("%(sku)s counted: %(n)s.") % {"sku": line.lot.variant.sku, "n": line.counted},
        line_id=line.pk,
    )


@role_required(ACCESS, COUNT)
@require_POST
def count_line(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    """Type the figure of one line, or tap − / + on it."""
    count = _open(pk)
    line = get_object_or_404(StockCountLine.objects.select_related("lot__variant"), pk=line_pk, count=count)
    form = CountLineForm(request.POST)
    if not form.is_valid():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _station(request, count, line_id=line.pk, result=(False, message), line_form=form, status=422)
    try:
        line = counting.record_count(line=line, counted=form.new_figure(line.counted), user=request.user)
    except DomainError as error:
        return _answer(request, count, False, error.message, line_id=line.pk)
    return _answer(
        request,
        count,
        True,
        _("%(sku)s counted: %(n)s.") % {"sku": line.lot.variant.sku, "n": line.counted},
        line_id=line.pk,
    )


@role_required(ACCESS, COUNT)
@require_POST
def count_found(request: HttpRequest, pk: int) -> HttpResponse:
    """Report units that are not on the list (a new line, counted at once)."""
    count = _open(pk)
    form = FoundItemForm(request.POST, count=count)
    if not form.is_valid():
        form.opened = True
        return _station(
            request,
            count,
            result=(False, _("Check the reported item.")),
            found_form=form,
            status=422,
        )
    try:
        line = counting.report_found(count=count, user=request.user, **form.service_arguments())
    except DomainError as error:
        form.opened = True
        return _station(request, count, result=(False, error.message), found_form=form, status=422)
    request.session[_bin_key(count)] = line.lot.bin_id
    return _answer(
        request,
        count,
        True,
        _("Found %(sku)s in %(bin)s: %(n)s counted.")
        % {"sku": line.lot.variant.sku, "bin": line.lot.bin.code, "n": line.counted},
        line_id=line.pk,
    )


@role_required(ACCESS, COUNT)
@require_POST
def count_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Counting is done: the count goes to review (refused while lines are uncounted)."""
    count = counting.submit_count(count=_open(pk), user=request.user)
    request.session.pop(_bin_key(count), None)
    messages.success(request, _("Count %(number)s submitted for review.") % {"number": count.number})
    return redirect("inventory:count", pk=count.pk)
