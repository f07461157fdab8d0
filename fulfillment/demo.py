"""Demo fulfillment: boxes, carriers and rules, then a warehouse at work on the demo orders.

Deterministic for a seeded ``random.Random`` and run through the real services only:

- set-up: four standard boxes (one padded), a ``manual`` courier, a ``table_rate`` card with rate
  bands by desi and zone, and Yurtiçi/Aras accounts in sandbox settings with dummy credentials.
  Those two are **inactive**: their connectors call the carriers over the network, which a demo
  must never do, so selection skips them and no shipment is created through them;
- the past days (``HISTORY``): a few orders a day are placed through ``create_order``, picked
  (batch or single lists), packed, labelled, handed over (stock consumed), the day's manifests
  closed, and tracked (in transit, out for delivery, delivered, failed attempts, one returned to
  sender) with ``record_updates``; every step runs with the clock at its moment (``_clock``);
- today (the real clock): the orders still allocated (the orders demo's open ones and a few new
  ones) go on pick lists; most are picked by scans, one line is short (a problem), one list is
  half picked and one untouched; the picked orders are packed, labelled and partly handed over.

Orders that are not allocated (held, backordered) or whose stock is short are skipped.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.db.models import F, Sum
from django.utils import timezone

from fulfillment import packing, picking, shipments, tracking
from fulfillment.carriers import TrackingUpdate
from fulfillment.carriers.zones import ZONES
from fulfillment.models import (
    Box,
    CarrierAccount,
    CarrierRule,
    Manifest,
    PickList,
    PickMethod,
    PickTask,
    PickTaskStatus,
    Problem,
    ProblemKind,
    RateBand,
    Shipment,
    ShipmentStatus,
    TrackingException,
)
from fulfillment.problems import resolve_problem
from inventory.models import StockLevel, Tracking, Variant
from oms.errors import DomainError
from orders import services as order_services
from orders.customers import CustomerData
from orders.models import Order, OrderAllocation, OrderStatus, PaymentMethod, PaymentStatus
from orders.services import AddressData, LineData, OrderData

S = ShipmentStatus
# Orders placed and shipped on each past day (days ago -> what became of each shipment).
HISTORY = {
    5: ["delivered", "delivered", "delivered", "returned"],
    4: ["delivered", "delivered", "late", "delivered"],
    3: ["delivered", "delivered", "delivered", "late"],
    2: ["delivered", "delivered", "out", "failed"],
    1: ["transit", "transit", "transit", "transit"],
}
TODAY_NEW = 14  # orders placed today besides the ones already waiting
BOXES = [
    # code, name, length, width, height, max kg, tare kg, padded
    ("K-S", "Küçük koli", 25, 20, 10, 5, "0.150", False),
    ("K-M", "Orta koli", 35, 25, 20, 15, "0.300", False),
    ("K-L", "Büyük koli", 50, 40, 30, 25, "0.550", False),
    ("K-XL", "Köpüklü koli (kırılacak eşya)", 60, 40, 40, 30, "0.900", True),
]
DESI_BANDS = [2, 5, 10, 20, 30, 50, 100]
ZONE_BASE = {"local": Decimal("49.90"), "regional": Decimal("64.90"), "national": Decimal("79.90")}
ZONE_BASE["remote"] = Decimal("109.90")
HUBS = ["İstanbul Tuzla Aktarma", "Ankara Aktarma Merkezi", "İzmir Aktarma Merkezi", "Bursa Aktarma"]


@contextmanager
def _clock(moment: datetime | None) -> Iterator[None]:
    """Run the services as if it were ``moment`` (``None``: the real clock)."""
    if moment is None:
        yield
        return
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


# --- Set-up -----------------------------------------------------------------------------------------


def seed_setup() -> dict:
    """Boxes, carrier accounts with their rate card, and carrier rules (kept by code/name)."""
    for code, name, length, width, height, max_kg, tare, padded in BOXES:
        Box.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "length_cm": length,
                "width_cm": width,
                "height_cm": height,
                "max_weight_kg": max_kg,
                "tare_weight_kg": Decimal(tare),
                "for_fragile": padded,
            },
        )
    courier, _ = CarrierAccount.objects.get_or_create(
        code="ekspres-kurye",
        defaults={
            "name": "Ekspres Kurye",
            "connector": "manual",
            "settings": {"price": "149.90", "transit_days": 1},
            "supports_cod": False,
            "supports_cold_chain": True,
            "max_desi": 30,
            "transit_days": 1,
            "pickup_cutoff": time(15, 0),
        },
    )
    card, created = CarrierAccount.objects.get_or_create(
        code="oms-kargo",
        defaults={
            "name": "OMS Kargo (anlaşmalı tarife)",
            "connector": "table_rate",
            "settings": {"tracking_prefix": "OMS", "transit_days_by_zone": {"local": 1, "remote": 4}},
            "supports_cod": True,
            "max_desi": 100,
            "transit_days": 2,
            "pickup_cutoff": time(17, 0),
        },
    )
    if created:
        RateBand.objects.bulk_create(
            RateBand(
                carrier=card,
                zone=zone,
                max_desi=band,
                price=ZONE_BASE[zone] + Decimal(n * 12),
                cod_fee=Decimal("24.90"),
            )
            for zone in ZONES
            for n, band in enumerate(DESI_BANDS)
        )
    # Sandbox accounts with dummy credentials, inactive: their connectors call the carriers.
    yurtici, _ = CarrierAccount.objects.get_or_create(
        code="yurtici-test",
        defaults={
            "name": "Yurtiçi Kargo (test ortamı)",
            "connector": "yurtici",
            "settings": {
                "endpoint": "https://testwebservices.yurticikargo.com/KOPSWebServices/"
                "ShippingOrderDispatcherServices",
                "price": "84.90",
                "price_per_desi": "6.50",
                "price_per_desi_from": "5",
                "cod_fee": "29.90",
                "transit_days": 2,
            },
            "credentials": {"wsUserName": "YKTEST", "wsPassword": "demo-password"},
            "transit_days": 2,
            "is_active": False,
        },
    )
    CarrierAccount.objects.get_or_create(
        code="aras-test",
        defaults={
            "name": "Aras Kargo (test ortamı)",
            "connector": "aras",
            "settings": {
                "endpoint": "https://customerservicestest.araskargo.com.tr/arascargoservice/"
                "arascargoservice.asmx",
                "price": "79.90",
                "cod_fee": "27.50",
                "transit_days": 2,
            },
            "credentials": {"userName": "neodyum", "password": "demo-password"},
            "transit_days": 2,
            "is_active": False,
        },
    )
    rules = [
        ("Soğuk zincir ürünleri: Ekspres Kurye", 10, courier, {"cold_chain": True}, True),
        ("VIP ve acil siparişler: en hızlı (Ekspres Kurye)", 20, courier, {"express": True}, True),
        ("Kapıda ödeme: OMS Kargo", 30, card, {"cash_on_delivery": True}, True),
        ("Uzak iller (mobil bölge): Yurtiçi Kargo", 40, yurtici, {"zone": "remote"}, False),
    ]
    for name, priority, carrier, conditions, active in rules:
        CarrierRule.objects.get_or_create(
            name=name,
            defaults={"priority": priority, "carrier": carrier, "is_active": active, **conditions},
        )
    return {
        "boxes": Box.objects.count(),
        "carriers": CarrierAccount.objects.count(),
        "rules": CarrierRule.objects.count(),
    }


# --- The warehouse at work ----------------------------------------------------------------------------


class _Seeder:
    def __init__(self, rng: random.Random, admin) -> None:
        self.rng = rng
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        staff = list(get_user_model().objects.filter(groups__name="warehouse").order_by("pk"))
        self.staff = staff or [admin]
        self.admin = admin
        self.templates = list(
            Order.objects.filter(
                customer__isnull=False,
                ship_province__isnull=False,
                status__in=[OrderStatus.DELIVERED, OrderStatus.COMPLETED],
                customer__problem_orders=0,
            )
            .select_related("customer")
            .order_by("pk")[:200]
        )
        free = dict(
            StockLevel.objects.filter(warehouse__is_active=True)
            .values("variant_id")
            .annotate(n=Sum(F("on_hand") - F("reserved") - F("quarantined")))
            .values_list("variant_id", "n")
        )
        self.skus = [
            [sku, free.get(pk, 0)]
            for pk, sku in Variant.objects.filter(
                is_active=True,
                product__is_active=True,
                list_price__gt=0,
                list_price__lt=4000,
                product__tracking=Tracking.NONE,
            )
            .order_by("sku")
            .values_list("pk", "sku")
            if free.get(pk, 0) >= 8
        ]
        self.numbers = 0
        self.placed: list[int] = []
        self.counts = {"orders": 0, "pick_lists": 0, "short_picks": 0}

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(hour, minute)))

    def user(self):
        return self.rng.choice(self.staff)

    # --- Orders ---

    def place(self, when: datetime) -> Order | None:
        """A web order of a known customer through ``create_order``; None unless it is allocated."""
        rng = self.rng
        if not self.templates or not self.skus:
            return None
        template = rng.choice(self.templates)
        customer = template.customer
        pool = [s for s in self.skus if s[1] >= 4]
        if not pool:
            return None
        lines = [
            LineData(sku=s[0], quantity=rng.choice([1, 1, 1, 2])) for s in rng.sample(pool, min(2, len(pool)))
        ]
        lines = lines[: rng.choice([1, 1, 2])]
        self.numbers += 1
        data = OrderData(
            channel="web",
            channel_order_id=f"WF{self.today:%y%m%d}{self.numbers:04d}",
            lines=lines,
            customer=CustomerData(
                email=customer.email,
                phone=customer.phone,
                first_name=customer.first_name,
                last_name=customer.last_name,
            ),
            shipping_address=AddressData(
                name=template.ship_name,
                phone=template.ship_phone,
                line1=template.ship_line,
                neighbourhood=template.ship_neighbourhood,
                district=template.ship_district,
                city=template.ship_city,
                postal_code=template.ship_postal_code,
            ),
            payment_method=rng.choices(
                [PaymentMethod.CARD, PaymentMethod.CASH_ON_DELIVERY], weights=[75, 25]
            )[0],
            shipping_fee=Decimal("49.90"),
            placed_at=when,
        )
        with _clock(when):
            try:
                order, _created = order_services.create_order(data, source="demo")
            except DomainError:
                return None
        for line in lines:
            for entry in self.skus:
                if entry[0] == line.sku:
                    entry[1] -= line.quantity
        self.counts["orders"] += 1
        self.placed.append(order.pk)
        if order.special_code:  # drawn from ``secrets`` at intake: the same seed, the same code
            self._stable_special_code(order)
        return order if order.status == OrderStatus.ALLOCATED else None

    def _stable_special_code(self, order: Order) -> None:
        from orders.demo import stable_special_code

        stable_special_code(self.rng, order)

    # --- Picking ---

    def build(self, orders: list[int], method: str, when: datetime | None) -> list[PickList]:
        """Pick lists for ``orders``, per warehouse; orders whose lines sit elsewhere are left."""
        by_warehouse = defaultdict(set)
        for order_id, warehouse_id in OrderAllocation.objects.filter(order_id__in=orders).values_list(
            "order_id", "warehouse_id"
        ):
            by_warehouse[warehouse_id].add(order_id)
        lists = []
        with _clock(when):
            for warehouse_id in sorted(by_warehouse):
                try:
                    lists += picking.build_pick_lists(
                        warehouse=warehouse_id,
                        method=method,
                        order_ids=sorted(by_warehouse[warehouse_id]),
                        batch_size=4,
                        user=self.user(),
                        cutoff=when,
                    )
                except DomainError:
                    continue
        self.counts["pick_lists"] += len(lists)
        return lists

    def pick(self, pick_list: PickList, when: datetime | None, *, limit: int | None = None, short=False):
        """Work the list's tasks in walk order: scan the bin and each unit (serials for tracked
        products), or tap the quantity; ``short`` reports the first task short by one unit."""
        user = self.user()
        tasks = list(
            PickTask.objects.filter(pick_list=pick_list, status=PickTaskStatus.OPEN)
            .select_related("bin", "lot", "variant__product")
            .order_by("sequence")
        )
        for n, task in enumerate(tasks[:limit]):
            moment = when + timedelta(minutes=2 * n) if when else None
            with _clock(moment):
                try:
                    serial = task.variant.product.tracking == Tracking.SERIAL
                    if short and not serial:
                        picking.short_pick(task, task.quantity - 1, user=user)
                        self.counts["short_picks"] += 1
                        short = False
                    elif serial:
                        if not (task.lot and task.lot.serial):
                            return
                        picking.scan(task, task.bin.code, user=user)
                        picking.scan(task, task.lot.serial, user=user, at_bin=task.bin_id)
                    elif self.rng.random() < 0.6:
                        picking.scan(task, task.bin.code, user=user)
                        for _unit in range(task.quantity):
                            picking.scan(
                                task, task.variant.barcode or task.variant.sku, user=user, at_bin=task.bin_id
                            )
                    else:
                        picking.pick(task, task.quantity, user=user)
                except DomainError:
                    return

    def picked_orders(self, lists: list[PickList]) -> list[tuple[int, int]]:
        """(order, warehouse) of the lists whose every task for that order is picked in full."""
        ready = []
        tasks = PickTask.objects.filter(pick_list__in=lists).values_list(
            "order_id", "pick_list__warehouse_id", "status"
        )
        state: dict[tuple[int, int], bool] = {}
        for order_id, warehouse_id, status in tasks.order_by("pk"):
            key = (order_id, warehouse_id)
            state[key] = state.get(key, True) and status == PickTaskStatus.PICKED
        for key, ok in sorted(state.items()):
            if ok and key not in ready:
                ready.append(key)
        return ready

    # --- Packing and shipping ---

    def pack(self, order_id: int, warehouse_id: int, when: datetime | None, *, close=True) -> Shipment | None:
        user = self.user()
        number = Order.objects.filter(pk=order_id).values_list("number", flat=True).get()
        with _clock(when):
            try:
                shipment = packing.start_packing(number, warehouse_id, user=user)
                lines = shipment.lines.select_related("line__variant").order_by("pk")
                for line in lines:
                    variant = line.line.variant
                    for _unit in range(line.quantity - line.quantity_verified):
                        packing.verify_item(shipment, variant.barcode or variant.sku, user=user)
                suggestion = packing.suggest_box(shipment)
                weight = max(suggestion.weight_kg, Decimal("0.2"))
                if suggestion.box is not None:
                    weight += suggestion.box.tare_weight_kg
                    packing.add_parcel(shipment, weight_kg=weight, box=suggestion.box, user=user)
                else:
                    packing.add_parcel(shipment, weight_kg=weight, dims=(60, 40, 40), user=user)
            except DomainError:
                return None
        if not close:
            return shipment
        moment = when + timedelta(minutes=3) if when else None
        with _clock(moment):
            try:
                return packing.close_packing(
                    shipment, user, tracking_number=f"EK{self.rng.randrange(10**9, 10**10)}"
                )
            except DomainError:
                return None

    def hand_over(self, shipment_list: list[Shipment], when: datetime | None) -> list[Shipment]:
        ids = [s.pk for s in shipment_list if s is not None and s.status == S.CREATED]
        if not ids:
            return []
        with _clock(when):
            return shipments.hand_over(ids, user=self.user())

    def close_manifests(self, handed: list[Shipment], day: date, when: datetime) -> None:
        with _clock(when):
            for carrier_id, warehouse_id in sorted({(s.carrier_id, s.warehouse_id) for s in handed}):
                try:
                    shipments.close_manifest(carrier_id, warehouse_id, day, user=self.user())
                except DomainError:
                    continue

    # --- Tracking ---

    def track(self, shipment: Shipment, story: str, day: date) -> None:
        """Scans of one shipment handed over on ``day``, recorded each at its own time."""
        rng = self.rng
        city = shipment.order.ship_city or "Teslimat şubesi"
        hub = rng.choice(HUBS)
        next_day, later = day + timedelta(days=1), day + timedelta(days=2)
        scans = [(self.at(day, 21, rng.randint(0, 50)), S.IN_TRANSIT, "Transfer merkezinden çıktı", hub, "")]
        if story in ("delivered", "out", "failed", "late", "returned"):
            scans.append(
                (self.at(next_day, 8, rng.randint(10, 50)), S.OUT_FOR_DELIVERY, "Dağıtıma çıktı", city, "")
            )
        if story == "delivered":
            scans.append(
                (
                    self.at(next_day, rng.randint(10, 17), rng.randint(0, 59)),
                    S.DELIVERED,
                    "Teslim edildi",
                    city,
                    "",
                )
            )
        if story in ("failed", "late", "returned"):
            scans.append(
                (
                    self.at(next_day, 17, rng.randint(0, 40)),
                    S.FAILED_ATTEMPT,
                    "Alıcı adreste bulunamadı, bilgi notu bırakıldı",
                    city,
                    TrackingException.RECIPIENT_UNREACHABLE,
                )
            )
        if story == "late":
            scans.append((self.at(later, 9, 5), S.OUT_FOR_DELIVERY, "Tekrar dağıtıma çıktı", city, ""))
            scans.append(
                (
                    self.at(later, 13, rng.randint(0, 59)),
                    S.DELIVERED,
                    "Teslim edildi (ikinci deneme)",
                    city,
                    "",
                )
            )
        if story == "returned":
            scans.append(
                (
                    self.at(later, 16, 20),
                    S.FAILED_ATTEMPT,
                    "Adres bulunamadı",
                    city,
                    TrackingException.ADDRESS_NOT_FOUND,
                )
            )
            scans.append(
                (
                    self.at(later + timedelta(days=1), 11, 0),
                    S.RETURNED_TO_SENDER,
                    "Göndericiye iade edildi",
                    hub,
                    "",
                )
            )
        for occurred_at, status, description, location, exception in scans:
            if occurred_at >= self.now:
                break
            update = TrackingUpdate(
                occurred_at=occurred_at,
                status=status,
                description=description,
                location=location,
                exception=exception,
            )
            with _clock(occurred_at):
                tracking.record_updates(shipment.pk, [update], "panel")

    # --- Days ---

    def past_day(self, days_ago: int, stories: list[str]) -> None:
        rng = self.rng
        day = self.today - timedelta(days=days_ago)
        placed = sorted(self.at(day, 7) + timedelta(minutes=rng.randint(0, 200)) for _ in stories)
        orders = [o for o in (self.place(when) for when in placed) if o is not None]
        method = PickMethod.BATCH if days_ago % 2 else PickMethod.SINGLE
        if days_ago == 1:
            method = PickMethod.WAVE
        lists = self.build([o.pk for o in orders], method, self.at(day, 11, 30))
        for n, pick_list in enumerate(lists):
            self.pick(pick_list, self.at(day, 12) + timedelta(minutes=20 * n))
        packed = [
            self.pack(order_id, warehouse_id, self.at(day, 14) + timedelta(minutes=6 * n))
            for n, (order_id, warehouse_id) in enumerate(self.picked_orders(lists))
        ]
        handed = self.hand_over(packed, self.at(day, 16, 30))
        self.close_manifests(handed, day, self.at(day, 17, 45))
        stories = list(stories)
        rng.shuffle(stories)
        for shipment, story in zip(handed, stories, strict=False):
            self.track(shipment, story, day)

    def today_work(self) -> None:
        """The real clock: new orders of the last hours and the open ones go through the floor."""
        rng = self.rng
        for minutes in sorted((rng.randint(30, 300) for _n in range(TODAY_NEW)), reverse=True):
            self.place(self.now - timedelta(minutes=minutes))
        waiting = list(
            Order.objects.filter(status__in=[OrderStatus.ALLOCATED, OrderStatus.IN_FULFILLMENT])
            .exclude(pick_tasks__isnull=False)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        half = len(waiting) // 2
        lists = self.build(waiting[:half], PickMethod.SINGLE, None)
        lists += self.build(waiting[half:], PickMethod.BATCH, None)
        if not lists:
            return
        waits = 2 if len(lists) >= 5 else 0  # one list half picked, one untouched
        full, rest = lists[: len(lists) - waits], lists[len(lists) - waits :]
        for pick_list in full:
            self.pick(pick_list, None, short=not self.counts["short_picks"])
        if rest:
            self.pick(rest[0], None, limit=1)
        # The picked orders: handed over, labelled and waiting for the driver, or still at a table.
        plan = ["hand_over", "created", "packing", "label_printed"]
        handed = []
        for n, (order_id, warehouse_id) in enumerate(self.picked_orders(full)):
            target = plan[n % len(plan)]
            shipment = self.pack(order_id, warehouse_id, None, close=target != "packing")
            if target == "hand_over" and shipment is not None:
                handed.append(shipment)
            elif target == "label_printed" and shipment is not None:
                shipments.label_printed(shipment, user=self.admin)
        self.hand_over(handed, None)

    def settle_payments(self) -> None:
        """As ``orders.demo`` does (no payment service yet): cards are paid at checkout, cash on
        delivery once the parcel is delivered."""
        mine = Order.objects.filter(pk__in=self.placed)
        mine.filter(payment_method=PaymentMethod.CARD).update(payment_status=PaymentStatus.PAID)
        mine.filter(payment_method=PaymentMethod.CASH_ON_DELIVERY, status=OrderStatus.DELIVERED).update(
            payment_status=PaymentStatus.PAID
        )


def seed_fulfillment(rng: random.Random, *, admin) -> dict:
    """Set-up, a few days of shipped orders and today's floor (see the module text); returns counts."""
    setup = seed_setup()
    seeder = _Seeder(rng, admin)
    for days_ago in sorted(HISTORY, reverse=True):
        seeder.past_day(days_ago, HISTORY[days_ago])
    seeder.today_work()
    seeder.settle_payments()
    # Customer service has already dealt with the oldest delivery problem: the queue shows both.
    oldest = (
        Problem.objects.filter(kind=ProblemKind.DELIVERY, resolved_at__isnull=True).order_by("pk").first()
    )
    if oldest is not None:
        resolve_problem(
            oldest.pk,
            user=admin,
            resolution="Müşteri arandı, adres düzeltildi; kargo yeniden dağıtıma çıktı.",
        )
    return {
        **setup,
        "orders": seeder.counts["orders"],
        "pick_lists": seeder.counts["pick_lists"],
        "shipments": Shipment.objects.count(),
        "manifests": Manifest.objects.count(),
        "problems": Problem.objects.filter(resolved_at__isnull=True).count(),
    }
