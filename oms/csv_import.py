"""Reading uploaded CSV files: bytes -> text, and the delimiter Turkish exports use.

Turkish banks, carriers and shops export CSV in UTF-8 (with or without a BOM) or Windows-1254 (the
Turkish Excel default). Both are decoded strictly: a file that is neither is refused with the line
that cannot be read, never imported with replacement characters in the names. A Windows-1254 file
with Turkish letters is never valid UTF-8, so trying UTF-8 first cannot misread one.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from django.utils.translation import gettext as _

from oms.errors import InvalidInput

UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # what was used: utf-8, utf-8-sig, cp1254 (or the format's own)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes, encoding: str = "") -> Decoded:
    """The file's text. ``encoding`` (a format's setting) is used strictly when given; otherwise
    UTF-8 with a BOM, UTF-8, then Windows-1254. Raises ``InvalidInput`` naming the first line that
    cannot be read."""
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise InvalidInput(
                _("The statement format names an unknown encoding “%(encoding)s”.") % {"encoding": encoding},
                code="bad_encoding",
            ) from None
        body = data[3:] if codec == "utf-8" and data.startswith(UTF8_BOM) else data
        try:
            return Decoded(body.decode(codec), encoding)
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                _(
                    "The file is not %(encoding)s text: line %(line)s cannot be read. "
                    "Export it again, or choose the format with the right encoding."
                )
                % {"encoding": encoding, "line": _line_of(body, exc.start)},
                code="bad_encoding",
                line=_line_of(body, exc.start),
            ) from None
    if data.startswith(UTF8_BOM):
        try:
            return Decoded(data[3:].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            line = _line_of(data[3:], exc.start)
            raise InvalidInput(
                _("The file says it is UTF-8 but line %(line)s is not: export it again.") % {"line": line},
                code="bad_encoding",
                line=line,
            ) from None
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return Decoded(data.decode("cp1254"), "cp1254")
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        raise InvalidInput(
            _(
                "The file is neither UTF-8 nor Windows-1254 (Turkish) text: line %(line)s cannot be read. "
                "Export it again as CSV."
            )
            % {"line": line},
            code="bad_encoding",
            line=line,
        ) from None


def sniff_delimiter(text: str) -> str:
    """``;`` (Turkish Excel), ``,`` or tab: whichever the first non-empty line has most of."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=counts.get) if any(counts.values()) else ","
