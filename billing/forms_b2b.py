"""Forms and filters of the B2B pages: billing accounts, receivables, statements and quotes."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.accounts import ACCOUNT_FIELDS
from billing.models import BillingAccount, Quote, QuoteStatus
from channels.models import SalesChannel
from inventory.models import Variant
from oms.identity import validate_tax_number
from oms.money import CURRENCIES
from orders.models import Customer, PaymentMethod

CURRENCY_CHOICES = [(code, code) for code in CURRENCIES]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"min": "0", "step": "0.01", "inputmode": "decimal"}


class BillingAccountForm(forms.ModelForm):
    class Meta:
        model = BillingAccount
        fields = list(ACCOUNT_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["credit_limit"].widget.attrs.update(MONEY)
        self.fields["tax_number"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean_tax_number(self) -> str:
        value = self.cleaned_data.get("tax_number") or ""
        return validate_tax_number(value) if value else ""

    def clean(self):
        data = super().clean()
        if data.get("einvoice_registrant") and not data.get("tax_number") and "tax_number" not in self.errors:
            self.add_error("tax_number", _("An e-invoice registrant needs its VKN or TCKN."))
        return data


class AccountSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, e-mail, VKN/TCKN")}),
    )
    b2b = forms.BooleanField(label=_("With payment terms only"), required=False)


class ReceivablesForm(forms.Form):
    q = forms.CharField(
        label=_("Customer"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, e-mail, VKN/TCKN")}),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def values(self) -> dict:
        if not self.is_valid():
            return {"query": "", "currency": "TRY", "overdue_only": False}
        data = self.cleaned_data
        return {"query": data["q"], "currency": data["currency"] or "TRY", "overdue_only": data["overdue"]}


class StatementForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To"), widget=DATE)
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[("", _("Account's")), *CURRENCY_CHOICES], required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError(_("The period ends before it starts."))
        return data


class QuoteFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Quote no. or customer"), "autocomplete": "off"}
        ),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=QuoteStatus.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    customer = django_filters.NumberFilter(field_name="customer_id", widget=forms.HiddenInput)

    class Meta:
        model = Quote
        fields = ["q", "status", "customer"]

    def filter_search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__iexact=value)
            | Q(number__icontains=value)
            | Q(customer__company__icontains=value)
            | Q(customer__last_name__icontains=value)
            | Q(customer__email__icontains=value)
        )


def _b2b_customers():
    """Customers one writes quotes for: those with a billing account (the B2B ones)."""
    return Customer.objects.filter(billing__isnull=False, merged_into__isnull=True).order_by("company", "pk")


class QuoteForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=SalesChannel.objects.filter(is_active=True).order_by("name"),
        help_text=_("Its price tolerance limits how far quoted prices may differ from the price list."),
    )
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE)
    payment_method = forms.ChoiceField(
        label=_("Payment method"), choices=PaymentMethod.choices, initial=PaymentMethod.ON_ACCOUNT
    )
    discount = forms.DecimalField(
        label=_("Quote discount"), min_value=0, decimal_places=2, initial=0, required=False
    )
    shipping_fee = forms.DecimalField(
        label=_("Shipping fee"), min_value=0, decimal_places=2, initial=0, required=False
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, current_customer_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        customers = _b2b_customers()
        if current_customer_id:
            customers = Customer.objects.filter(
                Q(pk=current_customer_id) | Q(billing__isnull=False, merged_into__isnull=True)
            ).order_by("company", "pk")
        self.fields["customer"].queryset = customers
        self.fields["customer"].label_from_instance = lambda c: c.company or str(c)
        self.fields["discount"].widget.attrs.update(MONEY)
        self.fields["shipping_fee"].widget.attrs.update(MONEY)
        if not self.is_bound and "valid_until" not in self.initial:
            self.initial["valid_until"] = timezone.localdate() + timedelta(days=30)
        b2b = self.fields["channel"].queryset.filter(type="b2b").first()
        if b2b is not None and "channel" not in self.initial:
            self.initial["channel"] = b2b.pk


class QuoteLineForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, initial=1)
    unit_price = forms.DecimalField(
        label=_("Unit price (KDV incl.)"),
        min_value=0,
        decimal_places=2,
        required=False,
        help_text=_("Empty: the channel's price list."),
    )
    discount = forms.DecimalField(label=_("Line discount"), min_value=0, decimal_places=2, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit_price"].widget.attrs.update(MONEY)
        self.fields["discount"].widget.attrs.update(MONEY)
        self.fields["sku"].widget.attrs.update({"autocomplete": "off"})


class BaseQuoteLineFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        skus = {
            form.cleaned_data["sku"].strip()
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        }
        if not skus:
            raise ValidationError(_("Add at least one line."))
        any_case = Q(sku__in=skus) | Q(sku__in=[sku.upper() for sku in skus])
        found = {variant.sku.upper(): variant for variant in Variant.objects.filter(any_case)}
        self.variants = {}
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            variant = found.get(data["sku"].strip().upper())
            if variant is None:
                form.add_error("sku", _("Unknown SKU “%(sku)s”.") % {"sku": data["sku"]})
            else:
                self.variants[data["sku"].strip()] = variant

    def lines(self):
        """``QuoteLineData`` of the valid, not deleted forms, in their order."""
        from billing.quotes import QuoteLineData

        out = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            out.append(
                QuoteLineData(
                    variant=self.variants[data["sku"].strip()],
                    quantity=data["quantity"],
                    unit_price=data.get("unit_price"),
                    discount=data.get("discount") or 0,
                )
            )
        return out


QuoteLineFormSet = forms.formset_factory(
    QuoteLineForm, formset=BaseQuoteLineFormSet, extra=2, can_delete=True, max_num=200, validate_max=True
)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)
