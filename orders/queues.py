"""Work queues: SLA targets, the SLA state of an item, and the read queries the panel and dashboard share.

Writes (take, release, resolve) are ``orders.services``; this module only reads. An item's age runs
from ``opened_at``; the SLA is green under 75 % of its queue's target, amber up to 100 %, red past it.
Targets can be tuned per deployment with ``settings.ORDER_QUEUE_SLA_MINUTES`` (``{"on_hold": 240}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.models import Queue, QueueItem

DEFAULT_SLA_MINUTES: dict[str, int] = {
    Queue.ON_HOLD: 4 * 60,
    Queue.TO_APPROVE: 2 * 60,
    Queue.BACKORDERED: 72 * 60,
    Queue.EXCEPTION: 8 * 60,
}
AMBER_FROM = 0.75  # share of the target after which an item turns amber

# Reason codes the services write, as people read them; other codes (exceptions raised by other
# apps) are shown as they are.
REASON_LABELS = {
    "risk": _("Risk score"),
    "approval": _("Needs approval"),
    "no_stock": _("Out of stock"),
}


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code, code))


def sla_minutes(queue: str) -> int:
    """The queue's target in minutes (settings override the defaults per queue)."""
    overrides = getattr(settings, "ORDER_QUEUE_SLA_MINUTES", None) or {}
    return int(overrides.get(queue, DEFAULT_SLA_MINUTES.get(queue, DEFAULT_SLA_MINUTES[Queue.EXCEPTION])))


@dataclass(frozen=True)
class Sla:
    age: timedelta
    target: timedelta

    @property
    def ratio(self) -> float:
        return self.age / self.target if self.target else 0.0

    @property
    def tone(self) -> str:
        """``ok`` (green), ``warn`` (amber) or ``late`` (red)."""
        if self.ratio > 1:
            return "late"
        return "warn" if self.ratio >= AMBER_FROM else "ok"

    @property
    def percent(self) -> int:
        """Share of the target used, capped at 100 for the bar's width."""
        return min(100, int(self.ratio * 100))

    @property
    def left(self) -> timedelta:
        """Time until the target (negative once it is over)."""
        return self.target - self.age


def sla_for(item: QueueItem, now: datetime | None = None) -> Sla:
    now = now or timezone.now()
    end = item.resolved_at or now
    return Sla(age=max(end - item.opened_at, timedelta(0)), target=timedelta(minutes=sla_minutes(item.queue)))


def open_items(queue: str | None = None) -> QuerySet[QueueItem]:
    """Open items (with their order and assignee), oldest first; one queue or all."""
    items = QueueItem.objects.filter(resolved_at__isnull=True).select_related("order", "assignee")
    if queue:
        items = items.filter(queue=queue)
    return items.order_by("opened_at", "pk")


def queue_counts(now: datetime | None = None) -> dict[str, dict[str, int]]:
    """``{queue: {"open": n, "late": m}}`` for every queue, in one aggregate over open items."""
    now = now or timezone.now()
    aggregates = {}
    for queue in Queue.values:
        due = now - timedelta(minutes=sla_minutes(queue))
        aggregates[f"{queue}__open"] = Count("pk", filter=Q(queue=queue))
        aggregates[f"{queue}__late"] = Count("pk", filter=Q(queue=queue, opened_at__lt=due))
    row = QueueItem.objects.filter(resolved_at__isnull=True).aggregate(**aggregates)
    return {queue: {"open": row[f"{queue}__open"], "late": row[f"{queue}__late"]} for queue in Queue.values}


def open_reasons(queue: str) -> list[str]:
    """Reason codes present among the queue's open items (for the reason filter)."""
    return list(
        QueueItem.objects.filter(resolved_at__isnull=True, queue=queue)
        .order_by("reason")
        .values_list("reason", flat=True)
        .distinct()
    )


def format_duration(span: timedelta) -> str:
    """A queue age as people say it: ``45 min``, ``3 h 20 min``, ``2 d 5 h``."""
    minutes = int(abs(span).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h") % {"d": days, "h": hours} if hours else _("%(d)s d") % {"d": days}
    if hours:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": mins} if mins else _("%(h)s h") % {"h": hours}
    return _("%(m)s min") % {"m": mins}
