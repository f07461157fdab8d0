"""Order import from a file: CSV or XLSX, one row per order line, each order through ``create_order``.

``parse_file`` reads the file (UTF-8 with or without BOM or Windows-1254, ``;`` or ``,`` as the
separator, Turkish or English headers) into groups of rows, one group per (channel, channel order
number). ``import_orders`` hands each group to ``orders.services.create_order`` on its own, so one
bad order never stops the others, and maps the service's field errors (``lines[1].sku``,
``shipping_address.city``) back to spreadsheet row numbers and columns. The same file again creates
nothing: the channel order numbers are taken, and those orders come back as duplicates.

No views here: the panel (``orders.panel.intake``) only uploads and renders the report.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels.models import SalesChannel
from oms.address import turkish_casefold
from oms.csv_import import decode, sniff_delimiter
from oms.errors import DomainError, InvalidInput
from orders import services
from orders.customers import CustomerData
from orders.errors import OrderInvalid
from orders.models import OrderSource, PaymentMethod

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000

# Canonical column -> the header spellings accepted (compared after ``header_key``).
COLUMNS: dict[str, tuple[str, ...]] = {
    "channel": ("channel", "channel code", "kanal", "kanal kodu"),
    "channel_order_id": (
        "channel_order_id",
        "order id",
        "order no",
        "order number",
        "channel order number",
        "sipariş no",
        "sipariş numarası",
        "kanal sipariş no",
        "kanal sipariş numarası",
    ),
    "email": ("email", "e-mail", "e-posta", "eposta", "mail"),
    "phone": ("phone", "telefon", "tel", "gsm", "cep telefonu"),
    "first_name": ("first_name", "first name", "name", "ad", "adı", "isim"),
    "last_name": ("last_name", "last name", "surname", "soyad", "soyadı"),
    "address": ("address", "address line", "line1", "adres", "açık adres"),
    "neighbourhood": ("neighbourhood", "neighborhood", "mahalle"),
    "district": ("district", "ilçe"),
    "city": ("city", "province", "il", "şehir"),
    "postal_code": ("postal_code", "postal code", "postcode", "zip", "posta kodu"),
    "country": ("country", "ülke", "ülke kodu"),
    "payment_method": (
        "payment_method",
        "payment method",
        "payment",
        "ödeme yöntemi",
        "ödeme şekli",
        "ödeme",
    ),
    "sku": ("sku", "stok kodu", "ürün kodu"),
    "quantity": ("quantity", "qty", "adet", "miktar"),
    "unit_price": ("unit_price", "unit price", "price", "birim fiyat", "fiyat"),
    "shipping_fee": ("shipping_fee", "shipping fee", "shipping", "kargo ücreti", "kargo"),
    "notes": ("notes", "note", "not", "notlar", "açıklama"),
}
REQUIRED_COLUMNS = (
    "channel",
    "channel_order_id",
    "sku",
    "quantity",
    "first_name",
    "address",
    "district",
    "city",
)
CONTACT_COLUMNS = ("email", "phone")  # at least one of them
# Payment methods as people write them in a sheet (compared after ``header_key``).
PAYMENT_ALIASES = {
    "kart": PaymentMethod.CARD,
    "kredi_karti": PaymentMethod.CARD,
    "banka_karti": PaymentMethod.CARD,
    "credit_card": PaymentMethod.CARD,
    "havale": PaymentMethod.BANK_TRANSFER,
    "eft": PaymentMethod.BANK_TRANSFER,
    "havale_eft": PaymentMethod.BANK_TRANSFER,
    "bank_transfer": PaymentMethod.BANK_TRANSFER,
    "kapida_odeme": PaymentMethod.CASH_ON_DELIVERY,
    "kapida": PaymentMethod.CASH_ON_DELIVERY,
    "cod": PaymentMethod.CASH_ON_DELIVERY,
    "taksit": PaymentMethod.INSTALLMENTS,
    "taksitli": PaymentMethod.INSTALLMENTS,
    "cari": PaymentMethod.ON_ACCOUNT,
    "cari_hesap": PaymentMethod.ON_ACCOUNT,
    "vadeli": PaymentMethod.ON_ACCOUNT,
}
# Where a service error's field came from in the sheet.
FIELD_COLUMNS = {
    "channel": "channel",
    "customer.email": "email",
    "customer.phone": "phone",
    "customer.first_name": "first_name",
    "customer.last_name": "last_name",
    "shipping_address": "address",
    "shipping_address.name": "first_name",
    "shipping_address.phone": "phone",
    "shipping_address.line1": "address",
    "shipping_address.neighbourhood": "neighbourhood",
    "shipping_address.district": "district",
    "shipping_address.city": "city",
    "shipping_address.postal_code": "postal_code",
    "shipping_address.country": "country",
    "payment_method": "payment_method",
    "shipping_fee": "shipping_fee",
    "lines": "sku",
}
LINE_COLUMNS = {"sku": "sku", "quantity": "quantity", "unit_price": "unit_price", "discount": "unit_price"}
LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


class ImportRejected(InvalidInput):
    """The file as a whole cannot be imported (too big, unreadable, wrong columns); nothing was written."""

    code = "import_rejected"
    title = gettext_lazy("The file cannot be imported")


class Outcome:
    CREATED = "created"
    DUPLICATE = "duplicate"
    FAILED = "failed"


OUTCOME_LABELS = {
    Outcome.CREATED: gettext_lazy("Created"),
    Outcome.DUPLICATE: gettext_lazy("Already imported"),
    Outcome.FAILED: gettext_lazy("Failed"),
}


@dataclass
class Row:
    number: int  # as the spreadsheet numbers it: the header is row 1
    values: dict[str, str]


@dataclass
class OrderGroup:
    """The rows of one order: the same channel and channel order number."""

    channel: str
    channel_order_id: str
    rows: list[Row] = field(default_factory=list)

    @property
    def row_numbers(self) -> list[int]:
        return [row.number for row in self.rows]


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class OrderResult:
    channel: str
    channel_order_id: str
    rows: list[int]
    outcome: str
    order_id: int | None = None
    number: str = ""
    status: str = ""
    status_label: str = ""
    errors: list[RowError] = field(default_factory=list)

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome])

    @property
    def rows_label(self) -> str:
        """``2–4`` for consecutive rows, else ``2, 5, 9`` (an en dash: Excel reads ``2-4`` as a date)."""
        rows = self.rows
        if len(rows) > 1 and rows == list(range(rows[0], rows[-1] + 1)):
            return f"{rows[0]}–{rows[-1]}"
        return ", ".join(str(n) for n in rows)


@dataclass
class ImportReport:
    results: list[OrderResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for result in self.results if result.outcome == outcome)

    @property
    def created(self) -> int:
        return self.count(Outcome.CREATED)

    @property
    def duplicates(self) -> int:
        return self.count(Outcome.DUPLICATE)

    @property
    def failed(self) -> int:
        return self.count(Outcome.FAILED)


# --- Reading the file -----------------------------------------------------------------------------


def header_key(text: str) -> str:
    """``Kanal Sipariş No`` -> ``kanal_siparis_no``: Turkish-aware lower case, ASCII, underscores."""
    folded = turkish_casefold(str(text or "")).translate(str.maketrans("çğıöşüâîû", "cgiosuaiu"))
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")


ALIASES = {header_key(alias): column for column, names in COLUMNS.items() for alias in names}


def parse_file(uploaded) -> list[OrderGroup]:
    """Read an uploaded CSV or XLSX file into order groups (in the order they first appear).

    Raises ``ImportRejected`` when the file is too big, has too many rows, cannot be read or lacks
    required columns; problems of single rows are left to ``import_orders``.
    """
    size = getattr(uploaded, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise _too_big()
    data = uploaded.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _too_big()
    if not data.strip():
        raise ImportRejected(_("The file is empty."))
    name = (getattr(uploaded, "name", "") or "").lower()
    if data[:4] == b"PK\x03\x04":
        table = _xlsx_rows(data)
    elif name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportRejected(_("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or CSV."))
    elif name.endswith(".xlsx"):
        raise ImportRejected(_("The file is not a readable .xlsx workbook."))
    else:
        table = _csv_rows(data)
    return _groups(table)


def _too_big() -> ImportRejected:
    return ImportRejected(
        _("The file is larger than %(mb)s MB: split it into smaller files.") % {"mb": MAX_FILE_BYTES // 2**20}
    )


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        text = decode(data).text
    except InvalidInput as error:  # neither UTF-8 nor Windows-1254: the line that cannot be read
        raise ImportRejected(error.message) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, [cell.strip() for cell in cells]
    except csv.Error as exc:
        raise ImportRejected(_("The CSV file cannot be read: %(e)s") % {"e": exc}) from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise ImportRejected(_("The file is not a readable .xlsx workbook.")) from None
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value) -> str:
    """A spreadsheet cell as the text a CSV would hold (floats never reach money code as floats)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _groups(table: Iterable[tuple[int, list[str]]]) -> list[OrderGroup]:
    rows = iter(table)
    columns: dict[int, str] | None = None
    groups: dict[tuple[str, str], OrderGroup] = {}
    data_rows = 0
    for number, cells in rows:
        if not any(cells):
            continue
        if columns is None:
            columns = _header(cells)
            continue
        data_rows += 1
        if data_rows > MAX_ROWS:
            raise ImportRejected(
                _("The file has more than %(n)s rows: split it into smaller files.") % {"n": f"{MAX_ROWS:,}"}
            )
        values = {name: cells[i].strip() if i < len(cells) else "" for i, name in columns.items()}
        channel, order_id = values.get("channel", ""), values.get("channel_order_id", "")
        # A row without an order number cannot be matched with others (nor recognised next time).
        key = (channel, order_id) if order_id else (channel, f"\0{number}")
        group = groups.setdefault(key, OrderGroup(channel=channel, channel_order_id=order_id))
        group.rows.append(Row(number=number, values=values))
    if columns is None:
        raise ImportRejected(_("The file is empty."))
    if not groups:
        raise ImportRejected(_("The file has a header but no order rows."))
    return list(groups.values())


def _header(cells: list[str]) -> dict[int, str]:
    columns: dict[int, str] = {}
    for i, cell in enumerate(cells):
        name = ALIASES.get(header_key(cell))
        if name and name not in columns.values():
            columns[i] = name
    found = set(columns.values())
    missing = [name for name in REQUIRED_COLUMNS if name not in found]
    if not found.intersection(CONTACT_COLUMNS):
        missing.append("email / phone")
    if missing:
        raise ImportRejected(
            _(
                "The file does not have the expected columns; missing: %(missing)s. The first row must "
                "name the columns (Turkish or English), e.g. %(expected)s. Download the sample file to "
                "see the layout."
            )
            % {"missing": ", ".join(missing), "expected": ", ".join(COLUMNS)}
        )
    return columns


# --- Importing ------------------------------------------------------------------------------------


def import_orders(groups: Iterable[OrderGroup], *, user=None) -> ImportReport:
    """Create one order per group through ``create_order`` (source ``import``), each on its own.

    An order that fails (any domain error) is reported with its reasons per row and column and
    leaves nothing behind; the others go on. An order whose channel order number already exists
    is reported as a duplicate with the existing order's number.
    """
    report = ImportReport()
    # Channel codes as people type them ("Trendyol" for "trendyol"); unknown ones go through as given.
    codes = {code.lower(): code for code in SalesChannel.objects.values_list("code", flat=True)}
    for group in groups:
        group.channel = codes.get(group.channel.strip().lower(), group.channel)
        report.results.append(_import_group(group, user))
    return report


def _import_group(group: OrderGroup, user) -> OrderResult:
    result = OrderResult(
        channel=group.channel,
        channel_order_id=group.channel_order_id,
        rows=group.row_numbers,
        outcome=Outcome.FAILED,
    )
    first_row = group.rows[0].number
    if not group.channel_order_id:
        result.errors.append(
            RowError(first_row, "channel_order_id", _("Give the channel order number of this line."))
        )
        return result
    data, sources = _order_data(group)
    try:
        order, created = services.create_order(data, source=OrderSource.IMPORT, user=user)
    except OrderInvalid as exc:
        problems = exc.data.get("errors") or [{"field": "", "message": exc.message}]
        result.errors = [_row_error(group, problem, sources) for problem in problems]
        return result
    except DomainError as exc:
        result.errors.append(RowError(first_row, "", exc.message))
        return result
    except Exception:  # one broken order must not stop the file; the log keeps the details
        logger.exception("import of %s/%s failed", group.channel, group.channel_order_id)
        result.errors.append(RowError(first_row, "", _("Unexpected error; the order was not created.")))
        return result
    order.refresh_from_db(fields=["status"])  # intake routed it (allocated, on hold ...) after creating
    result.outcome = Outcome.CREATED if created else Outcome.DUPLICATE
    result.order_id, result.number = order.pk, order.number
    result.status, result.status_label = order.status, str(order.get_status_display())
    return result


def _order_data(group: OrderGroup) -> tuple[services.OrderData, dict[str, int]]:
    """The order of a group: header values from the first row that has them, one line per row.

    Returns the data and, per column, the row the value was taken from (for error messages).
    """
    sources: dict[str, int] = {}

    def first(column: str) -> str:
        for row in group.rows:
            value = row.values.get(column, "")
            if value:
                sources[column] = row.number
                return value
        return ""

    first_name, last_name, phone = first("first_name"), first("last_name"), first("phone")
    notes: list[str] = []
    for row in group.rows:
        note = row.values.get("notes", "")
        if note and note not in notes:
            notes.append(note)
    data = services.OrderData(
        channel=group.channel,
        channel_order_id=group.channel_order_id,
        customer=CustomerData(email=first("email"), phone=phone, first_name=first_name, last_name=last_name),
        shipping_address=services.AddressData(
            name=f"{first_name} {last_name}".strip(),
            phone=phone,
            line1=first("address"),
            neighbourhood=first("neighbourhood"),
            district=first("district"),
            city=first("city"),
            postal_code=first("postal_code"),
            country=first("country") or "TR",
        ),
        payment_method=payment_method(first("payment_method")),
        shipping_fee=first("shipping_fee") or 0,
        notes="\n".join(notes),
        lines=[
            services.LineData(
                sku=row.values.get("sku", ""),
                quantity=_quantity(row.values.get("quantity", "")),
                unit_price=row.values.get("unit_price") or None,
            )
            for row in group.rows
        ],
    )
    return data, sources


def payment_method(text: str) -> str:
    """A payment method as written in a sheet (``card``, ``Kredi kartı``, ``Kapıda ödeme``) -> its code."""
    key = header_key(text)
    if key in PaymentMethod.values:
        return key
    if key in PAYMENT_ALIASES:
        return PAYMENT_ALIASES[key]
    labels = {header_key(str(label)): value for value, label in PaymentMethod.choices}
    return labels.get(key, text.strip())


def _quantity(text: str) -> str:
    """``2``, ``2.0`` (a spreadsheet number) or ``2,0`` -> ``2``; anything else is for intake to refuse."""
    text = (text or "").strip()
    match = re.fullmatch(r"(\d+)(?:[.,]0+)?", text)
    return match.group(1) if match else text


def _row_error(group: OrderGroup, problem: dict, sources: dict[str, int]) -> RowError:
    name = problem.get("field") or ""
    message = problem.get("message") or ""
    line = LINE_FIELD.match(name)
    if line and int(line.group(1)) < len(group.rows):
        return RowError(group.rows[int(line.group(1))].number, LINE_COLUMNS.get(line.group(2), ""), message)
    column = FIELD_COLUMNS.get(name, "")
    if name == "payment_method":
        message = _("Unknown payment method “%(m)s”; use one of: %(codes)s.") % {
            "m": next((r.values["payment_method"] for r in group.rows if r.values.get("payment_method")), ""),
            "codes": ", ".join(PaymentMethod.values),
        }
    if name == "channel" and problem.get("code") == "unknown_channel":
        message = _("Unknown sales channel “%(c)s”.") % {"c": group.channel}
    return RowError(sources.get(column, group.rows[0].number), column, message)


def report_rows(report: ImportReport) -> tuple[list[str], list[list]]:
    """The report as a table (header, rows) for a CSV download: one row per order, or per problem."""
    header = [
        _("Rows"),
        _("Channel"),
        _("Channel order number"),
        _("Result"),
        _("Order number"),
        _("Status"),
        _("Row"),
        _("Column"),
        _("Problem"),
    ]
    rows: list[list] = []
    for result in report.results:
        base = [
            result.rows_label,
            result.channel,
            result.channel_order_id,
            result.outcome_label,
            result.number,
            result.status_label,
        ]
        if result.errors:
            rows.extend([*base, error.row, error.column, error.message] for error in result.errors)
        else:
            rows.append([*base, "", "", ""])
    return header, rows


def report_to_dict(report: ImportReport) -> dict:
    """A plain form of the report (for the cache, between the import and its CSV download)."""
    return {
        "results": [
            {**vars(result), "errors": [vars(error) for error in result.errors]} for result in report.results
        ]
    }


def report_from_dict(data: dict) -> ImportReport:
    return ImportReport(
        results=[
            OrderResult(**{**result, "errors": [RowError(**error) for error in result["errors"]]})
            for result in data.get("results", [])
        ]
    )
