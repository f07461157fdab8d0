"""Filters of the fulfillment lists (django-filter).

Dates are half-open ranges on the indexed timestamps (Istanbul days); the search tries the exact
identifiers people read off a label or a screen: tracking number, shipment number, order number.
"""

from __future__ import annotations

from datetime import date, timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fulfillment.models import CarrierAccount, Manifest, Problem, ProblemKind, Shipment, ShipmentStatus
from inventory.models import Warehouse
from orders.filters import day_start


def _warehouses(request=None):
    return Warehouse.objects.order_by("code")


def _carriers(request=None):
    return CarrierAccount.objects.order_by("name")


class ShipmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Tracking or order no."),
        method="filter_search",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Tracking, shipment or order no."),
                "autocomplete": "off",
            }
        ),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=ShipmentStatus.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    carrier = django_filters.ModelChoiceFilter(label=_("Carrier"), queryset=_carriers, empty_label=_("All"))
    warehouse = django_filters.ModelChoiceFilter(
        label=_("Warehouse"), queryset=_warehouses, empty_label=_("All")
    )
    created_from = django_filters.DateFilter(
        label=_("Created from"), method="filter_created_from", widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = django_filters.DateFilter(
        label=_("Created to"), method="filter_created_to", widget=forms.DateInput(attrs={"type": "date"})
    )

    manifest = django_filters.NumberFilter(field_name="manifest_id", widget=forms.HiddenInput)

    class Meta:
        model = Shipment
        fields = ["q", "status", "carrier", "warehouse", "created_from", "created_to", "manifest"]

    main_fields = ("q", "carrier", "warehouse", "created_from", "created_to")

    def filter_search(self, queryset, name, value: str):
        text = value.strip()
        if not text:
            return queryset
        upper = text.upper()
        return queryset.filter(
            Q(tracking_number=text)
            | Q(tracking_number=upper)
            | Q(number=upper)
            | Q(order__number=upper)
            | Q(order__channel_order_id=text)
        )

    def filter_created_from(self, queryset, name, value: date):
        return queryset.filter(created_at__gte=day_start(value))

    def filter_created_to(self, queryset, name, value: date):
        return queryset.filter(created_at__lt=day_start(value + timedelta(days=1)))


class ManifestFilter(django_filters.FilterSet):
    carrier = django_filters.ModelChoiceFilter(label=_("Carrier"), queryset=_carriers, empty_label=_("All"))
    warehouse = django_filters.ModelChoiceFilter(
        label=_("Warehouse"), queryset=_warehouses, empty_label=_("All")
    )
    day_from = django_filters.DateFilter(
        label=_("From"), field_name="day", lookup_expr="gte", widget=forms.DateInput(attrs={"type": "date"})
    )
    day_to = django_filters.DateFilter(
        label=_("To"), field_name="day", lookup_expr="lte", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Manifest
        fields = ["carrier", "warehouse", "day_from", "day_to"]


class ProblemFilter(django_filters.FilterSet):
    MINE = "mine"
    FREE = "free"

    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ProblemKind.choices, empty_label=_("All"))
    warehouse = django_filters.ModelChoiceFilter(
        label=_("Warehouse"), queryset=_warehouses, empty_label=_("All")
    )
    holder = django_filters.ChoiceFilter(
        label=_("Taken"),
        choices=[(MINE, _("Mine")), (FREE, _("Nobody's"))],
        empty_label=_("Any"),
        method="filter_holder",
    )

    class Meta:
        model = Problem
        fields = ["kind", "warehouse", "holder"]

    def filter_holder(self, queryset, name, value: str):
        if value == self.MINE:
            return queryset.filter(assignee=self.request.user)
        if value == self.FREE:
            return queryset.filter(assignee__isnull=True)
        return queryset
