"""The demo shop's inventory activity on top of the catalogue and stock (``inventory.demo``).

Order matters: the dated history (sales over four months, dead stock, sell-outs) comes first, then
suppliers and purchase orders, free goods-in receipts, transfers and cycle counts, which all happen
"now"; low-stock alerts are evaluated by the history step and again by every later stock change.
"""

import random

from inventory.demo_counts import seed_counts
from inventory.demo_goods_in import seed_goods_in
from inventory.demo_purchasing import seed_purchasing
from inventory.demo_reports import seed_reports
from inventory.demo_transfers import seed_transfers


def seed_activity(rng: random.Random, *, admin) -> dict[str, dict]:
    """Run every area's demo seeder; returns their counts by area."""
    return {
        "history": seed_reports(rng, admin=admin),
        "purchasing": seed_purchasing(rng, admin=admin),
        "goods_in": seed_goods_in(rng, admin=admin),
        "transfers": seed_transfers(rng, admin=admin),
        "counts": seed_counts(rng, admin=admin),
    }
