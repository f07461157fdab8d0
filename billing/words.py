"""Amounts in words, in Turkish, as printed on Turkish invoices ("yazı ile").

Writing the total out in words is a long-standing custom on Turkish invoices, against tampering
with the figures. The convention chosen here (one of several in use):

- ``Yalnız`` ("only") first, so nothing can be written in front of the amount;
- words in title case, separated by spaces: ``Bin İki Yüz Otuz Dört``, not the run-together
  capitals (``BİNİKİYÜZOTUZDÖRT``) some printers use;
- the currency's full name, not its abbreviation: ``Türk Lirası ... Kuruş`` rather than
  ``TL ... Kr``;
- 100 is ``Yüz`` and 1,000 is ``Bin`` (never ``Bir Yüz``, ``Bir Bin``); ``Bir Milyon``,
  ``Bir Milyar`` keep their ``Bir``; ``Yüz Bir Bin`` for 101,000;
- no kuruş part when it is zero (``Yalnız Yüz Türk Lirası``); a lira part always, ``Sıfır``
  when there is none (``Yalnız Sıfır Türk Lirası Elli Kuruş``).

Example: ``amount_in_words(Decimal("1234.56"))`` ->
``"Yalnız Bin İki Yüz Otuz Dört Türk Lirası Elli Altı Kuruş"``.

The amount is rounded half-up to two decimals first (``oms.money.round_money``), the one rounding
rule; it must not be negative (credit notes print their amounts as positive numbers too).
"""

from __future__ import annotations

from decimal import Decimal

from oms.money import round_money

PREFIX = "Yalnız"

# (major unit, minor unit) per ISO 4217 code of oms.money.CURRENCIES: the names Turkish banks and
# invoice software print. TDK writes "avro"; invoices say "Euro" as the currency's own name.
CURRENCY_NAMES: dict[str, tuple[str, str]] = {
    "TRY": ("Türk Lirası", "Kuruş"),
    "USD": ("Amerikan Doları", "Sent"),
    "EUR": ("Euro", "Sent"),
    "GBP": ("İngiliz Sterlini", "Peni"),
}

_ONES = ("", "Bir", "İki", "Üç", "Dört", "Beş", "Altı", "Yedi", "Sekiz", "Dokuz")
_TENS = ("", "On", "Yirmi", "Otuz", "Kırk", "Elli", "Altmış", "Yetmiş", "Seksen", "Doksan")
# Short scale, in threes: 10^3 bin, 10^6 milyon, 10^9 milyar, 10^12 trilyon, 10^15 katrilyon.
_SCALES = ("", "Bin", "Milyon", "Milyar", "Trilyon", "Katrilyon")
LIMIT = 1000 ** len(_SCALES)  # the first number without a name here (10^18)


def _hundreds(n: int) -> list[str]:
    """Words for 1..999."""
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    words = []
    if hundreds:
        if hundreds > 1:
            words.append(_ONES[hundreds])
        words.append("Yüz")
    if tens:
        words.append(_TENS[tens])
    if ones:
        words.append(_ONES[ones])
    return words


def number_in_words(n: int) -> str:
    """A whole number (0 to 10^18 - 1) in Turkish words: ``1001000`` -> ``"Bir Milyon Bin"``."""
    if not 0 <= n < LIMIT:
        raise ValueError(f"cannot write {n} in words (0 to {LIMIT - 1})")
    if n == 0:
        return "Sıfır"
    words: list[str] = []
    groups = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    for scale in range(len(groups) - 1, -1, -1):
        group = groups[scale]
        if not group:
            continue
        if scale == 1 and group == 1:
            words.append("Bin")  # "bin", never "bir bin"
            continue
        words.extend(_hundreds(group))
        if _SCALES[scale]:
            words.append(_SCALES[scale])
    return " ".join(words)


def amount_in_words(amount: Decimal | int | str, currency: str = "TRY") -> str:
    """``amount`` in ``currency`` as written on an invoice: ``"Yalnız ... Türk Lirası ... Kuruş"``.

    Raises ``ValueError`` for a negative amount, one too large to name, or a currency without
    Turkish names here (the shop trades in TRY, USD, EUR and GBP: ``oms.money.CURRENCIES``).
    """
    code = (currency or "").upper()
    if code not in CURRENCY_NAMES:
        raise ValueError(f"no Turkish name for the currency {currency!r}")
    major_name, minor_name = CURRENCY_NAMES[code]
    value = round_money(amount)
    if value < 0:
        raise ValueError(f"cannot write a negative amount in words: {value}")
    minor_units = int(value * 100)
    major, minor = divmod(minor_units, 100)
    parts = [PREFIX, number_in_words(major), major_name]
    if minor:
        parts += [number_in_words(minor), minor_name]
    return " ".join(parts)
