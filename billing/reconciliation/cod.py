"""Cash on delivery: carriers collect the money at the door and remit it later with a statement.

Carriers have no public remittance API (see INTEGRATIONS.md): finance downloads the carrier's
statement and imports it (``import_remittance``). One layout is read, with header aliases for
what the carriers' exports call the columns (``docs/samples/README.md``):

    tracking number  - "Takip No", "Kargo Takip No", "Gönderi No", "Barkod", "tracking_number"
    collected date   - "Tahsilat Tarihi", "Teslim Tarihi", "Tarih", "collected_on"
    amount           - "Tutar", "Tahsilat Tutarı", "Tahsil Edilen Tutar", "amount"
    paid date (opt.) - "Ödeme Tarihi", "Havale Tarihi", "paid_on"

``;``, ``,`` or tab separated, UTF-8 or Windows-1254; dates ``31.01.2026``, ``31/01/2026`` or
``2026-01-31``; amounts ``1.234,56`` or ``1234.56``.

Each line is matched by tracking number to one of the carrier's shipments and compared with the
shipment's COD amount: equal -> MATCHED; different -> PARTIAL/OVERPAID and a ``cod_diff`` issue
(the remitted amount is still recorded: it is what arrived); unknown parcel -> UNMATCHED and a
``cod_unknown`` issue; a parcel remitted in an earlier file (or earlier in the same file) ->
IGNORED and a ``cod_diff`` issue, never paid twice. A zero or negative line (a deduction) is kept
as IGNORED. ``flag_missing_remittances`` (daily) queues delivered COD parcels the carrier has not
remitted after ``COD_REMITTANCE_DAYS`` days.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing.models import (
    CodRemittance,
    CodRemittanceLine,
    FinanceIssue,
    FinanceIssueKind,
    MatchStatus,
    PaymentKind,
)
from billing.payments import record_payment
from billing.reconciliation import files
from billing.reconciliation.queue import close_issues, open_issue
from fulfillment.models import CarrierAccount, Shipment, ShipmentStatus
from oms.errors import Conflict, DomainError, InvalidInput
from oms.money import ZERO, format_money
from orders.models import PaymentMethod

DEFAULT_REMITTANCE_DAYS = 10
COUNTED = [MatchStatus.MATCHED, MatchStatus.PARTIAL, MatchStatus.OVERPAID]
DATE_FORMATS = ("%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%y")
COLUMNS = {
    "tracking": [
        "Takip No",
        "Kargo Takip No",
        "Gönderi No",
        "Gönderi Takip No",
        "Barkod",
        "tracking_number",
        "Tracking number",
    ],
    "collected": ["Tahsilat Tarihi", "Teslim Tarihi", "Tarih", "collected_on", "Collected on", "Date"],
    "amount": ["Tutar", "Tahsilat Tutarı", "Tahsil Edilen Tutar", "Tahsilat", "amount", "Amount"],
}
OPTIONAL_COLUMNS = {"paid": ["Ödeme Tarihi", "Havale Tarihi", "Transfer Tarihi", "paid_on", "Paid on"]}
MAX_ERRORS_SHOWN = 5


@dataclass(frozen=True)
class RemittedParcel:
    row: int
    tracking_number: str
    collected_on: date | None
    amount: Decimal
    paid_on: date | None


def parse_remittance(data: bytes) -> list[RemittedParcel]:
    """The lines of a remittance file; nothing is written. A row whose date or amount cannot be
    read, or that has no tracking number, refuses the whole file (naming the lines)."""
    files.check_size(data)
    text = files.decode(data).text
    rows = files.records(text, files.sniff_delimiter(text))
    if not rows:
        raise InvalidInput(_("The file is empty."), code="empty_file")
    header = rows[0][1]
    cols = files.locate(header, COLUMNS)
    for role, names in OPTIONAL_COLUMNS.items():
        with contextlib.suppress(InvalidInput):  # optional: absent is fine
            cols.update(files.locate(header, {role: names}))
    parcels: list[RemittedParcel] = []
    errors: list[str] = []
    for row, cells in rows[1:]:
        tracking = files.cell(cells, cols["tracking"]).replace(" ", "")
        amount_text = files.cell(cells, cols["amount"])
        if not tracking and not amount_text:
            continue
        if not tracking:
            errors.append(_("line %(line)s has an amount but no tracking number") % {"line": row})
            continue
        try:
            amount = files.parse_amount(amount_text, decimal_comma=None)
        except ValueError:
            errors.append(
                _("line %(line)s: “%(value)s” is not an amount like 1.234,56 or 1234.56")
                % {"line": row, "value": amount_text}
            )
            continue
        dates = {}
        for role in ("collected", "paid"):
            value = files.cell(cells, cols.get(role))
            try:
                dates[role] = files.parse_date(value, DATE_FORMATS) if value else None
            except ValueError:
                errors.append(
                    _("line %(line)s: “%(value)s” is not a date like 31.01.2026")
                    % {"line": row, "value": value}
                )
        parcels.append(
            RemittedParcel(
                row=row,
                tracking_number=tracking[:64],
                collected_on=dates.get("collected"),
                amount=amount,
                paid_on=dates.get("paid"),
            )
        )
    if errors:
        more = len(errors) - MAX_ERRORS_SHOWN
        raise InvalidInput(
            _("The file was not imported: %(errors)s") % {"errors": "; ".join(errors[:MAX_ERRORS_SHOWN])}
            + (_(" (and %(n)s more)") % {"n": more} if more > 0 else ""),
            code="bad_rows",
        )
    if not parcels:
        raise InvalidInput(
            _("The file has a header but no lines below it: nothing to import."), code="no_lines"
        )
    return parcels


def already_imported(sha256: str) -> Conflict | None:
    earlier = CodRemittance.objects.select_related("imported_by", "carrier").filter(sha256=sha256).first()
    if earlier is None:
        return None
    return Conflict(
        _(
            "This file was imported already: “%(name)s” (%(carrier)s) on %(when)s by %(who)s "
            "(remittance #%(pk)s)."
        )
        % {
            "name": earlier.filename,
            "carrier": earlier.carrier,
            "when": date_format(earlier.imported_at, "SHORT_DATETIME_FORMAT"),
            "who": earlier.imported_by or "—",
            "pk": earlier.pk,
        },
        code="remittance_imported",
        remittance=earlier.pk,
    )


def import_remittance(
    file_bytes: bytes, filename: str, carrier: CarrierAccount | int, user=None
) -> CodRemittance:
    """Import a carrier's COD remittance file and match its lines to the carrier's shipments.

    Refuses (``Conflict``) the same file twice and (``InvalidInput``) a file it cannot read;
    then nothing is written. Otherwise everything is written in one transaction."""
    carrier = carrier if isinstance(carrier, CarrierAccount) else CarrierAccount.objects.get(pk=carrier)
    sha256 = files.digest(file_bytes)
    if (duplicate := already_imported(sha256)) is not None:
        raise duplicate
    parcels = parse_remittance(file_bytes)
    paid_dates = [p.paid_on for p in parcels if p.paid_on]
    with transaction.atomic():
        remittance = CodRemittance(
            carrier=carrier,
            filename=(filename or "remittance.csv")[:255],
            sha256=sha256,
            paid_on=max(paid_dates) if paid_dates else None,
            imported_by=user if getattr(user, "pk", None) else None,
            line_count=len(parcels),
            total=sum((p.amount for p in parcels if p.amount > 0), ZERO),
        )
        try:
            with transaction.atomic():
                remittance.save(force_insert=True)
        except IntegrityError:
            raise already_imported(sha256) or Conflict(_("This file was imported already.")) from None
        lines = CodRemittanceLine.objects.bulk_create(
            [
                CodRemittanceLine(
                    remittance=remittance,
                    row_number=p.row,
                    tracking_number=p.tracking_number,
                    collected_on=p.collected_on,
                    amount=p.amount,
                    status=MatchStatus.UNMATCHED,
                )
                for p in parcels
            ]
        )
        numbers = {line.tracking_number for line in lines} | {line.tracking_number.upper() for line in lines}
        shipments = {
            s.tracking_number.upper(): s
            for s in Shipment.objects.filter(carrier=carrier, tracking_number__in=numbers)
            .select_related("order")
            .defer("label_data")
        }
        earlier = {
            line.shipment_id: line
            for line in CodRemittanceLine.objects.filter(
                shipment__in=[s.pk for s in shipments.values()], status__in=COUNTED
            )
            .exclude(remittance=remittance)
            .select_related("remittance")
            .order_by("pk")
        }
        for line in lines:
            line.remittance = remittance
            shipment = shipments.get(line.tracking_number.upper())
            _match(line, shipment, earlier=earlier, paid_on=remittance.paid_on, user=user)
    return remittance


def _match(line: CodRemittanceLine, shipment: Shipment | None, *, earlier: dict, paid_on, user) -> None:
    if line.amount <= 0:
        line.shipment = shipment
        line.status = MatchStatus.IGNORED
        line.save(update_fields=["shipment", "status"])
        return
    if shipment is None:
        open_issue(
            kind=FinanceIssueKind.COD_UNKNOWN,
            key=f"cod:{line.pk}:{FinanceIssueKind.COD_UNKNOWN}",
            detail=_(
                "%(carrier)s remitted %(amount)s for parcel %(tracking)s, which is none of its shipments."
            )
            % {
                "carrier": line.remittance.carrier,
                "amount": format_money(line.amount, "TRY"),
                "tracking": line.tracking_number,
            },
            amount=line.amount,
            remittance_line=line,
        )
        return
    line.shipment = shipment
    first = earlier.get(shipment.pk)
    if first is not None:
        line.status = MatchStatus.IGNORED
        line.save(update_fields=["shipment", "status"])
        where = (
            _("row %(row)s of this file") % {"row": first.row_number}
            if first.remittance_id == line.remittance_id
            else _("row %(row)s of “%(file)s”") % {"row": first.row_number, "file": first.remittance.filename}
        )
        open_issue(
            kind=FinanceIssueKind.COD_DIFFERENCE,
            key=f"cod:{line.pk}:duplicate",
            detail=_("Parcel %(tracking)s was remitted already (%(where)s): %(amount)s not counted again.")
            % {
                "tracking": line.tracking_number,
                "where": where,
                "amount": format_money(line.amount, shipment.currency),
            },
            amount=line.amount,
            currency=shipment.currency,
            order=shipment.order,
            shipment=shipment,
            remittance_line=line,
        )
        return
    try:
        with transaction.atomic():
            _settle(line, shipment, paid_on=paid_on, user=user)
    except DomainError as exc:
        line.status = MatchStatus.UNMATCHED
        line.difference = ZERO
        line.save(update_fields=["shipment", "status", "difference"])
        open_issue(
            kind=FinanceIssueKind.COD_DIFFERENCE,
            key=f"cod:{line.pk}:{FinanceIssueKind.COD_DIFFERENCE}",
            detail=_("Parcel %(tracking)s could not be recorded: %(error)s")
            % {"tracking": line.tracking_number, "error": exc.message},
            amount=line.amount,
            currency=shipment.currency,
            order=shipment.order,
            shipment=shipment,
            remittance_line=line,
        )
        return
    earlier[shipment.pk] = line


def _settle(line: CodRemittanceLine, shipment: Shipment, *, paid_on, user) -> None:
    record_payment(
        kind=PaymentKind.CAPTURE,
        amount=line.amount,
        dedupe_key=f"cod:{line.remittance_id}:{line.row_number}",
        source="cod",
        method=PaymentMethod.CASH_ON_DELIVERY,
        order=shipment.order,
        currency=shipment.currency,
        received_on=line.collected_on or paid_on,
        provider_reference=line.tracking_number,
        user=user,
        remittance_line=line,
    )
    difference = line.amount - shipment.cod_amount
    line.difference = difference
    line.status = (
        MatchStatus.MATCHED
        if difference == 0
        else MatchStatus.PARTIAL
        if difference < 0
        else MatchStatus.OVERPAID
    )
    line.save(update_fields=["shipment", "status", "difference"])
    if difference:
        values = {
            "tracking": line.tracking_number,
            "remitted": format_money(line.amount, shipment.currency),
            "expected": format_money(shipment.cod_amount, shipment.currency),
            "gap": format_money(abs(difference), shipment.currency),
        }
        detail = (
            _("Parcel %(tracking)s: %(remitted)s remitted, %(expected)s to collect: %(gap)s missing.")
            if difference < 0
            else _("Parcel %(tracking)s: %(remitted)s remitted, %(expected)s to collect: %(gap)s too much.")
        ) % values
        open_issue(
            kind=FinanceIssueKind.COD_DIFFERENCE,
            key=f"cod:{line.pk}:{FinanceIssueKind.COD_DIFFERENCE}",
            detail=detail,
            amount=abs(difference),
            currency=shipment.currency,
            order=shipment.order,
            shipment=shipment,
            remittance_line=line,
        )
    close_issues(
        user=user,
        resolution=_("Remitted in “%(file)s”, row %(row)s.")
        % {"file": line.remittance.filename, "row": line.row_number},
        shipment=shipment,
        kind=FinanceIssueKind.COD_MISSING,
    )


# --- Remittances that never came ------------------------------------------------------------------


def remittance_days() -> int:
    return int(getattr(settings, "COD_REMITTANCE_DAYS", DEFAULT_REMITTANCE_DAYS))


def flag_missing_remittances(today: date | None = None, *, days: int | None = None) -> int:
    """Queue a ``cod_missing`` issue for every delivered COD parcel delivered more than ``days``
    days before ``today`` (default: setting ``COD_REMITTANCE_DAYS``, 10) that no remittance line
    has paid. A parcel is flagged once: an open issue is not repeated (its key), and one a person
    resolved (e.g. "paid by the carrier separately") is not reopened. Returns how many were
    queued. Each parcel is its own small transaction, so the daily job can be interrupted."""
    today = today or timezone.localdate()
    days = remittance_days() if days is None else days
    cutoff = timezone.make_aware(
        datetime.combine(today - timedelta(days=days), time.min), timezone.get_default_timezone()
    )
    overdue = (
        Shipment.objects.filter(status=ShipmentStatus.DELIVERED, cod_amount__gt=0, delivered_at__lt=cutoff)
        .exclude(Exists(CodRemittanceLine.objects.filter(shipment=OuterRef("pk"), status__in=COUNTED)))
        .exclude(
            Exists(FinanceIssue.objects.filter(shipment=OuterRef("pk"), kind=FinanceIssueKind.COD_MISSING))
        )
        .select_related("order", "carrier")
        .defer("label_data")
        .order_by("delivered_at", "pk")
    )
    created = 0
    for shipment in list(overdue):
        with transaction.atomic():
            delivered = timezone.localdate(shipment.delivered_at)
            _issue, new = open_issue(
                kind=FinanceIssueKind.COD_MISSING,
                key=f"cod-missing:{shipment.pk}",
                detail=_(
                    "Delivered on %(date)s by %(carrier)s, %(days)s days ago: %(amount)s collected "
                    "at the door has not been remitted."
                )
                % {
                    "date": date_format(delivered, "SHORT_DATE_FORMAT"),
                    "carrier": shipment.carrier or "—",
                    "days": (today - delivered).days,
                    "amount": format_money(shipment.cod_amount, shipment.currency),
                },
                amount=shipment.cod_amount,
                currency=shipment.currency,
                order=shipment.order,
                shipment=shipment,
            )
            created += new
    return created
