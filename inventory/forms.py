"""Panel forms of the inventory section."""

from django import forms
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inventory.models import AdjustmentReason, QuarantineReason, StockLot, Tracking, Variant, Warehouse


def reason_label(code: str) -> str:
    """A ledger row's reason as people read it (codes from elsewhere are shown as they are)."""
    for choices in (AdjustmentReason, QuarantineReason):
        if code in choices.values:
            return str(choices(code).label)
    return code


class AdjustmentForm(forms.Form):
    """A stock correction of one variant in one warehouse; ``inventory.services.adjust`` does it.

    Lot, expiry and serial fields appear only for products that track them; whether they are
    complete for a positive change is the service's rule (it raises ``TrackingDataMissing``).
    """

    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"), queryset=Warehouse.objects.none(), empty_label="—"
    )
    delta = forms.IntegerField(
        label=_("Change"),
        help_text=_("Positive adds units, negative removes them (reserved units cannot be removed)."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "-3"}),
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *AdjustmentReason.choices], initial="")
    note = forms.CharField(label=_("Note"), max_length=255, required=False)
    lot_number = forms.CharField(label=_("Lot number"), max_length=64, required=False)
    expiry_date = forms.DateField(
        label=_("Expiry date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    serials = forms.CharField(
        label=_("Serial numbers"),
        required=False,
        help_text=_("One per line, for units added."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, variant: Variant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.variant = variant
        # Active warehouses, and any other one that already holds a level of this variant.
        self.fields["warehouse"].queryset = Warehouse.objects.filter(
            Q(is_active=True) | Q(levels__variant=variant)
        ).distinct()
        held_in = list(variant.levels.values_list("warehouse_id", flat=True)[:2])
        if len(held_in) == 1:  # the usual case needs no choice
            self.fields["warehouse"].initial = held_in[0]
        product = variant.product
        if product.tracking != Tracking.LOT:
            del self.fields["lot_number"]
        if not product.tracks_expiry:
            del self.fields["expiry_date"]
        if product.tracking != Tracking.SERIAL:
            del self.fields["serials"]

    def clean_delta(self) -> int:
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError(_("Enter a change other than zero."), code="zero")
        return delta

    def clean(self) -> dict:
        data = super().clean()
        if data.get("reason") == AdjustmentReason.OTHER and not data.get("note", "").strip():
            self.add_error("note", _("Say what happened when the reason is “Other”."))
        return data

    def service_arguments(self) -> dict:
        """Keyword arguments for ``inventory.services.adjust`` (besides variant and user)."""
        data = self.cleaned_data
        return {
            "warehouse": data["warehouse"],
            "delta": data["delta"],
            "reason": data["reason"],
            "note": data.get("note", "").strip(),
            "lot_number": data.get("lot_number") or "",
            "expiry_date": data.get("expiry_date"),
            "serials": [s.strip() for s in (data.get("serials") or "").splitlines() if s.strip()],
        }


class LotAction(models.TextChoices):
    QUARANTINE = "quarantine", _("Move into quarantine")
    RELEASE = "release", _("Release from quarantine")
    SCRAP = "scrap", _("Scrap quarantined units")


class LotActionForm(forms.Form):
    """Quarantine, release or scrap units of one lot of a variant (``inventory.services``).

    Scrapping takes units that are in quarantine: damaged goods are first set aside, then written
    off, so the sellable figure never jumps straight to a write-off unnoticed.
    """

    lot = forms.ModelChoiceField(label=_("Lot / bin"), queryset=StockLot.objects.none(), empty_label="—")
    action = forms.ChoiceField(label=_("Action"), choices=LotAction.choices)
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", "—"), *QuarantineReason.choices],
        required=False,
        help_text=_("Required to quarantine or scrap."),
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, variant: Variant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        lots = (
            StockLot.objects.filter(variant=variant)
            .filter(Q(quantity__gt=0) | Q(quarantined__gt=0))
            .select_related("warehouse", "bin")
            .order_by("warehouse__code", "bin__walk_sequence", "pk")
        )
        self.fields["lot"].queryset = lots
        self.fields["lot"].label_from_instance = self.lot_label

    @staticmethod
    def lot_label(lot: StockLot) -> str:
        name = lot.serial or lot.lot_number or "—"
        return _("%(warehouse)s %(bin)s · %(lot)s · %(quantity)s sellable, %(quarantined)s quarantined") % {
            "warehouse": lot.warehouse.code,
            "bin": lot.bin.code,
            "lot": name,
            "quantity": lot.quantity,
            "quarantined": lot.quarantined,
        }

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") in (LotAction.QUARANTINE, LotAction.SCRAP) and not data.get("reason"):
            self.add_error("reason", _("Choose a reason."))
        if data.get("reason") == QuarantineReason.OTHER and not data.get("note", "").strip():
            self.add_error("note", _("Say what happened when the reason is “Other”."))
        return data
