"""The order list (filters, saved views, bulk actions, CSV export) and the order page with its acts.

Every act calls ``orders.services``; a refusal is a ``DomainError`` that the middleware shows as a
message. Bulk actions run the service once per order and report which failed and why, so one bad
order never stops the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from oms.access import role_required
from oms.csv_export import csv_response
from oms.errors import DomainError, InvalidInput
from oms.http import is_partial
from oms.pagination import paginate
from oms.views import render_list
from orders import selectors, services
from orders.filters import OrderFilter
from orders.forms import (
    BulkAction,
    BulkActionForm,
    OrderApproveForm,
    OrderIdsForm,
    OrderNoteForm,
    OrderReallocateForm,
    OrderReasonForm,
    SaveViewForm,
)
from orders.models import ALLOWED_TRANSITIONS, Order, OrderStatus, SavedView

ACCESS = "oms.access_orders"
MANAGE = "orders.manage_orders"
APPROVE = "orders.approve_order"
S = OrderStatus
# The statuses ``services.reallocate`` accepts.
REALLOCATABLE = {S.CONFIRMED, S.ALLOCATED, S.BACKORDERED}
MAX_FAILURES_SHOWN = 10

# Built-in tabs of the list: (key, label, query string).
BUILTIN_VIEWS = [
    ("all", gettext_lazy("All"), ""),
    ("on_hold", gettext_lazy("On hold"), "status=on_hold"),
    ("to_approve", gettext_lazy("To approve"), "status=on_hold&hold_reason=approval"),
    ("backordered", gettext_lazy("Backordered"), "status=backordered"),
    ("exceptions", gettext_lazy("Exceptions"), "queue=exception"),
]
NOT_FILTERS = {"cursor", "csrfmiddlewaretoken"}


def _query_key(query: str | QueryDict) -> tuple:
    """A filter query as a comparable value: sorted pairs, without empty values or the cursor."""
    data = QueryDict(query) if isinstance(query, str) else query
    return tuple(sorted((k, v) for k in data for v in data.getlist(k) if v != "" and k not in NOT_FILTERS))


def _clean_query(query: str | QueryDict) -> str:
    return urlencode(_query_key(query))


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


# --- List -----------------------------------------------------------------------------------------


def _view_tabs(request: HttpRequest) -> tuple[list[dict], bool]:
    """Built-in and saved views as tabs; ``matched`` tells whether the current filter is one of them."""
    current = _query_key(request.GET)
    base = reverse("orders:index")
    tabs = []
    for key, label, query in BUILTIN_VIEWS:
        tabs.append(
            {
                "key": key,
                "label": label,
                "url": f"{base}?{query}" if query else base,
                "active": _query_key(query) == current,
            }
        )
    for view in selectors.saved_views_for(request.user):
        tabs.append(
            {
                "key": f"saved-{view.pk}",
                "label": view.name,
                "url": f"{base}?{view.query}" if view.query else base,
                "active": _query_key(view.query) == current,
                "saved": view,
                "own": view.owner_id == request.user.pk,
            }
        )
    return tabs, any(tab["active"] for tab in tabs)


@vary_on_headers("HX-Request")
@role_required(ACCESS)
def order_list(request: HttpRequest) -> HttpResponse:
    """Orders newest first, filtered; one page is one indexed range scan however deep (keyset)."""
    filterset = OrderFilter(request.GET, queryset=selectors.order_list())
    page = paginate(request, filterset.qs, ordering=selectors.LIST_ORDERING)
    tabs, matched = _view_tabs(request)
    context = {
        "filter": filterset,
        "page": page,
        "tabs": tabs,
        "own_views": [tab for tab in tabs if tab.get("own")],
        "can_save_view": not matched,
        "current_query": _clean_query(request.GET),
        "bulk_actions": BulkAction.choices,
        "may_manage": request.user.has_perm(MANAGE),
    }
    return render_list(request, "orders/orders/list.html", context)


@role_required(ACCESS)
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    """Save the current filter under a name (one's own, or shared with everyone)."""
    form = SaveViewForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(next(iter(form.errors.values()))[0])
    query = _clean_query(form.cleaned_data["query"])
    view = SavedView.objects.create(
        name=form.cleaned_data["name"],
        query=query[:1000],
        owner=request.user,
        is_shared=form.cleaned_data["is_shared"],
    )
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    base = reverse("orders:index")
    return redirect(f"{base}?{view.query}" if view.query else base)


@role_required(ACCESS)
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Only the owner deletes a view (a shared one disappears for everyone)."""
    view = get_object_or_404(SavedView, pk=pk, owner=request.user)
    view.delete()
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("orders:index")


# --- Bulk actions ---------------------------------------------------------------------------------


def run_for_each(
    orders: Iterable[Order], act: Callable[[Order], object]
) -> tuple[int, list[tuple[str, str]]]:
    """Call ``act`` per order; returns (done, [(number, reason)]) — a refusal skips only that order."""
    done, failed = 0, []
    for order in orders:
        try:
            act(order)
        except DomainError as error:
            failed.append((order.number, error.message))
        else:
            done += 1
    return done, failed


def report_bulk(request: HttpRequest, label: str, done: int, failed: list[tuple[str, str]]) -> None:
    if not failed:
        messages.success(
            request,
            ngettext("%(action)s: %(n)s order done.", "%(action)s: %(n)s orders done.", done)
            % {"action": label, "n": done},
        )
        return
    shown = "; ".join(f"{number}: {reason}" for number, reason in failed[:MAX_FAILURES_SHOWN])
    if len(failed) > MAX_FAILURES_SHOWN:
        shown += " " + _("(and %(n)s more)") % {"n": len(failed) - MAX_FAILURES_SHOWN}
    level = messages.WARNING if done else messages.ERROR
    messages.add_message(
        request,
        level,
        _("%(action)s: %(done)s done, %(failed)s failed: %(details)s")
        % {"action": label, "done": done, "failed": len(failed), "details": shown},
    )


@role_required(ACCESS, MANAGE)
@require_POST
def order_bulk(request: HttpRequest) -> HttpResponse:
    """Confirm, cancel (with a reason) or re-allocate the ticked orders, each through its service."""
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        errors = form.non_field_errors() or [e for errs in form.errors.values() for e in errs]
        messages.error(request, errors[0])
        return _back(request, reverse("orders:index"))
    data = form.cleaned_data
    ids = data["order_ids"]
    orders = selectors.orders_by_ids(ids)
    user = request.user
    acts: dict[str, Callable[[Order], object]] = {
        BulkAction.CONFIRM: lambda order: services.confirm(order, user=user),
        BulkAction.CANCEL: lambda order: services.cancel(order, reason=data["reason"].strip(), user=user),
        BulkAction.REALLOCATE: lambda order: services.reallocate(order, user=user),
    }
    done, failed = run_for_each(orders, acts[data["action"]])
    found = {order.pk for order in orders}
    failed += [(f"#{pk}", _("There is no such order.")) for pk in ids if pk not in found]
    report_bulk(request, str(dict(BulkAction.choices)[data["action"]]), done, failed)
    return _back(request, reverse("orders:index"))


# --- CSV export -----------------------------------------------------------------------------------


EXPORT_HEADER = [
    gettext_lazy("Number"),
    gettext_lazy("Special code"),
    gettext_lazy("Created"),
    gettext_lazy("Placed"),
    gettext_lazy("Channel"),
    gettext_lazy("Channel order number"),
    gettext_lazy("Customer"),
    gettext_lazy("E-mail"),
    gettext_lazy("Phone"),
    gettext_lazy("Status"),
    gettext_lazy("Payment method"),
    gettext_lazy("Payment"),
    gettext_lazy("Currency"),
    gettext_lazy("Lines total"),
    gettext_lazy("Discount"),
    gettext_lazy("Shipping"),
    gettext_lazy("KDV"),
    gettext_lazy("Total"),
    gettext_lazy("Warehouses"),
    gettext_lazy("Risk score"),
    gettext_lazy("City"),
]


def export_rows(orders: Iterator[Order]) -> Iterator[list]:
    """One row per order (cells formatted for Turkish Excel by ``oms.csv_export``)."""
    for order in orders:
        yield [
            order.number,
            order.special_code,
            order.created_at,
            order.placed_at,
            order.channel.name,
            order.channel_order_id,
            order.customer_name,
            order.customer_email,
            order.customer_phone,
            order.get_status_display(),
            order.get_payment_method_display(),
            order.get_payment_status_display(),
            order.currency,
            order.subtotal,
            order.discount_total,
            order.shipping_fee,
            order.tax_total,
            order.grand_total,
            order.warehouse_codes,
            order.risk_score,
            order.ship_city,
        ]


@role_required(ACCESS)
@require_http_methods(["GET", "POST"])
def order_export(request: HttpRequest) -> HttpResponse:
    """CSV of the ticked orders (POST ``ids``) or of everything the current filter finds (GET).

    Streamed in keyset chunks, so exporting a year of orders holds one chunk in memory at a time.
    """
    queryset = selectors.order_list()
    if request.method == "POST":
        form = OrderIdsForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.non_field_errors()[0])
            return _back(request, reverse("orders:index"))
        queryset = queryset.filter(pk__in=form.cleaned_data["order_ids"])
    else:
        queryset = OrderFilter(request.GET, queryset=queryset).qs
    filename = f"orders-{timezone.localdate():%Y%m%d}.csv"
    return csv_response(
        filename,
        EXPORT_HEADER,
        export_rows(selectors.iter_orders(queryset)),
        language=translation.get_language(),
    )


# --- Detail ---------------------------------------------------------------------------------------


def order_actions(order: Order, user) -> dict[str, bool]:
    """Which acts the page offers: the status must allow them and the user hold the permission."""
    allowed = ALLOWED_TRANSITIONS.get(order.status, set())
    manage, approve = user.has_perm(MANAGE), user.has_perm(APPROVE)
    on_hold = order.status == S.ON_HOLD
    awaits_approval = on_hold and order.hold_reason == "approval" and not order.approved_at
    return {
        "confirm": manage and S.CONFIRMED in allowed and not awaits_approval,
        "approve": approve and on_hold and order.created_by_id != user.pk,
        "approve_own": approve and on_hold and order.created_by_id == user.pk,
        "reject": approve and on_hold,
        "cancel": manage and S.CANCELLED in allowed,
        "reallocate": manage and order.status in REALLOCATABLE,
        "note": True,
    }


def _detail_context(request: HttpRequest, pk: int) -> dict:
    detail = selectors.order_detail(pk)
    order = detail.order
    actions = order_actions(order, request.user)
    return {
        "detail": detail,
        "order": order,
        "timeline": detail.timeline,
        "actions": actions,
        "any_action": any(v for k, v in actions.items() if k != "note"),
        "reallocate_form": OrderReallocateForm() if actions["reallocate"] else None,
        "note_form": OrderNoteForm(),
    }


@role_required(ACCESS)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "orders/orders/detail.html", _detail_context(request, pk))


def _order(pk: int) -> Order:
    return get_object_or_404(Order.objects.only("pk", "number", "status"), pk=pk)


def _done(request: HttpRequest, order: Order, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("orders:detail", pk=order.pk)


def _valid(form) -> dict:
    """The form's data, or its first error as the user's message (a refusal like the services')."""
    if not form.is_valid():
        raise InvalidInput(next(iter(form.errors.values()))[0], code="invalid_form")
    return form.cleaned_data


@role_required(ACCESS, MANAGE)
@require_POST
def order_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    order = services.confirm(_order(pk), user=request.user)
    return _done(
        request,
        order,
        _("Order %(number)s confirmed: %(status)s.")
        % {"number": order.number, "status": order.get_status_display()},
    )


@role_required(ACCESS, APPROVE)
@require_POST
def order_approve(request: HttpRequest, pk: int) -> HttpResponse:
    data = _valid(OrderApproveForm(request.POST))
    order = services.approve(_order(pk), user=request.user, note=data["note"].strip())
    return _done(
        request,
        order,
        _("Order %(number)s approved: %(status)s.")
        % {"number": order.number, "status": order.get_status_display()},
    )


@role_required(ACCESS, APPROVE)
@require_POST
def order_reject(request: HttpRequest, pk: int) -> HttpResponse:
    data = _valid(OrderReasonForm(request.POST))
    order = services.reject(_order(pk), user=request.user, reason=data["reason"])
    return _done(request, order, _("Order %(number)s rejected and cancelled.") % {"number": order.number})


@role_required(ACCESS, MANAGE)
@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    data = _valid(OrderReasonForm(request.POST))
    order = services.cancel(_order(pk), reason=data["reason"], user=request.user)
    return _done(
        request,
        order,
        _("Order %(number)s cancelled; its reservations are released.") % {"number": order.number},
    )


@role_required(ACCESS, MANAGE)
@require_POST
def order_reallocate(request: HttpRequest, pk: int) -> HttpResponse:
    """To a chosen active warehouse (all of it there, or refused), or wherever the rules say now."""
    data = _valid(OrderReallocateForm(request.POST))
    warehouse = data["warehouse"]
    order = services.reallocate(
        _order(pk), warehouse_id=warehouse.pk if warehouse else None, user=request.user
    )
    return _done(
        request,
        order,
        _("Order %(number)s re-allocated: %(status)s.")
        % {"number": order.number, "status": order.get_status_display()},
    )


@vary_on_headers("HX-Request")
@role_required(ACCESS)
@require_POST
def order_note(request: HttpRequest, pk: int) -> HttpResponse:
    """A note on the timeline; with htmx only the timeline is swapped (with an empty form again)."""
    data = _valid(OrderNoteForm(request.POST))
    order = services.add_note(_order(pk), text=data["text"], user=request.user)
    if is_partial(request):
        context = {
            "order": order,
            "timeline": selectors.order_timeline(order),
            "note_form": OrderNoteForm(),
        }
        return render(request, "orders/orders/detail.html#timeline", context)
    return _done(request, order, _("Note added."))
