"""CSV downloads made for Excel as people use it in Türkiye (every panel export uses this).

UTF-8 with a byte-order mark (or Excel guesses a Windows code page and breaks "ş", "ğ", "İ"),
``;`` between fields and a decimal comma without thousands separators (Turkish Excel reads
"1234,50" as a number and "1,234.50" as text), dates as ISO ``YYYY-MM-DD`` (Excel reads them in
any locale), times in the shop's time zone, and text that starts like a formula neutralised (CSV
injection). The file is streamed row by row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _


class _Echo:
    """The file-like object ``csv.writer`` needs: it hands each formatted line back."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value: Any) -> str:
    """One cell for Turkish Excel."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    text = str(value)
    # A text cell starting like a formula would run as one in Excel (CSV injection).
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def csv_response(
    filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]], *, language: str | None = None
) -> StreamingHttpResponse:
    """Stream ``rows`` as a download. ``language``: the one labels in the rows are rendered in
    (the rows are produced after the view has returned, outside the request's language)."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")

    def lines() -> Iterator[str]:
        with translation.override(language) if language else nullcontext():
            yield "\ufeff"
            yield writer.writerow([str(h) for h in header])
            for row in rows:
                yield writer.writerow([csv_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
