"""Low-stock alerts as people handle them: acknowledging and the list the panel shows.

Alerts are raised and resolved by ``inventory.replenishment.evaluate_alerts`` (after every stock
change and by the beat job). Acknowledging says "someone has this in hand" (a purchase order or a
transfer is on its way); the alert stays open until the stock recovers, so the shortage is still
visible to everyone, only marked as taken care of.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import AlertStatus, StockAlert, StockLevel
from oms.errors import Conflict
from oms.events import emit

ACKNOWLEDGED = "stock.alert_acknowledged"  # labelled in inventory/events.py


class AlertResolved(Conflict):
    """The alert was resolved (stock recovered) before it could be acknowledged."""

    code = "alert_resolved"


def _id(alert: StockAlert | int) -> int:
    return alert if isinstance(alert, int) else alert.pk


def _acknowledge_locked(alert: StockAlert, *, user, now) -> None:
    alert.acknowledged_by = user
    alert.acknowledged_at = now
    alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
    emit(
        ACKNOWLEDGED,
        subject=alert,
        actor=user,
        message=f"{alert.get_tier_display()}",
        data={"tier": alert.tier, "variant": alert.variant_id, "warehouse": alert.warehouse_id},
    )


@transaction.atomic
def acknowledge_alert(*, alert: StockAlert | int, user) -> StockAlert:
    """Mark an open alert as taken in hand by ``user`` (event ``stock.alert_acknowledged``).

    Acknowledging twice keeps the first acknowledgement and records nothing new. A resolved alert
    cannot be acknowledged (``AlertResolved``): there is nothing left to take care of.
    """
    locked = StockAlert.objects.select_for_update().get(pk=_id(alert))
    if locked.status != AlertStatus.OPEN:
        raise AlertResolved(_("This alert was already resolved: the stock has recovered."))
    if locked.acknowledged_at is None:
        _acknowledge_locked(locked, user=user, now=timezone.now())
    return locked


@transaction.atomic
def acknowledge_alerts(*, alerts: Iterable[StockAlert | int], user) -> int:
    """Acknowledge several alerts at once; returns how many were newly acknowledged.

    Alerts that are resolved or already acknowledged are skipped (a bulk selection may be stale).
    Rows are locked in primary-key order, like every multi-row act.
    """
    ids = sorted({_id(a) for a in alerts})
    now = timezone.now()
    locked = list(
        StockAlert.objects.select_for_update()
        .filter(pk__in=ids, status=AlertStatus.OPEN, acknowledged_at__isnull=True)
        .order_by("pk")
    )
    for alert in locked:
        _acknowledge_locked(alert, user=user, now=now)
    return len(locked)


def alert_list() -> QuerySet[StockAlert]:
    """Alerts with what a list row shows, and ``available_now``: the level's current available
    stock (a subquery in the same SELECT, so the page stays one query)."""
    level = StockLevel.objects.filter(
        variant_id=OuterRef("variant_id"), warehouse_id=OuterRef("warehouse_id")
    )
    return StockAlert.objects.select_related("variant__product", "warehouse", "acknowledged_by").annotate(
        available_now=Subquery(level.values(available=F("on_hand") - F("reserved"))[:1])
    )
