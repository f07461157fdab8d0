"""Scheduled stock jobs: thin wrappers over the services."""

import logging

from celery import shared_task

from oms.audit import acting_as
from oms.tasks import OmsTask

logger = logging.getLogger(__name__)


@shared_task(base=OmsTask)
def expire_holds() -> int:
    """Release lapsed cart holds (every minute)."""
    from inventory.services import expire_holds as expire

    with acting_as(label="celery"):
        return expire()


@shared_task(base=OmsTask)
def check_stock_ledger(repair: bool = True) -> dict:
    """Nightly: verify levels against ledger, lots and reservations; repair reservation drift."""
    from inventory.ledger import repair_reservations, verify_stock

    with acting_as(label="celery"):
        drifts = verify_stock()
        repaired = repair_reservations(drifts) if repair else []
    for drift in drifts:
        if drift not in repaired:
            logger.error("stock drift: %s", drift.as_dict())
    return {"drifts": len(drifts), "repaired": len(repaired)}
