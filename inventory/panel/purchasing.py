"""Purchasing pages of the inventory panel: suppliers and their items, purchase orders (draft lines,
sending, cancelling, the PDF) and reorder suggestions with automatic drafts.

Views parse a form, call a service in ``inventory.purchasing`` (or ``inventory.replenishment``),
flash a message and redirect. Refusals are domain errors, shown as messages by the middleware.
Reading needs ``oms.access_inventory``; changing also ``inventory.manage_purchasing``.
"""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.db.models import Q
from django.forms import CheckboxInput, TextInput
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from inventory import purchasing, replenishment, selectors
from inventory.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Supplier,
    SupplierItem,
    Variant,
    Warehouse,
)
from inventory.panel.purchasing_forms import (
    CancelForm,
    LineAddForm,
    LineChangeForm,
    LineRow,
    OrderLineRows,
    PurchaseOrderEditForm,
    PurchaseOrderForm,
    SupplierForm,
    SupplierItemForm,
)
from inventory.purchasing import AWAITED_STATUSES, OPEN_STATUSES
from oms.access import role_required
from oms.events import timeline_for
from oms.http import is_partial
from oms.pagination import paginate
from oms.pdf import pdf_response
from oms.views import render_list

VIEW = ("oms.access_inventory",)
MANAGE = ("oms.access_inventory", "inventory.manage_purchasing")
TIMELINE_ROWS = 50


# --- Filters --------------------------------------------------------------------------------------


class SupplierFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="search",
        widget=TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Code or name")}),
    )
    active = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=[("1", gettext_lazy("Active")), ("0", gettext_lazy("Inactive"))],
        empty_label=gettext_lazy("All"),
        method="filter_active",
    )

    class Meta:
        model = Supplier
        fields = ["q", "active"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value)) if value else queryset

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "1")


class PurchaseOrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=gettext_lazy("Number"),
        method="search",
        widget=TextInput(attrs={"type": "search", "placeholder": "PO-2026-00042"}),
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=PurchaseOrderStatus.choices, empty_label=gettext_lazy("All")
    )
    supplier = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Supplier"), queryset=Supplier.objects.all(), empty_label=gettext_lazy("All")
    )
    warehouse = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.all(), empty_label=gettext_lazy("All")
    )
    overdue = django_filters.BooleanFilter(
        label=gettext_lazy("Overdue"), method="filter_overdue", widget=CheckboxInput
    )

    class Meta:
        model = PurchaseOrder
        fields = ["q", "status", "supplier", "warehouse", "overdue"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(number__icontains=value) if value else queryset

    def filter_overdue(self, queryset, name, value):
        return selectors.overdue_orders(queryset) if value else queryset


class SupplierItemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="search",
        widget=TextInput(attrs={"type": "search", "placeholder": gettext_lazy("SKU, barcode, name")}),
    )

    class Meta:
        model = SupplierItem
        fields = ["q"]

    def search(self, queryset, name, value):
        value = value.strip()
        return selectors.search_supplier_items(queryset, value) if value else queryset


class ReorderFilter(django_filters.FilterSet):
    warehouse = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.all(), empty_label=gettext_lazy("All")
    )
    supplier = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Supplier"), queryset=Supplier.objects.all(), empty_label=gettext_lazy("All")
    )

    class Meta:
        model = Supplier  # the filters only validate the choices; the rows are suggestions
        fields = ["warehouse", "supplier"]


# --- Suppliers ------------------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@role_required(*VIEW)
def supplier_list(request: HttpRequest) -> HttpResponse:
    """Suppliers with their terms, how many variants they supply and their open orders."""
    filterset = SupplierFilter(request.GET, queryset=selectors.supplier_list())
    page = paginate(request, filterset.qs, ordering=("name", "pk"))
    return render_list(request, "inventory/purchasing/suppliers.html", {"filter": filterset, "page": page})


@vary_on_headers("HX-Request")
@role_required(*VIEW)
def supplier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A supplier's contact and terms, its items (htmx paging and search) and recent orders."""
    supplier = selectors.supplier_detail(pk)
    may_manage = request.user.has_perm("inventory.manage_purchasing")
    form = SupplierItemForm(supplier=supplier) if may_manage and not is_partial(request) else None
    return _render_supplier(request, supplier, form)


def _render_supplier(
    request: HttpRequest, supplier: Supplier, form: SupplierItemForm | None, *, status: int = 200
) -> HttpResponse:
    filterset = SupplierItemFilter(request.GET, queryset=selectors.supplier_item_list(supplier))
    page = paginate(request, filterset.qs, ordering=("sku", "pk"))
    context: dict = {"supplier": supplier, "filter": filterset, "page": page}
    if not is_partial(request):
        context.update({"orders": selectors.recent_purchase_orders(supplier), "form": form})
    response = render_list(request, "inventory/purchasing/supplier.html", context)
    response.status_code = status
    return response


@role_required(*MANAGE)
def supplier_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SupplierForm(request.POST)
        if form.is_valid():
            supplier = purchasing.create_supplier(user=request.user, **form.service_arguments())
            messages.success(request, _("Supplier %(name)s created.") % {"name": supplier.name})
            return redirect("inventory:supplier", pk=supplier.pk)
        return render(request, "inventory/purchasing/supplier_form.html", {"form": form}, status=422)
    return render(request, "inventory/purchasing/supplier_form.html", {"form": SupplierForm()})


@role_required(*MANAGE)
def supplier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = get_object_or_404(Supplier, pk=pk)
    if request.method == "POST":
        form = SupplierForm(request.POST, supplier=supplier)
        if form.is_valid():
            purchasing.update_supplier(supplier=supplier, user=request.user, **form.service_arguments())
            messages.success(request, _("Supplier %(name)s saved.") % {"name": form.cleaned_data["name"]})
            return redirect("inventory:supplier", pk=supplier.pk)
        status = 422
    else:
        form, status = SupplierForm(supplier=supplier), 200
    context = {"form": form, "supplier": supplier}
    return render(request, "inventory/purchasing/supplier_form.html", context, status=status)


@require_POST
@role_required(*MANAGE)
def supplier_item_add(request: HttpRequest, pk: int) -> HttpResponse:
    supplier = selectors.supplier_detail(pk)
    form = SupplierItemForm(request.POST, supplier=supplier)
    if not form.is_valid():
        return _render_supplier(request, supplier, form, status=422)
    item = purchasing.add_supplier_item(supplier=supplier, user=request.user, **form.service_arguments())
    messages.success(
        request,
        _("%(sku)s added to %(supplier)s.") % {"sku": item.variant.sku, "supplier": supplier.name},
    )
    return redirect("inventory:supplier", pk=supplier.pk)


@role_required(*MANAGE)
def supplier_item_edit(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    item = get_object_or_404(
        SupplierItem.objects.select_related("supplier", "variant__product"), pk=item_pk, supplier_id=pk
    )
    preferred = (
        SupplierItem.objects.filter(variant=item.variant, is_preferred=True)
        .exclude(pk=item.pk)
        .select_related("supplier")
        .first()
    )
    if request.method == "POST":
        form = SupplierItemForm(request.POST, supplier=item.supplier, item=item)
        if form.is_valid():
            purchasing.update_supplier_item(item=item, user=request.user, **form.service_arguments())
            messages.success(request, _("%(sku)s saved.") % {"sku": item.variant.sku})
            return redirect("inventory:supplier", pk=pk)
        status = 422
    else:
        form, status = SupplierItemForm(supplier=item.supplier, item=item), 200
    context = {"form": form, "item": item, "supplier": item.supplier, "preferred_elsewhere": preferred}
    return render(request, "inventory/purchasing/supplier_item_form.html", context, status=status)


@require_POST
@role_required(*MANAGE)
def supplier_item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    item = get_object_or_404(SupplierItem.objects.select_related("variant"), pk=item_pk, supplier_id=pk)
    purchasing.remove_supplier_item(item=item, user=request.user)
    messages.success(request, _("%(sku)s removed from this supplier.") % {"sku": item.variant.sku})
    return redirect("inventory:supplier", pk=pk)


# --- Purchase orders ------------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@role_required(*VIEW)
def purchase_order_list(request: HttpRequest) -> HttpResponse:
    """Purchase orders, newest first, with their figures; overdue ones marked."""
    filterset = PurchaseOrderFilter(request.GET, queryset=selectors.purchase_order_list())
    page = paginate(request, filterset.qs, ordering=("-pk",))
    return render_list(
        request, "inventory/purchasing/purchase_orders.html", {"filter": filterset, "page": page}
    )


@role_required(*MANAGE)
def purchase_order_create(request: HttpRequest) -> HttpResponse:
    """A new draft: header fields and lines added with the SKU search (or typed)."""
    if request.method == "POST":
        form = PurchaseOrderForm(request.POST)
        rows = OrderLineRows(request.POST)
        rows_valid = rows.is_valid()
        if form.is_valid() and rows_valid:
            order = purchasing.create_purchase_order(user=request.user, lines=rows.lines, **form.cleaned_data)
            messages.success(request, _("Purchase order %(number)s drafted.") % {"number": order.number})
            return redirect("inventory:purchase_order", pk=order.pk)
        context = {"form": form, "rows": rows}
        return render(request, "inventory/purchasing/purchase_order_form.html", context, status=422)
    form = PurchaseOrderForm(initial={"supplier": request.GET.get("supplier") or None})
    return render(
        request, "inventory/purchasing/purchase_order_form.html", {"form": form, "rows": OrderLineRows()}
    )


def _receipt_url(pk: int) -> str | None:
    try:
        return reverse("inventory:receipt", args=[pk])
    except NoReverseMatch:  # goods in is not built (yet)
        return None


def _order_context(request: HttpRequest, order: PurchaseOrder) -> dict:
    lines = selectors.purchase_order_lines(order)
    receipts = selectors.purchase_order_receipts(order)
    for receipt in receipts:
        receipt.url = _receipt_url(receipt.pk)
    is_draft = order.status == PurchaseOrderStatus.DRAFT
    may_manage = request.user.has_perm("inventory.manage_purchasing")
    return {
        "order": order,
        "lines": lines,
        "receipts": receipts,
        "timeline": timeline_for(order)[:TIMELINE_ROWS],
        "is_draft": is_draft,
        "is_open": order.status in OPEN_STATUSES,
        "is_awaited": order.status in AWAITED_STATUSES,
        "may_manage": may_manage,
        "may_edit_lines": may_manage and is_draft,
        "add_form": LineAddForm() if may_manage and is_draft else None,
        "cancel_form": CancelForm() if may_manage and order.status in OPEN_STATUSES else None,
        "outstanding": sum(line.outstanding for line in lines),
    }


def _render_order(
    request: HttpRequest, order: PurchaseOrder, *, status: int = 200, **overrides
) -> HttpResponse:
    context = _order_context(request, order)
    context.update(overrides)
    return render(request, "inventory/purchasing/purchase_order.html", context, status=status)


@role_required(*VIEW)
def purchase_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Lines with ordered, received and outstanding units, receipts, history and actions."""
    return _render_order(request, selectors.purchase_order_detail(pk))


@role_required(*MANAGE)
def purchase_order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.purchase_order_detail(pk)
    if request.method == "POST":
        form = PurchaseOrderEditForm(request.POST, order=order)
        if form.is_valid():
            purchasing.update_purchase_order(order=order, user=request.user, **form.service_arguments())
            messages.success(request, _("Purchase order %(number)s saved.") % {"number": order.number})
            return redirect("inventory:purchase_order", pk=order.pk)
        status = 422
    else:
        form, status = PurchaseOrderEditForm(order=order), 200
    context = {"form": form, "order": order}
    return render(request, "inventory/purchasing/purchase_order_edit.html", context, status=status)


@require_POST
@role_required(*MANAGE)
def purchase_order_line_add(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.purchase_order_detail(pk)
    form = LineAddForm(request.POST)
    if not form.is_valid():
        return _render_order(request, order, status=422, add_form=form)
    data = form.cleaned_data
    purchasing.add_purchase_order_line(
        order=order,
        variant=data["variant"],
        quantity=data["quantity"],
        unit_cost=data["unit_cost"],
        user=request.user,
    )
    messages.success(
        request,
        _("%(sku)s ×%(quantity)s added.") % {"sku": data["variant"].sku, "quantity": data["quantity"]},
    )
    return redirect("inventory:purchase_order", pk=order.pk)


@require_POST
@role_required(*MANAGE)
def purchase_order_line_change(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    line = get_object_or_404(PurchaseOrderLine.objects.select_related("variant"), pk=line_pk, order_id=pk)
    form = LineChangeForm(request.POST)
    if not form.is_valid():
        order = selectors.purchase_order_detail(pk)
        return _render_order(request, order, status=422, line_form=form, line_form_pk=line.pk)
    purchasing.change_purchase_order_line(
        line=line,
        quantity=form.cleaned_data["quantity"],
        unit_cost=form.cleaned_data["unit_cost"],
        user=request.user,
    )
    messages.success(request, _("%(sku)s changed.") % {"sku": line.variant.sku})
    return redirect("inventory:purchase_order", pk=pk)


@require_POST
@role_required(*MANAGE)
def purchase_order_line_remove(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    line = get_object_or_404(PurchaseOrderLine.objects.select_related("variant"), pk=line_pk, order_id=pk)
    purchasing.remove_purchase_order_line(line=line, user=request.user)
    messages.success(request, _("%(sku)s removed.") % {"sku": line.variant.sku})
    return redirect("inventory:purchase_order", pk=pk)


@require_POST
@role_required(*MANAGE)
def purchase_order_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Draft -> sent; the supplier gets the PDF by e-mail when it has an address."""
    order = get_object_or_404(PurchaseOrder.objects.select_related("supplier"), pk=pk)
    purchasing.send_purchase_order(order=order, user=request.user)
    if order.supplier.email:
        message = _("Purchase order %(number)s sent; it is being e-mailed to %(email)s.") % {
            "number": order.number,
            "email": order.supplier.email,
        }
    else:
        message = _("Purchase order %(number)s marked as sent (the supplier has no e-mail address).") % {
            "number": order.number
        }
    messages.success(request, message)
    return redirect("inventory:purchase_order", pk=pk)


@require_POST
@role_required(*MANAGE)
def purchase_order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(PurchaseOrder, pk=pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _render_order(request, selectors.purchase_order_detail(pk), status=422, cancel_form=form)
    purchasing.cancel_purchase_order(order=order, user=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("Purchase order %(number)s cancelled.") % {"number": order.number})
    return redirect("inventory:purchase_order", pk=pk)


@role_required(*VIEW)
def purchase_order_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The order as the supplier gets it; ``?download=1`` saves it instead of showing it."""
    order = get_object_or_404(PurchaseOrder, pk=pk)
    return pdf_response(
        purchasing.purchase_order_pdf(order), f"{order.number}.pdf", inline=not request.GET.get("download")
    )


# --- htmx helpers: the SKU search of the purchasing forms -----------------------------------------


@role_required(*MANAGE)
def variant_search(request: HttpRequest) -> HttpResponse:
    """Search results for a purchasing form. ``mode=row`` (new order) offers to add a line row;
    an exact SKU or barcode (a scan) adds it at once. ``mode=field`` fills the form's SKU field."""
    text = request.GET.get("q") or request.GET.get("variant") or ""
    mode = "row" if request.GET.get("mode") == "row" else "field"
    variants = selectors.purchasing_variant_search(text)
    supplier = _supplier_from(request)
    code = text.strip().lower()
    exact = [v for v in variants[:1] if code and code in {v.sku.lower(), (v.barcode or "").lower()}]
    if mode == "row" and exact:
        context = _row_context(exact[0], supplier) | {"scanned": True}
        response = render(request, "inventory/purchasing/_line_row.html", context)
        response["HX-Retarget"] = "#po-lines"
        response["HX-Reswap"] = "beforeend"
        return response
    context = {"variants": variants, "mode": mode, "query": text, "supplier": supplier}
    return render(request, "inventory/purchasing/_variant_results.html", context)


def _supplier_from(request: HttpRequest) -> Supplier | None:
    value = request.GET.get("supplier", "")
    return Supplier.objects.filter(pk=value).first() if value.isdigit() else None


def _row_context(variant, supplier: Supplier | None) -> dict:
    cost = (
        purchasing.default_unit_cost(supplier=supplier, variant=variant) if supplier else variant.cost_price
    )
    return {"row": LineRow(sku=variant.sku, quantity="1", variant=variant), "default_cost": cost}


@role_required(*MANAGE)
def variant_pick(request: HttpRequest) -> HttpResponse:
    """A chosen search result: a new line row (``mode=row``) or the filled SKU field (``mode=field``)."""
    variant = get_object_or_404(Variant.objects.select_related("product"), pk=request.GET.get("variant") or 0)
    if request.GET.get("mode") == "row":
        context = _row_context(variant, _supplier_from(request))
        return render(request, "inventory/purchasing/_line_row.html", context)
    context = {"variant": variant, "value": variant.sku, "clear_results": True}
    return render(request, "inventory/purchasing/_variant_field.html", context)


@role_required(*MANAGE)
def empty_fragment(request: HttpRequest) -> HttpResponse:
    """Nothing: what an htmx "remove this row" button swaps in."""
    return HttpResponse("")


# --- Reorder suggestions --------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@role_required(*VIEW)
def reorder(request: HttpRequest) -> HttpResponse:
    """What to order now: ``replenishment.reorder_suggestions()``, by warehouse and supplier."""
    filterset = ReorderFilter(request.GET, queryset=Supplier.objects.none())
    filterset.is_valid()
    data = getattr(filterset.form, "cleaned_data", {})
    rows = selectors.reorder_rows(
        replenishment.reorder_suggestions(), warehouse=data.get("warehouse"), supplier=data.get("supplier")
    )
    context = {
        "filter": filterset,
        "rows": rows,
        "unsourced": sum(1 for row in rows if row.supplier is None),
        "formula": {
            "window": replenishment.DEMAND_WINDOW_DAYS,
            "default_lead_time": replenishment.DEFAULT_LEAD_TIME_DAYS,
            "safety_base": int(replenishment.SAFETY_BASE * 100),
        },
    }
    return render_list(request, "inventory/purchasing/reorder.html", context)


@require_POST
@role_required(*MANAGE)
def reorder_draft(request: HttpRequest) -> HttpResponse:
    """Draft one purchase order per preferred supplier and warehouse for every suggestion."""
    result = replenishment.draft_purchase_orders(user=request.user)
    numbers = result["purchase_orders"]
    if numbers:
        orders = PurchaseOrder.objects.filter(number__in=numbers).order_by("pk").values_list("pk", "number")
        links = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("inventory:purchase_order", args=[pk]), n) for pk, n in orders),
        )
        messages.success(request, format_html("{} {}", _("Drafted purchase orders:"), links))
    else:
        messages.info(
            request, _("Nothing to draft: every suggestion is already on order or has no supplier.")
        )
    if result["unsourced"]:
        messages.warning(
            request,
            _("%(count)s suggestions have no preferred supplier; purchasing was notified.")
            % {"count": result["unsourced"]},
        )
    return redirect("inventory:reorder")
