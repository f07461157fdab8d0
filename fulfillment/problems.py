"""The fulfillment problem queue: short picks, wrong items, delivery exceptions, refused labels.

Services open problems inside their own transaction (``open_problem``); people then take one
(so two clerks do not chase the same parcel), release it back, or resolve it with a note saying
what was done. A resolved problem is closed for good: a new occurrence is a new problem.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fulfillment.models import Problem
from oms.errors import Conflict, InvalidInput


def open_problem(*, kind: str, warehouse_id: int, detail: str = "", code: str = "", **refs) -> Problem:
    """Record a problem for people to resolve; ``refs`` are order/shipment/pick_task/variant/bin
    (instances or ``*_id``) and ``quantity``. Runs in the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("open_problem() runs inside the caller's transaction")
    return Problem.objects.create(
        kind=kind, warehouse_id=warehouse_id, detail=detail[:255], code=code[:32], **refs
    )


def _locked_open(problem_id: int) -> Problem:
    """The problem row, locked, refusing one that is already resolved."""
    problem = Problem.objects.select_for_update().get(pk=problem_id)
    if problem.resolved_at is not None:
        raise Conflict(_("This problem was already resolved."), code="problem_resolved")
    return problem


@transaction.atomic
def take_problem(problem_id: int, *, user) -> Problem:
    """Assign the problem to ``user``; taking one someone else holds is refused (release it first)."""
    problem = _locked_open(problem_id)
    if problem.assignee_id not in (None, user.pk):
        raise Conflict(
            _("%(user)s is already working on this problem.") % {"user": problem.assignee},
            code="problem_taken",
        )
    if problem.assignee_id != user.pk:
        problem.assignee = user
        problem.save(update_fields=["assignee"])
    return problem


@transaction.atomic
def release_problem(problem_id: int, *, user, force: bool = False) -> Problem:
    """Put the problem back in the queue. Only its holder releases it, unless ``force`` (a lead)."""
    problem = _locked_open(problem_id)
    if problem.assignee_id is None:
        return problem
    if problem.assignee_id != user.pk and not force:
        raise Conflict(_("Only the person working on this problem can release it."), code="problem_not_yours")
    problem.assignee = None
    problem.save(update_fields=["assignee"])
    return problem


@transaction.atomic
def resolve_problem(problem_id: int, *, user, resolution: str) -> Problem:
    """Close the problem with a note of what was done (required: the next person reads it)."""
    resolution = " ".join((resolution or "").split())
    if not resolution:
        raise InvalidInput(_("Write what was done to resolve the problem."), code="resolution_required")
    problem = _locked_open(problem_id)
    if problem.assignee_id not in (None, user.pk):
        raise Conflict(
            _("%(user)s is working on this problem; ask them or release it first.")
            % {"user": problem.assignee},
            code="problem_taken",
        )
    problem.assignee = problem.assignee or user
    problem.resolved_at = timezone.now()
    problem.resolved_by = user
    problem.resolution = resolution[:255]
    problem.save(update_fields=["assignee", "resolved_at", "resolved_by", "resolution"])
    return problem
