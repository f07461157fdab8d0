"""Picking pages: the open pick lists of a warehouse (and building new ones), the tablet picking
screen and the printable pick list.

The screen shows one task at a time. A keyboard-wedge scanner types into the focused scan field
and presses Enter: htmx posts it and swaps in the station body for the next step (200, ``scan-ok``)
or the same task with a red message (422, ``scan-error``); ``picking.js`` beeps and flashes. Without
htmx every form still works (post, flash message, redirect back). The picker's position (the bin
last scanned) travels in a hidden field: it only guards the order of scans, never what is recorded.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from fulfillment import picking
from fulfillment.models import (
    PickList,
    PickListOrder,
    PickListStatus,
    PickMethod,
    PickTask,
    PickTaskStatus,
)
from inventory.models import Warehouse
from oms.access import role_required
from oms.errors import DomainError
from oms.http import is_partial, scan_feedback
from oms.pdf import pdf_response, render_pdf
from orders.models import Order, OrderStatus

ACCESS = "oms.access_fulfillment"
LIST_LIMIT = 200


def _warehouse(request: HttpRequest) -> tuple[Warehouse | None, list[Warehouse]]:
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("priority", "code"))
    wanted = request.GET.get("warehouse") or request.POST.get("warehouse") or ""
    chosen = next((w for w in warehouses if str(w.pk) == wanted), None)
    return chosen or (warehouses[0] if warehouses else None), warehouses


@role_required(ACCESS)
def picking_index(request: HttpRequest) -> HttpResponse:
    """Open and in-progress pick lists of one warehouse, priority first, and the form that builds
    new ones from the orders waiting."""
    warehouse, warehouses = _warehouse(request)
    lists, waiting = [], 0
    if warehouse is not None:
        lists = list(
            PickList.objects.filter(
                warehouse=warehouse, status__in=[PickListStatus.OPEN, PickListStatus.PICKING]
            )
            .select_related("assigned_to", "wave")
            .annotate(order_count=Count("list_orders"))
            .order_by("-priority", "created_at", "id")[:LIST_LIMIT]
        )
        waiting = (
            Order.objects.filter(
                status__in=[OrderStatus.ALLOCATED, OrderStatus.IN_FULFILLMENT],
                pk__in=picking._pickable_allocations(warehouse.pk).values("order_id"),
            )
            .order_by()
            .count()
        )
    return render(
        request,
        "fulfillment/picking/index.html",
        {
            "warehouse": warehouse,
            "warehouses": warehouses,
            "lists": lists,
            "waiting": waiting,
            "methods": PickMethod.choices,
        },
    )


@role_required(ACCESS)
@require_POST
def picking_build(request: HttpRequest) -> HttpResponse:
    """Build pick lists with the chosen method (cut-off for waves, batch size for batches)."""
    warehouse, _all = _warehouse(request)
    url = reverse("fulfillment:picking")
    if warehouse is None:
        messages.error(request, _("There is no active warehouse."))
        return redirect(url)
    url = f"{url}?warehouse={warehouse.pk}"
    method = request.POST.get("method", PickMethod.SINGLE)
    try:
        batch_size = int(request.POST.get("batch_size") or 8)
        cutoff = _cutoff(request.POST.get("cutoff", ""))
    except ValueError:
        messages.error(request, _("Enter a whole batch size and a valid cut-off time."))
        return redirect(url)
    try:
        lists = picking.build_pick_lists(
            warehouse=warehouse, method=method, batch_size=batch_size, cutoff=cutoff, user=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(url)
    orders = PickListOrder.objects.filter(pick_list__in=lists).values("order_id").distinct().count()
    messages.success(
        request,
        _("%(lists)s pick list(s) made for %(orders)s order(s).") % {"lists": len(lists), "orders": orders},
    )
    return redirect(url)


def _cutoff(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


# --- The station ----------------------------------------------------------------------------------


def _station_context(
    pick_list: PickList, *, at_bin: int | None = None, result=None, task: PickTask | None = None
) -> dict:
    if task is None or task.status != PickTaskStatus.OPEN:  # still on the same line: no need to look
        task = picking.next_task(pick_list)
    if task is not None and at_bin != task.bin_id:
        at_bin = None  # a new bin: scan it first
    done = pick_list.lines_done
    total = pick_list.lines_total or 1
    return {
        "pick_list": pick_list,
        "task": task,
        "at_bin": at_bin,
        "result": result,
        "percent": round(100 * done / total),
        "serial": task is not None and task.variant.product.tracking == "serial",
        "remaining": task.quantity - task.quantity_picked - task.quantity_short if task else 0,
    }


def _station(request: HttpRequest, pick_list: PickList, *, status: int = 200, **context) -> HttpResponse:
    data = _station_context(pick_list, **context)
    template = (
        "fulfillment/picking/_station.html" if is_partial(request) else "fulfillment/picking/screen.html"
    )
    return render(request, template, data, status=status)


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def picking_screen(request: HttpRequest, pk: int) -> HttpResponse:
    """The tablet screen for one pick list: the current line, the scan field, progress."""
    pick_list = get_object_or_404(PickList.objects.select_related("warehouse"), pk=pk)
    return _station(request, pick_list)


def _posted_int(request: HttpRequest, name: str) -> int | None:
    value = request.POST.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _act(request: HttpRequest, pk: int, action) -> HttpResponse:
    """Run a scan/tap/short against the task the screen showed; answer with the station."""
    pick_list = get_object_or_404(PickList.objects.select_related("warehouse"), pk=pk)
    task_id = _posted_int(request, "task")
    target = PickTask(pk=task_id, pick_list_id=pick_list.pk) if task_id else pick_list
    at_bin = _posted_int(request, "at_bin")
    try:
        result = action(target, at_bin)
    except DomainError as error:
        if not is_partial(request):
            messages.error(request, error.message)
            return redirect("fulfillment:picking_screen", pk=pk)
        pick_list.refresh_from_db()
        response = _station(request, pick_list, at_bin=at_bin, result=(False, error.message), status=422)
        return scan_feedback(response, False, message=error.message)
    if not is_partial(request):
        messages.success(request, result.message)
        return redirect("fulfillment:picking_screen", pk=pk)
    if result.pick_list is not None:
        result.pick_list.warehouse = pick_list.warehouse
        pick_list = result.pick_list
    response = _station(
        request, pick_list, at_bin=result.at_bin, result=(True, result.message), task=result.task
    )
    return scan_feedback(response, True, message=result.message)


@role_required(ACCESS)
@require_POST
def picking_scan(request: HttpRequest, pk: int) -> HttpResponse:
    code = request.POST.get("code", "")
    return _act(request, pk, lambda target, at_bin: picking.scan(target, code, request.user, at_bin=at_bin))


@role_required(ACCESS)
@require_POST
def picking_pick(request: HttpRequest, pk: int) -> HttpResponse:
    quantity = _posted_int(request, "quantity") or 0
    return _act(request, pk, lambda target, _at: picking.pick(target, quantity, request.user))


@role_required(ACCESS)
@require_POST
def picking_short(request: HttpRequest, pk: int) -> HttpResponse:
    found = _posted_int(request, "found")

    def short(target, _at):
        if found is None:
            raise picking.PickRefused(_("Enter how many you found (0 if none)."))
        return picking.short_pick(target, found, request.user)

    return _act(request, pk, short)


@role_required(ACCESS)
def picking_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable pick list in walk order: bin, SKU, product, lot, quantity, tote."""
    pick_list = get_object_or_404(PickList.objects.select_related("warehouse", "wave", "assigned_to"), pk=pk)
    tasks = list(
        pick_list.tasks.select_related("bin", "lot", "variant__product", "order").order_by("sequence")
    )
    orders = list(pick_list.list_orders.select_related("order").order_by("position"))
    units = sum(t.quantity for t in tasks)
    pdf = render_pdf(
        "fulfillment/picking/pdf.html",
        {"pick_list": pick_list, "tasks": tasks, "orders": orders, "units": units},
        request=request,
    )
    return pdf_response(pdf, f"{pick_list.number}.pdf")
