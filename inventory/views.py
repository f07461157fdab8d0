"""Inventory panel pages: stock levels, products, a variant's card with its ledger and adjustments."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from inventory import selectors, services
from inventory.filters import ProductFilter, StockLevelFilter
from inventory.forms import AdjustmentForm, LotAction, LotActionForm, reason_label
from inventory.models import Variant, Warehouse
from oms.access import role_required
from oms.http import is_partial
from oms.pagination import paginate
from oms.views import render_list


@vary_on_headers("HX-Request")
@role_required("oms.access_inventory")
def index(request: HttpRequest) -> HttpResponse:
    """Stock levels: one row per variant and warehouse, in SKU order."""
    filterset = StockLevelFilter(request.GET, queryset=selectors.stock_level_list())
    page = paginate(request, filterset.qs, ordering=("sku", "pk"))
    return render_list(request, "inventory/stock_levels.html", {"filter": filterset, "page": page})


@vary_on_headers("HX-Request")
@role_required("oms.access_inventory")
def product_list(request: HttpRequest) -> HttpResponse:
    """Products with their variants and stock per warehouse."""
    filterset = ProductFilter(request.GET, queryset=selectors.product_list())
    page = paginate(request, filterset.qs, ordering=("name", "pk"))
    warehouses = list(Warehouse.objects.all())
    selectors.attach_stock(page.object_list, warehouses)
    return render_list(
        request, "inventory/products.html", {"filter": filterset, "page": page, "warehouses": warehouses}
    )


@vary_on_headers("HX-Request")
@role_required("oms.access_inventory")
def variant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A variant's card; an htmx request (ledger paging) gets only the ledger."""
    variant = selectors.variant_detail(pk)
    may_adjust = request.user.has_perm("inventory.adjust_stock") and not is_partial(request)
    form = AdjustmentForm(variant=variant) if may_adjust else None
    lot_form = LotActionForm(variant=variant, initial={"lot": request.GET.get("lot")}) if may_adjust else None
    return _render_variant(request, variant, form, lot_form)


@role_required("oms.access_inventory", "inventory.adjust_stock")
def variant_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a variant's stock in one warehouse (``inventory.services.adjust``).

    A refused adjustment (e.g. it would remove reserved units) raises a domain error, which the
    middleware turns into a message on the page the form was sent from; nothing is written.
    """
    url = reverse("inventory:variant", args=[pk])
    if request.method != "POST":
        # The card re-rendered after an invalid POST keeps this URL; its links come back here.
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)
    variant = selectors.variant_detail(pk)
    form = AdjustmentForm(request.POST, variant=variant)
    if not form.is_valid():
        return _render_variant(request, variant, form, LotActionForm(variant=variant), status=422)
    arguments = form.service_arguments()
    services.adjust(variant=variant, user=request.user, **arguments)
    messages.success(
        request,
        _("Stock of %(sku)s in %(warehouse)s changed by %(delta)s.")
        % {"sku": variant.sku, "warehouse": arguments["warehouse"], "delta": f"{arguments['delta']:+d}"},
    )
    return redirect(url)


@role_required("oms.access_inventory", "inventory.adjust_stock")
def variant_lot_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Quarantine, release or scrap units of one of the variant's lots.

    The service refuses what cannot be done (reserved units, more than the lot holds) with a
    domain error shown as a message; nothing is written then.
    """
    url = reverse("inventory:variant", args=[pk])
    if request.method != "POST":
        return redirect(url)
    variant = selectors.variant_detail(pk)
    form = LotActionForm(request.POST, variant=variant)
    if not form.is_valid():
        return _render_variant(request, variant, AdjustmentForm(variant=variant), form, status=422)
    data = form.cleaned_data
    lot, quantity, note = data["lot"], data["quantity"], data["note"].strip()
    if data["action"] == LotAction.QUARANTINE:
        services.quarantine(lot=lot, quantity=quantity, reason=data["reason"], note=note, user=request.user)
        text = _("%(quantity)s units of %(sku)s moved into quarantine.")
    elif data["action"] == LotAction.RELEASE:
        services.release_quarantine(lot=lot, quantity=quantity, note=note, user=request.user)
        text = _("%(quantity)s units of %(sku)s released from quarantine.")
    else:
        services.scrap(lot=lot, quantity=quantity, reason=data["reason"], note=note, user=request.user)
        text = _("%(quantity)s units of %(sku)s scrapped.")
    messages.success(request, text % {"quantity": quantity, "sku": variant.sku})
    return redirect(url)


def _render_variant(
    request: HttpRequest,
    variant: Variant,
    form: AdjustmentForm | None,
    lot_form: LotActionForm | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    page = paginate(request, selectors.movement_list(variant), ordering=("-created_at", "-pk"))
    for movement in page:
        movement.reason_label = reason_label(movement.reason)
    context: dict = {"variant": variant, "page": page}
    if not is_partial(request):
        levels = selectors.variant_levels(variant)
        lots = selectors.variant_lots(variant)
        reservations = selectors.active_reservations(variant)
        context.update(
            {
                "product": variant.product,
                "levels": levels,
                "total": selectors.StockFigures.total(levels),
                "lots": lots[: selectors.DETAIL_ROWS],
                "more_lots": len(lots) > selectors.DETAIL_ROWS,
                "reservations": reservations[: selectors.DETAIL_ROWS],
                "more_reservations": len(reservations) > selectors.DETAIL_ROWS,
                "form": form,
                "lot_form": lot_form,
            }
        )
    response = render_list(request, "inventory/variant.html", context)
    response.status_code = status
    return response
