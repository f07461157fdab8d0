"""Domain events: a timeline row plus a Django signal, inside the service's transaction.

A service calls ``emit("order.confirmed", subject=order, actor=user, data={...})``. Subscribers
register with ``@subscribe("order.confirmed")`` (or ``"order.*"``) and must only enqueue work with
``transaction.on_commit`` (see ``enqueue_on_commit``), passing ids: if the transaction rolls back,
neither the row nor the work exists.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from functools import partial
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

# Sent with: name, subject, entry (the timeline row), actor.
domain_event = Signal()

# How timelines name events for people; each app adds its own (``EVENT_LABELS["order.confirmed"] = ...``).
EVENT_LABELS: dict[str, Any] = {"user.roles_changed": _("Roles changed")}


def event_label(name: str) -> str:
    return str(EVENT_LABELS.get(name, name))


def _uid(pattern: str, handler: Callable[..., None]) -> str:
    return f"{handler.__module__}.{handler.__qualname__}:{pattern}"


def subscribe(pattern: str) -> Callable:
    """Connect a handler to ``domain_event`` for names matching ``pattern`` (fnmatch: ``order.*``).

    The handler is called as ``handler(name=..., subject=..., entry=..., actor=...)``.
    """

    def decorator(handler: Callable[..., None]) -> Callable[..., None]:
        def receiver(sender, *, name: str, **kwargs: Any) -> None:
            if fnmatch.fnmatchcase(name, pattern):
                handler(name=name, **kwargs)

        domain_event.connect(receiver, weak=False, dispatch_uid=_uid(pattern, handler))
        return handler

    return decorator


def unsubscribe(pattern: str, handler: Callable[..., None]) -> None:
    domain_event.disconnect(dispatch_uid=_uid(pattern, handler))


def _timeline_model(subject: models.Model) -> type[models.Model] | None:
    label = getattr(type(subject), "timeline_model", None)
    if label is None:
        return None
    return apps.get_model(label) if isinstance(label, str) else label


def emit(
    name: str,
    *,
    subject: models.Model,
    actor=None,
    message: str = "",
    data: dict[str, Any] | None = None,
) -> models.Model:
    """Record event ``name`` on ``subject``'s timeline and notify subscribers; returns the row.

    Must run inside ``transaction.atomic``: the event belongs to the business act that caused it.
    """
    return emit_many(subject, [{"name": name, "actor": actor, "message": message, "data": data}])[0]


def emit_many(subject: models.Model, events: list[dict[str, Any]]) -> list[models.Model]:
    """Several events of one subject (each a dict of ``emit``'s keyword arguments): their timeline
    rows in one INSERT, then the subscribers are told of each in order. Returns the rows."""
    if not connection.in_atomic_block:
        names = ", ".join(e["name"] for e in events)
        raise RuntimeError(f"emit({names}) must be called inside transaction.atomic()")
    from oms.models import Event

    rows = [
        {
            "name": e["name"],
            "actor": e.get("actor") if getattr(e.get("actor"), "pk", None) else None,
            "message": str(e.get("message") or "")[:255],
            "data": e.get("data") or {},
        }
        for e in events
    ]
    timeline = _timeline_model(subject)
    if timeline is not None:
        model, entries = timeline, [timeline(subject=subject, **row) for row in rows]
    else:
        content_type = ContentType.objects.get_for_model(subject)
        model = Event
        entries = [Event(content_type=content_type, object_id=str(subject.pk), **row) for row in rows]
    if len(entries) == 1:
        entries[0].save(force_insert=True)
    else:
        model.objects.bulk_create(entries)
    for entry, event in zip(entries, events, strict=True):
        domain_event.send(
            sender=type(subject), name=event["name"], subject=subject, entry=entry, actor=event.get("actor")
        )
    return entries


def timeline_for(subject: models.Model):
    """Timeline rows of ``subject``, newest first (its own table, or the generic one)."""
    from oms.models import Event

    timeline = _timeline_model(subject)
    if timeline is not None:
        return timeline.objects.filter(subject=subject).select_related("actor")
    return Event.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=str(subject.pk)
    ).select_related("actor")


def enqueue_on_commit(
    task, /, *, countdown: int | None = None, queue: str | None = None, **kwargs: Any
) -> None:
    """Send ``task`` with keyword arguments (ids, not instances) once the transaction commits.

    Binds the arguments now, so calling it in a loop enqueues each item, not the last one.
    """
    options = {k: v for k, v in {"countdown": countdown, "queue": queue}.items() if v is not None}
    transaction.on_commit(partial(task.apply_async, kwargs=kwargs, **options))
