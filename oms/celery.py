"""The Celery application: Redis in tests and production, an embedded filesystem broker in the demo.

Tasks are thin wrappers over services, take ids, and are idempotent; that is what makes
``acks_late`` (redelivery after a worker dies) and automatic retries safe.
"""

import os
import sys

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

app = Celery("oms")
app.config_from_object("django.conf:settings", namespace="CELERY")

app.autodiscover_tasks()

# Every scheduled job lives here, in code, so a deploy carries its schedule with it.
# Later apps add their entries (stock alerts, marketplace sync ...).
app.conf.beat_schedule = {
    "heartbeat": {"task": "oms.tasks.heartbeat", "schedule": 60.0, "kwargs": {"source": "beat"}},
    "clear-expired-sessions": {
        "task": "oms.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
    "purge-idempotency-records": {
        "task": "oms.tasks.purge_idempotency_records",
        "schedule": crontab(hour=4, minute=0),
    },
    "inventory-expire-holds": {"task": "inventory.tasks.expire_holds", "schedule": 60.0},
    "inventory-stock-alerts": {"task": "inventory.tasks.evaluate_stock_alerts", "schedule": 15 * 60.0},
    "inventory-reorder": {
        "task": "inventory.tasks.draft_purchase_orders",
        "schedule": crontab(hour=6, minute=0),
    },
    "inventory-check-ledger": {
        "task": "inventory.tasks.check_stock_ledger",
        "schedule": crontab(hour=2, minute=30),
    },
    # Stock arrival already triggers it; this catches what a lost message or a skipped lock left.
    "orders-fill-backorders": {"task": "orders.tasks.fill_backorders", "schedule": 10 * 60.0},
    # Carriers without webhooks (and missed webhooks): ask about open shipments every 30 minutes.
    "fulfillment-poll-tracking": {
        "task": "fulfillment.tasks.poll_tracking",
        "schedule": 30 * 60.0,
        "kwargs": {"limit": 500},
    },
    # Billing: payment reminders (due soon, overdue steps, installments), expired quotes, and
    # delivered cash-on-delivery parcels the carrier has not remitted after COD_REMITTANCE_DAYS.
    "billing-payment-reminders": {
        "task": "billing.tasks_receivables.send_payment_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    "billing-expire-quotes": {
        "task": "billing.tasks_receivables.expire_quotes",
        "schedule": crontab(hour=0, minute=30),
    },
    "billing-flag-missing-cod-remittances": {
        "task": "billing.tasks_reconciliation.flag_missing_cod_remittances",
        "schedule": crontab(hour=7, minute=30),
    },
}


def worker_command(
    *, beat_schedule: str | None = None, queue: str | None = None, pool: str = "threads", concurrency: int = 2
) -> list[str]:
    """The command line of a worker process (with embedded beat when ``beat_schedule`` is given).

    Used by ``run_demo`` and by the tests that start real workers, so both run the same thing.
    """
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "oms",
        "worker",
        "--loglevel",
        "INFO",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--without-mingle",
        "--without-gossip",
    ]
    if queue:
        command += ["-Q", queue, "-n", f"{queue}@%h"]
    if beat_schedule:
        command += ["--beat", "--schedule", beat_schedule]
    return command
