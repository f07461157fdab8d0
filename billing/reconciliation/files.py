"""Reading statement files: bytes -> text -> rows, Turkish numbers and dates, names compared.

Turkish banks and carriers export CSV in UTF-8 (with or without a BOM) or Windows-1254 (the
Turkish Excel default). Both are decoded strictly: a file that is neither is refused with the line
that cannot be read, never imported with replacement characters in the names. A Windows-1254 file
with Turkish letters is never valid UTF-8, so trying UTF-8 first cannot misread one.

Errors are ``InvalidInput`` with a message a finance person can act on (which row, which column,
what was found); the importers raise them before writing anything.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from oms.address import turkish_casefold
from oms.csv_import import Decoded, decode, sniff_delimiter  # noqa: F401 - the importers read files through here
from oms.errors import InvalidInput

MAX_FILE_BYTES = 10 * 2**20
MAX_ROWS = 20_000
_ASCII = str.maketrans("çğıöşüâîû", "cgiosuaiu")


def digest(data: bytes) -> str:
    """SHA-256 of the file as uploaded: the same file imported twice is recognised by it."""
    return hashlib.sha256(data).hexdigest()


def check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(
            _("The file is larger than %(mb)s MB: export a shorter period.")
            % {"mb": MAX_FILE_BYTES // 2**20},
            code="file_too_big",
        )
    if not data.strip():
        raise InvalidInput(_("The file is empty."), code="empty_file")
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InvalidInput(
            _(
                "This is an Excel workbook: export the statement as CSV "
                "(or save the sheet as CSV) and upload that."
            ),
            code="not_csv",
        )


def records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every CSV record, cells stripped; blank records left out. The line
    number is the file's (where the record ends), so people find it in the file they have."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or ";")
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            cleaned = [cell.strip() for cell in cells]
            if any(cleaned):
                rows.append((reader.line_num, cleaned))
            if len(rows) > MAX_ROWS + 1:
                raise InvalidInput(
                    _("The file has more than %(n)s rows: export a shorter period.") % {"n": MAX_ROWS},
                    code="too_many_rows",
                )
    except csv.Error as exc:
        raise InvalidInput(
            _("The CSV file cannot be read near line %(line)s: %(error)s")
            % {"line": reader.line_num, "error": exc},
            code="bad_csv",
        ) from None
    return rows


def fold(text: str) -> str:
    """``İşlem Tutarı`` -> ``islem tutari``: Turkish case-folding (İ/i, I/ı), ASCII letters, single
    spaces. Headers and names compare in this form, so ``AÇIKLAMA``, ``Açıklama`` and
    ``Aciklama`` are the same column."""
    folded = turkish_casefold(str(text or "")).translate(_ASCII)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split())


def locate(header: list[str], wanted: dict[str, list[str]]) -> dict[str, int]:
    """Column index of each wanted role (``{"date": ["Tarih"], ...}``, any of the names).

    Raises ``InvalidInput`` listing every missing column and the headers the file has."""
    positions = {}
    for index, name in enumerate(header):
        positions.setdefault(fold(name), index)
    found, missing = {}, []
    for role, names in wanted.items():
        index = next((positions[fold(n)] for n in names if fold(n) in positions), None)
        if index is None:
            missing.append(names[0])
        else:
            found[role] = index
    if missing:
        raise InvalidInput(
            _(
                "The file does not have the expected layout: missing column(s) %(missing)s. "
                "Its header has: %(found)s. Choose the right format or fix the format's column names."
            )
            % {
                "missing": ", ".join(f"“{m}”" for m in missing),
                "found": ", ".join(f"“{h}”" for h in header if h) or "—",
            },
            code="wrong_layout",
            missing=missing,
            found=[h for h in header if h],
        )
    return found


def cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index]


# --- Numbers and dates ----------------------------------------------------------------------------

_COMMA_DECIMAL = re.compile(r"^(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")  # 1.234,56 / 1234,56 / 1234
_DOT_DECIMAL = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")  # 1,234.56 / 1234.56 / 1234
_CURRENCY_MARKS = ("TRY", "TL", "₺")


def parse_amount(text: str, *, decimal_comma: bool | None) -> Decimal:
    """A signed amount from a statement cell: ``1.234,56`` (``decimal_comma``), ``1234.56``
    (not), or either when ``decimal_comma`` is None (refusing ``1.234`` and ``1,234``, which
    could be both). A leading ``-``, a trailing ``-`` or parentheses make it negative. More than
    two decimals is refused (there are no fractions of a kuruş). Raises ``ValueError``."""
    value = (text or "").replace("\u00a0", "").replace(" ", "").upper()
    for mark in _CURRENCY_MARKS:
        value = value.removeprefix(mark).removesuffix(mark)
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if value.endswith("-"):
        negative, value = True, value[:-1]
    if value[:1] in "+-" and value:
        negative, value = negative or value[0] == "-", value[1:]
    if not value:
        raise ValueError("empty")
    if decimal_comma is None:
        if "," in value and "." in value:
            decimal_comma = value.rfind(",") > value.rfind(".")
        elif "," in value:
            if re.fullmatch(r"\d{1,3}(,\d{3})+", value):
                raise ValueError("ambiguous")
            decimal_comma = True
        else:
            if re.fullmatch(r"\d{1,3}(\.\d{3})+", value):
                raise ValueError("ambiguous")
            decimal_comma = False
    if decimal_comma:
        if not _COMMA_DECIMAL.match(value):
            raise ValueError("format")
        value = value.replace(".", "").replace(",", ".")
    else:
        if not _DOT_DECIMAL.match(value):
            raise ValueError("format")
        value = value.replace(",", "")
    if "." in value and len(value.rsplit(".", 1)[1]) > 2:
        raise ValueError("decimals")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError("format") from None
    return -amount if negative else amount


def parse_date(text: str, formats: tuple[str, ...] | list[str]) -> date:
    """The first of ``formats`` that reads ``text`` (a time after the date is ignored when the
    format has none). Raises ``ValueError``."""
    value = (text or "").strip()
    for candidate in (value, value.split(" ")[0], value.split("T")[0]):
        for fmt in formats:
            try:
                return datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
    raise ValueError(value)


# --- Names ----------------------------------------------------------------------------------------

NAME_SIMILARITY = 0.85  # per word: "YILMAZ" ~ "YILMAS", not "YILDIZ"


def name_matches(written: str, name: str) -> bool:
    """Whether a bank line's sender (or description) names the person or company ``name``: every
    word of the name (2+ letters) appears in ``written``, exactly or nearly (a typo, a letter
    the bank's system dropped: ``AYSE YILMAZ`` for ``Ayşe Yılmaz``), and at least two words do,
    so a shared first name alone is never enough."""
    name_words = [w for w in fold(name).split() if len(w) > 1]
    written_words = fold(written).split()
    if len(name_words) < 2 or not written_words:
        return False
    for word in name_words:
        if word in written_words:
            continue
        best = max(difflib.SequenceMatcher(None, word, other).ratio() for other in written_words)
        if best < NAME_SIMILARITY:
            return False
    return True
