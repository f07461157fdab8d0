"""The finance queue: money that does not match what is owed, waiting for a person.

Imports open issues (``open_issue``, idempotent per ``key``: a file or a daily job run again does
not queue the same work twice); a finance person takes one (so two people do not chase the same
transfer), releases it back, or resolves it with a note of what was done. A resolved issue is
closed for good: a new occurrence is a new issue. Same rules as ``fulfillment.problems``.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from billing.models import FinanceIssue, FinanceIssueKind
from oms import workitems
from oms.errors import InvalidInput
from oms.events import emit


@transaction.atomic
def open_issue(
    *,
    kind: str,
    key: str,
    detail: str = "",
    amount: Decimal | int = 0,
    currency: str = "TRY",
    **refs,
) -> tuple[FinanceIssue, bool]:
    """Queue an issue unless one is open under ``key``; returns (issue, created). ``refs``:
    order, invoice, bank_line, remittance_line, shipment, callback (instances or ``*_id``).

    An issue about an order also goes on the order's timeline, so whoever looks at the order sees
    that finance has something to check."""
    if kind not in FinanceIssueKind.values:
        raise InvalidInput(_("Unknown finance issue kind “%(kind)s”.") % {"kind": kind})
    key = key[:80]
    existing = FinanceIssue.objects.filter(key=key, resolved_at__isnull=True).first()
    if existing is not None:
        return existing, False
    issue = FinanceIssue(kind=kind, key=key, detail=detail[:255], amount=amount, currency=currency, **refs)
    try:
        with transaction.atomic():  # a concurrent twin under the same key: keep theirs
            issue.save(force_insert=True)
    except IntegrityError:
        twin = FinanceIssue.objects.filter(key=key, resolved_at__isnull=True).first()
        if twin is None:
            raise
        return twin, False
    if issue.order_id:
        emit(
            "order.finance_issue",
            subject=issue.order,
            message=f"{issue.get_kind_display()}: {issue.detail}",
            data={"issue": issue.pk, "kind": kind, "amount": str(amount)},
        )
    return issue, True


def take_issue(issue_id: int, *, user) -> FinanceIssue:
    return workitems.take(FinanceIssue, issue_id, user=user)


def release_issue(issue_id: int, *, user, force: bool = False) -> FinanceIssue:
    return workitems.release(FinanceIssue, issue_id, user=user, force=force)


def resolve_issue(issue_id: int, *, user, resolution: str) -> FinanceIssue:
    return workitems.resolve(FinanceIssue, issue_id, user=user, resolution=resolution)


def close_issues(*, user, resolution: str, **lookup) -> int:
    """Resolve the open issues matching ``lookup`` because an act settled them (a bank line
    matched by hand closes its "unmatched" issue). Runs in the caller's transaction."""
    issues = list(
        FinanceIssue.objects.select_for_update(of=("self",))
        .filter(resolved_at__isnull=True, **lookup)
        .order_by("pk")
    )
    for issue in issues:
        workitems.close(issue, user=user, resolution=resolution)
    return len(issues)
