"""Goods in: the receipts list and the tablet receiving station.

The station builds a *pending receipt* (a draft) scan by scan. The draft is not a database row: it
lives in the user's session (``DraftStore``), keyed by a random token, so it survives a page reload
and touches no stock until it is completed. Completing it calls ``purchasing.receive_goods`` once,
all or nothing; an ``oms.IdempotencyRecord`` keyed by the token, inserted in the same transaction,
makes a double submit (two taps, a retried request) receive the goods only once.

What a scan means (``scan``), in this order:
1. an item: a variant's barcode (GS1 codes also with or without leading zeros) or its SKU - adds a
   line or counts one more on it. Against a purchase order, an item that is not on the order is
   refused unless the user confirms it (``allow_unordered``): it is then received as "not ordered"
   and shows as a positive variance;
2. a bin of the receipt's warehouse (``A-01-02-1``, or ``IST/A-01-02-1``): the put-away bin of the
   current line. Bins of another warehouse, quarantine areas and inactive bins are refused;
3. when the current line is serial-tracked: one serial number, refused at once if it is already in
   stock or already on the draft.
Anything else is refused as unknown.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from inventory import selectors
from inventory.barcodes import GS1_LENGTHS, is_valid_gs1
from inventory.errors import DuplicateSerial, InvalidQuantity, TrackingDataMissing, UnknownVariant
from inventory.models import (
    Bin,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Receipt,
    ReceiptLine,
    StockLot,
    Tracking,
    Variant,
    Warehouse,
)
from inventory.purchasing import ReceiptInput, receive_goods
from oms.errors import Conflict, InvalidInput
from oms.models import IdempotencyRecord

OPEN_PO_STATUSES = (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED)

# A draft is kept in the session: bound its size (a pallet of phones is a few hundred serials).
MAX_LINES = 200
MAX_SERIALS = 2000
MAX_QUANTITY = 100_000


# --- Receipts (list and detail) -------------------------------------------------------------------


def receipt_list() -> QuerySet[Receipt]:
    """Receipts with what a list row shows: line count, units, over and under units.

    The figures are correlated subqueries rather than a join with GROUP BY, so PostgreSQL orders
    and cuts the page first and sums the lines of those rows only (by the line's receipt index).
    ``over`` and ``under`` sum the positive and negative line variances; they mean something only
    for receipts against a purchase order (a free receipt expected nothing).
    """
    lines = ReceiptLine.objects.filter(receipt_id=OuterRef("pk")).order_by().values("receipt_id")

    def total(queryset, expression):
        return Subquery(queryset.annotate(total=expression).values("total")[:1])

    return Receipt.objects.select_related("warehouse", "purchase_order", "received_by").annotate(
        line_count=Coalesce(total(lines, Count("pk")), 0),
        units=Coalesce(total(lines, Sum("quantity")), 0),
        over=total(lines.filter(variance__gt=0), Sum("variance")),
        under=total(lines.filter(variance__lt=0), Sum("variance")),
    )


def with_variance(receipts: QuerySet[Receipt], value: bool) -> QuerySet[Receipt]:
    """Receipts against an order with (``value``) or without any line off the order."""
    off = Exists(ReceiptLine.objects.filter(receipt_id=OuterRef("pk")).exclude(variance=0))
    if value:
        return receipts.filter(off, purchase_order__isnull=False)
    return receipts.filter(Q(purchase_order__isnull=True) | ~off)


def search_receipts(receipts: QuerySet[Receipt], text: str) -> QuerySet[Receipt]:
    """Receipt number or purchase order number contains ``text``, or a line's SKU does (or its
    barcode is ``text``)."""
    lines = ReceiptLine.objects.filter(receipt_id=OuterRef("pk")).filter(
        Q(variant__sku__icontains=text) | Q(variant__barcode=text)
    )
    return receipts.filter(
        Q(number__icontains=text) | Q(purchase_order__number__icontains=text) | Exists(lines)
    )


def receipt_detail(pk: int) -> Receipt:
    return get_object_or_404(
        Receipt.objects.select_related(
            "warehouse", "purchase_order__supplier", "received_by"
        ).prefetch_related(
            Prefetch(
                "lines",
                queryset=ReceiptLine.objects.select_related(
                    "variant__product", "bin", "purchase_order_line"
                ).order_by("pk"),
            )
        ),
        pk=pk,
    )


@dataclass
class VarianceRow:
    """One variant of a receipt against its order: what was outstanding, what came, the difference."""

    variant: Variant
    ordered: int | None  # None: not on the order
    received: int
    variance: int
    total_received: int | None  # the order line's received quantity now


def receipt_variances(receipt: Receipt) -> list[VarianceRow]:
    """Per variant of a receipt against a purchase order (uses the prefetched lines)."""
    if receipt.purchase_order_id is None:
        return []
    rows: dict[int, VarianceRow] = {}
    for line in receipt.lines.all():
        po_line = line.purchase_order_line
        row = rows.get(line.variant_id)
        if row is None:
            row = rows[line.variant_id] = VarianceRow(
                variant=line.variant,
                ordered=po_line.quantity_ordered if po_line else None,
                received=0,
                variance=0,
                total_received=po_line.quantity_received if po_line else None,
            )
        row.received += line.quantity
        row.variance += line.variance
    return list(rows.values())


def outstanding_lines(order: PurchaseOrder) -> list[PurchaseOrderLine]:
    """The order's lines still waiting for goods (after a partial receipt)."""
    return [
        line
        for line in order.lines.select_related("variant__product").order_by("pk")
        if line.quantity_received < line.quantity_ordered
    ]


# --- Purchase orders for the station --------------------------------------------------------------


def open_purchase_orders(warehouse: Warehouse | int) -> QuerySet[PurchaseOrder]:
    """Orders of a warehouse that can be received (sent or partially received), soonest expected
    first, with their line count and outstanding units."""
    return (
        PurchaseOrder.objects.filter(warehouse=warehouse, status__in=OPEN_PO_STATUSES)
        .select_related("supplier")
        .annotate(
            line_count=Count("lines"),
            units_ordered=Sum("lines__quantity_ordered"),
            units_received=Sum("lines__quantity_received"),
        )
        .order_by("expected_date", "pk")
    )


def receivable_purchase_order(*, number: str = "", pk: int | None = None, warehouse: Warehouse | None = None):
    """The open purchase order with this number (or id), checked against ``warehouse`` when given.

    Raises a clear refusal when it does not exist, is not open, or belongs to another warehouse.
    """
    orders = PurchaseOrder.objects.select_related("warehouse", "supplier")
    order = orders.filter(pk=pk).first() if pk else orders.filter(number__iexact=number.strip()).first()
    if order is None:
        raise InvalidInput(
            _("There is no purchase order “%(number)s”.") % {"number": number or pk},
            code="unknown_purchase_order",
        )
    if order.status not in OPEN_PO_STATUSES:
        raise Conflict(
            _("Purchase order %(number)s is %(status)s; only sent or partially received orders are received.")
            % {"number": order.number, "status": order.get_status_display()},
            code="purchase_order_not_open",
        )
    if warehouse is not None and order.warehouse_id != warehouse.pk:
        raise InvalidInput(
            _("Purchase order %(number)s is for %(other)s, not %(warehouse)s.")
            % {"number": order.number, "other": order.warehouse, "warehouse": warehouse},
            code="purchase_order_other_warehouse",
        )
    return order


# --- The pending receipt (draft) ------------------------------------------------------------------


@dataclass
class DraftLine:
    id: int
    variant_id: int
    quantity: int = 1
    bin_id: int | None = None
    lot_number: str = ""
    expiry_date: str = ""  # ISO date; the session stores JSON
    serials: list[str] = field(default_factory=list)
    unordered: bool = False  # confirmed although not on the purchase order

    @property
    def expiry(self) -> date | None:
        return parse_date(self.expiry_date) if self.expiry_date else None


@dataclass
class Draft:
    token: str
    user_id: int
    warehouse_id: int
    purchase_order_id: int | None = None
    started_at: str = ""
    lines: list[DraftLine] = field(default_factory=list)
    current: int | None = None  # id of the line that scans of bins and serials apply to
    seq: int = 0

    @classmethod
    def from_dict(cls, data: dict) -> Draft:
        lines = [DraftLine(**line) for line in data.get("lines", [])]
        return cls(**{**data, "lines": lines})

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def started(self):
        return parse_datetime(self.started_at) if self.started_at else None

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    def line(self, line_id: int) -> DraftLine:
        for line in self.lines:
            if line.id == line_id:
                return line
        raise InvalidInput(_("That line is no longer on the receipt."), code="unknown_line")

    def current_line(self) -> DraftLine | None:
        return next((line for line in self.lines if line.id == self.current), None)

    def add_line(self, variant_id: int, *, quantity: int = 1, **fields) -> DraftLine:
        if len(self.lines) >= MAX_LINES:
            raise InvalidQuantity(
                _("A receipt holds at most %(n)s lines; complete this one and start another.")
                % {"n": MAX_LINES}
            )
        self.seq += 1
        line = DraftLine(id=self.seq, variant_id=variant_id, quantity=quantity, **fields)
        self.lines.append(line)
        self.current = line.id
        return line


class DraftStore:
    """The user's pending receipts in their session, by token (several stations = several tabs)."""

    KEY = "goods_in_drafts"

    def __init__(self, session: MutableMapping, user) -> None:
        self.session = session
        self.user_id = user.pk

    def _all(self) -> dict:
        return self.session.get(self.KEY, {})

    def get(self, token: str) -> Draft | None:
        data = self._all().get(token)
        if data is None or data.get("user_id") != self.user_id:
            return None
        return Draft.from_dict(data)

    def drafts(self) -> list[Draft]:
        return sorted(
            (Draft.from_dict(d) for d in self._all().values() if d.get("user_id") == self.user_id),
            key=lambda d: d.started_at,
        )

    def save(self, draft: Draft) -> None:
        drafts = dict(self._all())
        drafts[draft.token] = draft.as_dict()
        self.session[self.KEY] = drafts

    def discard(self, token: str) -> bool:
        drafts = dict(self._all())
        found = drafts.pop(token, None) is not None
        self.session[self.KEY] = drafts
        return found


def start_draft(
    *, store: DraftStore, warehouse: Warehouse, purchase_order: PurchaseOrder | None = None
) -> Draft:
    """A new, empty pending receipt (nothing is written to the database)."""
    if not warehouse.is_active:
        raise InvalidInput(_("Warehouse %(w)s is not active.") % {"w": warehouse}, code="inactive_warehouse")
    if purchase_order is not None:
        purchase_order = receivable_purchase_order(pk=purchase_order.pk, warehouse=warehouse)
    draft = Draft(
        token=secrets.token_urlsafe(12),
        user_id=store.user_id,
        warehouse_id=warehouse.pk,
        purchase_order_id=purchase_order.pk if purchase_order else None,
        started_at=timezone.now().isoformat(),
    )
    store.save(draft)
    return draft


# --- Scanning -------------------------------------------------------------------------------------


@dataclass
class ScanOutcome:
    """What a scan did, for the station's feedback line."""

    message: str
    line_id: int | None = None
    warning: str = ""


class NotOnOrder(InvalidInput):
    """The scanned item is not on the purchase order; the station offers to receive it anyway."""

    code = "not_on_purchase_order"


def bins_for_code(code: str) -> list[Bin]:
    """Bins labelled ``code``: plain (``A-01-02-1``, in any warehouse) or with the warehouse code
    in front (``IST/A-01-02-1``, ``IST:A-01-02-1``)."""
    query = Q(code__iexact=code)
    for separator in ("/", ":", " "):
        prefix, found, rest = code.partition(separator)
        if found and prefix and rest:
            query |= Q(warehouse__code__iexact=prefix, code__iexact=rest.strip())
    return list(Bin.objects.filter(query).select_related("warehouse").order_by("pk")[:20])


def _variants_by_id(ids) -> dict[int, Variant]:
    return {v.pk: v for v in Variant.objects.select_related("product").filter(pk__in=set(ids))}


def _outstanding(draft: Draft) -> dict[int, int]:
    """Still outstanding per variant on the draft's purchase order (empty for a free receipt)."""
    if draft.purchase_order_id is None:
        return {}
    rows = PurchaseOrderLine.objects.filter(order_id=draft.purchase_order_id).values_list(
        "variant_id", "quantity_ordered", "quantity_received"
    )
    return {variant_id: max(ordered - received, 0) for variant_id, ordered, received in rows}


def scan(*, draft: Draft, code: str, allow_unordered: bool = False) -> ScanOutcome:
    """Apply one scanned (or typed) code to the draft: item, bin or serial (see the module doc).

    Raises a ``DomainError`` with the reason when the code is refused; the draft is then unchanged.
    """
    code = code.strip()
    if not code:
        raise InvalidInput(_("Nothing was scanned."), code="empty_scan")
    variant = selectors.variant_for_code(code)
    if variant is not None:
        return _scan_item(draft, variant, allow_unordered=allow_unordered)
    bins = bins_for_code(code)
    if bins:
        return _scan_bin(draft, bins, code)
    current = draft.current_line()
    if current is not None:
        current_variant = _variants_by_id([current.variant_id]).get(current.variant_id)
        if current_variant is not None and current_variant.product.tracking == Tracking.SERIAL:
            return add_serial(draft=draft, line=current, serial=code, variant=current_variant)
    if code.isdigit() and len(code) in GS1_LENGTHS and not is_valid_gs1(code):
        raise UnknownVariant(
            _("%(code)s is not a valid barcode (check digit): it was misread, scan it again.")
            % {"code": code},
            code="misread_barcode",
        )
    raise UnknownVariant(
        _("Unknown code %(code)s: no product, SKU or bin of this warehouse has it.") % {"code": code},
        code="unknown_code",
    )


def _scan_item(draft: Draft, variant: Variant, *, allow_unordered: bool) -> ScanOutcome:
    lines = [line for line in draft.lines if line.variant_id == variant.pk]
    serial = variant.product.tracking == Tracking.SERIAL
    outstanding = _outstanding(draft)
    on_order = draft.purchase_order_id is None or variant.pk in outstanding
    if not lines and not on_order and not allow_unordered:
        raise NotOnOrder(
            _("%(sku)s is not on this purchase order. Receive it anyway only if it came with this delivery.")
            % {"sku": variant.sku},
            variant=variant.pk,
        )
    if not lines:
        line = draft.add_line(variant.pk, quantity=0 if serial else 1, unordered=not on_order)
    else:
        current = draft.current_line()
        line = current if current in lines else lines[-1]
        draft.current = line.id
        if not serial:
            _set_quantity(line, line.quantity + 1)
    names = {"sku": variant.sku, "name": variant.product.name, "n": line.quantity}
    if serial:
        message = _("%(sku)s %(name)s: scan the serial number of each unit (%(n)s so far).") % names
    else:
        message = _("%(sku)s %(name)s: %(n)s.") % names
    warning = ""
    if draft.purchase_order_id is not None and on_order:
        over = (
            sum(other.quantity for other in draft.lines if other.variant_id == variant.pk)
            - outstanding[variant.pk]
        )
        if over > 0:
            warning = _("More than outstanding on the order: %(n)s over.") % {"n": over}
    return ScanOutcome(message=message, line_id=line.id, warning=warning)


def _scan_bin(draft: Draft, bins: list[Bin], code: str) -> ScanOutcome:
    here = [b for b in bins if b.warehouse_id == draft.warehouse_id]
    if not here:
        others = ", ".join(sorted({str(b.warehouse) for b in bins}))
        raise InvalidInput(
            _("Bin %(bin)s belongs to %(others)s, not to this receipt's warehouse.")
            % {"bin": code, "others": others},
            code="bin_other_warehouse",
        )
    place = here[0]
    if place.is_quarantine or not place.is_active:
        raise InvalidInput(
            _("Bin %(bin)s does not take received goods (quarantine area or inactive).")
            % {"bin": place.code},
            code="bin_not_for_receiving",
        )
    line = draft.current_line()
    if line is None:
        raise InvalidInput(
            _("Scan an item first: a bin is the put-away place of the current line."), code="bin_without_line"
        )
    line.bin_id = place.pk
    return ScanOutcome(message=_("Put away in %(bin)s.") % {"bin": place.code}, line_id=line.id)


def add_serial(*, draft: Draft, line: DraftLine, serial: str, variant: Variant | None = None) -> ScanOutcome:
    """One unit of a serial-tracked line; a serial in stock or already on the draft is refused."""
    serial = serial.strip()
    variant = variant or _variants_by_id([line.variant_id])[line.variant_id]
    if variant.product.tracking != Tracking.SERIAL:
        raise TrackingDataMissing(_("%(sku)s has no serial numbers.") % {"sku": variant.sku})
    if not serial or len(serial) > 64:
        raise InvalidInput(_("A serial number has 1 to 64 characters."), code="bad_serial")
    if any(serial in other.serials for other in draft.lines if other.variant_id == line.variant_id):
        raise DuplicateSerial(
            _("Serial number %(serial)s is already on this receipt: it was scanned twice.")
            % {"serial": serial},
            serials=[serial],
        )
    held = (
        StockLot.objects.filter(variant_id=line.variant_id, serial=serial)
        .filter(Q(quantity__gt=0) | Q(quarantined__gt=0))
        .select_related("warehouse", "bin")
        .first()
    )
    if held is not None:
        raise DuplicateSerial(
            _("Serial number %(serial)s is already in stock (%(warehouse)s, bin %(bin)s).")
            % {"serial": serial, "warehouse": held.warehouse, "bin": held.bin.code},
            serials=[serial],
        )
    if sum(len(other.serials) for other in draft.lines) >= MAX_SERIALS:
        raise InvalidQuantity(_("A receipt holds at most %(n)s serial numbers.") % {"n": MAX_SERIALS})
    line.serials.append(serial)
    line.quantity = len(line.serials)
    draft.current = line.id
    return ScanOutcome(
        message=_("%(sku)s serial %(serial)s (%(n)s).")
        % {"sku": variant.sku, "serial": serial, "n": line.quantity},
        line_id=line.id,
    )


# --- Editing lines --------------------------------------------------------------------------------


def _set_quantity(line: DraftLine, quantity: int) -> None:
    if quantity < 1:
        raise InvalidQuantity(
            _("The quantity must be at least 1. To take the line off the receipt, tap Remove."),
            code="quantity_below_one",
        )
    if quantity > MAX_QUANTITY:
        raise InvalidQuantity(_("At most %(n)s units per line.") % {"n": MAX_QUANTITY})
    line.quantity = quantity


def set_quantity(*, draft: Draft, line_id: int, quantity: int) -> DraftLine:
    """Tap a quantity on a line (the +/- stepper); serial-tracked lines count their serials."""
    line = draft.line(line_id)
    if (
        line.serials
        or _variants_by_id([line.variant_id])[line.variant_id].product.tracking == Tracking.SERIAL
    ):
        raise InvalidQuantity(
            _("Serial-tracked: the quantity is the number of serial numbers scanned."), code="serial_quantity"
        )
    _set_quantity(line, quantity)
    draft.current = line.id
    return line


def set_tracking(*, draft: Draft, line_id: int, lot_number: str, expiry_date: date | None) -> DraftLine:
    """The lot number and expiry date of a line (checked for completeness when completing)."""
    line = draft.line(line_id)
    if expiry_date is not None and expiry_date < timezone.localdate():
        raise TrackingDataMissing(
            _("Expiry date %(date)s has passed: expired goods are not received into stock.")
            % {"date": expiry_date.isoformat()}
        )
    line.lot_number = lot_number.strip()[:64]
    line.expiry_date = expiry_date.isoformat() if expiry_date else ""
    draft.current = line.id
    return line


def select_line(*, draft: Draft, line_id: int) -> DraftLine:
    line = draft.line(line_id)
    draft.current = line.id
    return line


def remove_line(*, draft: Draft, line_id: int) -> DraftLine:
    line = draft.line(line_id)
    draft.lines.remove(line)
    if draft.current == line.id:
        draft.current = draft.lines[-1].id if draft.lines else None
    return line


def remove_serial(*, draft: Draft, line_id: int, serial: str) -> DraftLine:
    line = draft.line(line_id)
    if serial not in line.serials:
        raise InvalidInput(
            _("Serial number %(s)s is not on this line.") % {"s": serial}, code="unknown_serial"
        )
    line.serials.remove(serial)
    line.quantity = len(line.serials)
    draft.current = line.id
    return line


def split_line(*, draft: Draft, line_id: int) -> DraftLine:
    """Another line of the same item, for a second lot, expiry or bin."""
    line = draft.line(line_id)
    serial = _variants_by_id([line.variant_id])[line.variant_id].product.tracking == Tracking.SERIAL
    return draft.add_line(line.variant_id, quantity=0 if serial else 1, unordered=line.unordered)


# --- What the station shows -----------------------------------------------------------------------


@dataclass
class LineView:
    line: DraftLine
    number: int
    variant: Variant
    bin: Bin | None
    needs_lot: bool
    needs_expiry: bool
    serial: bool
    suggested_bin: str = ""
    ordered: bool = True
    problems: list[str] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.line.id


@dataclass
class ExpectedRow:
    """A purchase order line (or an item not on the order) against what the draft holds."""

    variant: Variant
    ordered: int
    received_before: int
    expected: int  # still outstanding on the order
    scanned: int

    @property
    def difference(self) -> int:
        return self.scanned - self.expected

    @property
    def state(self) -> str:
        if self.ordered == 0:
            return "unordered"
        if self.difference == 0:
            return "complete"
        return "over" if self.difference > 0 else "short"


@dataclass
class StationView:
    draft: Draft
    warehouse: Warehouse
    purchase_order: PurchaseOrder | None
    lines: list[LineView]
    expected: list[ExpectedRow]
    receiving_bin: str

    @property
    def current(self) -> LineView | None:
        return next((view for view in self.lines if view.id == self.draft.current), None)

    @property
    def problems(self) -> list[str]:
        found = [
            f"{view.number}. {view.variant.sku}: {problem}"
            for view in self.lines
            for problem in view.problems
        ]
        if not self.lines:
            found.insert(0, _("Scan at least one item."))
        return found

    @property
    def ready(self) -> bool:
        return not self.problems

    @property
    def units(self) -> int:
        return self.draft.units

    @property
    def short_units(self) -> int:
        return sum(-row.difference for row in self.expected if row.difference < 0)

    @property
    def over_units(self) -> int:
        return sum(row.difference for row in self.expected if row.difference > 0)


def receiving_bin_code(warehouse: Warehouse) -> str:
    """Where a line without a bin is put away (as ``services.default_bin`` picks it), read-only."""
    found = (
        Bin.objects.filter(warehouse=warehouse, is_active=True, is_quarantine=False)
        .order_by("walk_sequence", "pk")
        .values_list("code", flat=True)
        .first()
    )
    return found or "RECEIVING"


def station_view(draft: Draft) -> StationView:
    """Everything the station shows about a draft, in a fixed number of queries."""
    stale = InvalidInput(
        _("This pending receipt refers to a warehouse, order or product that no longer exists; discard it."),
        code="stale_draft",
    )
    warehouse = Warehouse.objects.filter(pk=draft.warehouse_id).first()
    if warehouse is None:
        raise stale
    purchase_order = None
    po_lines: list[PurchaseOrderLine] = []
    if draft.purchase_order_id:
        purchase_order = (
            PurchaseOrder.objects.select_related("supplier").filter(pk=draft.purchase_order_id).first()
        )
        if purchase_order is None:
            raise stale
        po_lines = list(purchase_order.lines.select_related("variant__product").order_by("pk"))
    variants = {line.variant_id: line.variant for line in po_lines}
    variants.update(
        _variants_by_id(line.variant_id for line in draft.lines if line.variant_id not in variants)
    )
    if any(line.variant_id not in variants for line in draft.lines):
        raise stale
    bins = Bin.objects.in_bulk({line.bin_id for line in draft.lines if line.bin_id})
    suggested: dict[int, str] = {}
    for variant_id, code in (
        StockLot.objects.filter(
            warehouse=warehouse,
            variant_id__in={line.variant_id for line in draft.lines},
            quantity__gt=0,
            bin__is_quarantine=False,
        )
        .order_by("variant_id", "-quantity", "pk")
        .values_list("variant_id", "bin__code")
    ):
        suggested.setdefault(variant_id, code)
    on_order = {line.variant_id for line in po_lines}
    views = []
    for number, line in enumerate(draft.lines, start=1):
        variant = variants[line.variant_id]
        product = variant.product
        view = LineView(
            line=line,
            number=number,
            variant=variant,
            bin=bins.get(line.bin_id),
            needs_lot=product.tracking == Tracking.LOT,
            needs_expiry=product.tracks_expiry,
            serial=product.tracking == Tracking.SERIAL,
            suggested_bin=suggested.get(line.variant_id, ""),
            ordered=purchase_order is None or line.variant_id in on_order,
        )
        if view.needs_lot and not line.lot_number:
            view.problems.append(_("enter the lot number"))
        if view.needs_expiry and not line.expiry_date:
            view.problems.append(_("enter the expiry date"))
        if view.serial and not line.serials:
            view.problems.append(_("scan the serial numbers"))
        views.append(view)
    scanned: dict[int, int] = defaultdict(int)
    for line in draft.lines:
        scanned[line.variant_id] += line.quantity
    expected = [
        ExpectedRow(
            variant=po_line.variant,
            ordered=po_line.quantity_ordered,
            received_before=po_line.quantity_received,
            expected=po_line.outstanding,
            scanned=scanned.get(po_line.variant_id, 0),
        )
        for po_line in po_lines
    ]
    if purchase_order is not None:
        for variant_id in dict.fromkeys(line.variant_id for line in draft.lines):
            if variant_id not in on_order:
                expected.append(ExpectedRow(variants[variant_id], 0, 0, 0, scanned[variant_id]))
    return StationView(
        draft=draft,
        warehouse=warehouse,
        purchase_order=purchase_order,
        lines=views,
        expected=expected,
        receiving_bin=receiving_bin_code(warehouse),
    )


# --- Completing -----------------------------------------------------------------------------------


def _idempotency_owner(user) -> str:
    return f"goods_in:{user.pk}"


def completed_receipt(*, token: str, user) -> Receipt | None:
    """The receipt a draft token already produced, if it was completed."""
    record = IdempotencyRecord.objects.filter(owner=_idempotency_owner(user), key=token).first()
    if record is None or not record.body:
        return None
    return Receipt.objects.filter(pk=int(bytes(record.body).decode())).first()


def complete_draft(*, draft: Draft, user) -> tuple[Receipt, bool]:
    """Receive the draft through ``receive_goods`` once; returns (receipt, created).

    The draft's token is recorded in the same transaction: a second completion (a double tap, a
    retry, a second tab) waits for the first and returns its receipt instead of receiving again.
    Refused lines raise and nothing is written.
    """
    view = station_view(draft)
    if not view.ready:
        problems = view.problems
        raise TrackingDataMissing(
            _("The receipt is not complete: %(first)s") % {"first": problems[0]}
            + (_(" (and %(n)s more)") % {"n": len(problems) - 1} if len(problems) > 1 else ""),
            problems=problems,
        )
    lines = [
        ReceiptInput(
            variant=line.variant,
            quantity=line.line.quantity,
            bin=line.bin,
            lot_number=line.line.lot_number,
            expiry_date=line.line.expiry,
            serials=tuple(line.line.serials),
        )
        for line in view.lines
    ]
    fingerprint = hashlib.sha256(repr(draft.as_dict()["lines"]).encode()).hexdigest()
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    owner=_idempotency_owner(user), key=draft.token, fingerprint=fingerprint
                )
        except IntegrityError:
            receipt = completed_receipt(token=draft.token, user=user)
            if receipt is None:  # pragma: no cover - the first completion holds the row until it commits
                raise Conflict(_("This receipt is being completed; reload the page.")) from None
            return receipt, False
        receipt = receive_goods(
            warehouse=view.warehouse,
            purchase_order=view.purchase_order,
            lines=lines,
            user=user,
        )
        record.status_code = 201
        record.content_type = "text/plain"
        record.body = str(receipt.pk).encode()
        record.save(update_fields=["status_code", "content_type", "body"])
    return receipt, True
