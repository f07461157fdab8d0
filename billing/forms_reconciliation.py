"""Forms and filters of the reconciliation pages: statement and remittance uploads, matching a
bank line by hand, the finance queue's filters and its resolve note."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import (
    BankStatementLine,
    CodRemittance,
    FinanceIssue,
    FinanceIssueKind,
    MatchStatus,
    StatementFormat,
)
from billing.reconciliation.files import MAX_FILE_BYTES
from fulfillment.models import CarrierAccount

CSV_ACCEPT = ".csv,.txt,text/csv"


class StatementUploadForm(forms.Form):
    format = forms.ModelChoiceField(
        label=_("Bank / format"),
        queryset=StatementFormat.objects.order_by("name"),
        empty_label=None,
        help_text=_("Which bank's export this is; formats are edited in admin."),
    )
    file = forms.FileField(
        label=_("Statement file"),
        help_text=_("CSV as the bank exports it (UTF-8 or Windows-1254)."),
        widget=forms.ClearableFileInput(attrs={"accept": CSV_ACCEPT}),
    )

    def clean_file(self):
        return _checked_size(self.cleaned_data["file"])


class RemittanceUploadForm(forms.Form):
    carrier = forms.ModelChoiceField(
        label=_("Carrier"),
        queryset=CarrierAccount.objects.filter(supports_cod=True).order_by("name"),
        empty_label=None,
    )
    file = forms.FileField(
        label=_("Remittance file"),
        help_text=_("CSV with tracking number, collected date and amount (see the sample)."),
        widget=forms.ClearableFileInput(attrs={"accept": CSV_ACCEPT}),
    )

    def clean_file(self):
        return _checked_size(self.cleaned_data["file"])


def _checked_size(uploaded):
    if uploaded.size > MAX_FILE_BYTES:
        raise forms.ValidationError(
            _("The file is larger than %(mb)s MB: export a shorter period."),
            params={"mb": MAX_FILE_BYTES // 2**20},
        )
    return uploaded


class MatchLineForm(forms.Form):
    target = forms.CharField(
        label=_("Order or invoice"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"placeholder": _("SIP-2026-000370, reference or invoice no."), "autocomplete": "off"}
        ),
    )


class ResolveIssueForm(forms.Form):
    resolution = forms.CharField(
        label=_("What was done"),
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. refunded the difference to the sender's IBAN")}),
    )


class BankLineFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=MatchStatus.choices, empty_label=_("All"))

    class Meta:
        model = BankStatementLine
        fields = ["status"]


class RemittanceFilter(django_filters.FilterSet):
    carrier = django_filters.ModelChoiceFilter(
        label=_("Carrier"), queryset=CarrierAccount.objects.order_by("name"), empty_label=_("All")
    )

    class Meta:
        model = CodRemittance
        fields = ["carrier"]


class FinanceIssueFilter(django_filters.FilterSet):
    MINE, FREE = "mine", "free"
    OPEN, RESOLVED = "open", "resolved"

    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=FinanceIssueKind.choices, empty_label=_("All")
    )
    holder = django_filters.ChoiceFilter(
        label=_("Taken"),
        choices=[(MINE, _("Mine")), (FREE, _("Nobody's"))],
        empty_label=_("Any"),
        method="filter_holder",
    )
    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=[(OPEN, _("Open")), (RESOLVED, _("Resolved"))],
        empty_label=None,
        method="filter_state",
    )

    class Meta:
        model = FinanceIssue
        fields = ["kind", "holder", "state"]

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else None
        if data is not None and not data.get("state"):
            data["state"] = self.OPEN  # the queue shows open issues unless asked otherwise
        super().__init__(data, *args, **kwargs)

    def filter_holder(self, queryset, name, value: str):
        if value == self.MINE:
            return queryset.filter(assignee=self.request.user)
        if value == self.FREE:
            return queryset.filter(assignee__isnull=True)
        return queryset

    def filter_state(self, queryset, name, value: str):
        return queryset.filter(resolved_at__isnull=value != self.RESOLVED)
