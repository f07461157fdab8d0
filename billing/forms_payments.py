"""Filters and forms of the payments pages: the ledger, provider callbacks, installments, and the
form finance uses to record a payment or refund by hand."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import (
    CallbackOutcome,
    Installment,
    InstallmentStatus,
    Payment,
    PaymentKind,
    PaymentSource,
    ProviderCallback,
)
from orders.models import PaymentMethod

DATE = forms.DateInput(attrs={"type": "date"})
SEARCH = {"type": "search", "autocomplete": "off"}


class PaymentFilter(django_filters.FilterSet):
    order = django_filters.CharFilter(
        label=_("Order no. or reference"),
        method="filter_order",
        widget=forms.TextInput(attrs={**SEARCH, "placeholder": _("SIP-2026-000042")}),
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PaymentKind.choices, empty_label=_("All"))
    source = django_filters.ChoiceFilter(
        label=_("Source"), choices=PaymentSource.choices, empty_label=_("All")
    )
    received_from = django_filters.DateFilter(
        label=_("Value date from"), field_name="received_on", lookup_expr="gte", widget=DATE
    )
    received_to = django_filters.DateFilter(
        label=_("Value date to"), field_name="received_on", lookup_expr="lte", widget=DATE
    )

    class Meta:
        model = Payment
        fields = ["order", "kind", "source", "received_from", "received_to"]

    def filter_order(self, queryset, name, value: str):
        text = value.strip()
        if not text:
            return queryset
        upper = text.upper()
        return queryset.filter(Q(order__number=upper) | Q(invoice__number=upper) | Q(provider_reference=text))


class CallbackFilter(django_filters.FilterSet):
    reference = django_filters.CharFilter(
        label=_("Reference"), field_name="reference", widget=forms.TextInput(attrs=SEARCH)
    )
    provider = django_filters.ChoiceFilter(
        label=_("Provider"),
        choices=[(PaymentSource.PAYTR, "PayTR"), (PaymentSource.IYZICO, "iyzico")],
        empty_label=_("All"),
    )
    outcome = django_filters.ChoiceFilter(
        label=_("Outcome"), choices=CallbackOutcome.choices, empty_label=_("All")
    )

    class Meta:
        model = ProviderCallback
        fields = ["reference", "provider", "outcome"]


class InstallmentFilter(django_filters.FilterSet):
    order = django_filters.CharFilter(
        label=_("Order no."),
        field_name="order__number",
        method="filter_order",
        widget=forms.TextInput(attrs=SEARCH),
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=InstallmentStatus.choices, empty_label=_("All")
    )
    due_from = django_filters.DateFilter(
        label=_("Due from"), field_name="due_date", lookup_expr="gte", widget=DATE
    )
    due_to = django_filters.DateFilter(
        label=_("Due to"), field_name="due_date", lookup_expr="lte", widget=DATE
    )

    class Meta:
        model = Installment
        fields = ["order", "overdue", "status", "due_from", "due_to"]

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def filter_order(self, queryset, name, value: str):
        text = value.strip().upper()
        return queryset.filter(order__number=text) if text else queryset

    def filter_overdue(self, queryset, name, value: bool):
        if not value:
            return queryset
        return queryset.filter(status=InstallmentStatus.OPEN, due_date__lt=self.today)


class RecordPaymentForm(forms.Form):
    """A payment or refund entered by hand. ``token`` is drawn when the form is shown and becomes
    the dedupe key, so a double-clicked submit records once."""

    kind = forms.ChoiceField(
        label=_("What"),
        choices=[(PaymentKind.CAPTURE, _("Payment received")), (PaymentKind.REFUND, _("Refund paid out"))],
    )
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    received_on = forms.DateField(label=_("Value date"), widget=DATE)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    provider_reference = forms.CharField(
        label=_("Reference"), max_length=100, required=False, help_text=_("Bank or provider reference.")
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, installment: bool = False, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("token", uuid.uuid4())
        kwargs["initial"].setdefault("received_on", timezone.localdate())
        kwargs["initial"].setdefault("kind", PaymentKind.CAPTURE)
        super().__init__(*args, **kwargs)
        if installment:
            self.fields["kind"].choices = [(PaymentKind.CAPTURE, _("Payment received"))]
