"""Bank transfers (havale/EFT): import a statement file, match its credit lines to what is owed.

``import_statement`` reads the whole file first (encoding, layout, every date and amount) and
writes nothing when anything is wrong; then, in one transaction, the statement, all its lines and
their matching. A debit (or a zero line) is kept as an IGNORED line: it is not a customer payment.

Matching a credit line (``match_line``), first hit wins:

1. a payment reference in the description (``billing.invoicing.payment_reference``: the order
   number without dashes plus two mod-97 check digits, so a mistyped one never names another
   order), also when the customer split it with spaces;
2. a bare order number (``SIP-2026-000370``, ``SIP2026000370``, ``SIP 2026 000370``);
3. an invoice number (``OMA2026000000001``);
4. no reference at all: the single open invoice, or not yet invoiced bank-transfer order, owed
   exactly this amount whose customer's name is the sender's.

The order's open invoices are paid oldest first (or the order itself while it is not invoiced);
received = owed -> MATCHED; less -> PARTIAL, more -> OVERPAID (the full amount is recorded either
way, nothing is capped) and a finance issue is opened; nothing found -> UNMATCHED and an issue.
A person matches the rest by hand (``match_line_by_hand``). Payments are recorded under
``bank:<statement>:<row>``: re-running a match never counts a line twice, and a line that already
came in an earlier (overlapping) statement is recognised by its bank reference and not paid again.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing.invoicing import is_valid_reference
from billing.models import (
    BankStatement,
    BankStatementLine,
    FinanceIssueKind,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    MatchStatus,
    Payment,
    PaymentKind,
    StatementFormat,
)
from billing.payments import received_for_order, record_payment
from billing.reconciliation import files
from billing.reconciliation.queue import close_issues, open_issue
from oms.errors import Conflict, DomainError, InvalidInput, NotFound
from oms.money import ZERO, format_money
from orders.models import Order, OrderStatus, PaymentMethod, PaymentStatus

CURRENCY = "TRY"  # statement formats describe Turkish lira accounts
OPEN_INVOICE = [InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID]
COUNTED = [MatchStatus.MATCHED, MatchStatus.PARTIAL, MatchStatus.OVERPAID]
HEADER_SEARCH_ROWS = 20  # account details above the header: look this far for it
MAX_ERRORS_SHOWN = 5
CANDIDATE_LIMIT = 50
SAMPLE_DAY = datetime(2026, 1, 31, 14, 5)

_WORD = re.compile(r"[A-Z0-9]+")
_ORDER_NUMBER = re.compile(r"(?<![A-Z0-9])([A-Z]{2,5})[-/ ]?(20\d{2})[-/ ]?(\d{4,8})(?![0-9])")
_INVOICE_NUMBER = re.compile(r"^[A-Z0-9]{3}20\d{2}\d{9}$")
_REFERENCE_SHAPE = re.compile(r"^[A-Z]+\d{4}\d+$")
_REFERENCE_TYPO = re.compile(r"[A-Z]{2,5}20\d{2}\d{6,}")  # an order number and more digits: not an IBAN


@dataclass(frozen=True)
class ParsedLine:
    row: int
    booked_on: date
    amount: Decimal
    description: str
    bank_reference: str
    sender: str


# --- Reading the file -----------------------------------------------------------------------------


def _columns(fmt: StatementFormat) -> dict[str, list[str]]:
    wanted = {
        "date": [fmt.date_column],
        "amount": [fmt.amount_column],
        "description": [fmt.description_column],
    }
    if fmt.reference_column:
        wanted["reference"] = [fmt.reference_column]
    if fmt.sender_column:
        wanted["sender"] = [fmt.sender_column]
    return wanted


def _header(rows: list[tuple[int, list[str]]], fmt: StatementFormat) -> tuple[int, dict[str, int]]:
    """Index (in ``rows``) and column positions of the header: the row after ``skip_rows``, or
    the first of the next few rows that has every column (banks put account details above it)."""
    wanted = _columns(fmt)
    start = min(fmt.skip_rows, max(len(rows) - 1, 0))
    for index in range(start, min(start + HEADER_SEARCH_ROWS, len(rows))):
        try:
            return index, files.locate(rows[index][1], wanted)
        except InvalidInput:
            continue
    files.locate(rows[start][1] if rows else [], wanted)  # raises, listing what the header row has
    raise AssertionError("unreachable")


def parse_statement(data: bytes, fmt: StatementFormat) -> tuple[list[ParsedLine], str]:
    """The lines of a statement file and the encoding it was read with; nothing is written.

    Rows without a date (totals, footers, blank separators) are left out; any other row whose
    date or amount cannot be read refuses the whole file, naming the lines."""
    files.check_size(data)
    decoded = files.decode(data, fmt.encoding)
    rows = files.records(decoded.text, fmt.delimiter)
    if not rows:
        raise InvalidInput(_("The file is empty."), code="empty_file")
    header_at, cols = _header(rows, fmt)
    # "31/01/2026-14:05:00" formats also read a bare "31/01/2026" (exports differ by channel).
    date_formats = list(dict.fromkeys([fmt.date_format, re.split(r"[ T-]?%H", fmt.date_format)[0]]))
    example_date = SAMPLE_DAY.strftime(fmt.date_format)
    lines: list[ParsedLine] = []
    errors: list[str] = []
    for row, cells in rows[header_at + 1 :]:
        date_text = files.cell(cells, cols["date"])
        amount_text = files.cell(cells, cols["amount"])
        if not date_text:
            continue
        try:
            booked_on = files.parse_date(date_text, date_formats)
        except ValueError:
            errors.append(
                _("line %(line)s: “%(value)s” in “%(column)s” is not a date like %(example)s")
                % {"line": row, "value": date_text, "column": fmt.date_column, "example": example_date}
            )
            continue
        try:
            amount = files.parse_amount(amount_text, decimal_comma=fmt.decimal_comma)
        except ValueError:
            errors.append(
                _("line %(line)s: “%(value)s” in “%(column)s” is not an amount like %(example)s")
                % {
                    "line": row,
                    "value": amount_text,
                    "column": fmt.amount_column,
                    "example": "1.234,56" if fmt.decimal_comma else "1234.56",
                }
            )
            continue
        lines.append(
            ParsedLine(
                row=row,
                booked_on=booked_on,
                amount=amount,
                description=files.cell(cells, cols["description"])[:500],
                bank_reference=files.cell(cells, cols.get("reference"))[:100],
                sender=files.cell(cells, cols.get("sender"))[:200],
            )
        )
    if errors:
        shown = "; ".join(errors[:MAX_ERRORS_SHOWN])
        more = len(errors) - MAX_ERRORS_SHOWN
        raise InvalidInput(
            _("The file was not imported: %(errors)s") % {"errors": shown}
            + (_(" (and %(n)s more)") % {"n": more} if more > 0 else ""),
            code="bad_rows",
            rows=len(errors),
        )
    if not lines:
        raise InvalidInput(
            _("The file has a header but no dated lines below it: nothing to import."), code="no_lines"
        )
    return lines, decoded.encoding


def already_imported(sha256: str) -> Conflict | None:
    earlier = BankStatement.objects.select_related("imported_by").filter(sha256=sha256).first()
    if earlier is None:
        return None
    return Conflict(
        _("This file was imported already: “%(name)s” on %(when)s by %(who)s (statement #%(pk)s).")
        % {
            "name": earlier.filename,
            "when": date_format(earlier.imported_at, "SHORT_DATETIME_FORMAT"),
            "who": earlier.imported_by or "—",
            "pk": earlier.pk,
        },
        code="statement_imported",
        statement=earlier.pk,
    )


# --- Importing ------------------------------------------------------------------------------------


def import_statement(
    file_bytes: bytes, filename: str, format: StatementFormat | int, user=None
) -> BankStatement:
    """Import a bank statement file laid out as ``format`` and match its credit lines.

    Refuses (``Conflict``) a file imported before (same SHA-256) and (``InvalidInput``) a file
    that cannot be read, has the wrong layout or a row with an unreadable date or amount;
    then nothing is written. Otherwise the statement, every line and every match are written in
    one transaction."""
    fmt = format if isinstance(format, StatementFormat) else StatementFormat.objects.get(pk=format)
    sha256 = files.digest(file_bytes)
    if (duplicate := already_imported(sha256)) is not None:
        raise duplicate
    parsed, encoding = parse_statement(file_bytes, fmt)
    with transaction.atomic():
        statement = BankStatement(
            format=fmt,
            filename=(filename or "statement.csv")[:255],
            sha256=sha256,
            encoding=encoding,
            imported_by=user if getattr(user, "pk", None) else None,
            line_count=len(parsed),
        )
        try:
            with transaction.atomic():  # the same file uploaded twice at once: the second is refused
                statement.save(force_insert=True)
        except IntegrityError:
            raise already_imported(sha256) or Conflict(_("This file was imported already.")) from None
        repeats = _repeats(parsed)
        try:
            with transaction.atomic():
                lines = _write_lines(statement, parsed, repeats)
        except IntegrityError:
            # bank_line_transaction_once: an overlapping export imported at this very moment
            # holds some of these transactions; importing again afterwards skips them.
            message = _(
                "Another statement with some of these transactions was being imported at the same "
                "time; import this file again."
            )
            raise Conflict(message) from None
        for line in lines:
            if line.status == MatchStatus.UNMATCHED:
                match_line(line, user=user)
        statement.matched_count = statement.lines.filter(status__in=COUNTED).count()
        statement.save(update_fields=["matched_count"])
    return statement


def _write_lines(statement: BankStatement, parsed: list, repeats: list[bool]) -> list[BankStatementLine]:
    return BankStatementLine.objects.bulk_create(
        [
            BankStatementLine(
                statement=statement,
                row_number=p.row,
                booked_on=p.booked_on,
                amount=p.amount,
                currency=CURRENCY,
                description=p.description,
                bank_reference=p.bank_reference,
                sender=p.sender,
                status=MatchStatus.IGNORED if p.amount <= 0 or repeat else MatchStatus.UNMATCHED,
            )
            for p, repeat in zip(parsed, repeats, strict=True)
        ]
    )


def _identity(line) -> tuple:
    """What makes a credit the same bank transaction in two overlapping exports: the bank's own
    reference (dekont/işlem no) when the format has one, else date, amount, text and sender."""
    if line.bank_reference:
        return (line.booked_on, Decimal(line.amount), line.bank_reference)
    return (line.booked_on, Decimal(line.amount), line.description, line.sender)


def _repeats(parsed: list[ParsedLine]) -> list[bool]:
    """Per line: whether it is a credit that came in an earlier statement already (overlapping
    exports). Counted as a multiset: two equal transfers on one day, one of them imported before,
    leave the other to be matched."""
    credits = [p for p in parsed if p.amount > 0]
    earlier: Counter[tuple] = Counter()
    if credits:
        rows = BankStatementLine.objects.filter(
            status__in=MatchStatus.values,  # lets the (status, booked_on) index serve the range
            booked_on__range=(min(p.booked_on for p in credits), max(p.booked_on for p in credits)),
            amount__in={p.amount for p in credits},
        ).only("booked_on", "amount", "bank_reference", "description", "sender")
        earlier = Counter(_identity(line) for line in rows)
    flags = []
    for p in parsed:
        identity = _identity(p) if p.amount > 0 else None
        repeat = identity is not None and earlier[identity] > 0
        if repeat:
            earlier[identity] -= 1
        flags.append(repeat)
    return flags


# --- Matching -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a line pays: an order (its open invoices) or one invoice, and the text that said so."""

    order: Order | None
    invoice: Invoice | None
    found: str = ""


class Unmatchable(Exception):
    """The line cannot be settled automatically; ``detail`` tells the finance person why."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def find_references(description: str) -> list[tuple[str, str]]:
    """Everything in a description that may name what is paid, strongest first, as (kind, text):
    valid payment references (also split by spaces: ``SIP2026 000370 52``), bare order numbers
    (normalised to ``SIP-2026-000370``), invoice numbers."""
    text = (description or "").upper()
    words = _WORD.findall(text)
    found: list[tuple[str, str]] = []
    for i in range(len(words)):
        joined = ""
        for word in words[i : i + 4]:
            joined += word
            if _REFERENCE_SHAPE.match(joined) and is_valid_reference(joined):
                found.append(("reference", joined))
    found += [("order", f"{m[1]}-{m[2]}-{m[3]}") for m in _ORDER_NUMBER.finditer(text)]
    found += [("invoice", word) for word in words if _INVOICE_NUMBER.match(word)]
    return list(dict.fromkeys(found))


def _order_numbers(reference: str) -> set[str]:
    base = reference[:-2]
    parts = re.fullmatch(r"([A-Z]+)(\d{4})(\d+)", base)
    return {base, f"{parts[1]}-{parts[2]}-{parts[3]}"} if parts else {base}


def _targets_of(kind: str, text: str) -> list[Target]:
    if kind == "reference":
        order = Order.objects.filter(number__in=_order_numbers(text)).first()
        if order is None:
            invoice = (
                Invoice.objects.filter(payment_reference=text, kind=InvoiceKind.INVOICE, order__isnull=False)
                .select_related("order")
                .first()
            )
            order = invoice.order if invoice else None
        return [Target(order=order, invoice=None, found=text)] if order else []
    if kind == "order":
        order = Order.objects.filter(number=text).first()
        return [Target(order=order, invoice=None, found=text)] if order else []
    invoice = Invoice.objects.filter(number=text, kind=InvoiceKind.INVOICE).select_related("order").first()
    return [Target(order=invoice.order, invoice=invoice, found=text)] if invoice else []


def _typo_hint(description: str) -> str:
    """A word shaped like a payment reference whose check digits are wrong: tell the person."""
    for word in _WORD.findall((description or "").upper()):
        if _REFERENCE_TYPO.fullmatch(word) and not is_valid_reference(word):
            return _(
                "“%(word)s” looks like a payment reference but its check digits are wrong (a typo?)."
            ) % {"word": word}
    return ""


def find_target(line: BankStatementLine) -> Target | str:
    """What the line pays, or why nothing was found (a sentence for the finance queue)."""
    references = find_references(line.description)
    for strength in ("reference", "order", "invoice"):
        targets = [t for kind, text in references if kind == strength for t in _targets_of(kind, text)]
        distinct = {
            (t.order.pk if t.order else None, t.invoice.pk if t.invoice else None): t for t in targets
        }
        if len(distinct) == 1:
            return next(iter(distinct.values()))
        if len(distinct) > 1:
            return _("The description names several orders (%(found)s): split the amount by hand.") % {
                "found": ", ".join(t.found for t in distinct.values())
            }
    by_name = _by_amount_and_name(line)
    if isinstance(by_name, Target):
        return by_name
    reasons = [_typo_hint(line.description)]
    valid = [text for kind, text in references if kind == "reference"]
    if valid:
        reasons.append(
            _("%(found)s is a valid payment reference but no order has it.") % {"found": ", ".join(valid)}
        )
    reasons.append(by_name)
    return " ".join(r for r in reasons if r) or _("No payment reference found.")


def _payer_names(customer) -> list[str]:
    if customer is None:
        return []
    return [n for n in (f"{customer.first_name} {customer.last_name}", customer.company) if n.strip()]


def _by_amount_and_name(line: BankStatementLine) -> Target | str:
    """The one open invoice, or not yet invoiced bank-transfer order, owed exactly the line's
    amount whose customer (or invoice buyer, or billing name) the sender is. Several -> none."""
    written = line.sender or line.description
    if not written.strip():
        return ""
    candidates: dict[tuple, Target] = {}
    invoices = (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, status__in=OPEN_INVOICE, currency=line.currency)
        .alias(owed=F("payable") - F("paid_total") - F("credited_total"))
        .filter(owed=line.amount)
        .select_related("order", "customer")
        .order_by("pk")[:CANDIDATE_LIMIT]
    )
    for invoice in invoices:
        if any(files.name_matches(written, n) for n in [invoice.buyer_name, *_payer_names(invoice.customer)]):
            candidates[(invoice.order_id, invoice.pk)] = Target(order=invoice.order, invoice=invoice)
    orders = (
        Order.objects.filter(
            grand_total=line.amount,
            currency=line.currency,
            payment_method=PaymentMethod.BANK_TRANSFER,
            payment_status=PaymentStatus.PENDING,
        )
        .exclude(status=OrderStatus.CANCELLED)
        .exclude(Exists(Invoice.objects.filter(order=OuterRef("pk"), kind=InvoiceKind.INVOICE)))
        .exclude(Exists(Payment.objects.filter(order=OuterRef("pk"), kind=PaymentKind.CAPTURE)))
        .select_related("customer")
        .order_by("pk")[:CANDIDATE_LIMIT]
    )
    for order in orders:
        if any(files.name_matches(written, n) for n in [order.bill_name, *_payer_names(order.customer)]):
            candidates[(order.pk, None)] = Target(order=order, invoice=None)
    if len(candidates) == 1:
        return next(iter(candidates.values()))
    if len(candidates) > 1:
        return _("%(n)s open orders of this amount are in this sender's name: match it by hand.") % {
            "n": len(candidates)
        }
    return ""


def _label(target: Target) -> str:
    return target.found or (target.invoice.number if target.invoice else target.order.number)


def _what(order: Order | None, invoices: list[Invoice]) -> str:
    if len(invoices) == 1 and not order:
        return invoices[0].number
    if invoices:
        return f"{order.number} ({', '.join(i.number for i in invoices)})" if order else invoices[0].number
    return order.number


def _settle(line: BankStatementLine, target: Target, *, user) -> None:
    """Record the line's money against the target and set the line's status; a partial or an
    overpayment opens a finance issue. Locks invoices (by id) then the order, as
    ``record_payment`` does. Raises ``Unmatchable`` (nothing written) when it cannot be paid."""
    order = target.order
    if target.invoice is not None:
        invoices = [Invoice.objects.select_for_update(of=("self",)).get(pk=target.invoice.pk)]
        owed_invoices = invoices
    else:
        invoices = list(
            Invoice.objects.select_for_update(of=("self",))
            .filter(order=order, kind=InvoiceKind.INVOICE, status__in=OPEN_INVOICE)
            .order_by("pk")
        )
        exact = [invoice for invoice in invoices if invoice.balance == line.amount]
        owed_invoices = exact[:1] if len(invoices) > 1 and exact else invoices
    if order is not None:
        order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    currency = invoices[0].currency if invoices else order.currency
    if currency != line.currency:
        raise Unmatchable(
            _("%(what)s is in %(currency)s, the bank line in %(line)s.")
            % {"what": _what(order, invoices), "currency": currency, "line": line.currency}
        )
    if target.invoice is not None or owed_invoices:
        owed = sum((max(invoice.balance, ZERO) for invoice in owed_invoices), ZERO)
    elif order.status == OrderStatus.CANCELLED:
        owed = ZERO
    elif Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE).exists():
        owed = ZERO  # invoiced and every invoice settled
    else:
        owed = max(order.grand_total - received_for_order(order.pk), ZERO)
    _record(line, order=order, invoices=owed_invoices, user=user)
    difference = line.amount - owed
    line.status = (
        MatchStatus.MATCHED
        if difference == 0
        else MatchStatus.PARTIAL
        if difference < 0
        else MatchStatus.OVERPAID
    )
    line.matched_order = order
    line.matched_invoice = owed_invoices[0] if owed_invoices else None
    line.found_reference = target.found[:20]
    line.difference = difference
    line.save(update_fields=["status", "matched_order", "matched_invoice", "found_reference", "difference"])
    if difference:
        _open_difference_issue(line, order=order, invoices=owed_invoices, owed=owed)


def _record(line: BankStatementLine, *, order: Order | None, invoices: list[Invoice], user) -> None:
    """One capture per invoice paid (oldest first; what is left over goes on the last one), or one
    on the order while it has no open invoice."""
    key = f"bank:{line.statement_id}:{line.row_number}"
    common = {
        "kind": PaymentKind.CAPTURE,
        "source": "bank",
        "method": PaymentMethod.BANK_TRANSFER,
        "received_on": line.booked_on,
        "provider_reference": line.bank_reference,
        "note": (line.sender or line.description)[:255],
        "user": user,
        "bank_line": line,
    }
    if not invoices:
        record_payment(amount=line.amount, dedupe_key=key, order=order, **common)
        return
    remaining = line.amount
    for n, invoice in enumerate(invoices):
        last = n == len(invoices) - 1
        part = remaining if last else min(remaining, max(invoice.balance, ZERO))
        if part <= 0:
            break
        record_payment(amount=part, dedupe_key=key if n == 0 else f"{key}:{n}", invoice=invoice, **common)
        remaining -= part


def _open_difference_issue(line, *, order, invoices, owed: Decimal) -> None:
    values = {
        "received": format_money(line.amount, line.currency),
        "owed": format_money(owed, line.currency),
        "what": _what(order, invoices),
        "gap": format_money(abs(line.difference), line.currency),
    }
    if line.difference < 0:
        kind = FinanceIssueKind.PARTIAL_PAYMENT
        detail = _("%(received)s received for %(what)s, %(owed)s owed: %(gap)s still to come.") % values
    else:
        kind = FinanceIssueKind.OVERPAYMENT
        detail = (
            _(
                "%(received)s received for %(what)s, %(owed)s owed: "
                "%(gap)s too much (refund it or keep it as credit)."
            )
            % values
        )
    open_issue(
        kind=kind,
        key=f"bank:{line.pk}:{kind}",
        detail=detail,
        amount=abs(line.difference),
        currency=line.currency,
        order=order,
        invoice=invoices[0] if invoices else None,
        bank_line=line,
    )


def _leave_unmatched(line: BankStatementLine, detail: str) -> None:
    line.status = MatchStatus.UNMATCHED
    line.matched_order = line.matched_invoice = None
    line.difference = ZERO
    line.save(update_fields=["status", "matched_order", "matched_invoice", "difference", "found_reference"])
    open_issue(
        kind=FinanceIssueKind.UNMATCHED,
        key=f"bank:{line.pk}:{FinanceIssueKind.UNMATCHED}",
        detail=detail,
        amount=line.amount,
        currency=line.currency,
        bank_line=line,
    )


def match_line(line: BankStatementLine, *, user=None) -> BankStatementLine:
    """Match one credit line automatically (at import). Whatever cannot be matched, or fails to
    settle (a rule of the order refused it), stays UNMATCHED with an issue saying why; the
    import goes on. Runs in the caller's transaction, each line in its own savepoint."""
    found = find_target(line)
    if isinstance(found, Target):
        try:
            with transaction.atomic():
                _settle(line, found, user=user)
            return line
        except Unmatchable as exc:
            found = exc.detail
        except DomainError as exc:
            found = _("%(what)s could not be paid: %(error)s") % {"what": _label(found), "error": exc.message}
        line.found_reference = ""
    _leave_unmatched(line, found)
    return line


@transaction.atomic
def match_line_by_hand(
    line: BankStatementLine | int, order_or_invoice: Order | Invoice, user=None
) -> BankStatementLine:
    """A finance person says what an unmatched (or ignored) credit line pays: it is recorded as an
    automatic match would be, its "unmatched" issue is resolved, a partial or an overpayment
    opens its own issue. Refused for debits, credit notes and lines already counted."""
    line = BankStatementLine.objects.select_for_update(of=("self",)).get(
        pk=line if isinstance(line, int) else line.pk
    )
    if line.amount <= 0:
        raise InvalidInput(_("This line is a debit, not a customer payment."), code="not_a_credit")
    if line.status in COUNTED or Payment.objects.filter(bank_line=line).exists():
        raise Conflict(_("This line is matched already."), code="line_matched")
    if isinstance(order_or_invoice, Invoice):
        if order_or_invoice.kind != InvoiceKind.INVOICE:
            raise InvalidInput(_("A payment goes to an invoice, not to a credit note."), code="credit_note")
        target = Target(order=order_or_invoice.order, invoice=order_or_invoice, found=order_or_invoice.number)
        label = order_or_invoice.number
    else:
        target = Target(order=order_or_invoice, invoice=None, found=order_or_invoice.number)
        label = order_or_invoice.number
    try:
        _settle(line, target, user=user)
    except Unmatchable as exc:
        raise InvalidInput(exc.detail, code="cannot_match") from None
    close_issues(
        user=user,
        resolution=_("Matched by hand to %(target)s.") % {"target": label},
        bank_line=line,
        kind=FinanceIssueKind.UNMATCHED,
    )
    BankStatement.objects.filter(pk=line.statement_id).update(matched_count=F("matched_count") + 1)
    return line


def find_order_or_invoice(text: str) -> Order | Invoice:
    """What the person typed in "match by hand": an order number (with or without dashes), a
    payment reference or an invoice number. Raises ``NotFound``."""
    value = "".join((text or "").split()).upper()
    if value:
        invoice = (
            Invoice.objects.filter(number=value, kind=InvoiceKind.INVOICE).select_related("order").first()
        )
        if invoice is not None:
            return invoice
        numbers = {value}
        if is_valid_reference(value):
            numbers |= _order_numbers(value)
        parts = _ORDER_NUMBER.fullmatch(value)
        if parts:
            numbers.add(f"{parts[1]}-{parts[2]}-{parts[3]}")
        order = Order.objects.filter(number__in=numbers).first()
        if order is not None:
            return order
    raise NotFound(
        _("No order or invoice “%(text)s”: type an order number, a payment reference or an invoice number.")
        % {"text": text},
        code="no_such_order",
    )
