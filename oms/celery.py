"""The Celery application: Redis in tests and production, an embedded filesystem broker in the demo.

Tasks are thin wrappers over services, take ids, and are idempotent; that is what makes
``acks_late`` (redelivery after a worker dies) and automatic retries safe.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

app = Celery("oms")
app.config_from_object("django.conf:settings", namespace="CELERY")

app.autodiscover_tasks()

# Every scheduled job lives here, in code, so a deploy carries its schedule with it.
# Later apps add their entries (stock alerts, marketplace sync, expiry of cart holds ...).
app.conf.beat_schedule = {
    "heartbeat": {"task": "oms.tasks.heartbeat", "schedule": 60.0, "kwargs": {"source": "beat"}},
    "clear-expired-sessions": {
        "task": "oms.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),
    },
}
