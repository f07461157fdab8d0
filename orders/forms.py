"""Forms of the order list and order detail pages (the new-order form is in orders/panel/intake_forms.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import Warehouse

MAX_BULK = 500  # orders per bulk action; a page is far fewer


class BulkAction:
    CONFIRM = "confirm"
    CANCEL = "cancel"
    REALLOCATE = "reallocate"

    choices = [(CONFIRM, _("Confirm")), (CANCEL, _("Cancel")), (REALLOCATE, _("Re-allocate"))]


class OrderIdsForm(forms.Form):
    """The orders a bulk action or an export applies to: the ticked rows, or the whole page.

    "Whole page" works without JavaScript: the page's ids travel as hidden ``page_ids``.
    """

    whole_page = forms.BooleanField(required=False)

    def _ids(self, name: str) -> list[int]:
        values = self.data.getlist(name) if hasattr(self.data, "getlist") else self.data.get(name) or []
        return [int(v) for v in values if str(v).strip().isdigit()]

    def clean(self) -> dict:
        data = super().clean()
        chosen = list(dict.fromkeys(self._ids("page_ids" if data.get("whole_page") else "ids")))
        if not chosen:
            raise forms.ValidationError(_("Tick the orders first."), code="none_selected")
        if len(chosen) > MAX_BULK:
            raise forms.ValidationError(
                _("At most %(n)s orders at once."), code="too_many", params={"n": MAX_BULK}
            )
        data["order_ids"] = chosen
        return data


class BulkActionForm(OrderIdsForm):
    action = forms.ChoiceField(label=_("Action"), choices=BulkAction.choices)
    reason = forms.CharField(label=_("Cancellation reason"), max_length=255, required=False)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == BulkAction.CANCEL and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for the cancellation."))
        return data


class SaveViewForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    query = forms.CharField(max_length=1000, required=False, widget=forms.HiddenInput)
    is_shared = forms.BooleanField(label=_("Share with everyone"), required=False)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the view a name."))
        return name


class OrderReasonForm(forms.Form):
    """Cancel and reject: the reason is required and goes to the timeline."""

    reason = forms.CharField(label=_("Reason"), max_length=255)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason."))
        return reason


class OrderApproveForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class OrderNoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=255, widget=forms.Textarea(attrs={"rows": 2}))


class OrderReallocateForm(forms.Form):
    """Empty warehouse: let the allocation rules choose again."""

    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"),
        queryset=Warehouse.objects.filter(is_active=True),
        required=False,
        empty_label=_("By the rules"),
    )
