"""Forms of the fulfillment panel and admin.

Carrier credentials are write-only everywhere: the forms never put a stored value into a widget,
they show which keys are set, and a value left blank keeps what is stored. So a screen share, a
browser's saved page or a shoulder never sees a carrier password.
"""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from fulfillment.carriers import connector_names
from fulfillment.models import Box, CarrierAccount, CarrierRule

NEW_SECRET_ROWS = 3  # empty key/value rows offered for new credentials on each save


class BoxForm(forms.ModelForm):
    class Meta:
        model = Box
        fields = [
            "code",
            "name",
            "length_cm",
            "width_cm",
            "height_cm",
            "max_weight_kg",
            "tare_weight_kg",
            "for_fragile",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("length_cm", "width_cm", "height_cm", "max_weight_kg"):
            self.fields[name].widget.attrs.update({"min": "0.1", "step": "0.1", "inputmode": "decimal"})
        self.fields["tare_weight_kg"].widget.attrs.update({"min": "0", "step": "0.001"})

    def clean(self):
        data = super().clean()
        for name in ("length_cm", "width_cm", "height_cm", "max_weight_kg"):
            value = data.get(name)
            if value is not None and value <= 0:
                self.add_error(name, _("Must be greater than zero."))
        return data


class CarrierRuleForm(forms.ModelForm):
    """A selection rule; the yes/no conditions are three-way: any, yes, no."""

    class Meta:
        model = CarrierRule
        fields = [
            "name",
            "priority",
            "carrier",
            "zone",
            "provinces",
            "fragile",
            "cold_chain",
            "oversize",
            "cash_on_delivery",
            "express",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].queryset = CarrierAccount.objects.order_by("name")
        choices = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]
        for name in ("fragile", "cold_chain", "oversize", "cash_on_delivery", "express"):
            self.fields[name].widget = forms.Select(choices=choices)

    def clean_provinces(self):
        raw = self.cleaned_data.get("provinces", "")
        codes = [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]
        for code in codes:
            if not code.isdigit() or not 1 <= int(code) <= 81:
                raise forms.ValidationError(
                    _("“%(code)s” is not a plate code (1 to 81)."), params={"code": code}
                )
        return ",".join(str(int(code)) for code in codes)


class CarrierAccountForm(forms.ModelForm):
    """A carrier account in the panel. Credentials are key/value rows: stored keys get a blank
    password box (typed value replaces, blank keeps) and a remove tick; new keys come in empty
    rows. ``secret_changes`` tells the view what changed, by key name only, for the audit log."""

    webhook_secret_input = forms.CharField(
        label=_("Webhook secret"),
        required=False,
        max_length=128,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave blank to keep the current secret."),
    )
    clear_webhook_secret = forms.BooleanField(label=_("Remove the webhook secret"), required=False)

    class Meta:
        model = CarrierAccount
        fields = [
            "code",
            "name",
            "connector",
            "settings",
            "supports_cod",
            "supports_cold_chain",
            "supports_fragile",
            "max_desi",
            "transit_days",
            "pickup_cutoff",
            "is_active",
        ]
        widgets = {
            "pickup_cutoff": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "settings": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connector"] = forms.ChoiceField(
            label=CarrierAccount._meta.get_field("connector").verbose_name, choices=connector_names()
        )
        self.fields["settings"].help_text = _("Non-secret options as JSON, e.g. endpoint or customer code.")
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Shipments refer to it; it cannot be changed.")
        self.existing_keys = sorted((self.instance.credentials or {}).keys())
        for i, key in enumerate(self.existing_keys):
            self.fields[f"secret_{i}_value"] = forms.CharField(
                label=key,
                required=False,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                help_text=_("Set. Leave blank to keep."),
            )
            self.fields[f"secret_{i}_remove"] = forms.BooleanField(label=_("Remove"), required=False)
        for j in range(NEW_SECRET_ROWS):
            self.fields[f"new_{j}_key"] = forms.CharField(label=_("New key"), required=False, max_length=64)
            self.fields[f"new_{j}_value"] = forms.CharField(
                label=_("Value"),
                required=False,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
            )
        self.secret_changes: dict[str, list[str]] = {}

    # Groups for the template: plain fields, stored secrets, new secret rows.
    def plain_fields(self):
        return [
            self[name]
            for name in self.fields
            if not name.startswith(("secret_", "new_"))
            and name not in ("webhook_secret_input",)
            and name != "clear_webhook_secret"
        ]

    def stored_secrets(self):
        return [
            (key, self[f"secret_{i}_value"], self[f"secret_{i}_remove"])
            for i, key in enumerate(self.existing_keys)
        ]

    def new_secret_rows(self):
        return [(self[f"new_{j}_key"], self[f"new_{j}_value"]) for j in range(NEW_SECRET_ROWS)]

    def clean_settings(self):
        value = self.cleaned_data.get("settings")
        if value in (None, ""):
            return {}
        if not isinstance(value, dict):
            raise forms.ValidationError(_('Enter a JSON object, e.g. {"customer_code": "123"}.'))
        return value

    def clean(self):
        data = super().clean()
        credentials = dict(self.instance.credentials or {})
        changed, removed, added = [], [], []
        for i, key in enumerate(self.existing_keys):
            if data.get(f"secret_{i}_remove"):
                credentials.pop(key, None)
                removed.append(key)
            elif data.get(f"secret_{i}_value"):
                if credentials.get(key) != data[f"secret_{i}_value"]:
                    changed.append(key)
                credentials[key] = data[f"secret_{i}_value"]
        for j in range(NEW_SECRET_ROWS):
            key = (data.get(f"new_{j}_key") or "").strip()
            value = data.get(f"new_{j}_value") or ""
            if not key and not value:
                continue
            if not key:
                self.add_error(f"new_{j}_key", _("Name the key of this value."))
                continue
            if not value:
                self.add_error(f"new_{j}_value", _("Enter a value for %(key)s.") % {"key": key})
                continue
            if key in credentials and key not in removed:
                self.add_error(f"new_{j}_key", _("%(key)s is already set; change it above.") % {"key": key})
                continue
            credentials[key] = value
            added.append(key)
        self.new_credentials = credentials
        webhook = self.instance.webhook_secret
        if data.get("clear_webhook_secret"):
            webhook = ""
        elif data.get("webhook_secret_input"):
            webhook = data["webhook_secret_input"]
        self.new_webhook_secret = webhook
        self.secret_changes = {
            k: v for k, v in (("added", added), ("changed", changed), ("removed", removed)) if v
        }
        if webhook != self.instance.webhook_secret:
            self.secret_changes["webhook_secret"] = ["set" if webhook else "removed"]
        return data

    def save(self, commit: bool = True) -> CarrierAccount:
        account = super().save(commit=False)
        account.credentials = self.new_credentials
        account.webhook_secret = self.new_webhook_secret
        if commit:
            account.save()
        return account


class CarrierAccountAdminForm(forms.ModelForm):
    """Django admin's carrier account form: secrets are typed, never shown; blank keeps them."""

    credentials_input = forms.CharField(
        label=_("Credentials (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=_(
            'Write-only. A JSON object of keys to set, e.g. {"password": "…"}; a key set to null is '
            "removed; left blank keeps the stored credentials."
        ),
    )
    webhook_secret_input = forms.CharField(
        label=_("Webhook secret"),
        required=False,
        max_length=128,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Write-only. Leave blank to keep the current secret."),
    )
    clear_webhook_secret = forms.BooleanField(label=_("Remove the webhook secret"), required=False)

    class Meta:
        model = CarrierAccount
        fields = [
            "code",
            "name",
            "connector",
            "settings",
            "is_active",
            "supports_cod",
            "supports_cold_chain",
            "supports_fragile",
            "max_desi",
            "transit_days",
            "pickup_cutoff",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "connector" in self.fields:
            self.fields["connector"] = forms.ChoiceField(
                label=CarrierAccount._meta.get_field("connector").verbose_name, choices=connector_names()
            )
        keys = sorted((self.instance.credentials or {}).keys())
        if keys:
            self.fields["credentials_input"].help_text = (
                _("Keys set: %(keys)s.") % {"keys": ", ".join(keys)}
                + " "
                + str(self.fields["credentials_input"].help_text)
            )

    def clean_credentials_input(self):
        raw = (self.cleaned_data.get("credentials_input") or "").strip()
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("Enter a valid JSON object.")) from None
        if not isinstance(value, dict) or not all(isinstance(v, str | None) for v in value.values()):
            raise forms.ValidationError(_("Enter a JSON object of text values (or null to remove a key)."))
        return value

    def save(self, commit: bool = True) -> CarrierAccount:
        account = super().save(commit=False)
        updates = self.cleaned_data.get("credentials_input")
        if updates:
            credentials = dict(account.credentials or {})
            for key, value in updates.items():
                if value is None:
                    credentials.pop(key, None)
                else:
                    credentials[key] = value
            account.credentials = credentials
        if self.cleaned_data.get("clear_webhook_secret"):
            account.webhook_secret = ""
        elif self.cleaned_data.get("webhook_secret_input"):
            account.webhook_secret = self.cleaned_data["webhook_secret_input"]
        if commit:
            account.save()
        return account


class ResolveProblemForm(forms.Form):
    resolution = forms.CharField(
        label=_("What was done"),
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. stock found in B-01-02, re-picked")}),
    )
