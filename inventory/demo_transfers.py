"""Demo transfers between the three warehouses: requested, in transit, received (one of them short)
and cancelled, all through ``inventory.transfers`` (reservations, ledger rows, lots carried)."""

from __future__ import annotations

import random

from django.db import transaction
from django.db.models import F

from inventory import transfers
from inventory.demo_counts import demo_user
from inventory.models import StockLevel, Transfer, TransferStatus, Warehouse


def _lines(rng: random.Random, source: Warehouse, count: int, taken: set[int]) -> list:
    """``count`` sellable variants with spare stock at ``source`` (not used by another demo transfer)."""
    levels = list(
        StockLevel.objects.filter(warehouse=source, variant__is_active=True, on_hand__gte=F("reserved") + 6)
        .exclude(variant_id__in=taken)
        .select_related("variant__product")
        .order_by("variant__sku")
    )
    chosen = rng.sample(levels, min(count, len(levels)))
    lines = []
    for level in sorted(chosen, key=lambda lv: lv.variant.sku):
        taken.add(level.variant_id)
        quantity = max(1, min((level.on_hand - level.reserved) // 3, rng.randint(2, 6)))
        lines.append((level.variant, quantity))
    return lines


def seed_transfers(rng: random.Random, *, admin) -> dict:
    """Transfers İstanbul -> Ankara / İzmir and back, one in each state (received twice: complete
    and with a unit missing). Needs the demo stock; the ``warehouse`` demo login acts when it exists."""
    user = demo_user("warehouse", admin)
    by_code = {w.code: w for w in Warehouse.objects.filter(code__in=["IST", "ANK", "IZM"])}
    if len(by_code) < 3:
        return {"transfers": 0, "in_transit_units": 0}
    ist, ank, izm = by_code["IST"], by_code["ANK"], by_code["IZM"]
    taken: set[int] = set()
    plan = [
        # (source, destination, lines, what happens next, note)
        (ist, ank, 3, "received", "Ankara haftalık ikmal"),
        (ank, izm, 2, "short", "İzmir kampanya stoğu"),
        (ist, izm, 3, "shipped", "İzmir ikmal"),
        (ist, ank, 2, "requested", "Ankara eksik tamamlama"),
        (izm, ist, 1, "cancelled", "Yanlış depo seçildi"),
    ]
    made = 0
    with transaction.atomic():
        for source, destination, count, outcome, note in plan:
            lines = _lines(rng, source, count, taken)
            if not lines:
                continue
            transfer = transfers.request_transfer(
                source=source, destination=destination, lines=lines, user=user, note=note
            )
            made += 1
            if outcome == "cancelled":
                transfers.cancel_transfer(transfer=transfer, user=user)
            elif outcome != "requested":
                transfers.ship_transfer(transfer=transfer, user=user)
            if outcome == "received":
                transfers.receive_transfer(transfer=transfer, user=user)
            elif outcome == "short":
                first, *rest = transfer.lines.order_by("pk")
                received = {first.pk: first.quantity - 1, **{line.pk: line.quantity for line in rest}}
                transfers.receive_transfer(transfer=transfer, received=received, user=user)
        in_transit = sum(
            line.quantity
            for transfer in Transfer.objects.filter(status=TransferStatus.SHIPPED)
            for line in transfer.lines.all()
        )
    return {"transfers": made, "in_transit_units": in_transit}
