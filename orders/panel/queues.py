"""Work queues: orders waiting for a person, oldest first, with their SLA timer.

Everyone in the orders section sees the queues; taking, releasing and resolving items needs
``orders.manage_orders`` (the people who act on orders: operators and customer service), so a
finance user can look without clearing someone's work. Actions answer htmx with the item's row
(and the tab counts, out of band); without JavaScript they redirect back to the list.
"""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from oms.access import role_required
from oms.http import is_partial
from oms.pagination import paginate
from oms.views import render_list
from orders import queues, services
from orders.models import Queue, QueueItem

ACT_PERMISSION = "orders.manage_orders"


class QueueItemFilter(django_filters.FilterSet):
    assigned = django_filters.ChoiceFilter(
        label=gettext_lazy("Assignee"),
        choices=[("mine", gettext_lazy("Mine")), ("unassigned", gettext_lazy("Unassigned"))],
        empty_label=gettext_lazy("All"),
        method="filter_assigned",
    )
    reason = django_filters.ChoiceFilter(label=gettext_lazy("Reason"), empty_label=gettext_lazy("All"))

    class Meta:
        model = QueueItem
        fields = ["assigned", "reason"]

    def __init__(self, *args, reasons: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["reason"].extra["choices"] = [(code, queues.reason_label(code)) for code in reasons]

    def filter_assigned(self, queryset, name, value):
        if value == "mine":
            return queryset.filter(assignee=self.request.user)
        return queryset.filter(assignee__isnull=True)


def _current_queue(request: HttpRequest) -> str:
    queue = request.GET.get("queue", "")
    return queue if queue in Queue.values else Queue.ON_HOLD


def _tabs(current: str, counts: dict) -> list[dict]:
    return [
        {"key": key, "label": label, "current": key == current, **counts[key]} for key, label in Queue.choices
    ]


def _decorate(item: QueueItem, now) -> QueueItem:
    """What the row shows beyond the model: the SLA state, readable age and reason."""
    item.sla = queues.sla_for(item, now)
    item.age_text = queues.format_duration(item.sla.age)
    item.left_text = queues.format_duration(item.sla.left)
    item.reason_text = queues.reason_label(item.reason)
    return item


@vary_on_headers("HX-Request")
@role_required("oms.access_orders")
def queue_list(request: HttpRequest) -> HttpResponse:
    queue = _current_queue(request)
    filterset = QueueItemFilter(
        request.GET,
        queryset=queues.open_items(queue),
        request=request,
        reasons=queues.open_reasons(queue),
    )
    page = paginate(request, filterset.qs, ordering=("opened_at", "pk"))
    now = timezone.now()
    for item in page:
        _decorate(item, now)
    return render_list(
        request,
        "orders/queues/list.html",
        {
            "filter": filterset,
            "page": page,
            "queue": queue,
            "queue_label": Queue(queue).label,
            "sla_text": queues.format_duration(timedelta(minutes=queues.sla_minutes(queue))),
            "tabs": _tabs(queue, queues.queue_counts(now)),
            "may_act": request.user.has_perm(ACT_PERMISSION),
        },
    )


def _answer(request: HttpRequest, item: QueueItem, message: str) -> HttpResponse:
    """The refreshed row for htmx (with the tab counts out of band), else back to the list."""
    if is_partial(request):
        now = timezone.now()
        item = get_object_or_404(
            QueueItem.objects.select_related("order", "assignee", "resolved_by"), pk=item.pk
        )
        return render(
            request,
            "orders/queues/_row_response.html",
            {
                "item": _decorate(item, now),
                "may_act": True,
                "tabs": _tabs(item.queue, queues.queue_counts(now)),
                "next": request.POST.get("next", ""),
            },
        )
    messages.success(request, message)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("orders:queues")


@role_required("oms.access_orders", ACT_PERMISSION)
@require_POST
def queue_take(request: HttpRequest, pk: int) -> HttpResponse:
    item = services.take_queue_item(get_object_or_404(QueueItem, pk=pk), user=request.user)
    return _answer(request, item, _("Order %(order)s is yours now.") % {"order": item.order.number})


@role_required("oms.access_orders", ACT_PERMISSION)
@require_POST
def queue_release(request: HttpRequest, pk: int) -> HttpResponse:
    item = services.release_queue_item(get_object_or_404(QueueItem, pk=pk), user=request.user)
    return _answer(request, item, _("Order %(order)s is back in the queue.") % {"order": item.order.number})


@role_required("oms.access_orders", ACT_PERMISSION)
@require_POST
def queue_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    item = services.resolve_queue_item(
        get_object_or_404(QueueItem, pk=pk), user=request.user, resolution=request.POST.get("resolution", "")
    )
    return _answer(request, item, _("Queue item of %(order)s resolved.") % {"order": item.order.number})
