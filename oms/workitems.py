"""Taking, releasing and resolving work items (``oms.models.WorkItem``: fulfillment problems, the
finance queue): one person at a time works on an item, only its holder gives it back (unless a
lead forces it), and it is closed with a note of what was done. A resolved item stays closed: a
new occurrence is a new item. Each function locks the row for the rest of its transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.errors import Conflict, InvalidInput
from oms.models import WorkItem


def locked_open(model: type[WorkItem], pk: int) -> WorkItem:
    """The item's row, locked, refusing one that is already resolved."""
    item = model.objects.select_for_update(of=("self",)).get(pk=pk)
    if item.resolved_at is not None:
        raise Conflict(_("This was already resolved."), code="already_resolved")
    return item


def _refuse_if_held(item: WorkItem, user, message: str) -> None:
    if item.assignee_id not in (None, user.pk):
        raise Conflict(message % {"user": item.assignee}, code="taken")


@transaction.atomic
def take(model: type[WorkItem], pk: int, *, user) -> WorkItem:
    """Assign the item to ``user``; one someone else holds is refused (they release it first)."""
    item = locked_open(model, pk)
    _refuse_if_held(item, user, _("%(user)s is already working on this."))
    if item.assignee_id != user.pk:
        item.assignee = user
        item.save(update_fields=["assignee"])
    return item


@transaction.atomic
def release(model: type[WorkItem], pk: int, *, user, force: bool = False) -> WorkItem:
    """Put the item back in the queue: only its holder does, unless ``force`` (a lead)."""
    item = locked_open(model, pk)
    if item.assignee_id is None:
        return item
    if item.assignee_id != user.pk and not force:
        raise Conflict(_("Only the person working on this can release it."), code="not_yours")
    item.assignee = None
    item.save(update_fields=["assignee"])
    return item


@transaction.atomic
def resolve(model: type[WorkItem], pk: int, *, user, resolution: str) -> WorkItem:
    """Close the item with a note of what was done (required: the next person reads it)."""
    resolution = " ".join((resolution or "").split())
    if not resolution:
        raise InvalidInput(_("Write what was done to resolve it."), code="resolution_required")
    item = locked_open(model, pk)
    _refuse_if_held(item, user, _("%(user)s is working on this; ask them or release it first."))
    close(item, user=user, resolution=resolution)
    return item


def close(item: WorkItem, *, user, resolution: str) -> None:
    """Mark a (locked) item resolved; runs in the caller's transaction."""
    item.assignee_id = item.assignee_id or getattr(user, "pk", None)
    item.resolved_at = timezone.now()
    item.resolved_by = user if getattr(user, "pk", None) else None
    item.resolution = resolution[:255]
    item.save(update_fields=["assignee", "resolved_at", "resolved_by", "resolution"])
