"""Order jobs: fill backorders when stock arrives (and on a beat, as a safety net)."""

import logging

from celery import shared_task

from oms.audit import acting_as
from oms.tasks import OmsTask

logger = logging.getLogger(__name__)


@shared_task(base=OmsTask)
def fill_backorders(variant_ids: list[int] | None = None) -> dict:
    """Allocate backordered orders waiting for ``variant_ids`` (all, from beat), by priority then age.

    Idempotent: an order already allocated is skipped; one locked by someone else is left to the
    next run.
    """
    from orders import allocation, services

    with acting_as(label="celery"):
        wanted = set(variant_ids) if variant_ids else allocation.backordered_variant_ids()
        filled = tried = 0
        for order_id in allocation.backorder_queue(wanted):
            tried += 1
            if services.fill_backorder(order_id):
                filled += 1
            if not allocation.free_stock_left(wanted):
                break
    return {"tried": tried, "filled": filled}
