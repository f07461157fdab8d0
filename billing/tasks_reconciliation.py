"""Reconciliation jobs: the daily check for cash-on-delivery money the carriers have not remitted."""

import logging

from celery import shared_task

from oms.audit import acting_as
from oms.tasks import OmsTask

logger = logging.getLogger(__name__)


@shared_task(base=OmsTask)
def flag_missing_cod_remittances() -> int:
    """Queue delivered COD parcels not remitted after ``COD_REMITTANCE_DAYS`` days (idempotent:
    a parcel already flagged is not flagged again)."""
    from billing.reconciliation.cod import flag_missing_remittances

    with acting_as(label="celery"):
        created = flag_missing_remittances()
    logger.info("COD remittances missing: %s new issue(s)", created)
    return created
