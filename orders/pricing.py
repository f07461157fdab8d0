"""Order totals: the one computation intake stores and the new-order form shows live.

Prices include KDV (docs/decisions.md): an order discount is spread over the lines by value
(kuruş exact), each line's KDV is the part of its discounted total at its rate, and the shipping
fee carries ``SHIPPING_TAX_RATE``. Pure: no queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from oms.money import Money, round_money, tax_included

SHIPPING_TAX_RATE = 20  # KDV on the shipping fee


@dataclass
class TotalsLine:
    unit_price: Decimal
    quantity: int
    discount: Decimal
    tax_rate: int


@dataclass
class Totals:
    line_totals: list[Decimal]
    subtotal: Decimal
    discount_total: Decimal
    shipping_fee: Decimal
    tax_total: Decimal
    grand_total: Decimal
    currency: str
    problems: list[str] = field(default_factory=list)
    line_discounts: list[Decimal] = field(default_factory=list)  # own discount + share of the order's
    line_taxes: list[Decimal] = field(default_factory=list)

    @property
    def net_total(self) -> Decimal:
        return self.grand_total - self.tax_total


def order_totals(
    lines: list[TotalsLine], *, discount: Decimal, shipping_fee: Decimal, currency: str
) -> Totals:
    """The totals of an order with these lines, order discount and shipping fee."""
    problems: list[str] = []
    weights = [line.unit_price * line.quantity - line.discount for line in lines]
    shares = [Decimal(0)] * len(lines)
    if discount and (any(w < 0 for w in weights) or discount > sum(weights)):
        problems.append(_("The discount is larger than the order."))
    elif discount:
        shares = [m.amount for m in Money(discount, currency).allocate(weights)]
    subtotal = discount_total = tax_total = Decimal(0)
    line_totals, line_discounts, line_taxes = [], [], []
    for line, share in zip(lines, shares, strict=True):
        gross = line.unit_price * line.quantity
        line_discount = line.discount + share
        total = round_money(gross - line_discount)
        tax = tax_included(total, line.tax_rate)
        line_totals.append(total)
        line_discounts.append(round_money(line_discount))
        line_taxes.append(tax)
        subtotal += gross
        discount_total += line_discount
        tax_total += tax
    tax_total += tax_included(shipping_fee, SHIPPING_TAX_RATE)
    return Totals(
        line_totals=line_totals,
        subtotal=round_money(subtotal),
        discount_total=round_money(discount_total),
        shipping_fee=shipping_fee,
        tax_total=round_money(tax_total),
        grand_total=round_money(subtotal - discount_total + shipping_fee),
        currency=currency,
        problems=problems,
        line_discounts=line_discounts,
        line_taxes=line_taxes,
    )
