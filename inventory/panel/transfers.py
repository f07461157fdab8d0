"""Transfers between warehouses in the panel: the list with what is in transit, the request form
(lines found by an htmx SKU search that shows what the source has available), and the detail page
where a transfer is shipped, received (line by line, shortfalls recorded) or cancelled.

The acts are ``inventory.transfers``'; refusals (not enough available, same warehouse, a status
change that is not allowed) come back as messages, or as form errors with status 422.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from inventory import transfers
from inventory.errors import InsufficientStock
from inventory.models import (
    Bin,
    Reservation,
    ReservationStatus,
    StockLevel,
    Transfer,
    TransferStatus,
    Variant,
    Warehouse,
)
from inventory.services import default_bin
from oms.access import role_required
from oms.errors import DomainError
from oms.http import is_partial
from oms.pagination import paginate
from oms.views import render_list

ACCESS = "oms.access_inventory"
TRANSFER = "inventory.transfer_stock"
SEARCH_LIMIT = 10
MAX_LINES = 200


# --- Filters and forms ----------------------------------------------------------------------------


class TransferFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=TransferStatus.choices, empty_label=gettext_lazy("All")
    )
    source = django_filters.ModelChoiceFilter(
        label=gettext_lazy("From"), queryset=Warehouse.objects.all(), empty_label=gettext_lazy("All")
    )
    destination = django_filters.ModelChoiceFilter(
        label=gettext_lazy("To"), queryset=Warehouse.objects.all(), empty_label=gettext_lazy("All")
    )

    class Meta:
        model = Transfer
        fields = ["status", "source", "destination"]


class TransferRequestForm(forms.Form):
    """Source, destination and the lines (``variant`` / ``quantity`` pairs, one per table row)."""

    source = forms.ModelChoiceField(
        label=gettext_lazy("From"), queryset=Warehouse.objects.filter(is_active=True), empty_label="—"
    )
    destination = forms.ModelChoiceField(
        label=gettext_lazy("To"), queryset=Warehouse.objects.filter(is_active=True), empty_label="—"
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=255, required=False)

    def __init__(self, data=None, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.rows: list[dict] = []  # what the lines table shows again: variant, quantity typed, error
        self.lines: list[tuple[Variant, int]] = []
        if data is not None:
            self._read_rows(data)

    def _read_rows(self, data) -> None:
        ids, quantities = data.getlist("variant"), data.getlist("quantity")
        wanted = [(v, q) for v, q in zip(ids, quantities, strict=False) if v.isdigit()][:MAX_LINES]
        variants = Variant.objects.select_related("product").in_bulk([int(v) for v, _q in wanted])
        for variant_id, quantity in wanted:
            variant = variants.get(int(variant_id))
            if variant is not None:
                self.rows.append({"variant": variant, "quantity": quantity.strip(), "error": ""})

    def clean(self) -> dict:
        data = super().clean()
        source, destination = data.get("source"), data.get("destination")
        if source and destination and source == destination:
            self.add_error("destination", _("Choose a destination other than the source."))
        if not self.rows:
            self.add_error(None, _("Add at least one product to the transfer."))
            return data
        merged: dict[int, list] = {}
        for row in self.rows:
            quantity = row["quantity"]
            if not quantity.isdigit() or int(quantity) <= 0:
                row["error"] = _("Enter a whole number above zero.")
                continue
            entry = merged.setdefault(row["variant"].pk, [row["variant"], 0])
            entry[1] += int(quantity)
        if any(row["error"] for row in self.rows):
            self.add_error(None, _("Check the quantities of the marked lines."))
            return data
        self.lines = [(variant, quantity) for variant, quantity in merged.values()]
        return data


class ReceiveForm(forms.Form):
    """Units that arrived per line (default: all shipped) and where they are put away."""

    bin = forms.CharField(
        label=gettext_lazy("Put away in bin"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("Empty: the destination's receiving location."),
    )

    def __init__(self, *args, transfer: Transfer, lines, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.transfer = transfer
        self.line_fields = []
        for line in lines:
            name = f"received_{line.pk}"
            self.fields[name] = forms.IntegerField(
                label=line.variant.sku,
                min_value=0,
                max_value=line.quantity,
                initial=line.quantity,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
            self.line_fields.append((line, name))
        self.fields["bin"].widget.attrs["placeholder"] = default_bin(transfer.destination_id).code

    def clean_bin(self) -> Bin | None:
        code = self.cleaned_data["bin"].strip()
        if not code:
            return None
        found = Bin.objects.filter(warehouse_id=self.transfer.destination_id, code__iexact=code).first()
        if found is None:
            raise forms.ValidationError(
                _("%(warehouse)s has no bin %(bin)s.")
                % {"warehouse": self.transfer.destination.code, "bin": code}
            )
        return found

    def received(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[name] for line, name in self.line_fields}


# --- List -----------------------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def transfer_list(request: HttpRequest) -> HttpResponse:
    """Transfers, newest first, with what is in transit to each warehouse."""
    filterset = TransferFilter(request.GET, queryset=transfers.transfer_list())
    page = paginate(request, filterset.qs, ordering=("-pk",))
    context = {"filter": filterset, "page": page}
    if not is_partial(request):
        context["in_transit"] = transfers.in_transit_summary()
    return render_list(request, "inventory/transfers/list.html", context)


# --- Request --------------------------------------------------------------------------------------


def _render_request(request: HttpRequest, form: TransferRequestForm, *, status: int = 200) -> HttpResponse:
    source = form.cleaned_data.get("source") if hasattr(form, "cleaned_data") else None
    if source is None and form.is_bound and form.data.get("source", "").isdigit():
        source = Warehouse.objects.filter(pk=form.data["source"]).first()
    available = transfers.available_at(source, [r["variant"].pk for r in form.rows]) if source else {}
    for row in form.rows:
        row["available"] = available.get(row["variant"].pk, 0) if source else None
    return render(
        request, "inventory/transfers/request.html", {"form": form, "source": source}, status=status
    )


@role_required(ACCESS, TRANSFER)
def transfer_request(request: HttpRequest) -> HttpResponse:
    """Ask for stock to move; the units are reserved at the source at once (all or nothing)."""
    if request.method != "POST":
        initial = {k: request.GET[k] for k in ("source", "destination") if request.GET.get(k, "").isdigit()}
        return _render_request(request, TransferRequestForm(initial=initial))
    form = TransferRequestForm(request.POST)
    if not form.is_valid():
        return _render_request(request, form, status=422)
    data = form.cleaned_data
    try:
        transfer = transfers.request_transfer(
            source=data["source"],
            destination=data["destination"],
            lines=form.lines,
            user=request.user,
            note=data["note"].strip(),
        )
    except InsufficientStock as error:
        short = {item["variant_id"]: item for item in error.data.get("items", [])}
        for row in form.rows:
            item = short.get(row["variant"].pk)
            if item:
                row["error"] = _("%(wanted)s wanted, %(available)s available at %(source)s.") % {
                    "wanted": item["wanted"],
                    "available": item["available"],
                    "source": data["source"].code,
                }
        form.add_error(
            None,
            _("Not enough available at %(source)s: nothing was reserved.") % {"source": data["source"].code},
        )
        return _render_request(request, form, status=422)
    except DomainError as error:
        form.add_error(None, error.message)
        return _render_request(request, form, status=422)
    messages.success(
        request,
        _("Transfer %(number)s requested: %(units)s unit(s) reserved at %(source)s.")
        % {
            "number": transfer.number,
            "units": sum(q for _v, q in form.lines),
            "source": transfer.source.code,
        },
    )
    return redirect("inventory:transfer", pk=transfer.pk)


@role_required(ACCESS, TRANSFER)
def transfer_sku_search(request: HttpRequest) -> HttpResponse:
    """htmx: products matching the search, with what the chosen source has available."""
    text = request.GET.get("q", "").strip()
    source_id = request.GET.get("source", "")
    source = Warehouse.objects.filter(pk=source_id).first() if source_id.isdigit() else None
    results = []
    if len(text) >= 2:
        variants = Variant.objects.select_related("product").filter(
            Q(sku__icontains=text) | Q(barcode=text) | Q(product__name__icontains=text), is_active=True
        )
        if source is not None:
            # What the source can send comes first.
            free = StockLevel.objects.filter(variant_id=OuterRef("pk"), warehouse=source).values("on_hand")[
                :1
            ]
            held = StockLevel.objects.filter(variant_id=OuterRef("pk"), warehouse=source).values("reserved")[
                :1
            ]
            variants = variants.annotate(
                available=Coalesce(Subquery(free), 0) - Coalesce(Subquery(held), 0)
            ).order_by("-available", "sku")
        else:
            variants = variants.order_by("sku")
        results = list(variants[:SEARCH_LIMIT])
        for variant in results:
            if source is None:
                variant.available = None
    return render(
        request,
        "inventory/transfers/request.html#search_results",
        {"results": results, "source": source, "text": text},
    )


@role_required(ACCESS, TRANSFER)
def transfer_line_row(request: HttpRequest) -> HttpResponse:
    """htmx: one more line for the request table (or nothing, to remove a line)."""
    if request.GET.get("remove"):
        return HttpResponse("")
    variant_id, source_id = request.GET.get("variant", ""), request.GET.get("source", "")
    variant = (
        get_object_or_404(Variant.objects.select_related("product"), pk=variant_id)
        if variant_id.isdigit()
        else None
    )
    if variant is None:
        return HttpResponse("", status=422)
    available = None
    if source_id.isdigit():
        available = transfers.available_at(int(source_id), [variant.pk]).get(variant.pk, 0)
    row = {"variant": variant, "quantity": "1", "available": available, "error": ""}
    return render(request, "inventory/transfers/request.html#line_row", {"row": row, "source": source_id})


# --- Detail and acts ------------------------------------------------------------------------------


def _transfer(pk: int) -> Transfer:
    return get_object_or_404(Transfer.objects.select_related("source", "destination", "created_by"), pk=pk)


def _render_detail(
    request: HttpRequest, transfer: Transfer, *, receive_form: ReceiveForm | None = None, status: int = 200
) -> HttpResponse:
    lines = list(transfer.lines.select_related("variant__product").order_by("pk"))
    if transfer.status == TransferStatus.REQUESTED:
        available = transfers.available_at(transfer.source_id, [line.variant_id for line in lines])
        reserved = dict(
            Reservation.objects.filter(
                reference__in=[line.reference for line in lines], status=ReservationStatus.ACTIVE
            )
            .values("reference")
            .annotate(units=Sum("quantity"))
            .values_list("reference", "units")
        )
        for line in lines:
            line.available = available.get(line.variant_id, 0)
            line.reserved = reserved.get(line.reference, 0)
    for line in lines:
        line.shortfall = (
            line.quantity - line.quantity_received if transfer.status == TransferStatus.RECEIVED else 0
        )
    may_transfer = request.user.has_perm(TRANSFER)
    if receive_form is None and may_transfer and transfer.status == TransferStatus.SHIPPED:
        receive_form = ReceiveForm(transfer=transfer, lines=lines)
    if receive_form is not None:
        fields = {line.pk: receive_form[name] for line, name in receive_form.line_fields}
        for line in lines:
            line.receive_field = fields.get(line.pk)
    units = sum(line.quantity for line in lines)
    context = {
        "transfer": transfer,
        "lines": lines,
        "units": units,
        "received_units": sum(line.quantity_received for line in lines),
        "shortfall": sum(line.shortfall for line in lines),
        "receive_form": receive_form,
        "may_transfer": may_transfer,
        "receiving_bin": default_bin(transfer.destination_id)
        if transfer.status == TransferStatus.SHIPPED
        else None,
    }
    return render(request, "inventory/transfers/detail.html", context, status=status)


@role_required(ACCESS)
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _transfer(pk))


@role_required(ACCESS, TRANSFER)
@require_POST
def transfer_ship(request: HttpRequest, pk: int) -> HttpResponse:
    """The goods leave the source: the reservations are consumed, the lots that left recorded."""
    transfer = transfers.ship_transfer(transfer=_transfer(pk), user=request.user)
    messages.success(request, _("Transfer %(number)s shipped: in transit.") % {"number": transfer.number})
    return redirect("inventory:transfer", pk=transfer.pk)


@role_required(ACCESS, TRANSFER)
@require_POST
def transfer_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """Book in what arrived; fewer than shipped is recorded as the line's shortfall."""
    transfer = _transfer(pk)
    if transfer.status != TransferStatus.SHIPPED:
        # Received twice, or not shipped yet: the service's refusal says which.
        transfers.receive_transfer(transfer=transfer, user=request.user)
    lines = list(transfer.lines.select_related("variant__product").order_by("pk"))
    form = ReceiveForm(request.POST, transfer=transfer, lines=lines)
    if not form.is_valid():
        return _render_detail(request, transfer, receive_form=form, status=422)
    transfer = transfers.receive_transfer(
        transfer=transfer, received=form.received(), user=request.user, bin=form.cleaned_data["bin"]
    )
    received = sum(form.received().values())
    shipped = sum(line.quantity for line in lines)
    if received < shipped:
        messages.warning(
            request,
            _("Transfer %(number)s received with a shortfall: %(received)s of %(shipped)s unit(s) arrived.")
            % {"number": transfer.number, "received": received, "shipped": shipped},
        )
    else:
        messages.success(
            request,
            _("Transfer %(number)s received: %(units)s unit(s) at %(destination)s.")
            % {"number": transfer.number, "units": received, "destination": transfer.destination.code},
        )
    return redirect("inventory:transfer", pk=transfer.pk)


@role_required(ACCESS, TRANSFER)
@require_POST
def transfer_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Only before shipping: the reservations at the source are released."""
    transfer = transfers.cancel_transfer(transfer=_transfer(pk), user=request.user)
    messages.success(
        request,
        _("Transfer %(number)s cancelled: the reservation at %(source)s is released.")
        % {"number": transfer.number, "source": transfer.source.code},
    )
    return redirect("inventory:transfer", pk=transfer.pk)
