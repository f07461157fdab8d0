"""Core scheduled jobs and the base task class every app's tasks use."""

import logging

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

# Transient failures worth retrying: the database or broker blinked, a peer timed out.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


class OmsTask(DjangoTask):
    """Idempotent task: acknowledged after it ran, retried with backoff on transient errors."""

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 5
    retry_backoff_max = 10 * 60
    retry_jitter = True
    max_retries = 8


@shared_task(base=OmsTask)
def heartbeat(source: str = "worker") -> str:
    """Record that the worker (and, when scheduled, beat) is alive; shown on the dashboard."""
    from oms.services import record_heartbeat

    record_heartbeat(name=source)
    return source


@shared_task(base=OmsTask)
def clear_expired_sessions() -> None:
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    logger.info("cleared %s expired sessions", deleted)


@shared_task(base=OmsTask, ignore_result=False)
def ping(value: str = "pong") -> str:
    """Round-trip probe used by the health check and the Celery smoke test."""
    return value


@shared_task(base=OmsTask)
def purge_idempotency_records() -> int:
    from oms.idempotency import purge

    return purge()
