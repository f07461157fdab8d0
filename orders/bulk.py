"""Bulk loader for historic orders: ``seed_demo --orders 1000000`` and the demo's older history.

Why not ``orders.services.create_order``: one order through the service costs ~40 queries; a
million of them would take hours. Here rows are generated in Python and written with PostgreSQL
``COPY`` (psycopg 3 ``cursor.copy``), or with large ``bulk_create`` batches elsewhere (the SQLite
demo), in dependency order: customers and their addresses, orders, lines, timeline rows, queue
items. Then the customers' history columns are recomputed from their orders and the tables
ANALYZEd.

What the rows are, so nothing else disagrees with them:

- Historic orders never touch stock. Their statuses hold no reservation: completed, delivered,
  shipped, returned, partially returned and cancelled (and, when asked for, a few open ones that
  hold none either: new, on hold for risk/approval with an open queue item, or backordered in
  full with an open backorder queue item). Shipped units are taken to have left stock before the
  ledger began, so the inventory ledger check (``check_stock``) is unaffected.
- Totals agree with the lines (KDV included, ``tax_included`` per line plus the shipping fee's).
- Order numbers come from their own series ``ARS-<year>-<7 digits>`` (``ARS`` = archive), numbered
  on from the highest one already there, so they never meet ``SIP-...`` numbers from
  ``oms.sequences.next_number_unlocked`` and a second load adds instead of colliding.
- Channel order ids are ``H<order number>``: unique per channel.
- Primary keys are reserved up front (the table's sequence advanced past the batch), so children
  can point at their parents without reading anything back.
"""

from __future__ import annotations

import bisect
import json
import random
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from oms.money import round_money, tax_included
from orders.models import (
    Customer,
    CustomerAddress,
    Order,
    OrderEvent,
    OrderLine,
    OrderSource,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Queue,
    QueueItem,
    Segment,
)

S = OrderStatus
SERIES = "ARS"
SHIPPING_TAX_RATE = 20

# Status mix of a shop's history (weights): most orders are long done.
HISTORY_MIX = {
    S.COMPLETED: 70,
    S.DELIVERED: 10,
    S.SHIPPED: 3,
    S.CANCELLED: 9,
    S.RETURNED: 3,
    S.PARTIALLY_RETURNED: 2,
}
# With ``open_share``: the open orders that hold no stock.
OPEN_MIX = {S.NEW: 2, S.ON_HOLD: 5, S.BACKORDERED: 3}

PAYMENT_MIX = {
    PaymentMethod.CARD: 62,
    PaymentMethod.INSTALLMENTS: 12,
    PaymentMethod.CASH_ON_DELIVERY: 14,
    PaymentMethod.BANK_TRANSFER: 8,
    PaymentMethod.ON_ACCOUNT: 4,
}
CANCEL_REASONS = ["Müşteri vazgeçti", "Ödeme alınamadı", "Adres doğrulanamadı", "Stok yetişmedi"]


@dataclass
class Item:
    """What a line needs to know about a variant (read once)."""

    variant_id: int
    sku: str
    name: str
    price: Decimal
    tax_rate: int


@dataclass
class Buyer:
    """A customer as the order snapshots it."""

    customer_id: int
    name: str
    email: str
    phone: str
    line: str
    neighbourhood: str
    district: str
    province_id: int
    city: str
    postal_code: str


@dataclass
class Stats:
    customers: int = 0
    orders: int = 0
    lines: int = 0
    events: int = 0
    queue_items: int = 0
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)


# --- Writing rows ---------------------------------------------------------------------------------


class _Table:
    """Rows of one model as tuples in column order: COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self, model: type[models.Model], *, batch: int = 20_000, with_id: bool = True) -> None:
        self.model = model
        # Without ``with_id`` the database numbers the rows (nothing points at them).
        self.fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        self.json = {i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)}
        self.defaults = [None if f.primary_key else _default(f) for f in self.fields]
        self.index = {name: i for i, name in enumerate(self.attnames)}
        self.batch = batch
        self.rows: list[list] = []
        self.written = 0
        self.postgres = connection.vendor == "postgresql"

    def row(self, **values) -> None:
        row = list(self.defaults)
        for name, value in values.items():
            row[self.index[name]] = value
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if self.postgres:
            table = connection.ops.quote_name(self.model._meta.db_table)
            columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
            copy_sql = f"COPY {table} ({columns}) FROM STDIN"
            with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
                for row in self.rows:
                    for i in self.json:
                        row[i] = json.dumps(row[i])
                    copy.write_row(row)
        else:
            # bulk_create stamps auto_now(_add) columns with the current time, as save() does; the
            # history's own times (given in the rows) must stay, as they do through COPY.
            stamped = [
                f
                for f in self.model._meta.concrete_fields
                if (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
                and f.attname in self.attnames
            ]
            flags = [(f, f.auto_now, f.auto_now_add) for f in stamped]
            for f in stamped:
                f.auto_now = f.auto_now_add = False
            try:
                self.model.objects.bulk_create(
                    [self.model(**dict(zip(self.attnames, row, strict=True))) for row in self.rows],
                    batch_size=500,
                )
            finally:
                for f, auto_now, auto_now_add in flags:
                    f.auto_now, f.auto_now_add = auto_now, auto_now_add
        self.written += len(self.rows)
        self.rows = []


def _default(field: models.Field):
    if field.has_default():
        return field.get_default()
    if field.null:
        return None
    if isinstance(field, (models.CharField, models.TextField)):
        return ""
    return None


def reserve_ids(model: type[models.Model], count: int) -> int:
    """The first of ``count`` consecutive primary keys nobody else will be given; returns it.

    PostgreSQL: the identity sequence is advanced past the block (a concurrent insert between the
    two statements would only waste numbers, not share them, as ``nextval`` never repeats).
    Elsewhere (SQLite, one writer): the next id after the highest.
    """
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s)", [sequence])
            first = cursor.fetchone()[0]
            cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
        return first
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def next_archive_numbers(years: Iterable[int]) -> dict[int, int]:
    """The next free number of the ``ARS`` series per year."""
    out = {}
    for year in years:
        prefix = f"{SERIES}-{year}-"
        last = Order.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
        out[year] = int(last.removeprefix(prefix)) + 1 if last else 1
    return out


# --- Generating -----------------------------------------------------------------------------------


def _pick(rng: random.Random, weights: dict) -> Callable[[], object]:
    keys, cumulative, total = list(weights), [], 0
    for value in weights.values():
        total += value
        cumulative.append(total)
    return lambda: keys[bisect.bisect_right(cumulative, rng.random() * total)]


def load_history(
    *,
    rng: random.Random,
    count: int,
    start: datetime,
    end: datetime,
    products: list[Item],
    buyers: list[Buyer],
    channels: dict[str, int],
    channel_weights: dict[str, int] | None = None,
    open_share: float = 0.0,
    assignees: list[int] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Stats:
    """Write ``count`` historic orders placed between ``start`` and ``end`` (see the module text).

    ``buyers`` are existing customers (their contact data is snapshotted on the orders);
    ``channels`` maps channel codes to ids. ``open_share`` of the orders (the newest ones) are
    open without stock: new, on hold (risk or approval) or backordered. Runs in one transaction.
    """
    began = time.perf_counter()
    stats = Stats()
    if count <= 0:
        return stats
    span = (end - start).total_seconds()
    # Placing times, oldest first: order ids then follow time, as they would in real life.
    moments = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(count))
    open_from = count - int(count * open_share)
    status_of = _pick(rng, HISTORY_MIX)
    open_status_of = _pick(rng, OPEN_MIX)
    payment_of = _pick(rng, PAYMENT_MIX)
    codes = list(channels)
    channel_of = _pick(rng, channel_weights or dict.fromkeys(codes, 1))
    lines_of = _pick(rng, {1: 10, 2: 50, 3: 40})
    quantity_of = _pick(rng, {1: 80, 2: 15, 3: 5})
    numbers = next_archive_numbers({timezone.localtime(m).year for m in moments})

    with transaction.atomic():
        order_id = reserve_ids(Order, count)
        line_id = reserve_ids(OrderLine, count * 3)
        orders, lines = _Table(Order), _Table(OrderLine, batch=50_000)
        events = _Table(OrderEvent, batch=50_000, with_id=False)
        queue = _Table(QueueItem, with_id=False)
        for n, placed in enumerate(moments):
            status = open_status_of() if n >= open_from else status_of()
            picked = [(p, quantity_of()) for p in rng.sample(products, lines_of())]
            if status == S.PARTIALLY_RETURNED and len(picked) == 1 and picked[0][1] == 1:
                status = S.RETURNED  # one unit cannot come back in part
            stats.by_status[status] = stats.by_status.get(status, 0) + 1
            buyer = buyers[int(len(buyers) * rng.random() ** 1.6)]  # some customers buy far more often
            year = timezone.localtime(placed).year
            number = f"{SERIES}-{year}-{numbers[year]:07d}"
            numbers[year] += 1
            channel_code = channel_of()
            payment = payment_of()
            if channel_code == "b2b":
                payment = PaymentMethod.ON_ACCOUNT
            elif payment == PaymentMethod.ON_ACCOUNT:
                payment = PaymentMethod.CARD
            created = placed + timedelta(seconds=rng.randint(5, 600))
            subtotal = tax = Decimal(0)
            items = []
            for product, quantity in picked:
                total = product.price * quantity
                line_tax = tax_included(total, product.tax_rate)
                items.append((product, quantity, total, line_tax))
                subtotal += total
                tax += line_tax
            fee = (
                Decimal(0)
                if subtotal >= 500 or channel_code in ("trendyol", "hepsiburada", "b2b")
                else Decimal("49.90")
            )
            tax += tax_included(fee, SHIPPING_TAX_RATE)
            steps = _steps(rng, status, created)
            last = steps[-1][1]
            hold_reason = ""
            if status == S.ON_HOLD:
                hold_reason = "risk" if rng.random() < 0.6 else "approval"
            risk = rng.choice([0, 0, 0, 10, 30]) if hold_reason != "risk" else rng.choice([60, 65, 75])
            orders.row(
                id=order_id,
                number=number,
                channel_id=channels[channel_code],
                channel_order_id=f"H{number}",
                status=status,
                source=OrderSource.IMPORT,
                customer_id=buyer.customer_id,
                customer_name=buyer.name,
                customer_email=buyer.email,
                customer_phone=buyer.phone,
                ship_name=buyer.name[:120],
                ship_phone=buyer.phone,
                ship_line=buyer.line,
                ship_neighbourhood=buyer.neighbourhood,
                ship_district=buyer.district,
                ship_province_id=buyer.province_id,
                ship_city=buyer.city,
                ship_postal_code=buyer.postal_code,
                ship_country="TR",
                currency="TRY",
                subtotal=round_money(subtotal),
                shipping_fee=fee,
                tax_total=round_money(tax),
                grand_total=round_money(subtotal + fee),
                payment_method=payment,
                payment_status=_payment_status(status, payment),
                installments=rng.choice([3, 6, 9, 12]) if payment == PaymentMethod.INSTALLMENTS else 1,
                risk_score=risk,
                risk_reasons=[],
                hold_reason=hold_reason,
                needs_approval=hold_reason == "approval",
                approval_reasons=[],
                warehouse_codes="" if status in OPEN_MIX else rng.choice(["IST", "IST", "IST", "ANK", "IZM"]),
                placed_at=placed,
                created_at=created,
                updated_at=last,
                cancelled_reason=rng.choice(CANCEL_REASONS) if status == S.CANCELLED else "",
            )
            shipped_status = status in (S.COMPLETED, S.DELIVERED, S.SHIPPED, S.RETURNED, S.PARTIALLY_RETURNED)
            for i, (product, quantity, total, line_tax) in enumerate(items):
                shipped = quantity if shipped_status else 0
                returned = quantity if status == S.RETURNED else 0
                if status == S.PARTIALLY_RETURNED and i == 0:  # the first line back: all of it, or one unit
                    returned = quantity if len(items) > 1 else 1
                lines.row(
                    id=line_id,
                    order_id=order_id,
                    variant_id=product.variant_id,
                    sku=product.sku,
                    name=product.name,
                    quantity=quantity,
                    unit_price=product.price,
                    list_price=product.price,
                    tax_rate=product.tax_rate,
                    tax_amount=line_tax,
                    total=total,
                    quantity_shipped=shipped,
                    quantity_returned=returned,
                    quantity_cancelled=quantity if status == S.CANCELLED else 0,
                    quantity_backordered=quantity if status == S.BACKORDERED else 0,
                )
                line_id += 1
                stats.lines += 1
            for name, moment, data in steps:
                events.row(subject_id=order_id, name=name, created_at=moment, message="", data=data)
                stats.events += 1
            if status in (S.ON_HOLD, S.BACKORDERED):
                queue_name = {
                    "risk": Queue.ON_HOLD,
                    "approval": Queue.TO_APPROVE,
                }.get(hold_reason, Queue.BACKORDERED)
                queue.row(
                    order_id=order_id,
                    queue=queue_name,
                    reason=hold_reason or "no_stock",
                    opened_at=last,
                    assignee_id=rng.choice(assignees) if assignees and rng.random() < 0.4 else None,
                )
                stats.queue_items += 1
            order_id += 1
            stats.orders += 1
            if progress and stats.orders % 100_000 == 0:
                progress(f"  {stats.orders:,} orders written ({time.perf_counter() - began:.0f} s)")
        for table in (orders, lines, events, queue):
            table.flush()
        refresh_customers({b.customer_id for b in buyers} if len(buyers) < 50_000 else None)
    stats.seconds = time.perf_counter() - began
    return stats


def _steps(rng: random.Random, status: str, created: datetime) -> list[tuple[str, datetime, dict]]:
    """Timeline rows (name, time, data) for an order that ended in ``status``."""
    t = created
    out = [("order.created", t, {"source": OrderSource.IMPORT})]

    def step(name: str, hours: tuple[float, float], frm: str, to: str) -> None:
        nonlocal t
        t = t + timedelta(hours=rng.uniform(*hours))
        out.append((name, t, {"from": frm, "to": to}))

    if status == S.NEW:
        return out
    if status == S.ON_HOLD:
        step("order.held", (0, 0.01), S.NEW, S.ON_HOLD)
        return out
    step("order.confirmed", (0, 0.01), S.NEW, S.CONFIRMED)
    if status == S.BACKORDERED:
        step("order.backordered", (0, 0.01), S.CONFIRMED, S.BACKORDERED)
        return out
    if status == S.CANCELLED:
        step("order.allocated", (0, 0.01), S.CONFIRMED, S.ALLOCATED)
        step("order.cancelled", (0.5, 30), S.ALLOCATED, S.CANCELLED)
        return out
    step("order.allocated", (0, 0.01), S.CONFIRMED, S.ALLOCATED)
    step("order.in_fulfillment", (1, 20), S.ALLOCATED, S.IN_FULFILLMENT)
    step("order.shipped", (2, 30), S.IN_FULFILLMENT, S.SHIPPED)
    if status == S.SHIPPED:
        return out
    step("order.delivered", (18, 72), S.SHIPPED, S.DELIVERED)
    if status == S.DELIVERED:
        return out
    if status in (S.RETURNED, S.PARTIALLY_RETURNED):
        step(f"order.{status}", (48, 240), S.DELIVERED, status)
        return out
    step("order.completed", (14 * 24, 15 * 24), S.DELIVERED, S.COMPLETED)
    return out


def _payment_status(status: str, payment: str) -> str:
    if status in (S.RETURNED, S.PARTIALLY_RETURNED):
        return PaymentStatus.REFUNDED if status == S.RETURNED else PaymentStatus.PAID
    if status == S.CANCELLED:
        return (
            PaymentStatus.REFUNDED
            if payment in (PaymentMethod.CARD, PaymentMethod.INSTALLMENTS)
            else PaymentStatus.PENDING
        )
    if payment == PaymentMethod.CASH_ON_DELIVERY:
        return PaymentStatus.PAID if status in (S.DELIVERED, S.COMPLETED) else PaymentStatus.PENDING
    if payment == PaymentMethod.ON_ACCOUNT:
        return PaymentStatus.PAID if status == S.COMPLETED else PaymentStatus.PENDING
    if status in (S.NEW, S.ON_HOLD):
        return (
            PaymentStatus.AUTHORIZED
            if payment in (PaymentMethod.CARD, PaymentMethod.INSTALLMENTS)
            else PaymentStatus.PENDING
        )
    return PaymentStatus.PAID


# --- Customers ------------------------------------------------------------------------------------


def refresh_customers(customer_ids: set[int] | None = None) -> int:
    """Recompute the customers' order history from their orders (count, lifetime value without
    cancelled orders, first/last order, fully returned orders, segment); all when ``None``.

    One ``UPDATE ... FROM (aggregate)``: a single pass over the orders, where correlated subqueries
    per customer took minutes for 250,000 customers and a million orders.
    """
    from orders.customers import VIP_LIFETIME_VALUE

    q = connection.ops.quote_name
    customer, order = q(Customer._meta.db_table), q(Order._meta.db_table)
    where, params = "", []
    if customer_ids is not None:
        if not customer_ids:
            return 0
        ids = sorted(customer_ids)
        where = f"WHERE c.id IN ({', '.join(['%s'] * len(ids))})"
        params = ids
    sql = f"""
        UPDATE {customer} SET
            orders_count = a.n,
            lifetime_value = a.ltv,
            first_order_at = a.first_at,
            last_order_at = a.last_at,
            returned_orders = a.returned,
            segment = CASE
                WHEN {customer}.is_vip OR a.ltv >= %s THEN %s
                WHEN a.n >= 2 THEN %s
                ELSE %s
            END
        FROM (
            SELECT c.id,
                   COUNT(o.id) AS n,
                   COALESCE(SUM(o.grand_total) FILTER (WHERE o.status <> %s AND o.currency = %s), 0) AS ltv,
                   MIN(o.created_at) AS first_at,
                   MAX(o.created_at) AS last_at,
                   COUNT(o.id) FILTER (WHERE o.status = %s) AS returned
            FROM {customer} c LEFT JOIN {order} o ON o.customer_id = c.id
            {where}
            GROUP BY c.id
        ) a
        WHERE {customer}.id = a.id
    """  # noqa: S608 - table names from model meta, values as parameters
    head = [VIP_LIFETIME_VALUE, Segment.VIP, Segment.REPEAT, Segment.NEW, S.CANCELLED, "TRY", S.RETURNED]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*head, *params])
        return cursor.rowcount


# --- A whole load: customers too (``seed_demo --orders N``) ----------------------------------------


def create_customers(
    rng: random.Random, count: int, *, provinces, first_names, last_names, address
) -> list[Buyer]:
    """``count`` new customers (with one address each) written in bulk; returns them as buyers.

    ``address(rng, plate)`` gives (line, neighbourhood, district, postal code); ``provinces`` is
    a list of (plate, name, weight).
    """
    stats_first = reserve_ids(Customer, count)
    address_first = reserve_ids(CustomerAddress, count)
    province_of = _pick(rng, {(plate, name): weight for plate, name, weight in provinces})
    now = timezone.now()
    people, addresses = _Table(Customer), _Table(CustomerAddress)
    tag = f"{stats_first:x}"  # keeps e-mails and phones unique across loads
    buyers = []
    for n in range(count):
        first, last = rng.choice(first_names), rng.choice(last_names)
        plate, city = province_of()
        line, neighbourhood, district, postal = address(rng, plate)
        email = f"{ascii_name(first)}.{ascii_name(last)}.{tag}{n}@example.com"
        phone = f"+905{(int(tag, 16) * 7919 + n) % 10**9:09d}"
        customer_id = stats_first + n
        people.row(
            id=customer_id,
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
            currency="TRY",
            consent_email=rng.random() < 0.4,
            consent_sms=rng.random() < 0.25,
            is_vip=rng.random() < 0.01,
            created_at=now,
            updated_at=now,
        )
        addresses.row(
            id=address_first + n,
            customer_id=customer_id,
            full_name=f"{first} {last}",
            phone=phone,
            address_line=line,
            neighbourhood=neighbourhood,
            district=district,
            province_id=plate,
            postal_code=postal,
            country="TR",
            label="Ev",
            is_default_shipping=True,
            is_default_billing=True,
        )
        buyers.append(
            Buyer(
                customer_id,
                f"{first} {last}",
                email,
                phone,
                line,
                neighbourhood,
                district,
                plate,
                city,
                postal,
            )
        )
    people.flush()
    addresses.flush()
    return buyers


def ascii_name(text: str) -> str:
    """A name as it goes into an e-mail address: Turkish letters folded, only a-z and 0-9 kept."""
    folded = text.replace("İ", "i").replace("I", "ı").lower().translate(str.maketrans("çğıöşü", "cgiosu"))
    return "".join(c for c in unicodedata.normalize("NFKD", folded) if c.isascii() and c.isalnum())


def analyze() -> None:
    """Fresh planner statistics after a load (PostgreSQL; SQLite's ANALYZE is cheap too)."""
    tables = [m._meta.db_table for m in (Customer, CustomerAddress, Order, OrderLine, OrderEvent, QueueItem)]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def load_shop_history(
    rng: random.Random, *, count: int, days: int = 365, progress: Callable[[str], None] | None = None
) -> Stats:
    """``count`` historic orders over the last ``days`` for the shop as it is (its active SKUs and
    channels), with a new customer per four orders; 1 % of them still open (without stock)."""
    from faker import Faker

    from channels.models import SalesChannel
    from inventory.models import Variant
    from oms.models import User
    from orders.demo import CHANNEL_WEIGHTS, address, province_weights
    from orders.services import _line_name

    variants = Variant.objects.filter(is_active=True, product__is_active=True, list_price__gt=0)
    items = [
        Item(v.pk, v.sku, _line_name(v), v.list_price, v.product.tax_rate)
        for v in variants.select_related("product").order_by("sku")
    ]
    channels = dict(SalesChannel.objects.filter(is_active=True).values_list("code", "pk"))
    if not items or not channels:
        raise ValueError("bulk orders need active variants with a price and an active sales channel")
    fake = Faker("tr_TR")
    fake.seed_instance(rng.randint(0, 2**31))
    first_names = sorted({fake.first_name() for _ in range(2000)})
    last_names = sorted({fake.last_name() for _ in range(2000)})
    began = time.perf_counter()
    with transaction.atomic():
        buyers = create_customers(
            rng,
            max(1, count // 4),
            provinces=province_weights(),
            first_names=first_names,
            last_names=last_names,
            address=address,
        )
        if progress:
            progress(f"  {len(buyers):,} customers written ({time.perf_counter() - began:.0f} s)")
        now = timezone.now()
        stats = load_history(
            rng=rng,
            count=count,
            start=now - timedelta(days=days),
            end=now - timedelta(minutes=5),
            products=items,
            buyers=buyers,
            channels=channels,
            channel_weights={c: CHANNEL_WEIGHTS.get(c, 5) for c in channels},
            open_share=0.01,
            assignees=list(User.objects.filter(groups__name="operator").values_list("pk", flat=True)),
            progress=progress,
        )
    stats.customers = len(buyers)
    stats.seconds = time.perf_counter() - began
    return stats
