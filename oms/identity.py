"""Turkish tax identity numbers: VKN (companies) and TC Kimlik No (people, sole traders).

A Turkish invoice names the seller and the buyer by tax office (vergi dairesi) and tax number:
a company's 10-digit Vergi Kimlik Numarası (VKN), or, for a person or a sole proprietorship, the
11-digit T.C. Kimlik Numarası (TCKN), which doubles as the person's tax number. Both end in check
digits, so typing errors are caught here; whether a number is really registered only the tax
administration can say (GİB's "Vergi Kimlik Numarası Doğrulama" service), which we do not call.

The ``validate_*`` functions return the number in its compact form (digits only; spaces, dots and
dashes people type are dropped) and raise ``django.core.exceptions.ValidationError`` otherwise, so
they serve as form or model field validators and in services alike.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_SEPARATORS = re.compile(r"[\s.\-]")


def compact(number: str) -> str:
    """The number without the separators people type (``454 053 6920`` -> ``4540536920``)."""
    return _SEPARATORS.sub("", str(number or ""))


def vkn_check_digit(first_nine: str) -> int:
    """The check digit (10th) of a Vergi Kimlik Numarası for its first nine digits.

    The algorithm of the Gelir İdaresi Başkanlığı (Revenue Administration, GİB), as verified by its
    "Vergi Kimlik Numarası Doğrulama" service (https://www.turkiye.gov.tr/gib-intvrg-vergi-kimlik-numarasi-dogrulama)
    and implemented alike by e.g. python-stdnum's ``stdnum.tr.vkn``. For the digits d1..d9 read
    from the left, with position i = 1..9:

        t_i = (d_i + 10 - i) mod 10
        r_i = 0                          if t_i == 0
        r_i = (t_i * 2 ** (10 - i)) mod 9, or 9 when that is 0   otherwise
        check digit = (10 - (r_1 + ... + r_9) mod 10) mod 10
    """
    if not re.fullmatch(r"\d{9}", first_nine):
        raise ValueError("nine digits expected")
    total = 0
    for position, char in enumerate(first_nine, start=1):
        t = (int(char) + 10 - position) % 10
        if t:
            total += (t * 2 ** (10 - position)) % 9 or 9
    return (10 - total % 10) % 10


def tckn_check_digits(first_nine: str) -> str:
    """The two check digits (10th and 11th) of a T.C. Kimlik Numarası for its first nine digits.

    The rule of the Nüfus ve Vatandaşlık İşleri Genel Müdürlüğü (NVİ, the civil registry;
    https://tckimlik.nvi.gov.tr/), as documented e.g. at
    https://en.wikipedia.org/wiki/Turkish_Identification_Number and in python-stdnum's
    ``stdnum.tr.tckimlik``. With d1..d11 read from the left:

        d10 = ((d1 + d3 + d5 + d7 + d9) * 7 - (d2 + d4 + d6 + d8)) mod 10
        d11 = (d1 + d2 + ... + d10) mod 10

    (and d1 is never 0).
    """
    if not re.fullmatch(r"\d{9}", first_nine):
        raise ValueError("nine digits expected")
    digits = [int(c) for c in first_nine]
    tenth = (sum(digits[0:9:2]) * 7 - sum(digits[1:8:2])) % 10
    eleventh = (sum(digits) + tenth) % 10
    return f"{tenth}{eleventh}"


def validate_vkn(number: str) -> str:
    """A 10-digit Vergi Kimlik Numarası with a valid check digit (see ``vkn_check_digit``);
    returns it compacted, else raises ValidationError."""
    value = compact(number)
    if not re.fullmatch(r"\d{10}", value):
        raise ValidationError(_("A tax number (VKN) has 10 digits."), code="invalid_vkn_format")
    if vkn_check_digit(value[:9]) != int(value[9]):
        raise ValidationError(
            _("%(number)s is not a valid tax number (VKN): its check digit does not match.")
            % {"number": value},
            code="invalid_vkn_checksum",
        )
    return value


def validate_tckn(number: str) -> str:
    """An 11-digit T.C. Kimlik Numarası, not starting with 0, with valid check digits (see
    ``tckn_check_digits``); returns it compacted, else raises ValidationError."""
    value = compact(number)
    if not re.fullmatch(r"[1-9]\d{10}", value):
        raise ValidationError(
            _("A T.C. identity number has 11 digits and does not start with 0."), code="invalid_tckn_format"
        )
    if tckn_check_digits(value[:9]) != value[9:]:
        raise ValidationError(
            _("%(number)s is not a valid T.C. identity number: its check digits do not match.")
            % {"number": value},
            code="invalid_tckn_checksum",
        )
    return value


def validate_tax_number(number: str) -> str:
    """A Turkish tax number: a company's 10-digit VKN or a person's (sole trader's) 11-digit TCKN,
    told apart by length; returns it compacted, else raises ValidationError."""
    value = compact(number)
    if len(value) == 10:
        return validate_vkn(value)
    if len(value) == 11:
        return validate_tckn(value)
    raise ValidationError(
        _("A tax number has 10 digits (VKN) or, for a person, 11 digits (T.C. identity number)."),
        code="invalid_tax_number_format",
    )
