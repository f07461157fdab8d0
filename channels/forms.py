"""Forms of the sales channel pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import SalesChannel


class SalesChannelForm(forms.ModelForm):
    """A channel's registry entry. The code cannot change once created: integrations send it with
    every order (API ``channel``), so renaming it would break them silently."""

    class Meta:
        model = SalesChannel
        fields = [
            "code",
            "name",
            "type",
            "currency",
            "commission_rate",
            "shortage_policy",
            "price_tolerance",
            "risk_threshold",
            "invoice_trigger",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Used by the API; it cannot be changed.")
        for name in ("commission_rate", "price_tolerance"):
            self.fields[name].widget.attrs.update({"min": 0, "max": 100, "step": "0.01"})
        self.fields["risk_threshold"].widget.attrs.update({"min": 0, "max": 100})
