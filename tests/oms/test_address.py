import pytest
from django.core.exceptions import ValidationError

from oms.address import (
    find_province,
    haversine_km,
    normalize_phone,
    province_distance_km,
    turkish_casefold,
    validate_postal_code_for_province,
)
from oms.models import Province


@pytest.mark.django_db
def test_all_81_provinces_are_loaded_with_plate_codes_and_centres():
    assert Province.objects.count() == 81
    assert list(Province.objects.values_list("code", flat=True)) == list(range(1, 82))
    istanbul = Province.objects.get(code=34)
    assert istanbul.name == "İstanbul"
    assert istanbul.region == "Marmara"
    assert 40.9 < float(istanbul.latitude) < 41.2
    assert Province.objects.values("region").distinct().count() == 7


@pytest.mark.django_db
def test_distances_between_province_centres_are_plausible():
    assert 340 < province_distance_km(34, 6) < 370  # İstanbul - Ankara, about 350 km as the crow flies
    assert 320 < province_distance_km(34, 35) < 345  # İstanbul - İzmir
    assert province_distance_km(6, 6) == 0


def test_haversine_is_symmetric():
    assert haversine_km(41, 29, 39.9, 32.8) == pytest.approx(haversine_km(39.9, 32.8, 41, 29))


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["İzmir", "IZMIR", "izmir", "35", "İZMİR"])
def test_find_province_forgives_turkish_casing(query):
    assert find_province(query).code == 35


@pytest.mark.django_db
def test_find_province_dotless_i():
    assert find_province("IĞDIR").code == 76
    assert find_province("Atlantis") is None


def test_turkish_casefold():
    assert turkish_casefold("IĞDIR") == "ığdır"
    assert turkish_casefold("İSTANBUL") == "istanbul"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0532 123 45 67", "+905321234567"),
        ("532-123-4567", "+905321234567"),
        ("+90 (532) 123 45 67", "+905321234567"),
        ("0090 212 555 11 22", "+902125551122"),
        ("905321234567", "+905321234567"),
        ("+49 30 1234567", "+49301234567"),
    ],
)
def test_normalize_phone_to_e164(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "0132 123 45 67", "abc"])
def test_invalid_phone_numbers_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


def test_postal_code_must_match_province():
    validate_postal_code_for_province("34710", 34)
    with pytest.raises(ValidationError):
        validate_postal_code_for_province("06100", 34)
    with pytest.raises(ValidationError):
        validate_postal_code_for_province("3471", 34)
