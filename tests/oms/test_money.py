from decimal import Decimal

import pytest
from django.utils import translation

from oms.errors import InvalidInput
from oms.money import Money, add_tax, format_money, round_money, to_decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2.675", "2.68"),
        ("2.665", "2.67"),
        ("0.005", "0.01"),
        ("-0.005", "-0.01"),
        ("10", "10.00"),
        ("1.234", "1.23"),
    ],
)
def test_round_money_is_half_up_to_kurus(raw, expected):
    assert round_money(raw) == Decimal(expected)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        to_decimal(0.1)
    with pytest.raises(TypeError):
        Money(Decimal(1)) * 1.5


@pytest.mark.parametrize(
    ("raw", "expected"), [("1.234,56", "1234.56"), ("1234.56", "1234.56"), (" 12,5 ", "12.5")]
)
def test_turkish_and_plain_notation_parse(raw, expected):
    assert to_decimal(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["abc", "NaN", "Infinity", ""])
def test_garbage_amounts_raise_domain_error(raw):
    with pytest.raises(InvalidInput):
        to_decimal(raw)


def test_money_arithmetic_keeps_currency_and_rounds():
    total = Money(Decimal("10.005")) + Money("0.10")
    assert total == Money(Decimal("10.11"), "TRY")
    assert Money("3.33") * 3 == Money("9.99")


def test_mixing_currencies_is_a_domain_error():
    with pytest.raises(InvalidInput) as info:
        Money("1", "TRY") + Money("1", "EUR")
    assert info.value.code == "currency_mismatch"


def test_unknown_currency_is_refused():
    with pytest.raises(InvalidInput):
        Money("1", "XYZ")


def test_allocate_never_loses_a_kurus():
    parts = Money("100.00").allocate([1, 1, 1])
    assert [p.amount for p in parts] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert sum(p.amount for p in parts) == Decimal("100.00")
    weighted = Money("10.00").allocate([Decimal("19.99"), Decimal("5.01"), 0])
    assert sum(p.amount for p in weighted) == Decimal("10.00")
    assert weighted[2].amount == 0


def test_add_tax_rounds_each_step():
    assert add_tax(Decimal("99.99"), 20) == (Decimal("20.00"), Decimal("119.99"))
    assert add_tax(Decimal("10.05"), 1) == (Decimal("0.10"), Decimal("10.15"))


def test_format_follows_the_language():
    assert format_money(Decimal("1234567.5"), "TRY", language="tr") == "1.234.567,50 ₺"
    assert format_money(Decimal("-1234.5"), "EUR", language="en") == "-€1,234.50"
    with translation.override("tr"):
        assert str(Money("5")) == "5,00 ₺"
