"""Inventory panel pages: stock levels, products, a variant's card with its ledger and adjustments."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from inventory import selectors, services
from inventory.filters import ProductFilter, StockLevelFilter
from inventory.forms import AdjustmentForm, reason_label
from inventory.models import Variant, Warehouse
from oms.access import role_required
from oms.pagination import paginate
from oms.views import render_list


def _partial_only(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


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
    may_adjust = request.user.has_perm("inventory.adjust_stock") and not _partial_only(request)
    form = AdjustmentForm(variant=variant) if may_adjust else None
    return _render_variant(request, variant, form)


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
        return _render_variant(request, variant, form, status=422)
    arguments = form.service_arguments()
    services.adjust(variant=variant, user=request.user, **arguments)
    messages.success(
        request,
        _("Stock of %(sku)s in %(warehouse)s changed by %(delta)s.")
        % {"sku": variant.sku, "warehouse": arguments["warehouse"], "delta": f"{arguments['delta']:+d}"},
    )
    return redirect(url)


def _render_variant(
    request: HttpRequest, variant: Variant, form: AdjustmentForm | None, *, status: int = 200
) -> HttpResponse:
    page = paginate(request, selectors.movement_list(variant), ordering=("-created_at", "-pk"))
    for movement in page:
        movement.reason_label = reason_label(movement.reason)
    context: dict = {"variant": variant, "page": page}
    if not _partial_only(request):
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
            }
        )
    response = render_list(request, "inventory/variant.html", context)
    response.status_code = status
    return response
