"""The new-order form of the panel (phone / customer service orders) and its line rows.

The form only checks types and choices; every business rule (required customer and address
fields, SKUs, prices within tolerance, discounts) is ``orders.services.create_order``'s, and its
``OrderInvalid`` errors are mapped back onto these fields (``apply_service_errors``). Live totals
use ``order_totals``, a copy of the arithmetic ``create_order`` stores (tests compare the two).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.db.models import F, Sum
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels.models import ChannelPrice, ChannelType, SalesChannel
from inventory.models import StockLevel, Variant
from oms.errors import InvalidInput
from oms.models import Province
from oms.money import round_money, to_decimal
from orders import services
from orders.customers import CustomerData
from orders.models import PaymentMethod, SpecialKind
from orders.pricing import Totals, TotalsLine, order_totals

DECIMAL_INPUT = {"inputmode": "decimal", "autocomplete": "off", "placeholder": "0,00"}
LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")
# A service error's field -> the form field that shows it.
SERVICE_FIELDS = {
    "channel": "channel",
    "customer.email": "email",
    "customer.phone": "phone",
    "customer.first_name": "first_name",
    "customer.last_name": "last_name",
    "customer.company": "company",
    "payment_method": "payment_method",
    "installments": "installments",
    "shipping_fee": "shipping_fee",
    "discount": "discount",
    "special_kind": "special_kind",
}
ADDRESS_FIELDS = {
    "name": "name",
    "phone": "phone",
    "line1": "line1",
    "neighbourhood": "neighbourhood",
    "district": "district",
    "city": "province",
    "postal_code": "postal_code",
    "tax_number": "tax_number",
    "tax_office": "tax_office",
}
ADDRESS_PREFIXES = {"shipping_address": "ship_", "billing_address": "bill_"}


def default_channel() -> SalesChannel | None:
    """The phone desk's channel: the first active channel of type phone, else none preselected."""
    return SalesChannel.objects.filter(is_active=True, type=ChannelType.PHONE).order_by("name", "pk").first()


def _province_field(label) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label, queryset=Province.objects.order_by("name"), required=False, empty_label="—"
    )


class OrderForm(forms.Form):
    # One random token per form: a second submit of the same form (double click, browser retry)
    # finds the order the first one created instead of creating another.
    submission = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    channel = forms.ModelChoiceField(
        label=gettext_lazy("Sales channel"),
        queryset=SalesChannel.objects.filter(is_active=True).order_by("name"),
        empty_label=None,
    )
    email = forms.CharField(
        label=gettext_lazy("E-mail"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "placeholder": "0532 123 45 67"}),
    )
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=80, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=80, required=False)
    company = forms.CharField(label=gettext_lazy("Company"), max_length=160, required=False)

    ship_name = forms.CharField(
        label=gettext_lazy("Recipient"),
        max_length=120,
        required=False,
        help_text=gettext_lazy("Empty: the customer's name."),
    )
    ship_phone = forms.CharField(
        label=gettext_lazy("Recipient phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    ship_line1 = forms.CharField(
        label=gettext_lazy("Address"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("Street, building and door number."),
    )
    ship_neighbourhood = forms.CharField(label=gettext_lazy("Neighbourhood"), max_length=80, required=False)
    ship_district = forms.CharField(label=gettext_lazy("District"), max_length=80, required=False)
    ship_province = _province_field(gettext_lazy("Province"))
    ship_postal_code = forms.CharField(
        label=gettext_lazy("Postal code"),
        max_length=5,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    billing_different = forms.BooleanField(label=gettext_lazy("Different billing address"), required=False)
    bill_name = forms.CharField(label=gettext_lazy("Billing name"), max_length=160, required=False)
    bill_line1 = forms.CharField(label=gettext_lazy("Billing address"), max_length=255, required=False)
    bill_district = forms.CharField(label=gettext_lazy("District"), max_length=80, required=False)
    bill_province = _province_field(gettext_lazy("Province"))
    bill_postal_code = forms.CharField(
        label=gettext_lazy("Postal code"),
        max_length=5,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    bill_tax_number = forms.CharField(
        label=gettext_lazy("Tax number"),
        max_length=14,
        required=False,
        help_text=gettext_lazy("VKN (10 digits) or T.C. identity number (11 digits)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    bill_tax_office = forms.CharField(label=gettext_lazy("Tax office"), max_length=80, required=False)

    payment_method = forms.ChoiceField(label=gettext_lazy("Payment method"), choices=PaymentMethod.choices)
    installments = forms.IntegerField(
        label=gettext_lazy("Installments"),
        min_value=1,
        max_value=24,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": 24}),
    )
    shipping_fee = forms.CharField(
        label=gettext_lazy("Shipping fee"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("KDV included."),
        widget=forms.TextInput(attrs=DECIMAL_INPUT),
    )
    discount = forms.CharField(
        label=gettext_lazy("Order discount"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("Spread over the lines by value."),
        widget=forms.TextInput(attrs=DECIMAL_INPUT),
    )
    special_kind = forms.ChoiceField(
        label=gettext_lazy("Special order"),
        choices=[("", "—"), *SpecialKind.choices],
        required=False,
        help_text=gettext_lazy("Marks the order with a code shown everywhere."),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    gift_message = forms.CharField(
        label=gettext_lazy("Gift message"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
    )

    def order_data(self, rows: list[LineRow]) -> services.OrderData:
        """What ``create_order`` takes; call after ``is_valid()``. Raw text goes through as typed:
        the service parses amounts and quantities and names the field when one is wrong."""
        data = self.cleaned_data
        billing = None
        if data["billing_different"]:
            billing = services.AddressData(
                name=data["bill_name"],
                line1=data["bill_line1"],
                district=data["bill_district"],
                city=data["bill_province"].name if data["bill_province"] else "",
                postal_code=data["bill_postal_code"],
                tax_number=data["bill_tax_number"],
                tax_office=data["bill_tax_office"],
            )
        return services.OrderData(
            channel=data["channel"].code,
            customer=CustomerData(
                email=data["email"],
                phone=data["phone"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                company=data["company"],
            ),
            shipping_address=services.AddressData(
                name=data["ship_name"],
                phone=data["ship_phone"],
                line1=data["ship_line1"],
                neighbourhood=data["ship_neighbourhood"],
                district=data["ship_district"],
                city=data["ship_province"].name if data["ship_province"] else "",
                postal_code=data["ship_postal_code"],
            ),
            billing_address=billing,
            payment_method=data["payment_method"],
            installments=data["installments"] or 1,
            shipping_fee=data["shipping_fee"] or 0,
            discount=data["discount"] or 0,
            special_kind=data["special_kind"],
            notes=data["notes"],
            gift_message=data["gift_message"],
            lines=[
                services.LineData(
                    sku=row.sku,
                    quantity=row.quantity.strip(),
                    unit_price=row.unit_price.strip() or None,
                    discount=row.discount.strip() or 0,
                )
                for row in rows
            ],
        )

    def apply_service_errors(self, errors: list[dict], rows: list[LineRow]) -> list[str]:
        """Put ``OrderInvalid`` errors on their fields and rows; returns those about the lines as a
        whole (e.g. "no lines"). Errors without a field of their own become non-field errors."""
        line_errors: list[str] = []
        for error in errors:
            name, message = error.get("field") or "", error.get("message") or ""
            line = LINE_FIELD.match(name)
            if line and int(line.group(1)) < len(rows):
                rows[int(line.group(1))].errors.append(message)
                continue
            if name == "lines":
                line_errors.append(message)
                continue
            target = SERVICE_FIELDS.get(name)
            prefix, _dot, part = name.partition(".")
            if target is None and prefix in ADDRESS_PREFIXES and part in ADDRESS_FIELDS:
                target = ADDRESS_PREFIXES[prefix] + ADDRESS_FIELDS[part]
            if target not in self.fields:
                target = None
            self.add_error(target, message)
        return line_errors


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (UTF-8 or Windows-1254, ; or , separated) or Excel .xlsx."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )


# --- Line rows ------------------------------------------------------------------------------------


@dataclass
class LineRow:
    """One line of the new-order form as typed (text), with what the page shows next to it."""

    uid: str = field(default_factory=lambda: secrets.token_hex(4))
    sku: str = ""
    quantity: str = "1"
    unit_price: str = ""
    discount: str = ""
    errors: list[str] = field(default_factory=list)
    variant: Variant | None = None
    list_price: Decimal | None = None
    free: int | None = None
    total: Decimal | None = None


def line_rows(data: QueryDict) -> list[LineRow]:
    """The rows posted by the form (parallel ``line_*`` lists); rows without a SKU are dropped."""
    columns = [data.getlist(name) for name in ("line_uid", "line_sku", "line_quantity", "line_price")]
    discounts = data.getlist("line_discount")
    rows = []
    for i, (uid, sku, quantity, price) in enumerate(zip(*columns, strict=False)):
        if not sku.strip():
            continue
        discount = discounts[i] if i < len(discounts) else ""
        rows.append(
            LineRow(
                uid=uid if re.fullmatch(r"[0-9a-f]{8}", uid) else secrets.token_hex(4),
                sku=sku.strip()[:64],
                quantity=quantity[:10],
                unit_price=price[:20],
                discount=discount[:20],
            )
        )
    return rows


def channel_prices(channel: SalesChannel | None, variants: list[Variant]) -> dict[int, Decimal]:
    """Each variant's price on the channel's price list, else its list price (as intake takes it)."""
    prices = {variant.pk: variant.list_price for variant in variants}
    if channel is not None and variants:
        prices.update(
            ChannelPrice.objects.filter(channel=channel, variant__in=variants).values_list(
                "variant_id", "price"
            )
        )
    return prices


def free_stock(variant_ids: list[int]) -> dict[int, int]:
    """Units that could still be reserved, per variant, over the active warehouses (one query)."""
    rows = (
        StockLevel.objects.filter(variant_id__in=variant_ids, warehouse__is_active=True)
        .values("variant_id")
        .annotate(free=Sum(F("on_hand") - F("reserved")))
        .values_list("variant_id", "free")
    )
    return {variant_id: max(free or 0, 0) for variant_id, free in rows}


def describe_rows(rows: list[LineRow], channel: SalesChannel | None) -> None:
    """Attach each row's variant, price-list price and free stock (three queries for any number)."""
    skus = {row.sku for row in rows}
    variants = {v.sku: v for v in Variant.objects.select_related("product").filter(sku__in=skus)}
    upper = {sku.upper(): v for sku, v in variants.items()}
    found = list(variants.values())
    prices = channel_prices(channel, found)
    free = free_stock([v.pk for v in found])
    for row in rows:
        row.variant = variants.get(row.sku) or upper.get(row.sku.upper())
        if row.variant is not None:
            row.list_price = prices.get(row.variant.pk)
            row.free = free.get(row.variant.pk, 0)


# --- Totals ---------------------------------------------------------------------------------------


def parse_amount(text: str) -> Decimal | None:
    """A typed amount (``12,50``, ``1.234,56``, ``12.50``), 0 when empty, None when not an amount."""
    text = (text or "").strip()
    if not text:
        return Decimal(0)
    try:
        amount = round_money(to_decimal(text))
    except InvalidInput:
        return None
    return amount if amount >= 0 else None


def estimate(data: QueryDict, rows: list[LineRow], channel: SalesChannel | None) -> tuple[Totals, dict]:
    """Totals of the form as typed (``describe_rows`` first). Lines that intake would refuse
    (unknown SKU, bad quantity or amount) are left out and named in ``problems``.

    Returns the totals and each counted row's total by ``uid``.
    """
    problems: list[str] = []
    counted: list[tuple[LineRow, TotalsLine]] = []
    for n, row in enumerate(rows, start=1):
        if row.variant is None:
            problems.append(_("Line %(n)s: unknown SKU “%(sku)s”.") % {"n": n, "sku": row.sku})
            continue
        if not (row.variant.is_active and row.variant.product.is_active):
            problems.append(_("Line %(n)s: “%(sku)s” is not for sale.") % {"n": n, "sku": row.variant.sku})
            continue
        quantity = row.quantity.strip()
        price = parse_amount(row.unit_price) if row.unit_price.strip() else row.list_price
        line_discount = parse_amount(row.discount)
        if not quantity.isdigit() or int(quantity) <= 0:
            problems.append(_("Line %(n)s: the quantity must be a whole number above zero.") % {"n": n})
            continue
        if price is None or line_discount is None:
            problems.append(_("Line %(n)s: an amount is not valid.") % {"n": n})
            continue
        counted.append((row, TotalsLine(price, int(quantity), line_discount, row.variant.product.tax_rate)))
    discount = parse_amount(data.get("discount", ""))
    fee = parse_amount(data.get("shipping_fee", ""))
    if discount is None:
        problems.append(_("The order discount is not an amount."))
    if fee is None:
        problems.append(_("The shipping fee is not an amount."))
    totals = order_totals(
        [line for _row, line in counted],
        discount=discount or Decimal(0),
        shipping_fee=fee or Decimal(0),
        currency=channel.currency if channel else "TRY",
    )
    totals.problems = problems + totals.problems
    by_uid = {row.uid: total for (row, _line), total in zip(counted, totals.line_totals, strict=True)}
    return totals, by_uid
