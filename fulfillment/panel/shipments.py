"""Shipments (filtered list, one shipment's page) and end-of-day manifests."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.vary import vary_on_headers

from fulfillment.filters import ManifestFilter, ShipmentFilter
from fulfillment.models import Manifest, Parcel, Problem, Shipment, ShipmentLine
from oms.access import role_required
from oms.pagination import paginate
from oms.views import render_list

ACCESS = "oms.access_fulfillment"
SHIPMENT_ORDERING = ("-created_at", "-id")
MANIFEST_ORDERING = ("-day", "-id")


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def shipment_list(request: HttpRequest) -> HttpResponse:
    """Newest first, keyset-paginated: the same few queries on page one and page one thousand."""
    queryset = Shipment.objects.select_related("order", "warehouse", "carrier").defer("label_data")
    filterset = ShipmentFilter(request.GET, queryset=queryset, request=request)
    page = paginate(request, filterset.qs, ordering=SHIPMENT_ORDERING)
    return render_list(request, "fulfillment/shipments/list.html", {"filter": filterset, "page": page})


@role_required(ACCESS)
def shipment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = get_object_or_404(
        Shipment.objects.select_related(
            "order", "warehouse", "carrier", "manifest", "packed_by", "carrier_overridden_by"
        )
        .defer("label_data")
        .prefetch_related(
            Prefetch("parcels", queryset=Parcel.objects.select_related("box")),
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("line")),
            "tracking_events",
            Prefetch("problems", queryset=Problem.objects.select_related("assignee", "resolved_by")),
        ),
        pk=pk,
    )
    timeline = shipment.events.select_related("actor").order_by("-created_at", "-id")[:200]
    return render(
        request,
        "fulfillment/shipments/detail.html",
        {"shipment": shipment, "timeline": timeline},
    )


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def manifest_list(request: HttpRequest) -> HttpResponse:
    queryset = Manifest.objects.select_related("carrier", "warehouse", "closed_by")
    filterset = ManifestFilter(request.GET, queryset=queryset, request=request)
    page = paginate(request, filterset.qs, ordering=MANIFEST_ORDERING)
    return render_list(request, "fulfillment/manifests/list.html", {"filter": filterset, "page": page})
