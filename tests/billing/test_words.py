"""Amounts in words as Turkish invoices print them ("Yalnız ... Türk Lirası ... Kuruş")."""

from decimal import Decimal

import pytest

from billing.words import LIMIT, amount_in_words, number_in_words


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "Sıfır"),
        (1, "Bir"),
        (2, "İki"),
        (3, "Üç"),
        (4, "Dört"),
        (5, "Beş"),
        (6, "Altı"),
        (7, "Yedi"),
        (8, "Sekiz"),
        (9, "Dokuz"),
        (10, "On"),
        (11, "On Bir"),
        (19, "On Dokuz"),
        (20, "Yirmi"),
        (30, "Otuz"),
        (40, "Kırk"),
        (50, "Elli"),
        (60, "Altmış"),
        (70, "Yetmiş"),
        (80, "Seksen"),
        (90, "Doksan"),
        (99, "Doksan Dokuz"),
        (100, "Yüz"),  # not "Bir Yüz"
        (101, "Yüz Bir"),
        (110, "Yüz On"),
        (200, "İki Yüz"),
        (999, "Dokuz Yüz Doksan Dokuz"),
        (1000, "Bin"),  # not "Bir Bin"
        (1001, "Bin Bir"),
        (1100, "Bin Yüz"),
        (1234, "Bin İki Yüz Otuz Dört"),
        (2000, "İki Bin"),
        (10_000, "On Bin"),
        (11_000, "On Bir Bin"),  # "bir" stays when it is part of a larger group
        (21_000, "Yirmi Bir Bin"),
        (100_000, "Yüz Bin"),
        (101_000, "Yüz Bir Bin"),
        (999_999, "Dokuz Yüz Doksan Dokuz Bin Dokuz Yüz Doksan Dokuz"),
        (1_000_000, "Bir Milyon"),
        (1_001_000, "Bir Milyon Bin"),
        (1_000_001, "Bir Milyon Bir"),
        (2_500_000, "İki Milyon Beş Yüz Bin"),
        (1_000_000_000, "Bir Milyar"),
        (1_000_001_000, "Bir Milyar Bin"),
        (3_004_005_006, "Üç Milyar Dört Milyon Beş Bin Altı"),
        (1_000_000_000_000, "Bir Trilyon"),
        (1_000_000_000_000_000, "Bir Katrilyon"),
        (
            LIMIT - 1,
            "Dokuz Yüz Doksan Dokuz Katrilyon Dokuz Yüz Doksan Dokuz Trilyon Dokuz Yüz Doksan Dokuz Milyar "
            "Dokuz Yüz Doksan Dokuz Milyon Dokuz Yüz Doksan Dokuz Bin Dokuz Yüz Doksan Dokuz",
        ),
    ],
)
def test_number_in_words(number, words):
    assert number_in_words(number) == words


@pytest.mark.parametrize("number", [-1, LIMIT])
def test_number_out_of_range(number):
    with pytest.raises(ValueError, match="cannot write"):
        number_in_words(number)


@pytest.mark.parametrize(
    ("amount", "currency", "words"),
    [
        (Decimal("1234.56"), "TRY", "Yalnız Bin İki Yüz Otuz Dört Türk Lirası Elli Altı Kuruş"),
        (Decimal("100.00"), "TRY", "Yalnız Yüz Türk Lirası"),  # no "Sıfır Kuruş"
        (Decimal("100"), "TRY", "Yalnız Yüz Türk Lirası"),
        (Decimal("1000.01"), "TRY", "Yalnız Bin Türk Lirası Bir Kuruş"),
        (Decimal("0.50"), "TRY", "Yalnız Sıfır Türk Lirası Elli Kuruş"),
        (Decimal("0"), "TRY", "Yalnız Sıfır Türk Lirası"),
        (Decimal("1"), "TRY", "Yalnız Bir Türk Lirası"),
        (Decimal("0.1"), "TRY", "Yalnız Sıfır Türk Lirası On Kuruş"),  # 0.1 is ten kuruş, not one
        (Decimal("1000000"), "TRY", "Yalnız Bir Milyon Türk Lirası"),
        (Decimal("1250000.99"), "TRY", "Yalnız Bir Milyon İki Yüz Elli Bin Türk Lirası Doksan Dokuz Kuruş"),
        (Decimal("2000000000.05"), "TRY", "Yalnız İki Milyar Türk Lirası Beş Kuruş"),
        (Decimal("99.99"), "USD", "Yalnız Doksan Dokuz Amerikan Doları Doksan Dokuz Sent"),
        (Decimal("1500.20"), "EUR", "Yalnız Bin Beş Yüz Euro Yirmi Sent"),
        (Decimal("12.01"), "GBP", "Yalnız On İki İngiliz Sterlini Bir Peni"),
        (Decimal("5"), "usd", "Yalnız Beş Amerikan Doları"),  # the code in any case
        (1234, "TRY", "Yalnız Bin İki Yüz Otuz Dört Türk Lirası"),
        ("1.234,56", "TRY", "Yalnız Bin İki Yüz Otuz Dört Türk Lirası Elli Altı Kuruş"),  # Turkish notation
    ],
)
def test_amount_in_words(amount, currency, words):
    assert amount_in_words(amount, currency) == words


def test_default_currency_is_turkish_lira():
    assert amount_in_words(Decimal("7.07")) == "Yalnız Yedi Türk Lirası Yedi Kuruş"


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        # Half-up to kuruş, the one rounding rule: .005 goes up, .004 down.
        (Decimal("10.005"), "Yalnız On Türk Lirası Bir Kuruş"),
        (Decimal("10.004"), "Yalnız On Türk Lirası"),
        (Decimal("0.995"), "Yalnız Bir Türk Lirası"),  # rounds into the next lira
        (Decimal("999.999"), "Yalnız Bin Türk Lirası"),
    ],
)
def test_amount_is_rounded_half_up_to_kurus_first(amount, words):
    assert amount_in_words(amount) == words


def test_negative_amount_is_refused():
    with pytest.raises(ValueError, match="negative"):
        amount_in_words(Decimal("-0.01"))


def test_unknown_currency_is_refused():
    with pytest.raises(ValueError, match="currency"):
        amount_in_words(Decimal("1"), "JPY")


def test_float_is_refused():
    with pytest.raises(TypeError):
        amount_in_words(1.5)


def test_too_large_is_refused():
    with pytest.raises(ValueError, match="cannot write"):
        amount_in_words(Decimal(LIMIT))
