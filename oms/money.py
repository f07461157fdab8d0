"""Money: ``Decimal`` amounts with a currency, rounded half-up to the minor unit (kuruş) in one place.

Floats never enter: ``to_decimal`` refuses them, because 0.1 + 0.2 is not 0.3 and an invoice must be.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models
from django.utils.translation import gettext_lazy as _

from oms.errors import InvalidInput

# ISO 4217 codes the shop trades in, with the symbol shown in the panel. All have two decimals.
CURRENCIES: dict[str, str] = {"TRY": "₺", "USD": "$", "EUR": "€", "GBP": "£"}
CURRENCY_CHOICES = [(code, code) for code in CURRENCIES]
MINOR_UNIT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Convert user or API input to Decimal; floats are refused rather than silently rounded."""
    if isinstance(value, bool | float):
        raise TypeError("money amounts must be Decimal, int or str, never float")
    if isinstance(value, Decimal):
        result = value
    else:
        text = str(value).strip().replace(" ", "")
        # Turkish notation "1.234,56": dot for thousands, comma for decimals.
        if "," in text:
            text = text.replace(".", "").replace(",", ".")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise InvalidInput(
                _("“%(value)s” is not an amount.") % {"value": value}, code="invalid_amount"
            ) from None
    if not result.is_finite():
        raise InvalidInput(_("“%(value)s” is not an amount.") % {"value": value}, code="invalid_amount")
    return result


def round_money(value: Decimal | int | str) -> Decimal:
    """Round half-up to kuruş: the one rounding rule for every price, tax and total."""
    return to_decimal(value).quantize(MINOR_UNIT, rounding=ROUND_HALF_UP)


def check_currency(code: str) -> str:
    code = (code or "").upper()
    if code not in CURRENCIES:
        raise InvalidInput(_("Unknown currency “%(code)s”.") % {"code": code}, code="invalid_currency")
    return code


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency. Arithmetic across currencies raises; results are rounded."""

    amount: Decimal
    currency: str = "TRY"

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", round_money(self.amount))
        object.__setattr__(self, "currency", check_currency(self.currency))

    @classmethod
    def zero(cls, currency: str = "TRY") -> Money:
        return cls(ZERO, currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise InvalidInput(
                _("Cannot combine %(a)s and %(b)s amounts.") % {"a": self.currency, "b": other.currency},
                code="currency_mismatch",
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply Money by Decimal or int, never float")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def allocate(self, weights: list[Decimal | int]) -> list[Money]:
        """Split into parts proportional to ``weights`` that add up exactly (largest remainder).

        Used to spread an order discount over lines or a shipping fee over shipments without
        losing or inventing a kuruş.
        """
        if not weights or any(w < 0 for w in weights) or not sum(weights):
            raise ValueError("weights must be non-negative and not all zero")
        total_minor = int(self.amount / MINOR_UNIT)
        weight_sum = Decimal(sum(weights))
        raw = [Decimal(total_minor) * Decimal(w) / weight_sum for w in weights]
        parts = [int(r.to_integral_value(rounding="ROUND_FLOOR")) for r in raw]
        remainder = total_minor - sum(parts)
        order = sorted(range(len(weights)), key=lambda i: raw[i] - parts[i], reverse=True)
        for i in order[: abs(remainder)]:
            parts[i] += 1 if remainder > 0 else -1
        return [Money(Decimal(p) * MINOR_UNIT, self.currency) for p in parts]

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def add_tax(net: Decimal, rate_percent: Decimal | int) -> tuple[Decimal, Decimal]:
    """Return (tax, gross) for a net amount and a KDV rate in percent, each rounded to kuruş."""
    tax = round_money(to_decimal(net) * to_decimal(rate_percent) / 100)
    return tax, round_money(to_decimal(net) + tax)


def tax_included(gross: Decimal, rate_percent: Decimal | int) -> Decimal:
    """The KDV inside a KDV-inclusive amount (Turkish shelf prices), rounded to kuruş."""
    rate = to_decimal(rate_percent)
    return round_money(to_decimal(gross) * rate / (100 + rate))


def format_money(amount: Decimal, currency: str = "TRY", *, language: str | None = None) -> str:
    """Format for people: ``1.234,56 ₺`` in Turkish, ``₺1,234.56`` in English."""
    from django.utils.translation import get_language

    value = round_money(amount)
    sign = "-" if value < 0 else ""
    whole, frac = f"{abs(value):,.2f}".split(".")
    symbol = CURRENCIES.get(currency, currency)
    if (language or get_language() or "tr").startswith("tr"):
        return f"{sign}{whole.replace(',', '.')},{frac} {symbol}"
    return f"{sign}{symbol}{whole}.{frac}"


class AmountField(models.DecimalField):
    """A money amount column: 14 digits, 2 decimals (up to 999 billion, enough for any order)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)


class CurrencyField(models.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("choices", CURRENCY_CHOICES)
        kwargs.setdefault("default", "TRY")
        super().__init__(*args, **kwargs)
