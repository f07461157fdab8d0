"""Customers: the list with search, a customer's page with their history, the VIP mark, and merging.

Search understands what people paste: an e-mail is matched normalised (lower-cased), a phone number
in any Turkish spelling is matched in E.164, anything else searches the names. A customer that was
merged away keeps its row, so old links lead to its page, which sends the visitor on to the survivor.
"""

from __future__ import annotations

import re

import django_filters
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.forms import TextInput
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from oms.access import role_required
from oms.address import normalize_phone
from oms.events import timeline_for
from oms.pagination import paginate
from oms.views import render_list
from orders.customers import merge_customers, normalize_email, set_vip
from orders.models import CUSTOMER_FLAG_LABELS, Customer, Segment

VIEW = "oms.access_orders"
VIP_PERMISSION = "orders.manage_orders"
MERGE_PERMISSION = "orders.merge_customers"
ORDERS_SHOWN = 50

# Customer.flags codes as the panel shows them: (label, badge tone).
FLAG_TONES = {
    "vip": "special",
    "first_order": "info",
    "problem_orders": "danger",
    "failed_deliveries": "warn",
    "high_returns": "warn",
}
FLAGS = {code: (CUSTOMER_FLAG_LABELS[code], tone) for code, tone in FLAG_TONES.items()}
SEGMENT_TONES = {Segment.NEW: "info", Segment.REPEAT: "ok", Segment.VIP: "special"}


_PHONE_LIKE = re.compile(r"^[\d\s+()./-]+$")


def search_condition(text: str) -> Q:
    """What a search box string means: an e-mail, a phone number, or words of a name."""
    text = (text or "").strip()
    if not text:
        return Q()
    if "@" in text:
        try:
            return Q(email=normalize_email(text))
        except ValidationError:
            return Q(email__icontains=text.lower())
    if _PHONE_LIKE.match(text):
        try:
            return Q(phone=normalize_phone(text))
        except ValidationError:
            # Part of a number ("532 123"): compare digits, ignoring a leading 0 of the national form.
            digits = re.sub(r"\D", "", text).removeprefix("0")
            return Q(phone__contains=digits) if digits else Q(pk__in=[])
    condition = Q()
    for word in text.split()[:4]:
        condition &= Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(company__icontains=word)
    return condition


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="search",
        widget=TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Name, e-mail or phone")}),
    )
    segment = django_filters.ChoiceFilter(
        label=gettext_lazy("Segment"), choices=Segment.choices, empty_label=gettext_lazy("All")
    )
    flag = django_filters.ChoiceFilter(
        label=gettext_lazy("Flag"),
        choices=[(code, label) for code, (label, _tone) in FLAGS.items()],
        empty_label=gettext_lazy("All"),
        method="filter_flag",
    )

    class Meta:
        model = Customer
        fields = ["q", "segment", "flag"]

    def search(self, queryset, name, value):
        return queryset.filter(search_condition(value))

    def filter_flag(self, queryset, name, value):
        # The same rules as Customer.flags, in SQL.
        if value == "vip":
            return queryset.filter(Q(is_vip=True) | Q(segment=Segment.VIP))
        if value == "first_order":
            return queryset.filter(orders_count__lte=1)
        if value == "problem_orders":
            return queryset.filter(problem_orders__gt=0)
        if value == "failed_deliveries":
            return queryset.filter(failed_deliveries__gt=0)
        if value == "high_returns":
            return queryset.filter(orders_count__gte=3, returned_orders__gte=F("orders_count") * 0.3)
        return queryset


def _decorate(customer: Customer) -> Customer:
    customer.flag_items = [(code, *FLAGS[code]) for code in customer.flags if code in FLAGS]
    customer.segment_tone = SEGMENT_TONES.get(customer.segment, "")
    return customer


def _survivor(customer: Customer) -> Customer:
    """Follow ``merged_into`` to the customer that is still live (merges repoint chains, but be safe)."""
    seen = {customer.pk}
    while customer.merged_into_id and customer.merged_into_id not in seen:
        seen.add(customer.merged_into_id)
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


@vary_on_headers("HX-Request")
@role_required(VIEW)
def customer_list(request: HttpRequest) -> HttpResponse:
    filterset = CustomerFilter(request.GET, queryset=Customer.objects.filter(merged_into__isnull=True))
    # Newest customers first by primary key: an index scan at any depth (no index on created_at).
    page = paginate(request, filterset.qs, ordering=("-pk",))
    for customer in page:
        _decorate(customer)
    return render_list(request, "orders/customers/list.html", {"filter": filterset, "page": page})


@role_required(VIEW)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    if customer.merged_into_id:
        survivor = _survivor(customer)
        messages.info(
            request,
            _("Customer %(gone)s was merged into %(kept)s; you are on the merged record.")
            % {"gone": customer, "kept": survivor},
        )
        return redirect("orders:customer", survivor.pk)
    orders = list(customer.orders.select_related("channel").order_by("-created_at", "-pk")[:ORDERS_SHOWN])
    return render(
        request,
        "orders/customers/detail.html",
        {
            "customer": _decorate(customer),
            "return_rate": round(customer.return_rate * 100),
            "addresses": list(customer.addresses.select_related("province")),
            "orders": orders,
            "orders_truncated": customer.orders_count > len(orders) and len(orders) == ORDERS_SHOWN,
            "timeline": list(timeline_for(customer)[:30]),
            "merged_from": list(customer.merged_from.order_by("pk")[:20]),
            "may_vip": request.user.has_perm(VIP_PERMISSION),
            "may_merge": request.user.has_perm(MERGE_PERMISSION),
        },
    )


@role_required(VIEW, VIP_PERMISSION)
@require_POST
def customer_vip(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk, merged_into__isnull=True)
    vip = request.POST.get("vip") == "1"
    customer = set_vip(customer, vip=vip, user=request.user)
    messages.success(
        request,
        (_("%(customer)s is marked as VIP.") if vip else _("%(customer)s is no longer marked as VIP."))
        % {"customer": customer},
    )
    return redirect("orders:customer", customer.pk)


@vary_on_headers("HX-Request")
@role_required(VIEW, MERGE_PERMISSION)
def customer_merge_search(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick the other customer: search by e-mail, phone or name (live customers other than this one)."""
    customer = get_object_or_404(Customer, pk=pk, merged_into__isnull=True)
    text = request.GET.get("q", "").strip()
    candidates = []
    if text:
        candidates = list(
            Customer.objects.filter(merged_into__isnull=True)
            .exclude(pk=customer.pk)
            .filter(search_condition(text))
            .order_by("-pk")[:20]
        )
    return render_list(
        request,
        "orders/customers/merge_search.html",
        {"customer": customer, "q": text, "candidates": candidates},
    )


@role_required(VIEW, MERGE_PERMISSION)
def customer_merge(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    """Both customers side by side (``pk`` is kept, ``other`` folded into it); POST merges them."""
    if request.method == "POST":
        survivor = merge_customers(keep=pk, merge=other, user=request.user)
        messages.success(
            request, _("Customers merged; %(customer)s keeps every order.") % {"customer": survivor}
        )
        return redirect("orders:customer", survivor.pk)
    if pk == other:
        messages.error(request, _("Choose two different customers."))
        return redirect("orders:customer_merge_search", pk)
    both = {
        c.pk: c
        for c in Customer.objects.filter(pk__in=[pk, other]).annotate(
            address_count=Count("addresses", distinct=True)
        )
    }
    keep, gone = both.get(pk), both.get(other)
    if keep is None or gone is None:
        messages.error(request, _("One of the customers does not exist."))
        return redirect("orders:customers")
    if keep.merged_into_id or gone.merged_into_id:
        messages.error(request, _("A customer that was merged away cannot be merged again."))
        return redirect("orders:customer", _survivor(keep).pk)
    return render(
        request,
        "orders/customers/merge.html",
        {"keep": _decorate(keep), "gone": _decorate(gone)},
    )
