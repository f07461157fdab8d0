"""Verification of stock against its records: the ledger, the lots and the reservations.

Three invariants, checked with three aggregate queries (no row-by-row work):
1. a level's ``on_hand`` / ``quarantined`` equal the sums of its movement deltas;
2. a level's ``on_hand`` / ``quarantined`` equal the sums over its lots;
3. a level's ``reserved`` equals the sum of its active reservations.
Only (3) is repaired automatically, from the reservation rows; each repair is an event on the
level's timeline and a warning in the log. (1) and (2) need a person: the report names the rows.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from inventory.models import Reservation, ReservationStatus, StockLevel, StockLot, StockMovement
from oms.events import emit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Drift:
    check: str  # "ledger" | "lots" | "reservations"
    field: str
    variant_id: int
    warehouse_id: int
    level: int  # what the level says
    expected: int  # what the records add up to

    def as_dict(self) -> dict:
        return asdict(self)


def _sums(queryset, **fields) -> dict[tuple[int, int], dict[str, int]]:
    rows = queryset.values("variant_id", "warehouse_id").annotate(
        **{k: Coalesce(Sum(v), 0) for k, v in fields.items()}
    )
    return {(r["variant_id"], r["warehouse_id"]): r for r in rows}


def verify_stock(*, variant_ids: list[int] | None = None) -> list[Drift]:
    """Every disagreement between levels and their records (empty list = all consistent)."""
    scope = Q(variant_id__in=variant_ids) if variant_ids else Q()
    levels = {
        (lv.variant_id, lv.warehouse_id): lv
        for lv in StockLevel.objects.filter(scope).only(
            "variant_id", "warehouse_id", "on_hand", "reserved", "quarantined"
        )
    }
    ledger = _sums(
        StockMovement.objects.filter(scope), on_hand="on_hand_delta", quarantined="quarantined_delta"
    )
    lots = _sums(StockLot.objects.filter(scope), on_hand="quantity", quarantined="quarantined")
    reservations = _sums(
        Reservation.objects.filter(scope, status=ReservationStatus.ACTIVE), reserved="quantity"
    )
    drifts: list[Drift] = []
    keys = sorted(set(levels) | set(ledger) | set(lots) | set(reservations))
    for key in keys:
        level = levels.get(key)
        actual = {f: getattr(level, f) if level else 0 for f in ("on_hand", "quarantined", "reserved")}
        for check, sums, fields in (
            ("ledger", ledger, ("on_hand", "quarantined")),
            ("lots", lots, ("on_hand", "quarantined")),
            ("reservations", reservations, ("reserved",)),
        ):
            for name in fields:
                expected = sums.get(key, {}).get(name, 0)
                if expected != actual[name]:
                    drifts.append(Drift(check, name, key[0], key[1], actual[name], expected))
    return drifts


def repair_reservations(drifts: list[Drift], *, actor=None) -> list[Drift]:
    """Set ``reserved`` to the sum of active reservations where they differ; return what was fixed.

    A repair that would break ``reserved <= on_hand`` is skipped (and stays in the report).
    """
    repaired = []
    for drift in drifts:
        if drift.check != "reservations":
            continue
        with transaction.atomic():
            level = StockLevel.objects.select_for_update().get(
                variant_id=drift.variant_id, warehouse_id=drift.warehouse_id
            )
            expected = Reservation.objects.filter(
                variant_id=drift.variant_id, warehouse_id=drift.warehouse_id, status=ReservationStatus.ACTIVE
            ).aggregate(total=Coalesce(Sum("quantity"), 0))["total"]
            if expected == level.reserved or expected > level.on_hand:
                continue
            StockLevel.objects.filter(pk=level.pk).update(reserved=expected)
            emit(
                "stock.reservation_repaired",
                subject=level,
                actor=actor,
                data={"before": level.reserved, "after": expected},
                message=f"reserved {level.reserved} -> {expected}",
            )
            logger.warning(
                "repaired reserved of variant %s in warehouse %s: %s -> %s",
                drift.variant_id,
                drift.warehouse_id,
                level.reserved,
                expected,
            )
            repaired.append(drift)
    return repaired
