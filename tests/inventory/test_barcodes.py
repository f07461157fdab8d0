import pytest
from django.core.exceptions import ValidationError

from inventory.barcodes import gs1_check_digit, is_valid_gs1, validate_barcode


@pytest.mark.parametrize(
    "code", ["8690504012344", "4006381333931", "96385074", "036000291452", "10614141000019"]
)
def test_valid_gs1_codes(code):
    assert is_valid_gs1(code)
    validate_barcode(code)


def test_check_digit_of_a_turkish_ean():
    assert gs1_check_digit("869050401234") == 4


@pytest.mark.parametrize("code", ["8690504012341", "4006381333932"])
def test_mistyped_ean_is_refused_with_the_right_digit(code):
    with pytest.raises(ValidationError) as info:
        validate_barcode(code)
    assert str(gs1_check_digit(code[:-1])) in str(info.value)


@pytest.mark.parametrize("code", ["TSHIRT-RED-M", "ABC 123", "X"])
def test_code128_text_is_accepted(code):
    validate_barcode(code)


@pytest.mark.parametrize("code", ["ÇANTA-01", "tab\there", "x" * 49])
def test_non_code128_text_is_refused(code):
    with pytest.raises(ValidationError):
        validate_barcode(code)
