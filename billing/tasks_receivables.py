"""B2B jobs: the daily payment reminders and the daily expiry of quotes past their validity (beat)."""

import logging

from celery import shared_task

from oms.audit import acting_as
from oms.tasks import OmsTask

logger = logging.getLogger(__name__)


@shared_task(base=OmsTask)
def send_payment_reminders() -> dict:
    """Due-soon, overdue and installment reminders of today; idempotent (one per key, ever)."""
    from billing.reminders import send_reminders

    with acting_as(label="celery"):
        result = send_reminders()
    logger.info("payment reminders: %s", result)
    return result


@shared_task(base=OmsTask)
def expire_quotes() -> dict:
    """Quotes sent or accepted whose validity ended yesterday or before become expired."""
    from billing.quotes import expire_quotes as expire

    with acting_as(label="celery"):
        count = expire()
    logger.info("quotes expired: %s", count)
    return {"expired": count}
