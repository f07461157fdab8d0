"""Automatic invoicing: the order events that may issue an invoice or a credit note hand the work
to ``billing.tasks_invoices.issue_for_event`` after the order's transaction commits.

This runs inside every order transition (intake included), so it costs a set lookup for the events
billing does not care about and no query for those it does: the task reads the channel's invoice
trigger and the customer's billing account, outside the order's transaction.
"""

from __future__ import annotations

from typing import Any

from oms.events import enqueue_on_commit, subscribe

SHIPMENT_EVENTS = frozenset({"order.partially_shipped", "order.shipped"})
INVOICING_EVENTS = SHIPMENT_EVENTS | {"order.paid", "order.completed", "order.cancelled"}


def shipped_lines(data: dict | None) -> dict[str, int]:
    """The ``{order line id: units}`` of a shipment event, as JSON-safe keys, without zeros."""
    lines = (data or {}).get("lines") or {}
    return {str(pk): int(quantity) for pk, quantity in lines.items() if quantity}


@subscribe("order.*")
def on_order_event(*, name: str, subject, entry, **kwargs: Any) -> None:
    if name == "order.confirmed" and getattr(subject, "payment_method", None) == "installments":
        from billing.tasks_installments import schedule_installments

        enqueue_on_commit(schedule_installments, order_id=subject.pk)
        return
    if name not in INVOICING_EVENTS:
        return
    from billing.tasks_invoices import issue_for_event

    enqueue_on_commit(
        issue_for_event,
        order_id=subject.pk,
        event_id=entry.pk,
        name=name,
        lines=shipped_lines(entry.data) if name in SHIPMENT_EVENTS else None,
    )
