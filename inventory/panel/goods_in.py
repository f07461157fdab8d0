"""Goods in: the receipts list and detail, and the tablet receiving station (views and forms).

The station is one page per pending receipt (``inventory.goods_in.Draft``, kept in the session).
Each scan, tap or field posts to a small view that changes the draft through ``inventory.goods_in``
and answers htmx with the station's ``body`` partial plus ``scan-ok``/``scan-error``
(``oms.http.scan_feedback``); a refusal answers 422 with the reason on the station and leaves the
draft as it was. Without JavaScript the same forms post and redirect (PRG).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import TextInput
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from inventory import goods_in
from inventory.models import PurchaseOrder, Receipt, Warehouse
from oms.access import role_required
from oms.errors import DomainError
from oms.http import is_partial, scan_feedback
from oms.pagination import paginate
from oms.views import render_list

RECEIVE = ("oms.access_inventory", "inventory.receive_stock")


def purchase_order_url(pk: int | None) -> str | None:
    """The purchase order's page, once the purchasing area provides one."""
    if pk is None:
        return None
    try:
        return reverse("inventory:purchase_order", args=[pk])
    except NoReverseMatch:
        return None


# --- Receipts list and detail ---------------------------------------------------------------------


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class ReceiptFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="search",
        widget=TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Receipt, PO number, SKU")}),
    )
    warehouse = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.all(), empty_label=gettext_lazy("All")
    )
    received_from = django_filters.DateFilter(
        label=gettext_lazy("Received from"),
        method="filter_from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = django_filters.DateFilter(
        label=gettext_lazy("Received to"), method="filter_to", widget=forms.DateInput(attrs={"type": "date"})
    )
    purchase_order = django_filters.ChoiceFilter(
        label=gettext_lazy("Purchase order"),
        choices=[("with", gettext_lazy("With PO")), ("without", gettext_lazy("Without PO (free)"))],
        empty_label=gettext_lazy("All"),
        method="filter_purchase_order",
    )
    variance = django_filters.ChoiceFilter(
        label=gettext_lazy("Variance"),
        choices=[("yes", gettext_lazy("Over or short")), ("no", gettext_lazy("As ordered / free"))],
        empty_label=gettext_lazy("All"),
        method="filter_variance",
    )

    class Meta:
        model = Receipt
        fields = ["q", "warehouse", "received_from", "received_to", "purchase_order", "variance"]

    def search(self, queryset, name, value):
        value = value.strip()
        return goods_in.search_receipts(queryset, value) if value else queryset

    # Whole days in the shop's time zone, as a range on the column (no per-row date conversion).
    def filter_from(self, queryset, name, value):
        return queryset.filter(received_at__gte=_day_start(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(received_at__lt=_day_start(value + timedelta(days=1)))

    def filter_purchase_order(self, queryset, name, value):
        return queryset.filter(purchase_order__isnull=value != "with")

    def filter_variance(self, queryset, name, value):
        return goods_in.with_variance(queryset, value == "yes")


@vary_on_headers("HX-Request")
@role_required("oms.access_inventory")
def receipt_list(request: HttpRequest) -> HttpResponse:
    """Goods in: every receipt, newest first."""
    filterset = ReceiptFilter(request.GET, queryset=goods_in.receipt_list())
    page = paginate(request, filterset.qs, ordering=("-received_at", "-pk"))
    for receipt in page:
        receipt.po_url = purchase_order_url(receipt.purchase_order_id)
    return render_list(request, "inventory/goods_in/receipts.html", {"filter": filterset, "page": page})


@role_required("oms.access_inventory")
def receipt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = goods_in.receipt_detail(pk)
    return render(request, "inventory/goods_in/receipt.html", _receipt_context(receipt))


def _receipt_context(receipt: Receipt) -> dict:
    return {
        "receipt": receipt,
        "lines": list(receipt.lines.all()),
        "variances": goods_in.receipt_variances(receipt),
        "po_url": purchase_order_url(receipt.purchase_order_id),
    }


# --- Station: start -------------------------------------------------------------------------------


class StationStartForm(forms.Form):
    """Start a receipt: an open purchase order (picked from the list, or its number scanned) or a
    free receipt in a warehouse. A scanned order number brings its warehouse along."""

    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.filter(is_active=True), required=False
    )
    purchase_order = forms.IntegerField(required=False, widget=forms.HiddenInput)
    po_number = forms.CharField(label=gettext_lazy("Purchase order number"), max_length=40, required=False)
    free = forms.BooleanField(required=False)

    def clean(self) -> dict:
        data = super().clean()
        warehouse = data.get("warehouse")
        number, pk = (data.get("po_number") or "").strip(), data.get("purchase_order")
        data["order"] = None
        if number or pk:
            try:
                order = goods_in.receivable_purchase_order(number=number, pk=pk, warehouse=warehouse)
            except DomainError as error:
                raise ValidationError(error.message, code=error.code) from None
            data["order"], data["warehouse"] = order, order.warehouse
        elif not data.get("free"):
            raise ValidationError(_("Choose a purchase order, scan its number, or start a free receipt."))
        elif warehouse is None and "warehouse" not in self.errors:
            self.add_error("warehouse", _("Choose the warehouse the goods arrive in."))
        return data


def _start_context(request: HttpRequest, form: StationStartForm | None = None) -> dict:
    warehouses = list(Warehouse.objects.filter(is_active=True))
    selected = None
    wanted = (
        request.GET.get("warehouse")
        or request.POST.get("warehouse")
        or request.session.get("goods_in_warehouse")
    )
    if len(warehouses) == 1:
        selected = warehouses[0]
    elif wanted:
        selected = next((w for w in warehouses if str(w.pk) == str(wanted)), None)
    drafts = goods_in.DraftStore(request.session, request.user).drafts()
    names = {w.pk: w for w in warehouses}
    numbers = dict(
        PurchaseOrder.objects.filter(
            pk__in={d.purchase_order_id for d in drafts if d.purchase_order_id}
        ).values_list("pk", "number")
    )
    return {
        "warehouses": warehouses,
        "selected": selected,
        "orders": list(goods_in.open_purchase_orders(selected)) if selected else [],
        "drafts": [
            (draft, names.get(draft.warehouse_id), numbers.get(draft.purchase_order_id)) for draft in drafts
        ],
        "form": form or StationStartForm(initial={"warehouse": selected}),
    }


@require_GET
@role_required(*RECEIVE)
def station(request: HttpRequest) -> HttpResponse:
    """The receiving station's first screen: warehouse, then an open order or a free receipt."""
    context = _start_context(request)
    if context["selected"] is not None:
        request.session["goods_in_warehouse"] = context["selected"].pk
    return render(request, "inventory/goods_in/station_start.html", context)


@require_POST
@role_required(*RECEIVE)
def station_start(request: HttpRequest) -> HttpResponse:
    form = StationStartForm(request.POST)
    if not form.is_valid():
        response = render(
            request, "inventory/goods_in/station_start.html", _start_context(request, form), status=422
        )
        return scan_feedback(response, False, message=" ".join(form.non_field_errors()))
    store = goods_in.DraftStore(request.session, request.user)
    draft = goods_in.start_draft(
        store=store, warehouse=form.cleaned_data["warehouse"], purchase_order=form.cleaned_data["order"]
    )
    request.session["goods_in_warehouse"] = draft.warehouse_id
    return redirect("inventory:receiving_draft", token=draft.token)


# --- Station: the pending receipt -----------------------------------------------------------------


class ScanForm(forms.Form):
    code = forms.CharField(max_length=128, strip=True)
    allow_unordered = forms.BooleanField(required=False)


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(required=False)
    step = forms.TypedChoiceField(
        choices=[("-1", "-1"), ("1", "+1")], coerce=int, required=False, empty_value=None
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("step") is None and data.get("quantity") is None and not self.errors:
            raise ValidationError(_("Enter a quantity."))
        return data


class TrackingForm(forms.Form):
    lot_number = forms.CharField(label=gettext_lazy("Lot number"), max_length=64, required=False)
    expiry_date = forms.DateField(
        label=gettext_lazy("Expiry date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class SerialForm(forms.Form):
    serial = forms.CharField(max_length=64)


LINE_ACTIONS = {"select", "quantity", "tracking", "serial", "remove_serial", "split", "remove"}


def _first_error(form: forms.Form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return _("The input is not valid.")


class _Refused(Exception):
    """Input the station's forms did not accept (shown like a domain refusal)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _store(request: HttpRequest) -> goods_in.DraftStore:
    return goods_in.DraftStore(request.session, request.user)


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows as a whole page (``HX-Redirect``)."""
    if getattr(request, "htmx", False):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _missing_draft(request: HttpRequest, token: str) -> HttpResponse:
    """The draft is gone: completed (show its receipt) or discarded / from another session."""
    receipt = goods_in.completed_receipt(token=token, user=request.user)
    if receipt is not None:
        messages.info(
            request, _("This receipt was already completed as %(number)s.") % {"number": receipt.number}
        )
        url = reverse("inventory:receiving_summary", args=[receipt.pk])
    else:
        messages.error(request, _("This pending receipt no longer exists (completed or discarded)."))
        url = reverse("inventory:receiving_station")
    return _redirect(request, url)


def _render_station(
    request: HttpRequest,
    draft: goods_in.Draft,
    *,
    feedback: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        context = {"view": goods_in.station_view(draft), "feedback": feedback}
    except DomainError as error:  # the draft went stale: back to the start screen, where it can be discarded
        messages.error(request, error.message)
        return _redirect(request, reverse("inventory:receiving_station"))
    template = "inventory/goods_in/station.html"
    if is_partial(request):
        template += "#body"
    response = render(request, template, context, status=status)
    if feedback is not None:
        scan_feedback(response, feedback["ok"], message=feedback["message"])
    return response


def _answer(request: HttpRequest, draft: goods_in.Draft, act) -> HttpResponse:
    """Run ``act`` on the draft; keep the change only if it was accepted, and answer the station."""
    store = _store(request)
    try:
        outcome = act()
    except (DomainError, _Refused) as error:
        # Refusals are raised before the draft changes; the stored draft is shown again regardless.
        offer = None
        if isinstance(error, goods_in.NotOnOrder):  # offer to receive it anyway, as not ordered
            offer = {"code": request.POST.get("code", "").strip()}
        feedback = {"ok": False, "message": error.message, "offer": offer}
        return _render_station(request, store.get(draft.token) or draft, feedback=feedback, status=422)
    store.save(draft)
    message = outcome.message if isinstance(outcome, goods_in.ScanOutcome) else (outcome or "")
    warning = outcome.warning if isinstance(outcome, goods_in.ScanOutcome) else ""
    if not getattr(request, "htmx", False):
        if message:
            messages.success(request, message)
        if warning:
            messages.warning(request, warning)
        return redirect("inventory:receiving_draft", token=draft.token)
    return _render_station(request, draft, feedback={"ok": True, "message": message, "warning": warning})


@vary_on_headers("HX-Request")
@require_GET
@role_required(*RECEIVE)
def station_draft(request: HttpRequest, token: str) -> HttpResponse:
    draft = _store(request).get(token)
    if draft is None:
        return _missing_draft(request, token)
    return _render_station(request, draft)


@require_POST
@role_required(*RECEIVE)
def station_scan(request: HttpRequest, token: str) -> HttpResponse:
    """One scan (or typed code): an item, a bin, or a serial number of the current line."""
    draft = _store(request).get(token)
    if draft is None:
        return _missing_draft(request, token)
    form = ScanForm(request.POST)

    def act():
        if not form.is_valid():
            empty = not request.POST.get("code", "").strip()
            raise _Refused(_("Nothing was scanned.") if empty else _first_error(form))
        return goods_in.scan(
            draft=draft, code=form.cleaned_data["code"], allow_unordered=form.cleaned_data["allow_unordered"]
        )

    return _answer(request, draft, act)


@require_POST
@role_required(*RECEIVE)
def station_line(request: HttpRequest, token: str, line: int) -> HttpResponse:
    """A tap on a line: select it, its quantity (+/-), lot and expiry, a serial, split or remove it."""
    draft = _store(request).get(token)
    if draft is None:
        return _missing_draft(request, token)
    action = request.POST.get("action", "")
    if "step" in request.POST:
        action = "quantity"

    def act():
        if action not in LINE_ACTIONS:
            raise _Refused(_("Unknown action."))
        if action == "select":
            goods_in.select_line(draft=draft, line_id=line)
            return ""
        if action == "quantity":
            form = QuantityForm(request.POST)
            if not form.is_valid():
                raise _Refused(_first_error(form))
            step = form.cleaned_data["step"]
            quantity = draft.line(line).quantity + step if step is not None else form.cleaned_data["quantity"]
            done = goods_in.set_quantity(draft=draft, line_id=line, quantity=quantity)
            return _("Quantity %(n)s.") % {"n": done.quantity}
        if action == "tracking":
            form = TrackingForm(request.POST)
            if not form.is_valid():
                raise _Refused(_first_error(form))
            goods_in.set_tracking(draft=draft, line_id=line, **form.cleaned_data)
            return _("Lot and expiry saved.")
        if action in ("serial", "remove_serial"):
            form = SerialForm(request.POST)
            if not form.is_valid():
                raise _Refused(_first_error(form))
            if action == "remove_serial":
                goods_in.remove_serial(draft=draft, line_id=line, serial=form.cleaned_data["serial"])
                return _("Serial number %(s)s removed.") % {"s": form.cleaned_data["serial"]}
            return goods_in.add_serial(draft=draft, line=draft.line(line), serial=form.cleaned_data["serial"])
        if action == "split":
            goods_in.split_line(draft=draft, line_id=line)
            return _("New line for another lot or bin.")
        removed = goods_in.remove_line(draft=draft, line_id=line)
        return _("Line %(n)s removed.") % {"n": removed.id}

    return _answer(request, draft, act)


@require_POST
@role_required(*RECEIVE)
def station_complete(request: HttpRequest, token: str) -> HttpResponse:
    """Receive everything on the draft at once (``receive_goods``); idempotent per draft."""
    store = _store(request)
    draft = store.get(token)
    if draft is None:
        return _missing_draft(request, token)
    try:
        receipt, created = goods_in.complete_draft(draft=draft, user=request.user)
    except DomainError as error:
        feedback = {"ok": False, "message": error.message, "offer": None}
        return _render_station(request, draft, feedback=feedback, status=422)
    store.discard(token)
    if created:
        messages.success(request, _("Receipt %(number)s completed.") % {"number": receipt.number})
    else:
        messages.info(
            request, _("This receipt was already completed as %(number)s.") % {"number": receipt.number}
        )
    url = reverse("inventory:receiving_summary", args=[receipt.pk])
    return _redirect(request, url)


@require_POST
@role_required(*RECEIVE)
def station_discard(request: HttpRequest, token: str) -> HttpResponse:
    if _store(request).discard(token):
        messages.info(request, _("The pending receipt was discarded; nothing was received."))
    url = reverse("inventory:receiving_station")
    return _redirect(request, url)


@require_GET
@role_required(*RECEIVE)
def receiving_summary(request: HttpRequest, pk: int) -> HttpResponse:
    """After completing: what was received, the variances against the order, what next."""
    receipt = goods_in.receipt_detail(pk)
    context = _receipt_context(receipt)
    order = receipt.purchase_order
    context["order_open"] = order is not None and order.status in goods_in.OPEN_PO_STATUSES
    context["outstanding"] = goods_in.outstanding_lines(order) if context["order_open"] else []
    return render(request, "inventory/goods_in/summary.html", context)
