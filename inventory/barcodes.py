"""Barcode validation: GS1 numbers (EAN-13, EAN-8, UPC-A, GTIN-14) by check digit, Code 128 by charset."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

GS1_LENGTHS = {8, 12, 13, 14}


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10 check digit of ``body`` (the code minus its last digit), weights 3,1,3... from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_valid_gs1(code: str) -> bool:
    return code.isdigit() and len(code) in GS1_LENGTHS and gs1_check_digit(code[:-1]) == int(code[-1])


def validate_barcode(value: str) -> None:
    """Numeric codes of a GS1 length must carry a correct check digit (a mistyped EAN is refused);
    anything else must be Code 128 printable ASCII."""
    if not value:
        return
    if value.isdigit() and len(value) in GS1_LENGTHS:
        if not is_valid_gs1(value):
            raise ValidationError(
                _("%(code)s is not a valid EAN/UPC: the check digit should be %(digit)s."),
                code="bad_check_digit",
                params={"code": value, "digit": gs1_check_digit(value[:-1])},
            )
        return
    if not re.fullmatch(r"[\x20-\x7e]{1,48}", value):
        raise ValidationError(
            _("A barcode uses letters, digits and printable symbols only (Code 128), at most 48."),
            code="bad_barcode",
        )
