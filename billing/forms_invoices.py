"""Forms of the invoice pages: the list's filters, the bulk download, a credit note, issuing by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import Invoice, InvoiceKind, InvoiceProfile, InvoiceStatus

MAX_BULK = 200  # invoices in one ZIP


class InvoiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Invoice or order no., customer, VKN/TCKN"),
                "autocomplete": "off",
            }
        ),
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=InvoiceKind.choices, empty_label=_("All"))
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=InvoiceStatus.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    profile = django_filters.ChoiceFilter(
        label=_("Profile"), choices=InvoiceProfile.choices, empty_label=_("All")
    )
    issued_from = django_filters.DateFilter(
        label=_("Issued from"),
        field_name="issue_date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    issued_to = django_filters.DateFilter(
        label=_("Issued to"),
        field_name="issue_date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    customer = django_filters.NumberFilter(field_name="customer_id", widget=forms.HiddenInput)
    order = django_filters.NumberFilter(field_name="order_id", widget=forms.HiddenInput)

    class Meta:
        model = Invoice
        fields = [
            "q",
            "kind",
            "status",
            "profile",
            "issued_from",
            "issued_to",
            "overdue",
            "customer",
            "order",
        ]

    main_fields = ("q", "kind", "profile", "issued_from", "issued_to")

    def filter_search(self, queryset, name, value: str):
        text = value.strip()
        if not text:
            return queryset
        upper = text.upper()
        return queryset.filter(
            Q(number=upper)
            | Q(order__number=upper)
            | Q(payment_reference=upper)
            | Q(buyer_tax_number=text)
            | Q(buyer_name__icontains=text)
        )

    def filter_overdue(self, queryset, name, value: bool):
        if not value:
            return queryset
        return overdue(queryset)


def overdue(queryset, *, today: date | None = None):
    """Invoices past their due date with money still owed (the one definition of "overdue")."""
    return queryset.filter(
        kind=InvoiceKind.INVOICE,
        due_date__lt=today or timezone.localdate(),
        payable__gt=F("paid_total") + F("credited_total"),
    )


class InvoiceIdsForm(forms.Form):
    """The invoices a bulk download applies to: the ticked rows, or the whole page (without
    JavaScript the page's ids travel as hidden ``page_ids``)."""

    whole_page = forms.BooleanField(required=False)
    pdf = forms.BooleanField(required=False)
    xml = forms.BooleanField(required=False)

    def _ids(self, name: str) -> list[int]:
        return [int(v) for v in self.data.getlist(name) if str(v).strip().isdigit()]

    def clean(self) -> dict:
        data = super().clean()
        chosen = list(dict.fromkeys(self._ids("page_ids" if data.get("whole_page") else "ids")))
        if not chosen:
            raise forms.ValidationError(_("Tick the invoices first."), code="none_selected")
        if len(chosen) > MAX_BULK:
            raise forms.ValidationError(
                _("At most %(n)s invoices at once."), code="too_many", params={"n": MAX_BULK}
            )
        if not (data.get("pdf") or data.get("xml")):
            data["pdf"] = data["xml"] = True
        data["invoice_ids"] = chosen
        return data


class CreditNoteForm(forms.Form):
    """A credit note against an invoice: a quantity per line (all empty: everything not credited
    yet) and the reason, which is printed on the document."""

    reason = forms.CharField(label=_("Reason"), max_length=255)

    def __init__(self, *args, lines=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.DecimalField(
                label=line.description,
                required=False,
                min_value=Decimal(0),
                max_value=line.quantity,
                decimal_places=3,
                widget=forms.NumberInput(
                    attrs={"step": "any", "placeholder": str(line.quantity.normalize())}
                ),
            )

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError(_("Say why the credit note is issued."))
        return reason

    def quantities(self) -> dict[int, Decimal] | None:
        """``{invoice line id: quantity}`` of the lines given, or None for "everything"."""
        chosen = {
            line.pk: self.cleaned_data[f"line_{line.pk}"]
            for line in self.lines
            if self.cleaned_data.get(f"line_{line.pk}")
        }
        return chosen or None


class IssueOrderForm(forms.Form):
    """Issuing by hand, first step: which order."""

    order_number = forms.CharField(
        label=_("Order number"), max_length=32, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )

    def clean_order_number(self) -> str:
        return self.cleaned_data["order_number"].strip().upper()


class IssueQuantitiesForm(forms.Form):
    """Second step: units per order line (default: everything not invoiced yet) and a one-time
    token that makes a double submit issue once."""

    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, lines=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"line_{line.order_line_id}"] = forms.IntegerField(
                label=line.description,
                min_value=0,
                max_value=int(line.quantity),
                initial=int(line.quantity),
            )

    def quantities(self) -> dict[int, int]:
        return {
            line.order_line_id: self.cleaned_data[f"line_{line.order_line_id}"]
            for line in self.lines
            if self.cleaned_data.get(f"line_{line.order_line_id}")
        }
