"""Low-stock alerts page: open alerts by tier, acknowledging them, re-evaluating on demand.

Acknowledging and re-evaluating need ``inventory.manage_purchasing``: an acknowledgement says "a
purchase order or a transfer is on its way", which is purchasing's decision. Warehouse staff see
every alert but cannot mark a shortage as handled, so it never disappears from purchasing's view
because someone on the floor clicked it away.
"""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.db.models import Q
from django.forms import TextInput
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from inventory import alerts as alert_services
from inventory import replenishment
from inventory.filters import CategoryTreeFilter
from inventory.models import AlertStatus, AlertTier, StockAlert, Warehouse
from oms.access import role_required
from oms.pagination import paginate
from oms.views import render_list

ACKNOWLEDGE_PERMISSION = "inventory.manage_purchasing"

# Tiers from the most to the least urgent, with the short names of their badges.
TIERS = {
    AlertTier.OUT_OF_STOCK: gettext_lazy("Out of stock"),
    AlertTier.CRITICAL: gettext_lazy("Critical"),
    AlertTier.APPROACHING: gettext_lazy("Approaching"),
}


class AlertFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=gettext_lazy("SKU"),
        method="search",
        widget=TextInput(attrs={"type": "search", "placeholder": gettext_lazy("SKU or product")}),
    )
    tier = django_filters.ChoiceFilter(
        label=gettext_lazy("Tier"), choices=AlertTier.choices, empty_label=gettext_lazy("All")
    )
    warehouse = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.all(), empty_label=gettext_lazy("All")
    )
    category = CategoryTreeFilter(field_name="variant__product__category")
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=[*AlertStatus.choices, ("all", gettext_lazy("All"))],
        empty_label=None,
        method="filter_status",
    )
    acknowledged = django_filters.ChoiceFilter(
        label=gettext_lazy("Acknowledged"),
        choices=[("yes", gettext_lazy("Acknowledged")), ("no", gettext_lazy("Not acknowledged"))],
        empty_label=gettext_lazy("All"),
        method="filter_acknowledged",
    )

    class Meta:
        model = StockAlert
        fields = ["q", "tier", "warehouse", "category", "status", "acknowledged"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(variant__sku__icontains=value) | Q(variant__product__name__icontains=value))

    def filter_status(self, queryset, name, value):
        return queryset if value == "all" else queryset.filter(status=value)

    def filter_acknowledged(self, queryset, name, value):
        return queryset.filter(acknowledged_at__isnull=value != "yes")


def _url_or_none(name: str, *args) -> str | None:
    """Pages built in parallel (reorder, transfers) may not exist yet: link them only if they do."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _back(request: HttpRequest) -> HttpResponse:
    """Back to the alert list the form was sent from (its filters and page), else the list."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("inventory:alerts")


@vary_on_headers("HX-Request")
@role_required("oms.access_inventory")
def alert_list(request: HttpRequest) -> HttpResponse:
    """Alerts, open ones by default, most recent first; counts per tier of all open alerts."""
    data = request.GET.copy()
    if not data.get("status"):
        data["status"] = AlertStatus.OPEN
    filterset = AlertFilter(data, queryset=alert_services.alert_list())
    page = paginate(request, filterset.qs, ordering=("-raised_at", "-pk"))
    for alert in page:
        alert.tier_label = TIERS.get(alert.tier, alert.tier)
    counts = replenishment.alert_counts()
    return render_list(
        request,
        "inventory/alerts/list.html",
        {
            "filter": filterset,
            "page": page,
            "tier_counts": [(tier, label, counts.get(tier, 0)) for tier, label in TIERS.items()],
            "reorder_url": _url_or_none("inventory:reorder"),
            "may_acknowledge": request.user.has_perm(ACKNOWLEDGE_PERMISSION),
        },
    )


@role_required("oms.access_inventory", ACKNOWLEDGE_PERMISSION)
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(StockAlert.objects.select_related("variant", "warehouse"), pk=pk)
    alert_services.acknowledge_alert(alert=alert, user=request.user)
    messages.success(
        request,
        _("Alert for %(sku)s in %(warehouse)s acknowledged.")
        % {"sku": alert.variant.sku, "warehouse": alert.warehouse.code},
    )
    return _back(request)


@role_required("oms.access_inventory", ACKNOWLEDGE_PERMISSION)
@require_POST
def alerts_acknowledge(request: HttpRequest) -> HttpResponse:
    """Bulk: the alerts ticked in the list (ids that are not numbers are ignored)."""
    ids = [int(value) for value in request.POST.getlist("alert") if value.isdigit()]
    if not ids:
        messages.warning(request, _("Select the alerts to acknowledge first."))
        return _back(request)
    done = alert_services.acknowledge_alerts(alerts=ids, user=request.user)
    skipped = len(set(ids)) - done
    text = ngettext("%(n)s alert acknowledged.", "%(n)s alerts acknowledged.", done) % {"n": done}
    if skipped:
        text += " " + ngettext(
            "%(n)s was already acknowledged or resolved.",
            "%(n)s were already acknowledged or resolved.",
            skipped,
        ) % {"n": skipped}
    messages.success(request, text)
    return _back(request)


@role_required("oms.access_inventory", ACKNOWLEDGE_PERMISSION)
@require_POST
def alerts_evaluate(request: HttpRequest) -> HttpResponse:
    """Re-check every low level now instead of waiting for the next beat run."""
    result = replenishment.evaluate_alerts()
    messages.success(
        request,
        _("Alerts re-evaluated: %(raised)s raised, %(resolved)s resolved.") % result,
    )
    return _back(request)
