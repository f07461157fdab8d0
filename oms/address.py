"""Turkish address helpers: postal codes, phone numbers, province look-up and distances."""

import json
import math
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

EARTH_RADIUS_KM = 6371.0088
PROVINCES_FILE = Path(__file__).resolve().parent / "data" / "provinces.json"


def load_provinces(apps=None) -> int:
    """Load the 81 provinces from the shipped data file (idempotent); returns how many were written.

    Called by the data migration and after every migrate/flush, so a flushed test database or a
    half-restored one gets its reference data back.
    """
    from django.apps import apps as global_apps

    Province = (apps or global_apps).get_model("oms", "Province")
    rows = json.loads(PROVINCES_FILE.read_text(encoding="utf-8"))
    if Province.objects.count() == len(rows):
        return 0
    for row in rows:
        Province.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "slug": row["slug"],
                "region": row["region"],
                "latitude": Decimal(str(row["latitude"])),
                "longitude": Decimal(str(row["longitude"])),
            },
        )
    _centroids.cache_clear()
    _province_table.cache_clear()
    return len(rows)


def validate_postal_code_for_province(
    postal_code: str, province_code: int | None, *, country: str = "TR"
) -> None:
    """Turkish postal codes start with the province's plate code (34xxx is İstanbul)."""
    if country != "TR" or not postal_code or not province_code:
        return
    if not re.fullmatch(r"\d{5}", postal_code):
        raise ValidationError({"postal_code": _("A Turkish postal code has five digits.")})
    if int(postal_code[:2]) != province_code:
        raise ValidationError(
            {
                "postal_code": _("Postal code %(code)s does not belong to this province.")
                % {"code": postal_code}
            }
        )


def normalize_phone(raw: str) -> str:
    """Return a Turkish phone number in E.164 (+905321234567); raise ValidationError if it is not one.

    Accepts the ways people type them: 0532 123 45 67, 532-123-4567, +90 (532) 123 45 67, 0090...
    Numbers with another country code (+49...) are kept in E.164 as given.
    """
    text = (raw or "").strip()
    digits = re.sub(r"\D", "", text)
    if text.startswith("+") and not digits.startswith("90"):
        if 8 <= len(digits) <= 15:
            return "+" + digits
        raise ValidationError(_("Enter a valid phone number."))
    if digits.startswith("0090"):
        digits = digits[4:]
    elif digits.startswith("90") and len(digits) == 12:
        digits = digits[2:]
    elif digits.startswith("0") and len(digits) == 11:
        digits = digits[1:]
    # National significant numbers are 10 digits; mobiles start with 5, landlines with 2, 3 or 4.
    if len(digits) != 10 or digits[0] not in "2345":
        raise ValidationError(_("Enter a valid Turkish phone number, e.g. 0532 123 45 67."))
    return "+90" + digits


def turkish_casefold(text: str) -> str:
    """Case-fold with Turkish rules: 'İ' -> 'i', 'I' -> 'ı' (Python's lower() gets both wrong)."""
    return text.replace("İ", "i").replace("I", "ı").lower().strip()


def haversine_km(
    lat1: float | Decimal, lon1: float | Decimal, lat2: float | Decimal, lon2: float | Decimal
) -> float:
    """Great-circle distance in kilometres between two points."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    dphi = phi2 - phi1
    dlmb = math.radians(float(lon2) - float(lon1))
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@lru_cache(maxsize=1)
def _centroids() -> dict[int, tuple[float, float]]:
    from oms.models import Province

    return {
        code: (float(lat), float(lon))
        for code, lat, lon in Province.objects.values_list("code", "latitude", "longitude")
    }


def province_distance_km(from_code: int, to_code: int) -> float:
    """Distance between two provinces' centres; province rows are cached per process (they never change)."""
    centroids = _centroids()
    (lat1, lon1), (lat2, lon2) = centroids[from_code], centroids[to_code]
    return haversine_km(lat1, lon1, lat2, lon2)


def find_province(name_or_code: str | int):
    """Look a province up by plate code, name or slug, forgiving Turkish casing ('IZMIR', 'izmir', '35').

    Provinces never change, so the lookup table is built once per process (order intake calls
    this for every order).
    """
    value = str(name_or_code).strip()
    table = _province_table()
    if not table:  # asked before the reference data was loaded: do not remember the empty table
        _province_table.cache_clear()
        table = _province_table()
    if value.isdigit():
        return table.get(int(value))
    wanted = turkish_casefold(value)
    ascii_wanted = wanted.translate(str.maketrans("çğıöşü", "cgiosu"))
    return table.get(wanted) or table.get(ascii_wanted)


@lru_cache(maxsize=1)
def _province_table() -> dict:
    from oms.models import Province

    table: dict = {}
    for province in Province.objects.all():
        table[province.code] = province
        table[turkish_casefold(province.name)] = province
        table[province.slug] = province
    return table
