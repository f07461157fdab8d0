"""The fulfillment problem queue: short picks, wrong items, delivery exceptions, refused labels.

Services open problems inside their own transaction (``open_problem``); people then take one
(so two clerks do not chase the same parcel), release it back, or resolve it with a note saying
what was done, by the rules of every work item (``oms.workitems``).
"""

from __future__ import annotations

from django.db import transaction

from fulfillment.models import Problem
from oms import workitems


def open_problem(*, kind: str, warehouse_id: int, detail: str = "", code: str = "", **refs) -> Problem:
    """Record a problem for people to resolve; ``refs`` are order/shipment/pick_task/variant/bin
    (instances or ``*_id``) and ``quantity``. Runs in the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("open_problem() runs inside the caller's transaction")
    return Problem.objects.create(
        kind=kind, warehouse_id=warehouse_id, detail=detail[:255], code=code[:32], **refs
    )


def take_problem(problem_id: int, *, user) -> Problem:
    return workitems.take(Problem, problem_id, user=user)


def release_problem(problem_id: int, *, user, force: bool = False) -> Problem:
    return workitems.release(Problem, problem_id, user=user, force=force)


def resolve_problem(problem_id: int, *, user, resolution: str) -> Problem:
    return workitems.resolve(Problem, problem_id, user=user, resolution=resolution)
