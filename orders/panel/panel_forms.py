"""Forms of the orders panel pages this module serves: the allocation dry run."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory.models import Variant
from oms.address import turkish_casefold
from oms.models import Province

MAX_LINES = 100
_TURKISH_ORDER = {c: i for i, c in enumerate("abcçdefgğhıijklmnoöprsştuüvyz")}


def turkish_sort_key(text: str) -> list[int]:
    """Alphabetical in the Turkish alphabet (Çorum after Ceyhan, İzmir after Isparta), unlike the
    database's default collation, which puts every accented initial last."""
    return [_TURKISH_ORDER.get(c, 100 + ord(c)) for c in turkish_casefold(text)]


@dataclass
class PastedLine:
    """One line of the dry-run box as typed, with what it was understood as (or why not)."""

    row: int
    text: str
    sku: str = ""
    quantity: int = 0
    variant: Variant | None = None
    error: str = ""
    merged_into: int | None = None  # the earlier row with the same product, which carries this quantity


def _split(text: str) -> list[str]:
    """``SKU quantity``, ``SKU;quantity``, ``SKU<tab>quantity`` (as pasted from a spreadsheet)."""
    for separator in (";", "\t", ","):
        if separator in text:
            return [part.strip() for part in text.split(separator) if part.strip()]
    return text.split()


def parse_lines(text: str) -> list[PastedLine]:
    """Read the pasted lines and find their variants (one query); blank lines are skipped."""
    rows: list[PastedLine] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        raw = raw.strip()
        if not raw:
            continue
        line = PastedLine(row=number, text=raw)
        parts = _split(raw)
        line.sku = parts[0]
        if len(parts) == 1:
            line.quantity = 1
        elif len(parts) > 2:
            line.error = _("Write one SKU and one quantity.")
        elif not re.fullmatch(r"\d{1,6}", parts[1]) or int(parts[1]) <= 0:
            line.error = _("The quantity must be a whole number above zero.")
        else:
            line.quantity = int(parts[1])
        rows.append(line)
    skus = {line.sku for line in rows if not line.error}
    if skus:
        found = Variant.objects.filter(
            Q(sku__in=skus) | Q(sku__in={s.upper() for s in skus}) | Q(barcode__in=skus)
        ).select_related("product")
        by_code: dict[str, Variant] = {}
        for variant in found:
            by_code.setdefault(variant.sku.upper(), variant)
            if variant.barcode:
                by_code.setdefault(variant.barcode, variant)
        for line in rows:
            if line.error:
                continue
            line.variant = by_code.get(line.sku.upper()) or by_code.get(line.sku)
            if line.variant is None:
                line.error = _("Unknown SKU “%(sku)s”.") % {"sku": line.sku}
    first_row: dict[int, PastedLine] = {}
    for line in rows:
        if line.variant is None:
            continue
        earlier = first_row.get(line.variant.pk)
        if earlier is None:
            first_row[line.variant.pk] = line
        else:  # the same product twice is one need, or the rules would count its stock twice
            earlier.quantity += line.quantity
            line.merged_into = earlier.row
    return rows


class DryRunForm(forms.Form):
    province = forms.ModelChoiceField(
        label=gettext_lazy("Shipping province"),
        queryset=Province.objects.order_by("name"),
        empty_label=gettext_lazy("Choose…"),
    )
    lines = forms.CharField(
        label=gettext_lazy("Lines"),
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": "SKU-00001 2\nSKU-00002;1"}),
        help_text=gettext_lazy("One line per product: SKU and quantity, separated by a space, “;” or a tab."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["province"]
        provinces = sorted(field.queryset, key=lambda p: turkish_sort_key(p.name))
        field.choices = [("", field.empty_label), *((p.pk, p.name) for p in provinces)]

    def clean_lines(self) -> str:
        text = self.cleaned_data["lines"]
        rows = parse_lines(text)
        self.rows = rows  # shown line by line even when the form is refused
        if len(rows) > MAX_LINES:
            raise forms.ValidationError(
                _("At most %(n)s lines at a time.") % {"n": MAX_LINES}, code="too_many_lines"
            )
        if not any(line.variant for line in rows):
            raise forms.ValidationError(_("None of the lines names a known product."), code="no_known_lines")
        return text
