"""Gap-free, human-readable document numbers (``PO-2026-00042``).

The counter row is locked for the rest of the caller's transaction, so numbers are handed out in
commit order and a rolled-back act gives its number back: no gaps, no duplicates under concurrency.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from oms.models import NumberSequence


def next_number(series: str, *, width: int = 5, separator: str = "-", year: int | None = None) -> str:
    """Next number of ``series`` for ``year`` (default: this year in the shop's time zone)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction that uses the number")
    year = year or timezone.localdate().year
    NumberSequence.objects.bulk_create([NumberSequence(series=series, year=year)], ignore_conflicts=True)
    NumberSequence.objects.filter(series=series, year=year).update(last=F("last") + 1)  # locks the row
    last = NumberSequence.objects.get(series=series, year=year).last
    return f"{series}{separator}{year}{separator}{last:0{width}d}"
