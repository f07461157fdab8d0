"""The packing station (tablet): scan a tote or order, scan every item, weigh the parcels, close.

The shipment in status ``packing`` is the station's state, so a packer can switch tablets or come
back later. Every scan and form posts to a small view that calls ``fulfillment.packing`` and
answers htmx with the station's ``body`` partial plus ``scan-ok``/``scan-error``
(``oms.http.scan_feedback``); a refusal answers 422 with the reason. Without JavaScript the same
forms post and redirect (PRG). Labels, packing slips and manifests are PDFs (``documents``).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from fulfillment import documents, packing
from fulfillment.models import Box, CarrierAccount, Manifest, Shipment, ShipmentStatus
from fulfillment.shipments import label_printed
from inventory.models import Warehouse
from oms.access import role_required
from oms.errors import DomainError
from oms.http import is_partial, scan_feedback
from oms.pdf import pdf_response

ACCESS = "oms.access_fulfillment"
SESSION_WAREHOUSE = "packing_warehouse"


def _warehouses():
    return list(Warehouse.objects.filter(is_active=True).order_by("code"))


def _current_warehouse(request: HttpRequest, warehouses) -> Warehouse | None:
    wanted = (
        request.POST.get("warehouse")
        or request.GET.get("warehouse")
        or request.session.get(SESSION_WAREHOUSE)
    )
    for warehouse in warehouses:
        if str(warehouse.pk) == str(wanted):
            return warehouse
    return warehouses[0] if len(warehouses) == 1 else None


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def station_start(request: HttpRequest) -> HttpResponse:
    """Scan a tote or type an order number; shipments still packing here can be resumed."""
    warehouses = _warehouses()
    warehouse = _current_warehouse(request, warehouses)
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")
        if warehouse is None:
            error = _("Choose the warehouse first.")
        else:
            request.session[SESSION_WAREHOUSE] = warehouse.pk
            try:
                shipment = packing.start_packing(code, warehouse, user=request.user)
            except DomainError as refusal:
                error = refusal.message
            else:
                url = reverse("fulfillment:packing_station", args=[shipment.pk])
                if is_partial(request):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                return redirect(url)
    open_shipments = []
    if warehouse is not None:
        open_shipments = list(
            Shipment.objects.filter(warehouse=warehouse, status=ShipmentStatus.PACKING)
            .select_related("order")
            .order_by("created_at")[:50]
        )
    context = {
        "warehouses": warehouses,
        "warehouse": warehouse,
        "open_shipments": open_shipments,
        "error": error,
        "code": request.POST.get("code", ""),
    }
    response = render(request, "fulfillment/packing/start.html", context, status=422 if error else 200)
    if request.method == "POST" and error:
        scan_feedback(response, False, message=error)
    return response


def _shipment(pk: int) -> Shipment:
    return get_object_or_404(Shipment.objects.select_related("order", "warehouse", "carrier"), pk=pk)


def _station_context(shipment: Shipment, feedback: dict | None) -> dict:
    state = packing.verification(shipment)
    closed = shipment.status != ShipmentStatus.PACKING
    return {
        "shipment": shipment,
        "order": shipment.order,
        "state": state,
        "closed": closed,
        "suggestion": None if closed else packing.suggest_box(shipment),
        "instructions": packing.instructions(shipment),
        "parcels": list(shipment.parcels.select_related("box").order_by("number")),
        "boxes": list(Box.objects.filter(is_active=True)),
        "carriers": list(CarrierAccount.objects.filter(is_active=True)),
        "feedback": feedback,
    }


def _render_station(
    request: HttpRequest, shipment: Shipment, *, feedback: dict | None = None, status: int = 200
) -> HttpResponse:
    template = "fulfillment/packing/station.html"
    if is_partial(request):
        template += "#body"
    response = render(request, template, _station_context(shipment, feedback), status=status)
    if feedback is not None:
        scan_feedback(response, feedback["ok"], message=feedback["message"])
    return response


def _answer(request: HttpRequest, pk: int, act) -> HttpResponse:
    """Run ``act``; answer the station with the outcome (422 and the reason when refused)."""
    shipment = _shipment(pk)
    try:
        message = act(shipment)
    except DomainError as refusal:
        if not is_partial(request):
            messages.error(request, refusal.message)
            return redirect("fulfillment:packing_station", pk=pk)
        return _render_station(
            request, _shipment(pk), feedback={"ok": False, "message": refusal.message}, status=422
        )
    if not is_partial(request):
        if message:
            messages.success(request, message)
        return redirect("fulfillment:packing_station", pk=pk)
    return _render_station(request, _shipment(pk), feedback={"ok": True, "message": message})


@vary_on_headers("HX-Request")
@require_GET
@role_required(ACCESS)
def station(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_station(request, _shipment(pk))


@require_POST
@role_required(ACCESS)
def scan(request: HttpRequest, pk: int) -> HttpResponse:
    def act(shipment):
        line = packing.verify_item(shipment, request.POST.get("code", ""), user=request.user)
        return _("%(sku)s OK (%(done)s of %(total)s)") % {
            "sku": line.line.sku,
            "done": line.quantity_verified,
            "total": line.quantity,
        }

    return _answer(request, pk, act)


@require_POST
@role_required(ACCESS)
def add_parcel(request: HttpRequest, pk: int) -> HttpResponse:
    def act(shipment):
        box = request.POST.get("box") or None
        dims = None
        if not box:
            dims = tuple(request.POST.get(name, "") for name in ("length_cm", "width_cm", "height_cm"))
            dims = dims if any(dims) else None
        parcel = packing.add_parcel(
            shipment,
            box=int(box) if box and box.isdigit() else None,
            dims=dims,
            weight_kg=request.POST.get("weight_kg", "").replace(",", "."),
            user=request.user,
        )
        return _("Parcel %(n)s added: %(desi)s desi, %(kg)s kg.") % {
            "n": parcel.number,
            "desi": parcel.desi,
            "kg": parcel.weight_kg,
        }

    return _answer(request, pk, act)


@require_POST
@role_required(ACCESS)
def remove_parcel(request: HttpRequest, pk: int, parcel_pk: int) -> HttpResponse:
    def act(shipment):
        parcel = get_object_or_404(shipment.parcels, pk=parcel_pk)
        packing.remove_parcel(parcel)
        return _("Parcel removed.")

    return _answer(request, pk, act)


@require_POST
@role_required(ACCESS)
def close(request: HttpRequest, pk: int) -> HttpResponse:
    def act(shipment):
        carrier = request.POST.get("carrier") or None
        closed = packing.close_packing(
            shipment,
            request.user,
            carrier=int(carrier) if carrier and carrier.isdigit() else None,
            tracking_number=request.POST.get("tracking_number", ""),
        )
        return _("Shipment %(number)s is ready: tracking number %(tracking)s.") % {
            "number": closed.number,
            "tracking": closed.tracking_number,
        }

    return _answer(request, pk, act)


@require_GET
@role_required(ACCESS)
def label(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _shipment(pk)
    if shipment.label_format == "pdf" and shipment.label_data:
        pdf = bytes(shipment.label_data)
    else:
        try:
            pdf = documents.label_pdf(shipment)
        except DomainError as refusal:
            messages.error(request, refusal.message)
            return redirect("fulfillment:packing_station", pk=pk)
    label_printed(shipment, user=request.user)
    return pdf_response(pdf, f"{shipment.number}-label")


@require_GET
@role_required(ACCESS)
def packing_slip(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _shipment(pk)
    return pdf_response(documents.packing_slip_pdf(shipment), f"{shipment.number}-packing-slip")


@require_GET
@role_required(ACCESS)
def manifest_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    manifest = get_object_or_404(Manifest, pk=pk)
    return pdf_response(documents.manifest_pdf(manifest), manifest.number)


@require_GET
@role_required(ACCESS)
def manifest_csv(request: HttpRequest, pk: int) -> HttpResponse:
    return documents.manifest_csv(get_object_or_404(Manifest, pk=pk))
