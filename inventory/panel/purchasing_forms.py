"""Forms of the purchasing pages: suppliers and their items, purchase orders and their lines.

They validate at the edge (field errors, status 422, nothing written); the services in
``inventory.purchasing`` apply the business rules again and may still refuse (``DomainError``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inventory import selectors
from inventory.errors import UnknownVariant
from inventory.models import PurchaseOrder, PurchaseOrderStatus, Supplier, SupplierItem, Variant, Warehouse
from inventory.purchasing import MAX_LEAD_TIME_DAYS, OrderLineInput
from oms.address import validate_postal_code_for_province
from oms.errors import InvalidInput
from oms.identity import validate_tax_number
from oms.models import Province, postal_code_validator
from oms.money import CURRENCY_CHOICES, round_money, to_decimal

DECIMAL_INPUT = {"inputmode": "decimal", "autocomplete": "off"}
NUMBER_INPUT = {"inputmode": "numeric", "min": 1}


def parse_cost(value: str) -> Decimal | None:
    """A typed cost (``12,50`` or ``12.50`` or ``1.234,56``), or None when empty; ValidationError
    when it is not a non-negative amount."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        cost = round_money(to_decimal(value))
    except InvalidInput:
        raise forms.ValidationError(_("Enter an amount such as 12,50."), code="invalid") from None
    if cost < 0:
        raise forms.ValidationError(_("A cost cannot be negative."), code="negative")
    return cost


class CostField(forms.CharField):
    """A money amount typed the Turkish or the English way."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs=DECIMAL_INPUT))
        super().__init__(**kwargs)

    def clean(self, value) -> Decimal | None:
        value = super().clean(value)
        return parse_cost(value)


class VariantCodeField(forms.CharField):
    """A variant typed or scanned by SKU or barcode; cleans to the ``Variant``."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("SKU or barcode"))
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def clean(self, value) -> Variant:
        code = super().clean(value)
        try:
            return selectors.variant_by_code(code)
        except UnknownVariant as error:
            raise forms.ValidationError(error.message, code="unknown_variant") from None


# --- Suppliers ------------------------------------------------------------------------------------


class SupplierForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("Short and unique, e.g. ANT-TKS."))
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(
        label=_("E-mail"), required=False, help_text=_("Sent purchase orders are e-mailed here.")
    )
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    lead_time_days = forms.IntegerField(
        label=_("Lead time (days)"),
        min_value=0,
        max_value=MAX_LEAD_TIME_DAYS,
        initial=7,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    minimum_order_quantity = forms.IntegerField(
        label=_("Minimum order quantity"),
        min_value=1,
        initial=1,
        widget=forms.NumberInput(attrs=NUMBER_INPUT),
    )
    pack_size = forms.IntegerField(
        label=_("Pack size"),
        min_value=1,
        initial=1,
        help_text=_("Orders are rounded up to whole packs."),
        widget=forms.NumberInput(attrs=NUMBER_INPUT),
    )
    reliability = forms.DecimalField(
        label=_("Reliability"),
        min_value=0,
        max_value=1,
        max_digits=3,
        decimal_places=2,
        initial=Decimal("0.90"),
        localize=True,
        help_text=_("0 to 1: share of deliveries on time and complete; lower means more safety stock."),
        widget=forms.TextInput(attrs=DECIMAL_INPUT),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="TRY")
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    contact_name = forms.CharField(label=_("Contact person"), max_length=120, required=False)
    address_line = forms.CharField(
        label=_("Address"),
        max_length=255,
        required=False,
        help_text=_("Neighbourhood, street, number (printed on purchase orders)."),
    )
    district = forms.CharField(label=_("District"), max_length=80, required=False)
    province = forms.ModelChoiceField(
        label=_("Province"), queryset=Province.objects.order_by("name"), required=False, empty_label="—"
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=5,
        required=False,
        validators=[postal_code_validator],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    tax_office = forms.CharField(label=_("Tax office"), max_length=80, required=False)
    tax_number = forms.CharField(
        label=_("Tax number"),
        max_length=14,  # room for the spaces people type; stored as 10 or 11 digits
        required=False,
        help_text=_("VKN (10 digits) or, for a sole trader, the T.C. identity number (11 digits)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, supplier: Supplier | None = None, **kwargs) -> None:
        self.supplier = supplier
        if supplier is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(supplier, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)

    def clean_tax_number(self) -> str:
        value = self.cleaned_data["tax_number"]
        return validate_tax_number(value) if value else ""

    def clean(self) -> dict:
        data = super().clean()
        province = data.get("province")
        if data.get("postal_code") and province is not None:
            try:
                validate_postal_code_for_province(data["postal_code"], province.code)
            except forms.ValidationError as error:
                self.add_error(None, error)
        return data

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        if any(c.isspace() for c in code):
            raise forms.ValidationError(_("A supplier code has no spaces."), code="spaces")
        taken = Supplier.objects.filter(code=code)
        if self.supplier is not None:
            taken = taken.exclude(pk=self.supplier.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another supplier has this code."), code="taken")
        return code

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)


class SupplierItemForm(forms.Form):
    """Add (with ``variant``) or change (without) what a supplier sells us of a variant."""

    variant = VariantCodeField(
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("Type or scan")})
    )
    cost = CostField(label=_("Cost"), required=False, help_text=_("Empty: the variant's cost price."))
    supplier_sku = forms.CharField(label=_("Supplier SKU"), max_length=64, required=False)
    is_preferred = forms.BooleanField(label=_("Preferred supplier"), required=False)
    switch_preferred = forms.BooleanField(
        label=_("Take the preference from another supplier"),
        required=False,
        help_text=_("A variant has one preferred supplier; tick this to move it here."),
    )

    def __init__(self, *args, supplier: Supplier, item: SupplierItem | None = None, **kwargs) -> None:
        self.supplier = supplier
        self.item = item
        if item is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "cost": item.cost,
                "supplier_sku": item.supplier_sku,
                "is_preferred": item.is_preferred,
            }
        super().__init__(*args, **kwargs)
        if item is not None:
            del self.fields["variant"]
            self.fields["cost"].required = True
            self.fields["cost"].help_text = ""

    def clean_variant(self) -> Variant:
        variant = self.cleaned_data["variant"]
        if SupplierItem.objects.filter(supplier=self.supplier, variant=variant).exists():
            raise forms.ValidationError(
                _("%(supplier)s already supplies %(sku)s.") % {"supplier": self.supplier, "sku": variant.sku},
                code="exists",
            )
        return variant

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        arguments = {
            "cost": data["cost"],
            "supplier_sku": data["supplier_sku"],
            "is_preferred": data["is_preferred"],
            "switch_preferred": data["switch_preferred"],
        }
        if self.item is None:
            arguments["variant"] = data["variant"]
        return arguments


# --- Purchase orders ------------------------------------------------------------------------------


class PurchaseOrderForm(forms.Form):
    """A new order's header; its lines come from ``OrderLineRows``."""

    supplier = forms.ModelChoiceField(
        label=_("Supplier"), queryset=Supplier.objects.filter(is_active=True), empty_label="—"
    )
    warehouse = forms.ModelChoiceField(
        label=_("Deliver to"), queryset=Warehouse.objects.filter(is_active=True), empty_label="—"
    )
    expected_date = forms.DateField(
        label=_("Expected delivery"),
        required=False,
        help_text=_("Empty: today + the supplier's lead time."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PurchaseOrderEditForm(forms.Form):
    """An open order's expected date and note; the warehouse only while it is a draft."""

    warehouse = forms.ModelChoiceField(
        label=_("Deliver to"), queryset=Warehouse.objects.filter(is_active=True), empty_label=None
    )
    expected_date = forms.DateField(
        label=_("Expected delivery"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, order: PurchaseOrder, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {"warehouse": order.warehouse_id, "expected_date": order.expected_date, "note": order.note},
        )
        super().__init__(*args, **kwargs)
        self.order = order
        if order.status != PurchaseOrderStatus.DRAFT:
            del self.fields["warehouse"]

    def service_arguments(self) -> dict:
        return {
            "warehouse": self.cleaned_data.get("warehouse"),
            "expected_date": self.cleaned_data["expected_date"],
            "note": self.cleaned_data["note"],
        }


class LineAddForm(forms.Form):
    variant = VariantCodeField(
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("Type or scan")})
    )
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, initial=1, widget=forms.NumberInput(attrs=NUMBER_INPUT)
    )
    unit_cost = CostField(label=_("Unit cost"), required=False, help_text=_("Empty: the supplier's cost."))


class LineChangeForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, widget=forms.NumberInput(attrs=NUMBER_INPUT)
    )
    unit_cost = CostField(label=_("Unit cost"), required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. the supplier cannot deliver")}),
    )


@dataclass
class LineRow:
    """One line typed on the new-order page, with what it resolved to or why not."""

    sku: str = ""
    quantity: str = ""
    unit_cost: str = ""
    variant: Variant | None = None
    errors: list[str] = field(default_factory=list)


class OrderLineRows:
    """The lines of a new order, posted as parallel lists ``line_sku``, ``line_quantity``,
    ``line_cost`` (one row each, added by the htmx search); empty rows are ignored, a product on
    several rows is ordered once with the quantities added."""

    def __init__(self, data: QueryDict | None = None) -> None:
        self.rows: list[LineRow] = []
        self.errors: list[str] = []
        if data is not None:
            skus = data.getlist("line_sku")
            quantities = data.getlist("line_quantity")
            costs = data.getlist("line_cost")
            for index, sku in enumerate(skus):
                row = LineRow(
                    sku=sku.strip(),
                    quantity=(quantities[index] if index < len(quantities) else "").strip(),
                    unit_cost=(costs[index] if index < len(costs) else "").strip(),
                )
                if row.sku or row.quantity or row.unit_cost:
                    self.rows.append(row)
        self._inputs: list[OrderLineInput] = []

    def is_valid(self) -> bool:
        merged: dict[int, list] = {}
        for row in self.rows:
            try:
                row.variant = selectors.variant_by_code(row.sku)
            except UnknownVariant as error:
                row.errors.append(error.message)
            try:
                quantity = int(row.quantity)
                if quantity < 1:
                    raise ValueError
            except ValueError:
                row.errors.append(gettext("Enter a whole number of at least 1."))
                quantity = 0
            try:
                cost = parse_cost(row.unit_cost)
            except forms.ValidationError as error:
                row.errors.extend(error.messages)
                cost = None
            if row.errors:
                continue
            if row.variant.pk in merged:
                merged[row.variant.pk][1] += quantity
                if cost is not None:
                    merged[row.variant.pk][2] = cost
            else:
                merged[row.variant.pk] = [row.variant, quantity, cost]
        if not self.rows:
            self.errors.append(gettext("Add at least one line."))
        valid = not self.errors and not any(row.errors for row in self.rows)
        self._inputs = [OrderLineInput(v, q, c) for v, q, c in merged.values()] if valid else []
        return valid

    @property
    def lines(self) -> list[OrderLineInput]:
        return self._inputs
