"""Filters of the order list (django-filter).

Every filter is written to hit an index on a table of a million orders: dates become a half-open
range on ``created_at`` (Istanbul days, not ``__date`` which casts every row), SKU / warehouse /
queue / backorder filters are ``pk__in`` subqueries on the indexed child tables, and the customer
search tries exact identifiers before it falls back to a name prefix.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.models import SalesChannel
from inventory.models import Variant, Warehouse
from oms.address import normalize_phone
from orders.models import (
    Customer,
    Order,
    OrderAllocation,
    OrderLine,
    OrderStatus,
    Priority,
    Queue,
    QueueItem,
)


class Flag:
    SPECIAL = "special"
    FIRST_ORDER = "first_order"
    PRIORITY = "priority"
    NEEDS_APPROVAL = "needs_approval"
    BACKORDERED = "backordered_lines"

    choices = [
        (SPECIAL, _("Special order")),
        (FIRST_ORDER, _("First order")),
        (PRIORITY, _("VIP / priority")),
        (NEEDS_APPROVAL, _("Needs approval")),
        (BACKORDERED, _("Backordered lines")),
    ]


HOLD_REASONS = [("risk", _("Risk review")), ("approval", _("Approval"))]


def day_start(day: date) -> datetime:
    """Midnight of ``day`` in the panel's time zone (Europe/Istanbul), as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def search_orders(queryset: QuerySet[Order], text: str) -> QuerySet[Order]:
    """Customer / order search, most specific first so each step can use an index.

    1. our order number or the channel's order number, exactly (unique indexes);
    2. an e-mail or a phone number, normalised as intake stores them (velocity indexes);
    3. otherwise a name prefix ("ayşe yıl" = first name "ayşe…" and last name "yıl…"), through the
       matching customers (customer_name_idx) and their orders (order_customer_idx).
    """
    text = " ".join(text.split())
    if not text:
        return queryset
    exact = queryset.filter(Q(number=text.upper()) | Q(channel_order_id=text))
    if exact.exists():
        return exact
    if "@" in text:
        email = text.lower()
        return _by_customers(queryset, Customer.objects.filter(email=email), Q(customer_email=email))
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 7:
        try:
            phone = normalize_phone(text)
        except ValidationError:
            return queryset.none()
        return _by_customers(queryset, Customer.objects.filter(phone=phone), Q(customer_phone=phone))
    words = text.split(" ")
    if len(words) > 1:
        first, last = " ".join(words[:-1]), words[-1]
        names = Q(first_name__istartswith=first, last_name__istartswith=last) | Q(company__istartswith=text)
    else:
        names = (
            Q(last_name__istartswith=text) | Q(first_name__istartswith=text) | Q(company__istartswith=text)
        )
    return _by_customers(queryset, Customer.objects.filter(names), None)


MAX_SEARCH_CUSTOMERS = 500
SKU_ORDER_CAP = 10_000


def _by_customers(queryset: QuerySet[Order], customers: QuerySet[Customer], snapshot: Q | None):
    """Orders of the matching customers, by a list of ids fetched first (bench/RESULTS.md).

    With a subquery PostgreSQL walked every order newest first, probing each against the match
    (seconds at a million orders when a name is rare); with a short literal list it reads each
    customer's orders from ``order_customer_idx``. ``snapshot`` also finds orders placed with that
    e-mail or phone under another customer record (their customers join the list).
    """
    ids = set(customers.order_by().values_list("pk", flat=True)[:MAX_SEARCH_CUSTOMERS])
    if snapshot is not None:
        ids |= set(
            Order.objects.filter(snapshot).order_by().values_list("customer_id", flat=True).distinct()[:50]
        )
    if not ids:
        return queryset.none()
    return queryset.filter(customer_id__in=sorted(ids))


class OrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Customer or order"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Order no., name, e-mail, phone"),
                "autocomplete": "off",
            }
        ),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=OrderStatus.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,  # one row per order anyway; DISTINCT made PostgreSQL sort the whole match
    )
    channel = django_filters.ModelChoiceFilter(
        label=_("Channel"), queryset=SalesChannel.objects.order_by("name"), empty_label=_("All")
    )
    created_from = django_filters.DateFilter(
        label=_("Created from"), method="filter_created_from", widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = django_filters.DateFilter(
        label=_("Created to"), method="filter_created_to", widget=forms.DateInput(attrs={"type": "date"})
    )
    sku = django_filters.CharFilter(
        label=_("SKU"), method="filter_sku", widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    warehouse = django_filters.ModelChoiceFilter(
        label=_("Warehouse"),
        queryset=Warehouse.objects.order_by("code"),
        empty_label=_("All"),
        method="filter_warehouse",
    )
    flags = django_filters.MultipleChoiceFilter(
        label=_("Flags"),
        choices=Flag.choices,
        method="filter_flags",
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    risk = django_filters.NumberFilter(
        label=_("Risk from"),
        field_name="risk_score",
        lookup_expr="gte",
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "inputmode": "numeric"}),
    )
    queue = django_filters.ChoiceFilter(
        label=_("Open in queue"), choices=Queue.choices, empty_label=_("Any"), method="filter_queue"
    )
    hold_reason = django_filters.ChoiceFilter(
        label=_("Hold reason"), choices=HOLD_REASONS, empty_label=_("Any")
    )

    class Meta:
        model = Order
        fields = [
            "q",
            "status",
            "channel",
            "created_from",
            "created_to",
            "sku",
            "warehouse",
            "flags",
            "risk",
            "queue",
            "hold_reason",
        ]

    # The filters the bar shows at once; the rest sit under "More filters".
    main_fields = ("q", "channel", "created_from", "created_to")

    def filter_search(self, queryset, name, value):
        return search_orders(queryset, value)

    def filter_created_from(self, queryset, name, value: date):
        return queryset.filter(created_at__gte=day_start(value))

    def filter_created_to(self, queryset, name, value: date):
        return queryset.filter(created_at__lt=day_start(value + timedelta(days=1)))

    def filter_sku(self, queryset, name, value: str):
        sku = value.strip()
        if not sku:
            return queryset
        # Variant ids first, so the line subquery is an index probe per order, not a join.
        variants = list(Variant.objects.filter(sku__in={sku, sku.upper()}).values_list("pk", flat=True))
        lines = OrderLine.objects.filter(variant_id__in=variants).order_by()
        # A literal id list lets PostgreSQL fetch those orders and sort a few thousand rows; a
        # subquery made it walk the whole list newest first (bench/RESULTS.md). A SKU on more
        # orders than the cap is common enough that the walk finds a page quickly.
        ids = list(lines.values_list("order_id", flat=True)[: SKU_ORDER_CAP + 1])
        if len(ids) <= SKU_ORDER_CAP:
            return queryset.filter(pk__in=sorted(set(ids)))
        return queryset.filter(pk__in=lines.values("order_id"))

    def filter_warehouse(self, queryset, name, value: Warehouse):
        # Allocation rows stay after shipping, so shipped orders are found by where they left from.
        return queryset.filter(pk__in=OrderAllocation.objects.filter(warehouse=value).values("order_id"))

    def filter_queue(self, queryset, name, value: str):
        items = QueueItem.objects.filter(queue=value, resolved_at__isnull=True)
        return queryset.filter(pk__in=items.values("order_id"))

    def filter_flags(self, queryset, name, values: list[str]):
        for flag in values:
            if flag == Flag.SPECIAL:
                queryset = queryset.exclude(special_kind="")
            elif flag == Flag.FIRST_ORDER:
                queryset = queryset.filter(is_first_order=True)
            elif flag == Flag.PRIORITY:
                queryset = queryset.filter(priority__gte=Priority.HIGH)
            elif flag == Flag.NEEDS_APPROVAL:
                queryset = queryset.filter(needs_approval=True)
            elif flag == Flag.BACKORDERED:
                short = OrderLine.objects.filter(quantity_backordered__gt=0)
                queryset = queryset.filter(pk__in=short.values("order_id"))
        return queryset
