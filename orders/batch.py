"""One intake, written in few statements.

A new order passes through several transitions before its intake ends (new -> confirmed ->
allocated, or new -> on hold). Each would update the order row and insert a timeline row;
instead, while an ``IntakeBatch`` is open on the order, the transitions only change the instance
and note their events, and ``flush`` writes the row once and the timeline rows in one INSERT. The
lines and allocations written are kept too, so the API answers from memory instead of reading
the order back.

Outside intake (no batch, or a flushed one) the same helpers save and emit at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from oms.events import emit_many


@dataclass
class IntakeBatch:
    lines: list  # the OrderLine rows inserted, with their final quantities
    allocations: list = field(default_factory=list)  # OrderAllocation rows linked at intake
    entries: list = field(default_factory=list)  # the timeline rows, once flushed
    fields: set[str] = field(default_factory=set)
    events: list[dict[str, Any]] = field(default_factory=list)
    open: bool = True

    def flush(self, order) -> None:
        """Write what the intake changed on the order and its timeline; the batch is closed."""
        self.open = False
        if self.fields:
            order.updated_at = timezone.now()
            type(order).objects.filter(pk=order.pk).update(
                updated_at=order.updated_at, **{name: getattr(order, name) for name in self.fields}
            )
        if self.events:
            self.entries = emit_many(order, self.events)


def open_batch(order):
    """The order's open intake batch, or None."""
    batch = order.__dict__.get("intake")
    return batch if batch is not None and batch.open else None


def save_fields(order, fields: list[str]) -> None:
    """Save these fields now, or at the end of the intake."""
    batch = open_batch(order)
    if batch is not None:
        batch.fields.update(fields)
    else:
        order.save(update_fields=[*fields, "updated_at"])


def record(order, name: str, *, actor=None, message: str = "", data: dict | None = None) -> None:
    """Emit a domain event on the order now, or with the others at the end of the intake."""
    event = {"name": name, "actor": actor, "message": message, "data": data}
    batch = open_batch(order)
    if batch is not None:
        batch.events.append(event)
    else:
        emit_many(order, [event])
