"""Demo orders: customers across Türkiye and 90 days of orders in every status and channel.

Two paths, both deterministic for a seeded ``random.Random``:

- Recent orders (the last ``SERVICE_DAYS`` days, most of the open work) go through
  ``orders.services.create_order`` (source "demo") and then through the same transition services
  people use (approve, reject, confirm, start_fulfillment, mark_shipped, mark_delivered, complete,
  cancel, mark_returned, take_queue_item ...), each step run with the clock set to its moment
  (``_clock`` patches ``timezone.now``, as ``inventory.demo_reports`` does), so allocations, risk
  scores, holds, queue items, the timeline and the stock ledger are real and dated. Shipping
  consumes the order's reservations through ``inventory.services.consume`` (what fulfillment
  will do), so shipped units leave stock and the ledger check stays clean.
- Older history (from 90 days back up to the recent window) is written by ``orders.bulk`` in
  bulk: finished orders only (completed, delivered, cancelled, returned), which hold no
  reservations and never touched stock (their units left before the ledger began).

Afterwards every customer's history columns are recomputed from their orders, and payment
statuses are set from the payment method and status (there is no payment service yet).
Special codes are drawn from the seeded RNG rather than ``secrets`` so screenshots stay stable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from faker import Faker

from channels.models import ChannelPrice, SalesChannel
from inventory import services as stock
from inventory.models import Category, StockLevel, Variant
from oms.demo import clock as _clock
from oms.identity import vkn_check_digit
from oms.models import Province
from orders import bulk, services
from orders.customers import CustomerData
from orders.errors import OutOfStock
from orders.models import (
    ApprovalRule,
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    QueueItem,
    SpecialKind,
)
from orders.services import AddressData, LineData, OrderData

S = OrderStatus
HISTORY_DAYS = 90
SERVICE_DAYS = 10  # the newest orders go through the services (about 75 ms each on SQLite)
CUSTOMERS = 1500
SERVICE_ORDERS = 350
HISTORY_ORDERS = 2650
APPROVAL_LIMIT = Decimal("25000")
# Orders of each kind among the service orders (besides what happens by chance): stock shortages,
# holds for approval and for risk, and the special orders.
SPECIALS = {"backorder": 8, "approval": 8, "risk": 6, "gift": 6, "exchange": 4, "coupon": 10}

CHANNEL_WEIGHTS = {
    "web": 34,
    "app": 20,
    "trendyol": 20,
    "hepsiburada": 12,
    "instagram": 6,
    "phone": 4,
    "b2b": 4,
}
PAYMENTS = {
    "web": {"card": 60, "installments": 15, "cash_on_delivery": 15, "bank_transfer": 10},
    "app": {"card": 80, "installments": 10, "cash_on_delivery": 10},
    "trendyol": {"card": 90, "installments": 10},
    "hepsiburada": {"card": 90, "installments": 10},
    "instagram": {"cash_on_delivery": 55, "bank_transfer": 35, "card": 10},
    "phone": {"cash_on_delivery": 50, "card": 30, "bank_transfer": 20},
    "b2b": {"on_account": 75, "bank_transfer": 25},
}
NOTES = [
    "Kapıcıya bırakılabilir.",
    "Zili çalmayın, lütfen arayın.",
    "Hediye paketi olsun.",
    "Fatura kutuya konmasın.",
    "Mesai saatlerinde teslim edilsin.",
    "Komşuya bırakılabilir (kapı no 4).",
]
GIFT_MESSAGES = [
    "Bizi tercih ettiğiniz için teşekkür ederiz!",
    "İyi ki varsınız, küçük bir hediyemiz var.",
    "Yeni yılınız kutlu olsun!",
]
CANCEL_REASONS = ["Müşteri vazgeçti", "Müşteri yanlış beden seçtiğini bildirdi", "Ödeme onaylanmadı"]
EXCEPTIONS = [
    ("address_unclear", "Adres eksik: bina numarası yok, müşteriye ulaşılamadı"),
    ("damaged_in_packing", "Paketlemede ürün hasarlı bulundu"),
    ("carrier_refused", "Kargo firması paketi ölçü nedeniyle kabul etmedi"),
]
EMAIL_DOMAINS = ["gmail.com", "gmail.com", "hotmail.com", "outlook.com", "yandex.com", "icloud.com"]
MOBILE_PREFIXES = [
    "530",
    "531",
    "532",
    "533",
    "535",
    "536",
    "538",
    "539",
    "505",
    "506",
    "541",
    "542",
    "543",
    "544",
    "545",
    "546",
    "549",
    "551",
    "552",
    "553",
    "554",
    "555",
    "559",
]
COMPANY_KINDS = [
    "Ticaret Ltd. Şti.",
    "Tekstil San. Tic. A.Ş.",
    "Elektronik Ltd. Şti.",
    "Gıda San. A.Ş.",
    "Kozmetik Dağıtım Ltd. Şti.",
    "Ev Gereçleri Tic. Ltd. Şti.",
]
TAX_OFFICES = ["Kadıköy", "Beşiktaş", "Çankaya", "Konak", "Nilüfer", "Muratpaşa", "Seyhan"]
STREETS = [
    "Atatürk Cad.",
    "İnönü Cad.",
    "Cumhuriyet Cad.",
    "Gazi Bulvarı",
    "Lale Sok.",
    "Menekşe Sok.",
    "Çınar Sok.",
    "Papatya Sok.",
    "İstiklal Cad.",
    "Fevzi Çakmak Cad.",
    "Mimar Sinan Sok.",
    "Yunus Emre Cad.",
    "Barış Sok.",
    "Gül Sok.",
    "Kardelen Sok.",
    "Hürriyet Cad.",
]
# Districts and neighbourhoods of the biggest provinces; other provinces ship to "Merkez".
DISTRICTS = {
    34: {
        "Kadıköy": ["Moda", "Caferağa", "Fenerbahçe", "Göztepe"],
        "Beşiktaş": ["Levent", "Etiler", "Bebek"],
        "Üsküdar": ["Altunizade", "Kuzguncuk", "Acıbadem"],
        "Bakırköy": ["Ataköy", "Yeşilköy", "Zeytinlik"],
        "Esenyurt": ["Saadetdere", "Pınar", "Namık Kemal"],
        "Şişli": ["Mecidiyeköy", "Teşvikiye", "Feriköy"],
        "Ataşehir": ["Barbaros", "Küçükbakkalköy"],
        "Pendik": ["Kaynarca", "Velibaba", "Kurtköy"],
        "Beylikdüzü": ["Adnan Kahveci", "Yakuplu"],
        "Maltepe": ["Bağlarbaşı", "Cevizli", "İdealtepe"],
    },
    6: {
        "Çankaya": ["Kızılay", "Bahçelievler", "Ayrancı", "Çukurambar"],
        "Keçiören": ["Etlik", "Kalaba"],
        "Yenimahalle": ["Batıkent", "Demetevler"],
        "Etimesgut": ["Eryaman", "Elvankent"],
        "Mamak": ["Ege", "Abidinpaşa"],
    },
    35: {
        "Karşıyaka": ["Bostanlı", "Mavişehir"],
        "Bornova": ["Erzene", "Kazımdirik"],
        "Konak": ["Alsancak", "Göztepe"],
        "Buca": ["Şirinyer", "Kozağaç"],
        "Çiğli": ["Balatçık", "Ataşehir"],
    },
    16: {
        "Nilüfer": ["Görükle", "Beşevler", "Fethiye"],
        "Osmangazi": ["Çekirge", "Hamitler"],
        "Yıldırım": ["Yiğitler", "Millet"],
    },
    7: {"Muratpaşa": ["Lara", "Fener", "Şirinyalı"], "Konyaaltı": ["Hurma", "Liman"], "Kepez": ["Varsak"]},
    1: {"Seyhan": ["Reşatbey", "Ziyapaşa"], "Çukurova": ["Belediye Evleri", "Toros"]},
    42: {"Selçuklu": ["Bosna Hersek", "Yazır"], "Meram": ["Havzan", "Alavardı"]},
    27: {"Şahinbey": ["Karataş", "Güneykent"], "Şehitkamil": ["İncilipınar", "İbrahimli"]},
    41: {"İzmit": ["Yenişehir", "Kozluk"], "Gebze": ["Osman Yılmaz", "Hacı Halil"]},
    33: {"Yenişehir": ["Çiftlikköy", "Menteş"], "Mezitli": ["Tece", "Viranşehir"]},
    38: {"Melikgazi": ["Esenyurt", "Gesi"], "Kocasinan": ["Mimarsinan", "Fevziçakmak"]},
    26: {"Tepebaşı": ["Batıkent", "Çamlıca"], "Odunpazarı": ["Vişnelik", "Büyükdere"]},
    55: {"Atakum": ["Körfez", "Mimarsinan"], "İlkadım": ["Kale", "Kadıköy"]},
    61: {"Ortahisar": ["Kemerkaya", "Pelitli"]},
    21: {"Kayapınar": ["Huzurevleri", "Fırat"], "Bağlar": ["Bağcılar", "Kaynartepe"]},
}
WEIGHTS = {
    34: 30,
    6: 10,
    35: 8,
    16: 4,
    7: 4,
    1: 3,
    42: 3,
    27: 2,
    41: 3,
    33: 2,
    38: 2,
    26: 2,
    55: 2,
    61: 1.5,
    21: 1.5,
}
TOWN_NEIGHBOURHOODS = ["Cumhuriyet", "Atatürk", "Yenişehir", "Fatih", "Hürriyet", "İstiklal"]


def address(rng: random.Random, plate: int) -> tuple[str, str, str, str]:
    """(street line, neighbourhood, district, postal code); the code starts with the plate number."""
    districts = DISTRICTS.get(plate) or {"Merkez": TOWN_NEIGHBOURHOODS}
    district = rng.choice(sorted(districts))
    neighbourhood = rng.choice(districts[district])
    line = f"{neighbourhood} Mah. {rng.choice(STREETS)} No: {rng.randint(1, 120)} D: {rng.randint(1, 24)}"
    return line, neighbourhood, district, f"{plate:02d}{rng.randrange(0, 1000, 10):03d}"


def province_weights() -> list[tuple[int, str, float]]:
    return [
        (code, name, WEIGHTS.get(code, 0.3)) for code, name in Province.objects.values_list("code", "name")
    ]


def stable_special_code(rng: random.Random, order: Order, *, taken: set[str] | None = None) -> str:
    """Intake draws special-order codes from ``secrets``; a demo redraws them from its seeded RNG
    so the same seed gives the same shop. ``taken``: codes known to be used (else the database
    is asked). Returns the code, stored on the order."""
    alphabet = "ABCDEFGHJKLMNPRSTUVYZ23456789"
    while True:
        code = f"{services.SPECIAL_PREFIX[order.special_kind]}-{''.join(rng.choices(alphabet, k=5))}"
        used = code in taken if taken is not None else Order.objects.filter(special_code=code).exists()
        if not used:
            break
    Order.objects.filter(pk=order.pk).update(special_code=code)
    order.special_code = code
    return code


@dataclass
class _Person:
    customer: Customer
    plate: int
    city: str
    line: str
    neighbourhood: str
    district: str
    postal_code: str
    tax_number: str = ""
    tax_office: str = ""


@dataclass(eq=False)
class _Sku:
    variant_id: int
    sku: str
    price: Decimal  # web price list
    category_id: int | None
    free: int  # units free to reserve, as far as this seed knows


class _Seeder:
    def __init__(self, rng: random.Random, users: list, channels: dict[str, SalesChannel]) -> None:
        self.rng = rng
        self.now = timezone.now()
        self.users = users
        self.by_role = {}
        for user in users:
            for group in user.groups.all():
                self.by_role.setdefault(group.name, []).append(user)
        self.approvers = self.by_role.get("operator", []) + users[:1]
        self.desk = self.by_role.get("customer_service", []) or users[:1]
        self.warehouse = (self.by_role.get("warehouse") or users[:1])[0]
        self.channels = channels
        self.by_sku: dict[str, _Sku] = {}
        self.stocked: list[_Sku] = []
        self.stocked_set: set[_Sku] = set()
        self.prices: dict[str, dict[int, Decimal]] = {}
        self.counts = {"refused": 0, "holds": 0, "backorders": 0, "exceptions": 0, "specials": 0}
        self.numbers: dict[str, int] = {}
        self.special_codes: set[str] = set()

    # --- People ---

    def customers(self, count: int) -> list[_Person]:
        rng = self.rng
        fake = Faker("tr_TR")
        fake.seed_instance(rng.randint(0, 2**31))
        provinces = province_weights()
        plates, names, weights = zip(*provinces, strict=True)
        emails, phones, people, signups = set(), set(), [], []
        start = self.now - timedelta(days=400)
        for n in range(count):
            first, last = fake.first_name(), fake.last_name()
            company = ""
            if n % 50 == 0:  # one in fifty is a dealer (B2B)
                company = f"{last} {rng.choice(COMPANY_KINDS)}"
            base = f"{bulk.ascii_name(first)}.{bulk.ascii_name(last)}"
            email = f"{base}@{rng.choice(EMAIL_DOMAINS)}"
            while email in emails:
                email = f"{base}{rng.randint(2, 999)}@{rng.choice(EMAIL_DOMAINS)}"
            phone = f"+90{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}"
            while phone in phones:
                phone = f"+90{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 9_999_999):07d}"
            emails.add(email)
            phones.add(phone)
            index = rng.choices(range(len(plates)), weights=weights)[0]
            plate, city = plates[index], names[index]
            line, neighbourhood, district, postal = address(rng, plate)
            customer = Customer(
                first_name=first,
                last_name=last,
                company=company,
                email=email,
                phone=phone,
                language="en" if rng.random() < 0.04 else "tr",
                notification_channel=rng.choice(["email", "email", "sms", "push"]),
                consent_email=rng.random() < 0.45,
                consent_sms=rng.random() < 0.3,
                is_vip=rng.random() < 0.025,
                currency="TRY",
            )
            roll = rng.random()
            if roll < 0.025:
                customer.problem_orders = rng.randint(1, 2)
                customer.note = "Daha önce iki kez teslim almadı; kapıda ödemede dikkat."
            elif roll < 0.045:
                customer.failed_deliveries = rng.randint(1, 3)
            person = _Person(customer, plate, city, line, neighbourhood, district, postal)
            if company:
                nine = f"{rng.randint(1, 9)}{rng.randint(0, 99_999_999):08d}"
                person.tax_number, person.tax_office = (
                    f"{nine}{vkn_check_digit(nine)}",
                    rng.choice(TAX_OFFICES),
                )
            people.append(person)
            signups.append(start + timedelta(seconds=rng.random() * 300 * 86400))
        Customer.objects.bulk_create([p.customer for p in people], batch_size=500)
        for person, signup in zip(people, signups, strict=True):  # auto_now_add stamped "now"
            person.customer.created_at = signup
        Customer.objects.bulk_update([p.customer for p in people], ["created_at"], batch_size=500)
        return people

    # --- Catalogue as the orders see it ---

    def catalogue(self) -> list[_Sku]:
        """The sellable SKUs with their free stock, and every channel's price list."""
        free = dict(
            StockLevel.objects.filter(warehouse__is_active=True)
            .values("variant_id")
            .annotate(n=Sum(F("on_hand") - F("reserved")))
            .values_list("variant_id", "n")
        )
        rows = Variant.objects.filter(is_active=True, product__is_active=True, list_price__gt=0).order_by(
            "sku"
        )
        skus = [
            _Sku(pk, sku, price, category, free.get(pk, 0))
            for pk, sku, price, category in rows.values_list(
                "pk", "sku", "list_price", "product__category_id"
            )
        ]
        self.by_sku = {s.sku: s for s in skus}
        self.stocked = [s for s in skus if s.free >= 6]  # ordinary orders take these, so they allocate
        self.stocked_set = set(self.stocked)
        by_channel: dict[int, dict[int, Decimal]] = {}
        for channel_id, variant_id, price in ChannelPrice.objects.values_list(
            "channel_id", "variant_id", "price"
        ):
            by_channel.setdefault(channel_id, {})[variant_id] = price
        self.prices = {code: by_channel.get(channel.pk, {}) for code, channel in self.channels.items()}
        return skus

    # --- Orders through the services ---

    def place(
        self, when: datetime, people: list[_Person], skus: list[_Sku], *, kind: str = ""
    ) -> Order | None:
        """One order through ``create_order`` at ``when``; None when the channel refused it."""
        rng = self.rng
        code = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
        if kind == "backorder":
            code = rng.choice(["web", "app", "b2b", "phone"])
        elif kind == "approval":
            code = rng.choice(["web", "phone", "b2b"])
        elif kind == "risk":
            code = rng.choice(["web", "app", "instagram"])
        dealers = [p for p in people if p.customer.company]
        if code == "b2b" and dealers:
            person = rng.choice(dealers)
        elif kind == "risk":  # a first order paid at the door, or a customer with a history of problems
            person = rng.choice(
                [p for p in people if not p.customer.orders_count or p.customer.problem_orders] or people
            )
        else:
            person = people[int(len(people) * rng.random() ** 1.5)]  # a few customers buy often
        lines = self._lines(code, skus, kind)
        payment = rng.choices(list(PAYMENTS[code]), weights=list(PAYMENTS[code].values()))[0]
        if kind == "risk":
            payment = PaymentMethod.CASH_ON_DELIVERY
        customer = person.customer
        data = OrderData(
            channel=code,
            channel_order_id=self._channel_number(code),
            lines=lines,
            customer=CustomerData(
                email="" if code == "phone" else customer.email,
                phone=customer.phone,
                first_name=customer.first_name,
                last_name=customer.last_name,
                company=customer.company,
            ),
            shipping_address=AddressData(
                name=customer.full_name,
                phone=customer.phone,
                line1=person.line,
                neighbourhood=person.neighbourhood,
                district=person.district,
                city=person.city,
                postal_code=person.postal_code,
            ),
            payment_method=payment,
            installments=rng.choice([3, 6, 9, 12]) if payment == PaymentMethod.INSTALLMENTS else 1,
            shipping_fee=self._shipping_fee(code, lines),
            notes=rng.choice(NOTES) if rng.random() < 0.12 else "",
            placed_at=when,
            ip_address=self._ip() if code in ("web", "app") else None,
        )
        if customer.company:
            data.billing_address = AddressData(
                name=customer.company,
                line1=person.line,
                district=person.district,
                city=person.city,
                postal_code=person.postal_code,
                tax_number=person.tax_number,
                tax_office=person.tax_office,
            )
        if kind in (SpecialKind.GIFT, SpecialKind.EXCHANGE):
            data.special_kind = kind
            for line in data.lines:  # sent free of charge
                line.discount = Decimal(line.unit_price or 0) * line.quantity
            data.shipping_fee = 0
            if kind == SpecialKind.GIFT:
                data.gift_message = rng.choice(GIFT_MESSAGES)
            data.notes = (
                "Değişim: önceki siparişteki beden uymadı." if kind == SpecialKind.EXCHANGE else data.notes
            )
        elif kind == SpecialKind.COUPON:
            data.special_kind = kind
            gross = sum(Decimal(line.unit_price) * line.quantity for line in data.lines)
            data.discount = (gross * Decimal(rng.choice([10, 15, 20])) / 100).quantize(Decimal("0.01"))
            data.notes = f"Kupon: {rng.choice(['YAZ15', 'HOSGELDIN10', 'SADAKAT20'])}"
        user = rng.choice(self.desk) if code in ("phone", "b2b") else None
        # Marketplaces are polled every few minutes; the others arrive within seconds.
        when = when + timedelta(
            seconds=rng.randint(60, 600) if code in ("trendyol", "hepsiburada") else rng.randint(1, 20)
        )
        with _clock(when):
            try:
                order, _created = services.create_order(data, source="demo", user=user)
            except OutOfStock:
                self.counts["refused"] += 1
                for line in data.lines:
                    self._spend(line.sku, 0)
                return None
        self._stamp_queue(order, when)
        for line in order.lines.all():
            self._spend(line.sku, line.quantity_allocated)
        if order.special_kind:
            self.counts["specials"] += 1
            self._stable_special_code(order)
        return order

    def _lines(self, code: str, skus: list[_Sku], kind: str) -> list[LineData]:
        rng = self.rng
        prices = self.prices.get(code, {})
        if kind == "backorder":
            short = [s for s in skus if 0 <= s.free <= 2][:12] or skus[:5]
            pick = [rng.choice(short)]
            quantities = [pick[0].free + rng.randint(1, 4)]
        elif kind in ("approval", "risk"):
            dear = [s for s in skus if s.price >= (12000 if kind == "risk" else 9000) and s.free >= 3]
            pick = [rng.choice(dear or skus)]
            quantities = [3 if kind == "approval" else 2]
        else:
            count = rng.choices([1, 2, 3], weights=[55, 30, 15])[0] if code != "b2b" else rng.randint(2, 4)
            stocked = self.stocked if len(self.stocked) >= count else [s for s in skus if s.free > 0] or skus
            pick = rng.sample(stocked, min(count, len(stocked)))
            quantities = [
                rng.randint(3, 12) if code == "b2b" else rng.choices([1, 2, 3], weights=[80, 15, 5])[0]
                for _sku in pick
            ]
        lines = []
        for sku, quantity in zip(pick, quantities, strict=True):
            price = prices.get(sku.variant_id, sku.price)
            if code == "b2b":  # the dealer's negotiated price, within the channel's tolerance
                price = (price * Decimal("0.95")).quantize(Decimal("0.01"))
            lines.append(LineData(sku=sku.sku, quantity=quantity, unit_price=price))
        return lines

    def _stamp_queue(self, order: Order, moment: datetime) -> None:
        """Queue items opened by the last step: ``opened_at`` defaults to the real clock, not ours."""
        QueueItem.objects.filter(order=order, opened_at__gte=self.now).update(opened_at=moment)

    def _spend(self, sku: str, units: int) -> None:
        found = self.by_sku.get(sku)
        if found is not None:
            found.free -= units
            if found.free < 6 and found in self.stocked_set:
                self.stocked_set.discard(found)
                self.stocked.remove(found)

    def _ip(self) -> str:
        rng = self.rng
        first = rng.choice([78, 85, 88, 94, 176, 212])
        return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"

    def _shipping_fee(self, code: str, lines: list[LineData]) -> Decimal:
        if code in ("trendyol", "hepsiburada", "b2b"):
            return Decimal(0)
        gross = sum(Decimal(line.unit_price) * line.quantity for line in lines)
        return Decimal(0) if gross >= 750 else Decimal("49.90")

    def _channel_number(self, code: str) -> str:
        n = self.numbers.get(code, 0) + 1
        self.numbers[code] = n
        return {
            "trendyol": f"{1_984_000_000 + n * 37}",
            "hepsiburada": f"HB{4_150_000 + n * 13}",
            "web": f"W{100_000 + n}",
            "app": f"A{500_000 + n}",
            "instagram": f"IG-{n:05d}",
            "phone": f"TEL-{n:05d}",
            "b2b": f"B2B-{self.now.year}-{n:04d}",
        }[code]

    def _stable_special_code(self, order: Order) -> None:
        self.special_codes.add(stable_special_code(self.rng, order, taken=self.special_codes))

    # --- Lifecycle ---

    def live(self, order: Order, when: datetime) -> None:
        """Move an order on through the services, each step at its own time, up to now."""
        rng = self.rng
        t = when
        order.refresh_from_db(fields=["status", "hold_reason", "needs_approval"])

        def at(hours: tuple[float, float]) -> datetime | None:
            nonlocal t
            t = t + timedelta(hours=rng.uniform(*hours))
            return t if t < self.now else None

        if order.status == S.ON_HOLD:
            self.counts["holds"] += 1
            moment = at((0.1, 1))
            if moment is None:
                return
            item = QueueItem.objects.filter(order=order, resolved_at__isnull=True).first()
            person = rng.choice(self.approvers)
            if item is not None:
                with _clock(moment):
                    services.take_queue_item(item, user=person)
            moment = at((1, 20))
            if moment is None or rng.random() < 0.15:  # some are still being looked at
                return
            with _clock(moment):
                if rng.random() < 0.2:
                    services.reject(
                        order,
                        user=person,
                        reason=rng.choice(
                            ["Müşteriye ulaşılamadı, sipariş doğrulanamadı", "Limit üstü, onay verilmedi"]
                        ),
                    )
                    return
                if order.needs_approval:  # held for risk or approval: an approval confirms it
                    services.approve(order, user=person, note="Müşteri arandı, sipariş teyit edildi.")
                else:
                    services.confirm(order, user=person)
            self._stamp_queue(order, moment)
            order.refresh_from_db(fields=["status"])
        if order.status == S.BACKORDERED:
            self.counts["backorders"] += 1
            moment = at((0.5, 6))
            if moment is None:
                return
            item = QueueItem.objects.filter(order=order, resolved_at__isnull=True).first()
            if item is not None and rng.random() < 0.5:
                with _clock(moment):
                    services.take_queue_item(item, user=rng.choice(self.approvers))
            if self.now - when > timedelta(days=10) and rng.random() < 0.6:
                with _clock(when + timedelta(days=rng.uniform(7, 10))):
                    services.cancel(
                        order, reason="Tedarik gecikti, müşteri beklemek istemedi", user=self.desk[0]
                    )
            return
        if order.status != S.ALLOCATED:
            return
        if rng.random() < 0.05:
            moment = at((0.3, 6))
            if moment is not None:
                with _clock(moment):
                    services.cancel(order, reason=rng.choice(CANCEL_REASONS), user=rng.choice(self.desk))
            return
        moment = at((1, 18))
        if moment is None:
            return
        with _clock(moment):
            services.start_fulfillment(order, user=self.warehouse)
        if rng.random() < 0.03:
            reason, detail = rng.choice(EXCEPTIONS)
            with _clock(moment + timedelta(minutes=rng.randint(10, 90))):
                item = services.raise_exception(order, reason=reason, detail=detail)
                if rng.random() < 0.5:
                    services.take_queue_item(item, user=rng.choice(self.approvers))
            self._stamp_queue(order, moment)
            self.counts["exceptions"] += 1
            return
        lines = list(order.lines.order_by("pk"))
        if len(lines) > 1 and rng.random() < 0.08:  # one line first, the rest a day later
            moment = at((3, 24))
            if moment is None:
                return
            self._ship(order, moment, lines[:1])
            moment = at((20, 40))
            if moment is None:
                return
            self._ship(order, moment, lines[1:])
        else:
            moment = at((3, 30))
            if moment is None:
                return
            self._ship(order, moment, lines)
        moment = at((18, 72))
        if moment is None:
            return
        with _clock(moment):
            services.mark_delivered(order, user=None)
        roll = rng.random()
        if roll < 0.06:
            moment = at((48, 240))
            if moment is None:
                return
            lines = list(order.lines.order_by("pk"))
            back = (
                {lines[0].pk: lines[0].quantity_shipped}
                if roll < 0.02 and len(lines) > 1
                else {line.pk: line.quantity_shipped for line in lines}
            )
            with _clock(moment):
                services.mark_returned(order, lines=back, user=rng.choice(self.desk))
            return
        moment = at((14 * 24, 15 * 24))
        if moment is None:
            return
        with _clock(moment):
            services.complete(order, user=None)

    def _ship(self, order: Order, moment: datetime, lines: list[OrderLine]) -> None:
        """Hand the lines to the carrier: their reservations are consumed (stock leaves), then the
        order records the shipped units."""
        with _clock(moment), transaction.atomic():
            for line in lines:
                for allocation in line.allocations.select_related("reservation").order_by("pk"):
                    if allocation.reservation.status == "active" and allocation.reservation.quantity:
                        stock.consume(
                            reservation=allocation.reservation, reference=order.number, user=self.warehouse
                        )
            services.mark_shipped(
                order, user=self.warehouse, lines={line.pk: line.quantity_allocated for line in lines}
            )

    # --- Finishing ---

    def finish(self) -> None:
        """Payment statuses follow the method and the status (no payment service yet)."""
        demo = Order.objects.filter(source="demo")
        paid_up_front = [PaymentMethod.CARD, PaymentMethod.INSTALLMENTS, PaymentMethod.BANK_TRANSFER]
        shipped = [S.SHIPPED, S.PARTIALLY_SHIPPED, S.DELIVERED, S.COMPLETED, S.PARTIALLY_RETURNED]
        demo.filter(payment_method__in=paid_up_front).exclude(status__in=[S.ON_HOLD, S.NEW]).update(
            payment_status=PaymentStatus.PAID
        )
        demo.filter(payment_method__in=paid_up_front, status=S.ON_HOLD).update(
            payment_status=PaymentStatus.AUTHORIZED
        )
        demo.filter(payment_method__in=paid_up_front, status__in=[S.CANCELLED, S.RETURNED]).update(
            payment_status=PaymentStatus.REFUNDED
        )
        demo.filter(payment_method=PaymentMethod.CASH_ON_DELIVERY, status__in=shipped[2:]).update(
            payment_status=PaymentStatus.PAID
        )
        demo.filter(payment_method=PaymentMethod.ON_ACCOUNT, status=S.COMPLETED).update(
            payment_status=PaymentStatus.PAID
        )


def seed_rules(channels: dict[str, SalesChannel]) -> list[ApprovalRule]:
    """Big orders need an approval everywhere; phones sold on Instagram too (resale fraud)."""
    rules = [
        ApprovalRule.objects.get_or_create(
            name="25.000 TL üzeri siparişler", defaults={"min_total": APPROVAL_LIMIT}
        )[0]
    ]
    phones = Category.objects.filter(slug="telefon").first()
    if phones is not None and "instagram" in channels:
        rules.append(
            ApprovalRule.objects.get_or_create(
                name="Instagram'dan telefon siparişleri",
                defaults={"category": phones, "channel": channels["instagram"]},
            )[0]
        )
    return rules


def seed_orders(
    rng: random.Random, *, users: list, channels: dict[str, SalesChannel], scale: float = 1.0
) -> dict:
    """Customers, approval rules and 90 days of orders (see the module text); returns counts."""
    seeder = _Seeder(rng, users, channels)
    rules = seed_rules(channels)
    people = seeder.customers(max(40, round(CUSTOMERS * scale)))
    skus = seeder.catalogue()

    # Older history, in bulk (finished orders, no stock).
    now = seeder.now
    window = now - timedelta(days=SERVICE_DAYS)
    history = bulk.load_history(
        rng=rng,
        count=round(HISTORY_ORDERS * scale),
        start=now - timedelta(days=HISTORY_DAYS),
        end=window,
        products=[
            bulk.Item(v.variant_id, v.sku, name, v.price, tax)
            for v, (name, tax) in zip(skus, _names(skus), strict=True)
        ],
        buyers=[
            bulk.Buyer(
                p.customer.pk,
                p.customer.company or p.customer.full_name,
                p.customer.email,
                p.customer.phone,
                p.line,
                p.neighbourhood,
                p.district,
                p.plate,
                p.city,
                p.postal_code,
            )
            for p in people
        ],
        channels={code: ch.pk for code, ch in channels.items()},
        channel_weights=CHANNEL_WEIGHTS,
    )
    counts = dict(
        Customer.objects.filter(pk__in=[p.customer.pk for p in people]).values_list("pk", "orders_count")
    )
    for person in people:
        person.customer.orders_count = counts[person.customer.pk]

    # The recent weeks through the services, oldest first; a few orders of each special kind.
    count = max(20, round(SERVICE_ORDERS * scale))
    moments = sorted(
        window + timedelta(seconds=rng.random() * (now - window).total_seconds()) for _ in range(count)
    )
    kinds = [""] * count
    special = [kind for kind, n in SPECIALS.items() for _ in range(max(1, round(n * scale)))]
    for i, kind in zip(rng.sample(range(count), min(count, len(special))), special, strict=False):
        kinds[i] = kind
    # The newest hours hold the open work: backorders and holds most of all.
    for i in range(max(0, count - max(3, round(12 * scale))), count):
        kinds[i] = kinds[i] or rng.choice(["backorder", "approval", "risk", ""])
    placed = 0
    for when, kind in zip(moments, kinds, strict=True):
        order = seeder.place(when, people, skus, kind=kind)
        if order is None:
            continue
        placed += 1
        seeder.live(order, when + timedelta(minutes=rng.randint(1, 10)))
    seeder.finish()
    bulk.refresh_customers({p.customer.pk for p in people})
    return {
        "channels": len(channels),
        "rules": len(rules),
        "customers": len(people),
        "orders": placed + history.orders,
        "service_orders": placed,
        "history_orders": history.orders,
        **seeder.counts,
    }


def _names(skus: list[_Sku]) -> list[tuple[str, int]]:
    rows = {
        pk: (services._line_name(v), v.product.tax_rate)
        for pk, v in Variant.objects.select_related("product").in_bulk([s.variant_id for s in skus]).items()
    }
    return [rows[s.variant_id] for s in skus]
