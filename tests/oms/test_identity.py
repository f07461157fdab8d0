"""Turkish tax identity numbers: VKN (10 digits) and T.C. Kimlik No (11 digits), by check digits."""

import pytest
from django.core.exceptions import ValidationError

from oms.identity import (
    compact,
    tckn_check_digits,
    validate_tax_number,
    validate_tckn,
    validate_vkn,
    vkn_check_digit,
)

# Known-valid numbers published with independent implementations: python-stdnum's doctests
# (stdnum.tr.vkn: 4540536920; stdnum.tr.tckimlik: 17291716060) and the well-known NVİ test
# number 10000000146. The demo suppliers' VKNs are checked in tests/inventory.
VALID_VKNS = ["4540536920", "0684123759", "1813057260", "8590441629"]
VALID_TCKNS = ["10000000146", "17291716060"]


@pytest.mark.parametrize("number", VALID_VKNS)
def test_valid_vkns(number):
    assert validate_vkn(number) == number
    assert validate_tax_number(number) == number
    assert vkn_check_digit(number[:9]) == int(number[9])


@pytest.mark.parametrize("number", VALID_TCKNS)
def test_valid_tckns(number):
    assert validate_tckn(number) == number
    assert validate_tax_number(number) == number
    assert tckn_check_digits(number[:9]) == number[9:]


def test_the_vkn_check_digit_by_hand():
    # 454053692, position i = 1..9: t = (d + 10 - i) % 10 and r = t * 2**(10 - i) % 9 (9 when that
    # is 0 but t is not; 0 when t is 0):
    #   t = 3, 3, 1, 6, 0, 7, 9, 1, 3
    #   r = 1536%9=6, 768%9=3, 128%9=2, 384%9=6, 0, 112%9=4, 72%9=0->9, 4, 6   sum 40
    # check digit = (10 - 40 % 10) % 10 = 0  -> 4540536920 (covers both t == 0 and t == 9)
    assert vkn_check_digit("454053692") == 0


def test_the_tckn_check_digits_by_hand():
    # 100000001: odd positions 1+0+0+0+1 = 2, even 0 -> d10 = 2*7 % 10 = 4; d11 = (2 + 4) % 10 = 6
    assert tckn_check_digits("100000001") == "46"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4540536921", "invalid_vkn_checksum"),  # last digit off by one
        ("4540536902", "invalid_vkn_checksum"),  # two digits swapped
        ("454053692", "invalid_tax_number_format"),  # too short
        ("45405369200", "invalid_tckn_checksum"),  # 11 digits: read as a TCKN, which it is not
        ("17291716050", "invalid_tckn_checksum"),
        ("10000000147", "invalid_tckn_checksum"),
        ("07291716092", "invalid_tckn_format"),  # a TCKN never starts with 0
        ("45405A6920", "invalid_vkn_format"),
        ("", "invalid_tax_number_format"),
        ("123456789012", "invalid_tax_number_format"),
    ],
)
def test_invalid_tax_numbers_are_refused_with_a_reason(number, code):
    with pytest.raises(ValidationError) as refused:
        validate_tax_number(number)
    assert refused.value.code == code


def test_vkn_and_tckn_validators_refuse_the_other_length():
    with pytest.raises(ValidationError):
        validate_vkn("10000000146")
    with pytest.raises(ValidationError):
        validate_tckn("4540536920")


def test_separators_people_type_are_dropped():
    assert compact(" 454 053-69.20 ") == "4540536920"
    assert validate_tax_number("454 053 69 20") == "4540536920"
    assert validate_tax_number("100 000 001 46") == "10000000146"


def test_every_prefix_gets_exactly_one_vkn_check_digit():
    prefix = "123456789"
    valid = [d for d in "0123456789" if _is_valid(validate_vkn, prefix + d)]
    assert valid == [str(vkn_check_digit(prefix))]


def _is_valid(validator, number: str) -> bool:
    try:
        validator(number)
    except ValidationError:
        return False
    return True
