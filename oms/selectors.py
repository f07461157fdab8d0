"""Read queries for the core panel pages."""

from datetime import timedelta

from django.contrib.auth.models import Group
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from oms.models import AuditLog, Heartbeat, User

# A process that has not checked in for this long is shown as down (beat ticks every minute).
HEARTBEAT_STALE_AFTER = timedelta(minutes=3)


def user_list() -> QuerySet[User]:
    return User.objects.prefetch_related(Prefetch("groups", queryset=Group.objects.only("name")))


def audit_log_list() -> QuerySet[AuditLog]:
    return AuditLog.objects.select_related("actor", "content_type")


def background_health() -> dict:
    """Liveness of the background jobs for the dashboard.

    Beat schedules ``oms.tasks.heartbeat`` every minute and a worker runs it: a fresh row proves
    that both processes and the broker between them work.
    """
    beat = Heartbeat.objects.filter(name="beat").first()
    return {
        "last_seen": beat.last_seen if beat else None,
        "ok": bool(beat and timezone.now() - beat.last_seen < HEARTBEAT_STALE_AFTER),
    }
