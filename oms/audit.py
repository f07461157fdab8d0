"""Audit trail: who changed what, for the models that opt in with ``register``.

Each save records the changed fields with old and new values; deletes and creates are recorded
too. The actor comes from the request (``CurrentUserMiddleware``) or, in tasks and commands,
from ``acting_as(user)``. ``QuerySet.update()`` bypasses model signals: services that change audited
fields that way call ``record`` themselves.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import post_delete, post_init, post_save

_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("oms_audit_actor", default=None)

# Never copied into the log, whatever the model says.
ALWAYS_EXCLUDED = {"password", "last_login"}


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    remote_addr: str | None = None


_registry: dict[type[models.Model], frozenset[str]] = {}


@contextmanager
def acting_as(user=None, *, label: str = "", remote_addr: str | None = None) -> Iterator[None]:
    """Attribute changes in this block to ``user`` (or to a system label such as 'celery')."""
    actor = Actor(
        user_id=getattr(user, "pk", None),
        label=label or (user.get_username() if user is not None else "system"),
        remote_addr=remote_addr,
    )
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def set_actor(*, user=None, label: str = "", remote_addr: str | None = None) -> None:
    """Replace the actor for the rest of this request or task (e.g. once an API key is verified).

    The surrounding ``acting_as`` block (the middleware's) restores the previous actor at its end.
    """
    _actor.set(Actor(user_id=getattr(user, "pk", None), label=label or "system", remote_addr=remote_addr))


def current_actor() -> Actor | None:
    return _actor.get()


def register(model: type[models.Model] | None = None, *, exclude: Iterable[str] = ()):
    """Opt a model in: ``audit.register(Warehouse, exclude=["updated_at"])`` or as a class decorator."""

    def do_register(cls: type[models.Model]) -> type[models.Model]:
        _registry[cls] = frozenset(exclude) | ALWAYS_EXCLUDED
        uid = f"oms.audit.{cls._meta.label}"
        post_init.connect(_snapshot, sender=cls, dispatch_uid=uid + ".init", weak=False)
        post_save.connect(_on_save, sender=cls, dispatch_uid=uid + ".save", weak=False)
        post_delete.connect(_on_delete, sender=cls, dispatch_uid=uid + ".delete", weak=False)
        return cls

    return do_register(model) if model is not None else do_register


def is_registered(model: type[models.Model]) -> bool:
    return model in _registry


def registered_models() -> list[type[models.Model]]:
    return list(_registry)


def _fields(instance: models.Model) -> list[models.Field]:
    excluded = _registry[type(instance)]
    return [f for f in instance._meta.concrete_fields if f.name not in excluded and not f.primary_key]


def _plain(value: Any) -> Any:
    """JSON-friendly form of a field value."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _value(field: models.Field, value: Any) -> Any:
    # A form saves Decimal("100") where the database gave Decimal("100.00"): the same amount, so
    # decimals are compared at the field's scale, not as typed.
    if isinstance(field, models.DecimalField) and isinstance(value, Decimal) and value.is_finite():
        value = value.quantize(Decimal(1).scaleb(-field.decimal_places))
    return _plain(value)


def _values(instance: models.Model) -> dict[str, Any]:
    # attname: foreign keys as ids, so taking a snapshot never runs a query.
    deferred = instance.get_deferred_fields()
    return {
        f.name: _value(f, getattr(instance, f.attname))
        for f in _fields(instance)
        if f.attname not in deferred
    }


def _snapshot(sender, instance, **kwargs) -> None:
    instance._audit_snapshot = _values(instance)


def record(instance: models.Model, *, action: str, changes: dict[str, Any]) -> None:
    """Write one audit row for ``instance`` (also for services that used ``QuerySet.update``)."""
    from oms.models import AuditLog

    actor = current_actor()
    AuditLog.objects.create(
        actor_id=actor.user_id if actor else None,
        actor_label=(actor.label if actor else "system")[:150],
        action=action,
        content_type=ContentType.objects.get_for_model(type(instance), for_concrete_model=False),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        changes=changes,
        remote_addr=actor.remote_addr if actor else None,
    )


def _on_save(sender, instance, created: bool, raw: bool = False, update_fields=None, **kwargs) -> None:
    if raw:  # fixtures loading
        return
    new = _values(instance)
    if created:
        changes = {name: [None, value] for name, value in new.items() if value not in (None, "", False)}
        record(instance, action="create", changes=changes)
    else:
        old = getattr(instance, "_audit_snapshot", {})
        names = set(update_fields) if update_fields else set(new)
        changes = {n: [old.get(n), new[n]] for n in names if n in new and old.get(n) != new[n]}
        if changes:
            record(instance, action="update", changes=changes)
    instance._audit_snapshot = new


def _on_delete(sender, instance, **kwargs) -> None:
    record(instance, action="delete", changes={})
