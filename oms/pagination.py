"""Keyset ("cursor") pagination for panel lists and the API.

``OFFSET`` pagination and ``COUNT(*)`` get slower with every page on a table of a million orders;
a keyset page is one indexed range scan however deep the user goes. The cursor is the last row's
ordering values, signed so it cannot be forged into arbitrary SQL values.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from oms.errors import InvalidInput

_signer = signing.Signer(salt="oms.pagination")


@dataclass
class Page:
    object_list: list[Any]
    per_page: int
    next_cursor: str | None = None
    previous_cursor: str | None = None
    query: QueryDict = field(default_factory=QueryDict)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def _encode(values: list[Any], direction: str) -> str:
    # Dates and datetimes as ISO text (a date string filters a DateField as it is), decimals as text.
    plain = [
        v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, Decimal) else v for v in values
    ]
    raw = json.dumps([direction, plain], separators=(",", ":"))
    return _signer.sign(base64.urlsafe_b64encode(raw.encode()).decode().rstrip("="))


def _decode(cursor: str) -> tuple[str, list[Any]]:
    try:
        raw = _signer.unsign(cursor)
        direction, values = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (signing.BadSignature, ValueError, TypeError):
        raise InvalidInput(
            _("The page link is not valid; start from the first page."), code="bad_cursor"
        ) from None
    if direction not in ("next", "prev") or not isinstance(values, list):
        raise InvalidInput(_("The page link is not valid; start from the first page."), code="bad_cursor")
    return direction, [parse_datetime(v) or v if isinstance(v, str) else v for v in values]


def _after(ordering: list[str], values: list[Any], *, reverse: bool) -> Q:
    """Rows strictly after ``values`` in ``ordering`` (or before, when ``reverse``).

    Lexicographic: (a > x) OR (a = x AND b > y) ..., each field in its own direction. The
    redundant leading ``a >= x`` gives PostgreSQL an index range to start from; without it the
    OR makes the planner read every remaining row (measured in bench/RESULTS.md).
    """
    condition = Q()
    for i, term in enumerate(ordering):
        name = term.lstrip("-")
        descending = term.startswith("-") != reverse
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[i]})
        for prev_term, prev_value in zip(ordering[:i], values[:i], strict=True):
            step &= Q(**{prev_term.lstrip("-"): prev_value})
        condition |= step
    first = ordering[0]
    first_descending = first.startswith("-") != reverse
    return Q(**{f"{first.lstrip('-')}__{'lte' if first_descending else 'gte'}": values[0]}) & condition


def paginate(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    ordering: tuple[str, ...] = ("-pk",),
    per_page: int | None = None,
    cursor_param: str = "cursor",
) -> Page:
    """Return one page of ``queryset`` in ``ordering`` (its last term must be unique, e.g. ``-pk``).

    Ordering terms are the model's own non-NULL fields; index them together so that every page is
    one index range scan.
    """
    from django.conf import settings

    per_page = per_page or settings.PANEL_PAGE_SIZE
    ordering = list(ordering)
    cursor = request.GET.get(cursor_param)
    direction, values = _decode(cursor) if cursor else ("next", None)
    backwards = direction == "prev"
    if values is not None and len(values) != len(ordering):
        raise InvalidInput(_("The page link is not valid; start from the first page."), code="bad_cursor")

    qs = queryset
    if values is not None:
        qs = qs.filter(_after(ordering, values, reverse=backwards))
    flipped = [t[1:] if t.startswith("-") else f"-{t}" for t in ordering]
    rows = list(qs.order_by(*(flipped if backwards else ordering))[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()

    def key(row: Any) -> list[Any]:
        return [getattr(row, t.lstrip("-")) for t in ordering]

    page = Page(object_list=rows, per_page=per_page)
    if rows:
        has_next = more if not backwards else True
        has_prev = (values is not None) if not backwards else more
        page.next_cursor = _encode(key(rows[-1]), "next") if has_next else None
        page.previous_cursor = _encode(key(rows[0]), "prev") if has_prev else None
    query = request.GET.copy()
    query.pop(cursor_param, None)
    page.query = query
    return page
