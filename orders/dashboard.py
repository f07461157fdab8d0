"""The orders panel on the dashboard: work queues (and how many are past their SLA), today's intake,
orders waiting for stock. Two indexed queries, whatever the number of orders."""

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oms.dashboard import Figure, register
from orders.models import Order, OrderStatus, Queue
from orders.queues import queue_counts


def _url(name: str, query: str = "") -> str:
    try:
        return reverse(name) + (f"?{query}" if query else "")
    except NoReverseMatch:  # a page that does not exist yet
        return ""


@register(gettext_lazy("Orders"), permission="oms.access_orders")
def order_figures() -> list[Figure]:
    counts = queue_counts()
    figures = []
    for queue, label in Queue.choices:
        late = counts[queue]["late"]
        text = str(label)
        if late:
            text = _("%(queue)s · %(n)s over SLA") % {"queue": label, "n": late}
        figures.append(
            Figure(
                text,
                counts[queue]["open"],
                _url("orders:queues", f"queue={queue}"),
                "error" if late else "warn",
            )
        )
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    # One query: the OR lets PostgreSQL combine the created_at and status indexes (BitmapOr).
    backordered = Q(status=OrderStatus.BACKORDERED)
    orders = Order.objects.filter(Q(created_at__gte=today) | backordered).aggregate(
        today=Count("pk", filter=Q(created_at__gte=today)), waiting=Count("pk", filter=backordered)
    )
    orders_today, waiting = orders["today"], orders["waiting"]
    figures.append(Figure(gettext_lazy("Orders today"), orders_today, _url("orders:index"), "info"))
    figures.append(
        Figure(
            gettext_lazy("Waiting for stock"),
            waiting,
            _url("orders:queues", f"queue={Queue.BACKORDERED}"),
            "warn",
        )
    )
    return figures
