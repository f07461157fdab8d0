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


@shared_task(base=OmsTask)
def evaluate_stock_alerts(pairs: list[list[int]] | None = None) -> dict:
    """Raise or resolve low-stock alerts: for the levels a stock change touched, or (beat) for all."""
    from inventory.replenishment import evaluate_alerts

    with acting_as(label="celery"):
        return evaluate_alerts(pairs=[tuple(p) for p in pairs] if pairs is not None else None)


@shared_task(base=OmsTask)
def draft_purchase_orders() -> dict:
    """Draft purchase orders for everything at its reorder point (or tell purchasing)."""
    from inventory.replenishment import draft_purchase_orders as draft

    with acting_as(label="celery"):
        return draft()


@shared_task(base=OmsTask)
def email_purchase_order(order_id: int) -> bool:
    """E-mail a sent purchase order's PDF to its supplier (once; a repeat run sends nothing)."""
    from inventory.purchasing import email_purchase_order as send

    with acting_as(label="celery"):
        return send(order_id=order_id)
