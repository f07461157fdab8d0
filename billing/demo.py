"""Demo billing: the seller, installment plans, B2B accounts, invoices for shipped orders with their
payments, credit notes, a bank statement and a COD remittance run through reconciliation, quotes.

Deterministic for a seeded ``random.Random`` and written through the real services:

- the seller profile (a valid VKN) and installment plans;
- billing accounts for the demo's companies: terms (net 15/30/60, end of month), credit limits,
  half of them e-invoice registrants;
- invoices for shipped orders, issued in the order they shipped with the clock at that moment, so
  numbers follow dates as the law wants: every B2B order of the last 90 days (their invoices age
  into the receivables buckets) and the orders of the last days;
- payments: cards and installments through PayTR at checkout, cash on delivery through a carrier
  remittance file imported by ``billing.reconciliation.cod`` (one parcel remitted short), bank
  transfers through a generated bank statement imported by ``billing.reconciliation.bank`` (one
  partial, one overpaid, one unmatched line), B2B invoices partly paid by transfer, the newest left
  open and some overdue;
- credit notes for returned orders; quotes in every status, one converted into an order;
- the day's payment reminders.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Min, Q
from django.utils import timezone

from billing.invoicing import NothingToInvoice, issue_credit_note, issue_invoice, payment_reference
from billing.models import (
    BillingAccount,
    Installment,
    InstallmentPlan,
    Invoice,
    InvoiceKind,
    PaymentTerms,
    Quote,
    SellerProfile,
    StatementFormat,
)
from billing.payments import record_payment
from oms.demo import clock
from oms.errors import DomainError
from orders.models import Order, OrderEvent, OrderStatus, PaymentMethod

S = OrderStatus
SHIPPED = [S.SHIPPED, S.DELIVERED, S.COMPLETED, S.PARTIALLY_RETURNED, S.RETURNED]
RECENT_DAYS = 12  # every order shipped through the services (orders.demo SERVICE_DAYS) and a few more
PLANS = [("3 taksit", 3, "0"), ("6 taksit", 6, "4.50"), ("9 taksit", 9, "7.90"), ("12 taksit", 12, "11.50")]
TERMS = [PaymentTerms.NET_30, PaymentTerms.NET_60, PaymentTerms.END_OF_MONTH, PaymentTerms.NET_15]
TAX_OFFICES = ["Kadıköy", "Çankaya", "Konak", "Nilüfer", "Seyhan", "Muratpaşa"]


def seed_seller() -> SellerProfile:
    seller = SellerProfile.objects.order_by("pk").first() or SellerProfile()
    seller.legal_name = "OMS Demo Mağazacılık A.Ş."
    seller.tax_number = "1234567890"
    seller.tax_office = "Kadıköy"
    seller.mersis_number = "0123456789000015"
    seller.trade_registry = "İstanbul 123456"
    seller.address_line = "Caferağa Mah. Moda Cad. No: 12"
    seller.district = "Kadıköy"
    seller.city = "İstanbul"
    seller.postal_code = "34710"
    seller.phone = "+902165550000"
    seller.email = "fatura@omsdemo.com.tr"
    seller.website = "omsdemo.com.tr"
    seller.iban = "TR330006100519786457841326"
    seller.bank_name = "Türkiye İş Bankası"
    seller.save()
    return seller


class _Seeder:
    def __init__(self, rng: random.Random, admin) -> None:
        self.rng = rng
        self.admin = admin
        self.now = timezone.now()
        self.counts = {"invoices": 0, "credit_notes": 0, "payments": 0, "accounts": 0, "quotes": 0}

    # --- Set-up -------------------------------------------------------------------------------------

    def plans(self) -> None:
        for name, count, surcharge in PLANS:
            InstallmentPlan.objects.get_or_create(
                count=count, defaults={"name": name, "surcharge_percent": Decimal(surcharge)}
            )

    def accounts(self) -> list[BillingAccount]:
        """Companies that ordered: their legal identity from their orders, terms and limits."""
        rows = (
            Order.objects.exclude(bill_tax_number="")
            .exclude(customer__company="")
            .values("customer_id", "customer__company", "bill_tax_number", "bill_tax_office")
            .order_by("customer_id")
        )
        seen: set[int] = set()
        accounts = []
        for row in rows:
            if row["customer_id"] in seen:
                continue
            seen.add(row["customer_id"])
            n = len(accounts)
            account, created = BillingAccount.objects.get_or_create(
                customer_id=row["customer_id"],
                defaults={
                    "legal_name": row["customer__company"],
                    "tax_number": row["bill_tax_number"],
                    "tax_office": row["bill_tax_office"] or self.rng.choice(TAX_OFFICES),
                    "einvoice_registrant": n % 2 == 0,
                    "einvoice_alias": f"urn:mail:defaultpk@{row['bill_tax_number']}.com.tr"
                    if n % 2 == 0
                    else "",
                    "payment_terms": TERMS[n % len(TERMS)],
                    "credit_limit": Decimal(self.rng.choice([50_000, 100_000, 150_000, 250_000])),
                    "invoice_per_shipment": n % 5 == 4,
                },
            )
            self.counts["accounts"] += created
            accounts.append(account)
        return accounts

    # --- Invoices -----------------------------------------------------------------------------------

    def to_invoice(self) -> list[tuple[datetime, Order]]:
        """(moment, order): shipped B2B orders of the last 90 days and shipped orders of the last
        days, each at its shipping time (its ``order.shipped`` event, else a day after it was placed)."""
        recent = self.now - timedelta(days=RECENT_DAYS)
        orders = Order.objects.filter(status__in=SHIPPED).filter(
            channel__code="b2b", placed_at__gte=self.now - timedelta(days=90)
        ) | Order.objects.filter(status__in=SHIPPED, placed_at__gte=recent)
        orders = list(orders.exclude(invoices__isnull=False).distinct().order_by("pk"))
        shipped_at = dict(
            OrderEvent.objects.filter(
                subject__in=orders, name__in=["order.shipped", "order.partially_shipped"]
            )
            .values("subject_id")
            .annotate(at=Min("created_at"))
            .values_list("subject_id", "at")
        )
        moments = []
        for order in orders:
            at = shipped_at.get(order.pk)
            if at is None or at > order.placed_at + timedelta(days=30):
                # No event, or one stamped at load time (orders.bulk on SQLite): two days after the order.
                at = order.placed_at + timedelta(days=2)
            moments.append((min(at + timedelta(hours=2), self.now), order))
        return sorted(moments, key=lambda item: (item[0], item[1].pk))

    def invoices(self) -> list[Invoice]:
        issued = []
        for moment, order in self.to_invoice():
            with clock(moment):
                try:
                    invoice = issue_invoice(order, user=self.admin)
                except (NothingToInvoice, DomainError):
                    continue
                issued.append(invoice)
                if order.payment_method == PaymentMethod.CARD and order.grand_total > 0:
                    # Paid at checkout through PayTR (the callback came with the order).
                    self._pay(order, order.grand_total, f"demo:paytr:{order.pk}", source="paytr", day=moment)
        self.counts["invoices"] = len(issued)
        return issued

    def _pay(
        self, order: Order, amount: Decimal, key: str, *, source: str, day: datetime, invoice=None
    ) -> None:
        with clock(day):
            result = record_payment(
                kind="capture",
                amount=amount,
                dedupe_key=key,
                source=source,
                order=None if invoice else order,
                invoice=invoice,
                provider_reference=payment_reference(order),
                user=self.admin,
            )
        self.counts["payments"] += result.created

    def installments(self) -> int:
        """Orders paid in installments to us: their schedules (the plan of their count), the
        installments due so far paid, except some of the latest, which are overdue."""
        from billing.installments import create_schedule, pay_installment

        plans = {plan.count: plan for plan in InstallmentPlan.objects.filter(is_active=True)}
        # The invoiced ones and the recent open ones: older history orders were never invoiced in
        # the demo, and a schedule paid without an invoice would read as a prepayment.
        orders = (
            Order.objects.filter(payment_method=PaymentMethod.INSTALLMENTS)
            .exclude(status__in=[S.NEW, S.ON_HOLD, S.CANCELLED])
            .filter(Q(invoices__isnull=False) | Q(placed_at__gte=self.now - timedelta(days=RECENT_DAYS)))
            .distinct()
        )
        today = timezone.localdate()
        scheduled = 0
        for n, order in enumerate(orders.order_by("placed_at", "pk")):
            with clock(order.placed_at):
                try:
                    schedule = create_schedule(order, plan=plans.get(order.installments), user=self.admin)
                except DomainError:
                    continue
            scheduled += 1
            due = [i for i in schedule if i.due_date < today]
            if n % 4 == 3 and due:
                due = due[:-1]  # the latest one missed: overdue
            for installment in due:
                when = timezone.make_aware(datetime.combine(installment.due_date, time(10)))
                with clock(when):
                    pay_installment(
                        installment,
                        amount=installment.amount,
                        dedupe_key=f"demo:inst:{installment.pk}",
                        source="bank",
                        user=self.admin,
                    )
                self.counts["payments"] += 1
        return scheduled

    def credit_notes(self) -> None:
        """Returned orders get a credit note for what came back."""
        for invoice in (
            Invoice.objects.filter(
                kind=InvoiceKind.INVOICE, order__status__in=[S.RETURNED, S.PARTIALLY_RETURNED]
            )
            .select_related("order")
            .order_by("issued_at", "pk")  # credit notes numbered in date order too
        ):
            returned = {
                line.pk: line.quantity_returned
                for line in invoice.order.lines.all()
                if line.quantity_returned
            }
            quantities = {
                il.pk: min(il.quantity, returned[il.order_line_id])
                for il in invoice.lines.all()
                if il.order_line_id in returned
            }
            if not quantities:
                continue
            with clock(min(invoice.issued_at + timedelta(days=3), self.now)):
                try:
                    issue_credit_note(
                        invoice, reason="İade edilen ürünler", quantities=quantities, user=self.admin
                    )
                except DomainError:
                    continue
            self.counts["credit_notes"] += 1

    def b2b_payments(self, issued: list[Invoice]) -> None:
        """On-account invoices: the older ones mostly paid by transfer, some overdue, one partly."""
        open_b2b = [i for i in issued if i.order.payment_method == PaymentMethod.ON_ACCOUNT]
        for n, invoice in enumerate(open_b2b):
            if invoice.due_date is None or invoice.due_date >= self.now.date():
                continue  # not due yet: stays open
            if n % 3 == 2:
                continue  # overdue, unpaid: the reminders and the receivables page show it
            amount = invoice.payable if n % 7 else (invoice.payable / 2).quantize(Decimal("0.01"))
            when = timezone.make_aware(datetime.combine(invoice.due_date - timedelta(days=2), time(11)))
            self._pay(
                invoice.order, amount, f"demo:b2b:{invoice.pk}", source="bank", day=when, invoice=invoice
            )

    # --- Reconciliation -----------------------------------------------------------------------------

    def bank_statement(self) -> int:
        """Open bank-transfer and on-account orders paid by the customers, in a Garanti BBVA export."""
        from billing.reconciliation.bank import import_statement

        fmt = StatementFormat.objects.filter(name="Garanti BBVA").first()
        orders = list(
            Order.objects.filter(
                payment_method__in=[PaymentMethod.BANK_TRANSFER, PaymentMethod.ON_ACCOUNT],
                payment_status="pending",
            )
            .exclude(status__in=[S.CANCELLED, S.NEW, S.ON_HOLD])
            .order_by("placed_at", "pk")[:12]
        )
        if fmt is None or not orders:
            return 0
        rows = ["Hesap Hareketleri;;;;", "Tarih;Açıklama;Tutar;Bakiye;Dekont No"]
        balance = Decimal("25000.00")
        for n, order in enumerate(orders):
            amount = order.grand_total
            text = f"FAST GELEN - {order.customer_name.upper()} - {payment_reference(order)} ödeme"
            if n == 3:
                amount = (amount / 2).quantize(Decimal("0.01"))  # a partial payment
            elif n == 5:
                amount += Decimal("50.00")  # paid too much
            elif n == 7:
                text = f"EFT GELEN - {order.customer_name.upper()} - sipariş bedeli"  # no reference
                amount += Decimal("1.00")
            elif n % 2:
                text = f"HAVALE - {order.customer_name.upper()} - {order.number}"  # the bare order number
            balance += amount
            day = max(order.placed_at, self.now - timedelta(days=5)).astimezone(
                timezone.get_current_timezone()
            )
            rows.append(f"{day:%d.%m.%Y};{text};{_tr(amount)};{_tr(balance)};{day:%Y%m%d}{n:04d}")
        rows.append(
            f"{self.now:%d.%m.%Y};HESAP İŞLETİM ÜCRETİ;-12,50;{_tr(balance - Decimal('12.50'))};FEE0001"
        )
        statement = import_statement(
            "\n".join(rows).encode("utf-8"), f"garanti-{self.now:%Y%m%d}.csv", fmt, user=self.admin
        )
        return statement.line_count

    def cod_remittance(self) -> int:
        """The table-rate carrier's remittance of delivered cash-on-delivery parcels (one short)."""
        from billing.reconciliation.cod import import_remittance
        from fulfillment.models import CarrierAccount, Shipment, ShipmentStatus

        carrier = CarrierAccount.objects.filter(connector="table_rate").first()
        if carrier is None:
            return 0
        parcels = list(
            Shipment.objects.filter(carrier=carrier, status=ShipmentStatus.DELIVERED, cod_amount__gt=0)
            .select_related("order")
            .order_by("delivered_at", "pk")
        )
        if not parcels:
            return 0
        rows = ["Kargo Takip No;Alıcı;Tahsilat Tarihi;Tahsilat Tutarı;Ödeme Tarihi"]
        for n, shipment in enumerate(parcels[:-1] or parcels):  # the newest is not remitted yet
            amount = shipment.cod_amount - (Decimal("10.00") if n == 1 else 0)
            day = (shipment.delivered_at or self.now).astimezone(timezone.get_current_timezone())
            rows.append(
                f"{shipment.tracking_number};{shipment.order.ship_name};{day:%d.%m.%Y};{_tr(amount)};{self.now:%d.%m.%Y}"
            )
        remittance = import_remittance(
            "\n".join(rows).encode("utf-8"), f"oms-kargo-{self.now:%Y%m%d}.csv", carrier, user=self.admin
        )
        return remittance.line_count

    # --- Quotes -------------------------------------------------------------------------------------

    def quotes(self, accounts: list[BillingAccount]) -> None:
        from billing.quotes import (
            QuoteLineData,
            accept_quote,
            convert_to_order,
            decline_quote,
            save_quote,
            send_quote,
        )
        from channels.models import ChannelPrice
        from orders.demo import stable_special_code

        channel_prices = list(
            ChannelPrice.objects.filter(channel__code="b2b")
            .select_related("channel", "variant")
            .order_by("variant_id")[:60]
        )
        if not channel_prices or not accounts:
            return
        channel = channel_prices[0].channel
        today = timezone.localdate()
        plan = ["draft", "sent", "accepted", "declined", "converted", "sent"]
        for n, step in enumerate(plan):
            account = accounts[n % len(accounts)]
            picks = self.rng.sample(channel_prices, 3)
            lines = [
                QuoteLineData(variant=p.variant, quantity=self.rng.choice([5, 10, 20]), unit_price=p.price)
                for p in picks
            ]
            try:
                quote = save_quote(
                    customer=account.customer_id,
                    channel=channel,
                    valid_until=today + timedelta(days=self.rng.choice([7, 14, 30])),
                    lines=lines,
                    note="Fiyatlarımıza KDV dahildir. Teslimat 3 iş günü içindedir.",
                    user=self.admin,
                )
                if step in ("sent", "accepted", "declined", "converted"):
                    send_quote(quote, user=self.admin, to=account.customer.email)
                if step in ("accepted", "converted"):
                    accept_quote(quote, user=self.admin)
                if step == "declined":
                    decline_quote(quote, user=self.admin, reason="Fiyat bütçenin üzerinde")
                if step == "converted":
                    order = convert_to_order(quote, user=self.admin)
                    if order.special_code:  # drawn from ``secrets`` at intake
                        stable_special_code(self.rng, order)
            except DomainError:
                continue
            self.counts["quotes"] += 1


def _tr(amount: Decimal) -> str:
    """1234.5 -> '1.234,50' as Turkish bank exports write amounts."""
    whole, frac = f"{amount:,.2f}".split(".")
    return f"{whole.replace(',', '.')},{frac}"


def seed_billing(rng: random.Random, *, admin) -> dict:
    """Everything in the module text; returns counts for the seed message."""
    from billing.reminders import send_reminders

    seed_seller()
    seeder = _Seeder(rng, admin)
    seeder.plans()
    accounts = seeder.accounts()
    issued = seeder.invoices()
    seeder.credit_notes()
    seeder.b2b_payments(issued)
    scheduled = seeder.installments()
    bank_lines = seeder.bank_statement()
    cod_lines = seeder.cod_remittance()
    seeder.quotes(accounts)
    reminders = send_reminders()
    return {
        **seeder.counts,
        "bank_lines": bank_lines,
        "cod_lines": cod_lines,
        "installment_orders": scheduled,
        "installments": Installment.objects.count(),
        "reminders": sum(v for v in reminders.values() if isinstance(v, int)),
        "open_quotes": Quote.objects.exclude(status__in=["converted", "declined", "expired"]).count(),
    }
