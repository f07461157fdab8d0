"""Destination zones for rate cards and carrier rules: where a parcel goes relative to the
sending warehouse. Turkish carriers price by these rings, not by kilometres.

- ``local``: the same province;
- ``regional``: another province of the same geographical region (the seven regions of Türkiye);
- ``remote``: the far east and south-east, which every carrier surcharges ("mobil bölge");
- ``national``: everything else.

The table is static (provinces and regions never change), so no database query is needed; it
mirrors ``oms/data/provinces.json``.
"""

from __future__ import annotations

LOCAL, REGIONAL, NATIONAL, REMOTE = "local", "regional", "national", "remote"
ZONES = [LOCAL, REGIONAL, NATIONAL, REMOTE]

REGIONS: dict[str, frozenset[int]] = {
    "Marmara": frozenset({10, 11, 16, 17, 22, 34, 39, 41, 54, 59, 77}),
    "Ege": frozenset({3, 9, 20, 35, 43, 45, 48, 64}),
    "Akdeniz": frozenset({1, 7, 15, 31, 32, 33, 46, 80}),
    "İç Anadolu": frozenset({6, 18, 26, 38, 40, 42, 50, 51, 58, 66, 68, 70, 71}),
    "Karadeniz": frozenset({5, 8, 14, 19, 28, 29, 37, 52, 53, 55, 57, 60, 61, 67, 69, 74, 78, 81}),
    "Doğu Anadolu": frozenset({4, 12, 13, 23, 24, 25, 30, 36, 44, 49, 62, 65, 75, 76}),
    "Güneydoğu Anadolu": frozenset({2, 21, 27, 47, 56, 63, 72, 73, 79}),
}
_REGION_OF = {plate: region for region, plates in REGIONS.items() for plate in plates}

# Carriers' surcharged areas: eastern provinces far from the hubs (Ağrı, Bingöl, Bitlis, Hakkari,
# Kars, Muş, Tunceli, Van, Ardahan, Iğdır) and the south-eastern border provinces (Siirt, Şırnak,
# Batman, Mardin). Türkiye's inhabited islands belong to ordinary provinces: none is listed here.
REMOTE_PLATES = frozenset({4, 12, 13, 30, 36, 49, 62, 65, 75, 76, 56, 73, 72, 47})


def region_of(plate: int) -> str:
    try:
        return _REGION_OF[int(plate)]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"Unknown province plate code: {plate!r}") from None


def zone_for(from_plate: int, to_plate: int) -> str:
    """The zone of ``to_plate`` seen from a warehouse in ``from_plate``.

    A remote province is ``regional`` from a warehouse in its own region (the carrier's regional
    hub serves it), otherwise ``remote``.
    """
    origin, destination = region_of(from_plate), region_of(to_plate)
    if int(from_plate) == int(to_plate):
        return LOCAL
    if origin == destination:
        return REGIONAL
    if int(to_plate) in REMOTE_PLATES:
        return REMOTE
    return NATIONAL
