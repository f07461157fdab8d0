"""Filter sets for the inventory panel lists (django-filter); the queries live in ``selectors``."""

import django_filters
from django.forms import CheckboxInput, NumberInput, TextInput
from django.utils.translation import gettext_lazy as _

from inventory import selectors
from inventory.models import Category, Product, StockLevel, Tracking, Warehouse


class CategoryTreeFilter(django_filters.ModelChoiceFilter):
    """A category and everything below it."""

    def __init__(self, *, field_name: str, **kwargs) -> None:
        kwargs.setdefault("label", _("Category"))
        kwargs.setdefault("empty_label", _("All"))
        super().__init__(queryset=Category.objects.order_by("name"), field_name=field_name, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": selectors.category_ids_with_descendants(value)})


class StockLevelFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=TextInput(attrs={"type": "search", "placeholder": _("SKU, barcode, name")}),
    )
    warehouse = django_filters.ModelChoiceFilter(
        label=_("Warehouse"), queryset=Warehouse.objects.all(), empty_label=_("All")
    )
    category = CategoryTreeFilter(field_name="variant__product__category")
    below_minimum = django_filters.BooleanFilter(
        label=_("Below minimum"), method="filter_below_minimum", widget=CheckboxInput
    )
    quarantine = django_filters.BooleanFilter(
        label=_("Has quarantine"), method="filter_quarantine", widget=CheckboxInput
    )
    expiring_within = django_filters.NumberFilter(
        label=_("Expiring within (days)"),
        method="filter_expiring",
        min_value=0,
        max_value=3650,
        widget=NumberInput(attrs={"min": 0, "inputmode": "numeric", "placeholder": "30"}),
    )

    class Meta:
        model = StockLevel
        fields = ["q", "warehouse", "category", "below_minimum", "quarantine", "expiring_within"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(selectors.search_variants("variant", value))

    def filter_below_minimum(self, queryset, name, value):
        return selectors.below_minimum(queryset) if value else queryset

    def filter_quarantine(self, queryset, name, value):
        return queryset.filter(quarantined__gt=0) if value else queryset

    def filter_expiring(self, queryset, name, value):
        return selectors.expiring_within(queryset, days=int(value))


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=TextInput(attrs={"type": "search", "placeholder": _("Name, brand, SKU, barcode")}),
    )
    category = CategoryTreeFilter(field_name="category")
    tracking = django_filters.ChoiceFilter(
        label=_("Tracking"), choices=Tracking.choices, empty_label=_("All")
    )
    active = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[("1", _("Active")), ("0", _("Inactive"))],
        empty_label=_("All"),
        method="status",
    )

    class Meta:
        model = Product
        fields = ["q", "category", "tracking", "active"]

    def search(self, queryset, name, value):
        value = value.strip()
        return selectors.search_products(queryset, value) if value else queryset

    def status(self, queryset, name, value):
        return queryset.filter(is_active=value == "1")
