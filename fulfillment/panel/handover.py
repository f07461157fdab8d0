"""The dock's hand-over screen (tablet): load the driver's parcels by scanning, hand them over, close
the day's manifest.

The loading selection lives in the page itself: every accepted scan answers with the ``loading``
partial, whose hidden ``shipment`` inputs carry the ids loaded so far, and the next scan posts them
back. Nothing is kept in the session, so two tablets at two dock doors never share a selection and a
reload starts afresh. Hand-over and manifests are the services of ``fulfillment.shipments``; a
refusal (``DomainError``) becomes a message and nothing is handed over.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from fulfillment import shipments as shipment_services
from fulfillment.models import CarrierAccount, Manifest, Parcel, Shipment, ShipmentStatus
from fulfillment.shipments import HANDOVER_FROM
from inventory.models import Warehouse
from oms.access import role_required
from oms.errors import DomainError, InvalidInput, NotFound
from oms.http import is_partial, scan_feedback

ACCESS = "oms.access_fulfillment"
WAITING_LIMIT = 200  # rows of the waiting list; the carrier cards still count them all
LOADING_LIMIT = 500  # a truck, not a warehouse: more ids than this in one post is not a real load
TEMPLATE = "fulfillment/handover/page.html"


# --- Reading the request ---------------------------------------------------------------------------


def _warehouses() -> list[Warehouse]:
    return list(Warehouse.objects.filter(is_active=True).order_by("code"))


def _pick(rows, wanted):
    for row in rows:
        if str(row.pk) == str(wanted or ""):
            return row
    return None


def _choices(request: HttpRequest) -> tuple[list, Warehouse | None, list, CarrierAccount | None]:
    data = request.POST if request.method == "POST" else request.GET
    warehouses = _warehouses()
    warehouse = _pick(warehouses, data.get("warehouse"))
    if warehouse is None and len(warehouses) == 1:
        warehouse = warehouses[0]
    carriers = list(CarrierAccount.objects.order_by("name", "pk"))
    carrier = _pick(carriers, data.get("carrier"))
    return warehouses, warehouse, carriers, carrier


def _loaded_ids(request: HttpRequest) -> list[int]:
    """The ids the page posted back, in scan order, each once."""
    ids: list[int] = []
    for value in request.POST.getlist("shipment")[:LOADING_LIMIT]:
        if value.isdigit() and int(value) not in ids:
            ids.append(int(value))
    return ids


def _page_url(warehouse: Warehouse | None, carrier: CarrierAccount | None) -> str:
    query = {}
    if warehouse is not None:
        query["warehouse"] = warehouse.pk
    if carrier is not None:
        query["carrier"] = carrier.pk
    url = reverse("fulfillment:handover")
    return f"{url}?{urlencode(query)}" if query else url


# --- Selectors --------------------------------------------------------------------------------------


def _waiting(warehouse: Warehouse):
    return Shipment.objects.filter(warehouse=warehouse, status__in=HANDOVER_FROM, carrier__isnull=False)


def waiting_by_carrier(warehouse: Warehouse) -> dict[int, dict]:
    """Per carrier: shipments waiting for the driver, their parcels and COD; and the handed-over
    shipments not on a manifest yet (what "close the manifest" would take). Two queries."""
    summary: dict[int, dict] = {}
    rows = (
        _waiting(warehouse)
        .values("carrier")
        .annotate(shipments=Count("pk", distinct=True), parcels=Count("parcels"))
        .order_by()
    )
    for row in rows:
        summary[row["carrier"]] = {"shipments": row["shipments"], "parcels": row["parcels"], "cod": 0}
    for row in _waiting(warehouse).values("carrier").annotate(cod=Sum("cod_amount")).order_by():
        summary[row["carrier"]]["cod"] = row["cod"] or 0
    unmanifested = (
        Shipment.objects.filter(warehouse=warehouse, manifest__isnull=True, handed_over_at__isnull=False)
        .exclude(status=ShipmentStatus.CANCELLED)
        .values("carrier")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in unmanifested:
        summary.setdefault(row["carrier"], {"shipments": 0, "parcels": 0, "cod": 0})["unmanifested"] = row[
            "n"
        ]
    return summary


def _with_parcels(queryset):
    return (
        queryset.select_related("order", "carrier")
        .defer("label_data")
        .annotate(parcel_count=Count("parcels"))
    )


def waiting_shipments(warehouse: Warehouse, carrier: CarrierAccount | None) -> list[Shipment]:
    """Oldest first (the ones that waited longest), at most ``WAITING_LIMIT`` + 1 rows."""
    queryset = _waiting(warehouse)
    if carrier is not None:
        queryset = queryset.filter(carrier=carrier)
    return list(
        _with_parcels(queryset).order_by("carrier__name", "carrier_id", "created_at", "pk")[
            : WAITING_LIMIT + 1
        ]
    )


def find_for_handover(code: str, *, warehouse: Warehouse, carrier: CarrierAccount) -> Shipment:
    """The shipment a scanned label names (tracking number, shipment number or parcel barcode), if
    this dock may load it onto ``carrier``'s truck; otherwise the reason, as a ``DomainError``."""
    code = code.strip()
    if not code:
        raise InvalidInput(_("Scan the parcel's label."))
    codes = {code, code.upper()}
    candidates = list(
        Shipment.objects.filter(
            Q(tracking_number__in=codes)
            | Q(number__in=codes)
            | Q(pk__in=Parcel.objects.filter(barcode__in=codes).values("shipment_id"))
        )
        .select_related("warehouse", "carrier")
        .defer("label_data")
        .order_by("pk")[:10]
    )
    if not candidates:
        raise NotFound(
            _("Unknown code %(code)s: no shipment, tracking number or parcel has it.") % {"code": code}
        )
    # A tracking number is unique per carrier only: prefer the candidate that fits this truck.
    candidates.sort(
        key=lambda s: (
            s.warehouse_id != warehouse.pk,
            s.carrier_id != carrier.pk,
            s.status not in HANDOVER_FROM,
        )
    )
    shipment = candidates[0]
    names = {"number": shipment.number}
    if shipment.warehouse_id != warehouse.pk:
        raise InvalidInput(
            _("Shipment %(number)s leaves from warehouse %(warehouse)s, not from here.")
            % {**names, "warehouse": shipment.warehouse.code}
        )
    if shipment.carrier_id != carrier.pk:
        raise InvalidInput(
            _("Shipment %(number)s goes with %(other)s, not %(carrier)s: keep it off this truck.")
            % {**names, "other": shipment.carrier.name if shipment.carrier else "—", "carrier": carrier.name}
        )
    if shipment.status == ShipmentStatus.CANCELLED:
        raise InvalidInput(_("Shipment %(number)s is cancelled: do not load it.") % names)
    if shipment.status == ShipmentStatus.PACKING:
        raise InvalidInput(_("Shipment %(number)s is still being packed.") % names)
    if shipment.status not in HANDOVER_FROM:
        raise InvalidInput(_("Shipment %(number)s was already handed over.") % names)
    return shipment


def loaded_shipments(ids: list[int]) -> list[Shipment]:
    by_pk = {s.pk: s for s in _with_parcels(Shipment.objects.filter(pk__in=ids))} if ids else {}
    loaded = [by_pk[pk] for pk in ids if pk in by_pk]
    for shipment in loaded:  # another tablet may have handed it over meanwhile
        shipment.waiting = shipment.status in HANDOVER_FROM
    return loaded


# --- Rendering -------------------------------------------------------------------------------------


def _context(request, warehouses, warehouse, carriers, carrier, *, ids=(), feedback=None) -> dict:
    summary = waiting_by_carrier(warehouse) if warehouse else {}
    cards = [{"carrier": c, **summary[c.pk]} for c in carriers if c.pk in summary]
    waiting = waiting_shipments(warehouse, carrier) if warehouse else []
    loaded = loaded_shipments(list(ids))
    today = timezone.localdate()
    closed_today = []
    if warehouse is not None:
        closed_today = list(
            Manifest.objects.filter(warehouse=warehouse, day=today)
            .select_related("carrier")
            .order_by("-pk")[:20]
        )
    return {
        "warehouses": warehouses,
        "warehouse": warehouse,
        "carriers": carriers,
        "carrier": carrier,
        "cards": cards,
        "card": next((card for card in cards if card["carrier"] == carrier), None),
        "waiting": waiting[:WAITING_LIMIT],
        "more_waiting": len(waiting) > WAITING_LIMIT,
        "loaded": loaded,
        "loaded_ids": {s.pk for s in loaded},
        "loaded_parcels": sum(s.parcel_count for s in loaded),
        "feedback": feedback,
        "closed_today": closed_today,
        "today": today,
        "page_url": _page_url(warehouse, carrier),
    }


def _render(request, choices, *, ids=(), feedback=None, status=200, partial=False) -> HttpResponse:
    template = f"{TEMPLATE}#loading" if partial else TEMPLATE
    response = render(
        request, template, _context(request, *choices, ids=ids, feedback=feedback), status=status
    )
    if feedback is not None:
        scan_feedback(response, feedback["ok"], message=feedback["message"])
    return response


# --- Views -----------------------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def handover(request: HttpRequest) -> HttpResponse:
    """Choose the warehouse and the carrier whose driver is at the dock; see what waits for him."""
    return _render(request, _choices(request))


@require_POST
@role_required(ACCESS)
def scan(request: HttpRequest) -> HttpResponse:
    """Add the scanned shipment to the loading list (or ``remove`` one); answers the ``loading``
    partial to htmx, the whole page otherwise. A refusal is 422 with the reason, flashed red."""
    choices = _choices(request)
    _w, warehouse, _c, carrier = choices
    ids = _loaded_ids(request)
    remove = request.POST.get("remove", "")
    try:
        if warehouse is None or carrier is None:
            raise InvalidInput(_("Choose the warehouse and the carrier first."))
        if remove.isdigit():
            ids = [pk for pk in ids if pk != int(remove)]
            feedback = {"ok": True, "message": _("Taken off the list.")}
        else:
            shipment = find_for_handover(request.POST.get("code", ""), warehouse=warehouse, carrier=carrier)
            if shipment.pk in ids:
                message = _("%(number)s is already on the list.")
            else:
                ids.append(shipment.pk)
                message = _("%(number)s loaded.")
            feedback = {"ok": True, "message": message % {"number": shipment.number}}
    except DomainError as refusal:
        return _render(
            request,
            choices,
            ids=ids,
            feedback={"ok": False, "message": refusal.message},
            status=422,
            partial=is_partial(request),
        )
    return _render(request, choices, ids=ids, feedback=feedback, partial=is_partial(request))


@require_POST
@role_required(ACCESS)
def hand_over(request: HttpRequest) -> HttpResponse:
    """The driver signs: hand over every loaded shipment, all or none."""
    choices = _choices(request)
    _w, warehouse, _c, carrier = choices
    ids = _loaded_ids(request)
    try:
        if warehouse is None or carrier is None:
            raise InvalidInput(_("Choose the warehouse and the carrier first."))
        # The ids came from the page: never hand over what this dock and truck could not scan.
        strangers = list(
            Shipment.objects.filter(pk__in=ids)
            .exclude(warehouse=warehouse, carrier=carrier)
            .values_list("number", flat=True)
        )
        if strangers:
            raise InvalidInput(
                _("%(numbers)s do not belong on this truck; nothing was handed over.")
                % {"numbers": ", ".join(strangers)}
            )
        done = shipment_services.hand_over(ids, request.user)
    except DomainError as refusal:
        if is_partial(request):
            return _render(
                request,
                choices,
                ids=ids,
                feedback={"ok": False, "message": refusal.message},
                status=422,
                partial=True,
            )
        messages.error(request, refusal.message)
        return _render(request, choices, ids=ids, status=422)
    messages.success(
        request,
        ngettext(
            "%(count)s shipment handed over to %(carrier)s.",
            "%(count)s shipments handed over to %(carrier)s.",
            len(done),
        )
        % {"count": len(done), "carrier": carrier.name},
    )
    return _after_post(request, _page_url(warehouse, carrier))


@require_POST
@role_required(ACCESS)
def close_manifest(request: HttpRequest) -> HttpResponse:
    """Close today's manifest of one carrier at this warehouse; print it for the driver."""
    _w, warehouse, _c, carrier = _choices(request)
    back = _page_url(warehouse, carrier)
    try:
        if warehouse is None or carrier is None:
            raise InvalidInput(_("Choose the warehouse and the carrier first."))
        manifest = shipment_services.close_manifest(carrier, warehouse, timezone.localdate(), request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
        return _after_post(request, back)
    messages.success(
        request,
        _("Manifest %(number)s closed: %(parcels)s parcels. Print it for the driver to sign.")
        % {"number": manifest.number, "parcels": manifest.parcel_count},
    )
    return _after_post(request, back)


def _after_post(request: HttpRequest, url: str) -> HttpResponse:
    if is_partial(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
