"""The inventory panel on the dashboard: what needs someone's attention today."""

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.models import (
    AlertStatus,
    AlertTier,
    CountStatus,
    PurchaseOrder,
    PurchaseOrderStatus,
    StockAlert,
    StockCount,
    Transfer,
    TransferStatus,
)
from oms.dashboard import Figure, register


def _url(name: str, query: str = "") -> str:
    try:
        return reverse(name) + (f"?{query}" if query else "")
    except NoReverseMatch:  # a page that does not exist yet
        return ""


@register(_("Inventory"), permission="oms.access_inventory")
def inventory_figures() -> list[Figure]:
    alerts = StockAlert.objects.filter(status=AlertStatus.OPEN).aggregate(
        **{tier: Count("pk", filter=Q(tier=tier)) for tier in AlertTier.values}
    )
    overdue = PurchaseOrder.objects.filter(
        status__in=[PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED],
        expected_date__lt=timezone.localdate(),
    ).count()
    in_review = StockCount.objects.filter(status=CountStatus.REVIEW).count()
    in_transit = Transfer.objects.filter(status=TransferStatus.SHIPPED).count()
    return [
        Figure(
            _("Out of stock"),
            alerts[AlertTier.OUT_OF_STOCK],
            _url("inventory:alerts", "tier=out_of_stock"),
            "error",
        ),
        Figure(
            _("Critical stock"), alerts[AlertTier.CRITICAL], _url("inventory:alerts", "tier=critical"), "warn"
        ),
        Figure(
            _("Approaching minimum"),
            alerts[AlertTier.APPROACHING],
            _url("inventory:alerts", "tier=approaching"),
        ),
        Figure(
            _("Overdue purchase orders"), overdue, _url("inventory:purchase_orders", "overdue=on"), "warn"
        ),
        Figure(_("Counts to review"), in_review, _url("inventory:counts", "status=review"), "warn"),
        Figure(_("Transfers in transit"), in_transit, _url("inventory:transfers", "status=shipped")),
    ]
