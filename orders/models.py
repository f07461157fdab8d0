"""Customers, orders and their lines, allocations, the order timeline, approval rules and work queues.

Status changes happen only in ``orders.services`` (one function per transition, checked against
``ALLOWED_TRANSITIONS``); amounts are ``Decimal`` with the order's currency; unit prices include
KDV, as Turkish shops and marketplaces quote them (docs/decisions.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oms.models import PostalAddress, TimelineEntry, WorkItem
from oms.money import AmountField, CurrencyField

# --- Customers ------------------------------------------------------------------------------------


class Segment(models.TextChoices):
    NEW = "new", _("First-time")
    REPEAT = "repeat", _("Repeat")
    VIP = "vip", _("VIP")


class ContactChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PUSH = "push", _("Push notification")


# What the codes of ``Customer.flags`` say, wherever the panel shows them.
CUSTOMER_FLAG_LABELS = {
    "vip": _("VIP"),
    "first_order": _("First order"),
    "problem_orders": _("Problem orders"),
    "failed_deliveries": _("Failed deliveries"),
    "high_returns": _("Many returns"),
}


class Customer(models.Model):
    """One person (or company) across every channel, matched by normalised e-mail or E.164 phone.

    A merged customer keeps its row (``merged_into``) so old links still resolve; its orders move
    to the survivor. Contact data is unique among customers that are not merged away.
    """

    first_name = models.CharField(_("first name"), max_length=80, blank=True)
    last_name = models.CharField(_("last name"), max_length=80, blank=True)
    company = models.CharField(_("company"), max_length=160, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("Stored lower-cased."))
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164, e.g. +905321234567."))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="tr")
    notification_channel = models.CharField(
        _("preferred notification channel"),
        max_length=8,
        choices=ContactChannel.choices,
        default=ContactChannel.EMAIL,
    )
    consent_email = models.BooleanField(_("marketing e-mail consent"), default=False)
    consent_sms = models.BooleanField(_("marketing SMS consent"), default=False)
    segment = models.CharField(_("segment"), max_length=8, choices=Segment.choices, default=Segment.NEW)
    is_vip = models.BooleanField(
        _("VIP"), default=False, help_text=_("Set by hand; VIP customers' orders are marked and go first.")
    )
    # History, kept up to date by the services that change it (orders, deliveries, returns).
    orders_count = models.PositiveIntegerField(_("orders"), default=0)
    lifetime_value = AmountField(_("lifetime value"), default=0)
    currency = CurrencyField(_("currency"))
    problem_orders = models.PositiveIntegerField(_("problem orders"), default=0)
    failed_deliveries = models.PositiveIntegerField(_("failed deliveries"), default=0)
    returned_orders = models.PositiveIntegerField(_("returned orders"), default=0)
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(merged_into__isnull=True) & ~Q(email=""),
                name="customer_email_unique",
            ),
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(merged_into__isnull=True) & ~Q(phone=""),
                name="customer_phone_unique",
            ),
            models.CheckConstraint(condition=Q(segment__in=Segment.values), name="customer_segment_valid"),
            models.CheckConstraint(condition=Q(lifetime_value__gte=0), name="customer_ltv_positive"),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="customer_name_idx"),
            # Name-prefix search indexes (PostgreSQL only): migration 0002.
            models.Index(fields=["segment", "-created_at"], name="customer_segment_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.phone or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def return_rate(self) -> float:
        return self.returned_orders / self.orders_count if self.orders_count else 0.0

    @property
    def flags(self) -> list[str]:
        """Short labels the panel shows next to the customer's name."""
        out = []
        if self.is_vip or self.segment == Segment.VIP:
            out.append("vip")
        if self.orders_count <= 1:
            out.append("first_order")
        if self.problem_orders:
            out.append("problem_orders")
        if self.failed_deliveries:
            out.append("failed_deliveries")
        if self.orders_count >= 3 and self.return_rate >= 0.3:
            out.append("high_returns")
        return out


class CustomerAddress(PostalAddress):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="addresses"
    )
    label = models.CharField(_("label"), max_length=40, blank=True, help_text=_("e.g. Home, Office"))
    is_default_shipping = models.BooleanField(_("default shipping address"), default=False)
    is_default_billing = models.BooleanField(_("default billing address"), default=False)

    class Meta:
        ordering = ["-is_default_shipping", "pk"]
        verbose_name = _("customer address")
        verbose_name_plural = _("customer addresses")

    def __str__(self) -> str:
        return ", ".join(p for p in (self.address_line, self.district, str(self.province or "")) if p)


# --- Orders ---------------------------------------------------------------------------------------


class OrderStatus(models.TextChoices):
    NEW = "new", _("New")
    ON_HOLD = "on_hold", _("On hold")
    CONFIRMED = "confirmed", _("Confirmed")
    ALLOCATED = "allocated", _("Allocated")
    BACKORDERED = "backordered", _("Backordered")
    IN_FULFILLMENT = "in_fulfillment", _("In fulfillment")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    PARTIALLY_RETURNED = "partially_returned", _("Partially returned")
    RETURNED = "returned", _("Returned")


S = OrderStatus
# The one table of legal status changes; services check every change against it.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.NEW: {S.ON_HOLD, S.CONFIRMED, S.CANCELLED},
    S.ON_HOLD: {S.CONFIRMED, S.CANCELLED},
    S.CONFIRMED: {S.ALLOCATED, S.BACKORDERED, S.ON_HOLD, S.CANCELLED},
    S.ALLOCATED: {S.IN_FULFILLMENT, S.BACKORDERED, S.ON_HOLD, S.CANCELLED},
    S.BACKORDERED: {S.ALLOCATED, S.ON_HOLD, S.CANCELLED},
    S.IN_FULFILLMENT: {S.PARTIALLY_SHIPPED, S.SHIPPED, S.ALLOCATED, S.BACKORDERED, S.CANCELLED},
    S.PARTIALLY_SHIPPED: {S.SHIPPED, S.DELIVERED, S.PARTIALLY_RETURNED},
    S.SHIPPED: {S.DELIVERED, S.PARTIALLY_RETURNED, S.RETURNED},
    S.DELIVERED: {S.COMPLETED, S.PARTIALLY_RETURNED, S.RETURNED},
    S.COMPLETED: {S.PARTIALLY_RETURNED, S.RETURNED},
    S.PARTIALLY_RETURNED: {S.RETURNED, S.COMPLETED},
    S.RETURNED: set(),
    S.CANCELLED: set(),
}
# Statuses in which the order still waits for stock or people (cancellable, re-allocatable).
OPEN_STATUSES = {S.NEW, S.ON_HOLD, S.CONFIRMED, S.ALLOCATED, S.BACKORDERED, S.IN_FULFILLMENT}


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Credit / debit card")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer (havale/EFT)")
    CASH_ON_DELIVERY = "cash_on_delivery", _("Cash on delivery")
    INSTALLMENTS = "installments", _("Installments")
    ON_ACCOUNT = "on_account", _("On account")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    AUTHORIZED = "authorized", _("Authorised")
    PAID = "paid", _("Paid")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed")


class SpecialKind(models.TextChoices):
    EXCHANGE = "exchange", _("Exchange shipment")
    GIFT = "gift", _("Thank-you gift")
    VIP = "vip", _("VIP order")
    COUPON = "coupon", _("Coupon campaign")


class OrderSource(models.TextChoices):
    PANEL = "panel", _("Panel")
    API = "api", _("API")
    IMPORT = "import", _("File import")
    CHANNEL = "channel", _("Channel connector")
    DEMO = "demo", _("Demo data")


class Priority(models.IntegerChoices):
    NORMAL = 0, _("Normal")
    HIGH = 1, _("High")
    URGENT = 2, _("Urgent")


class Order(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    channel = models.ForeignKey(
        "channels.SalesChannel", verbose_name=_("channel"), on_delete=models.PROTECT, related_name="orders"
    )
    channel_order_id = models.CharField(_("channel order number"), max_length=64)
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=S.NEW)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    source = models.CharField(_("source"), max_length=8, choices=OrderSource.choices, default=OrderSource.API)

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )
    # Snapshot: what the customer gave on this order, whatever the customer record says later.
    customer_name = models.CharField(_("customer name"), max_length=160)
    customer_email = models.EmailField(_("customer e-mail"), blank=True)
    customer_phone = models.CharField(_("customer phone"), max_length=20, blank=True)
    is_first_order = models.BooleanField(_("first order"), default=False)

    ship_name = models.CharField(_("recipient"), max_length=120)
    ship_phone = models.CharField(_("recipient phone"), max_length=20, blank=True)
    ship_line = models.CharField(_("shipping address"), max_length=255)
    ship_neighbourhood = models.CharField(_("neighbourhood"), max_length=80, blank=True)
    ship_district = models.CharField(_("district"), max_length=80)
    ship_province = models.ForeignKey(
        "oms.Province",
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ship_city = models.CharField(
        _("city"), max_length=80, help_text=_("As given; the province when in Türkiye.")
    )
    ship_postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    ship_country = models.CharField(_("country"), max_length=2, default="TR")

    bill_name = models.CharField(_("billing name"), max_length=160, blank=True)
    bill_line = models.CharField(_("billing address"), max_length=255, blank=True)
    bill_district = models.CharField(_("billing district"), max_length=80, blank=True)
    bill_city = models.CharField(_("billing city"), max_length=80, blank=True)
    bill_postal_code = models.CharField(_("billing postal code"), max_length=10, blank=True)
    bill_country = models.CharField(_("billing country"), max_length=2, blank=True)
    bill_tax_number = models.CharField(_("tax number (VKN/TCKN)"), max_length=11, blank=True)
    bill_tax_office = models.CharField(_("tax office"), max_length=80, blank=True)

    currency = CurrencyField(_("currency"))
    subtotal = AmountField(
        _("lines total"), default=0, help_text=_("Lines after their discounts, KDV included.")
    )
    discount_total = AmountField(_("order discount"), default=0)
    shipping_fee = AmountField(_("shipping fee"), default=0)
    tax_total = AmountField(_("KDV"), default=0)
    grand_total = AmountField(_("total"), default=0)

    payment_method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod.choices)
    payment_status = models.CharField(
        _("payment"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    installments = models.PositiveSmallIntegerField(_("installments"), default=1)

    notes = models.TextField(_("notes"), blank=True)
    gift_message = models.CharField(_("gift message"), max_length=500, blank=True)
    gift_wrap = models.BooleanField(_("gift wrap"), default=False)
    special_kind = models.CharField(
        _("special order"), max_length=10, choices=SpecialKind.choices, blank=True
    )
    special_code = models.CharField(_("special code"), max_length=16, unique=True, null=True, blank=True)

    risk_score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    risk_reasons = models.JSONField(_("risk reasons"), default=list, blank=True)
    hold_reason = models.CharField(_("hold reason"), max_length=32, blank=True)
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    approval_reasons = models.JSONField(_("approval reasons"), default=list, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    allocation_summary = models.CharField(_("allocation"), max_length=255, blank=True)
    warehouse_codes = models.CharField(
        _("warehouses"),
        max_length=64,
        blank=True,
        help_text=_("Codes of the warehouses allocated, for lists."),
    )
    promise_date = models.DateField(_("promised for"), null=True, blank=True)

    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("placed"), help_text=_("When the customer ordered (channel time)."))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    cancelled_reason = models.CharField(_("cancellation reason"), max_length=255, blank=True)

    timeline_model = "orders.OrderEvent"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        permissions = [
            ("approve_order", _("Can approve orders")),
            ("manage_orders", _("Can create, confirm, cancel and re-allocate orders")),
            ("merge_customers", _("Can merge customers")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "channel_order_id"], name="order_channel_number_unique"
            ),
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_valid"),
            models.CheckConstraint(
                condition=Q(payment_method__in=PaymentMethod.values), name="order_payment_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0)
                & Q(discount_total__gte=0)
                & Q(shipping_fee__gte=0)
                & Q(tax_total__gte=0)
                & Q(grand_total__gte=0),
                name="order_amounts_positive",
            ),
            models.CheckConstraint(condition=Q(risk_score__lte=100), name="order_risk_score_0_100"),
            models.CheckConstraint(
                condition=Q(special_kind="") | Q(special_code__isnull=False), name="order_special_has_code"
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="order_created_idx"),
            models.Index(fields=["channel_order_id"], name="order_channel_order_id_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="order_status_idx"),
            models.Index(fields=["channel", "-created_at", "-id"], name="order_channel_idx"),
            models.Index(fields=["customer", "-created_at", "-id"], name="order_customer_idx"),
            models.Index(fields=["updated_at", "id"], name="order_updated_idx"),
            models.Index(fields=["risk_score", "-created_at", "-id"], name="order_risk_idx"),
            models.Index(fields=["customer_phone", "created_at"], name="order_phone_velocity_idx"),
            models.Index(fields=["customer_email", "created_at"], name="order_email_velocity_idx"),
            models.Index(fields=["ip_address", "created_at"], name="order_ip_velocity_idx"),
            models.Index(
                fields=["-priority", "created_at", "id"],
                condition=Q(status="backordered"),
                name="order_backorder_queue_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_cash_on_delivery(self) -> bool:
        return self.payment_method == PaymentMethod.CASH_ON_DELIVERY


class OrderLine(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "inventory.Variant", verbose_name=_("variant"), on_delete=models.PROTECT, related_name="order_lines"
    )
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("product"), max_length=255)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = AmountField(_("unit price"), help_text=_("KDV included."))
    list_price = AmountField(
        _("list price"), default=0, help_text=_("The channel price at intake, for the record.")
    )
    discount = AmountField(_("discount"), default=0)
    tax_rate = models.PositiveSmallIntegerField(_("KDV %"))
    tax_amount = AmountField(_("KDV"), default=0)
    total = AmountField(
        _("line total"), default=0, help_text=_("Quantity × unit price − discount, KDV included.")
    )
    quantity_allocated = models.PositiveIntegerField(_("allocated"), default=0)
    quantity_backordered = models.PositiveIntegerField(_("backordered"), default=0)
    quantity_shipped = models.PositiveIntegerField(_("shipped"), default=0)
    quantity_cancelled = models.PositiveIntegerField(_("cancelled"), default=0)
    quantity_returned = models.PositiveIntegerField(_("returned"), default=0)
    promise_date = models.DateField(_("promised for"), null=True, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) & Q(discount__gte=0) & Q(total__gte=0),
                name="order_line_amounts_positive",
            ),
            models.CheckConstraint(
                condition=Q(
                    quantity__gte=F("quantity_allocated")
                    + F("quantity_backordered")
                    + F("quantity_shipped")
                    + F("quantity_cancelled")
                ),
                name="order_line_parts_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(quantity_shipped__lte=F("quantity")), name="order_line_shipped_within_quantity"
            ),
            models.CheckConstraint(
                condition=Q(quantity_returned__lte=F("quantity_shipped")),
                name="order_line_returned_within_shipped",
            ),
        ]
        indexes = [
            models.Index(fields=["variant", "order"], name="order_line_variant_idx"),
            models.Index(
                fields=["variant"], condition=Q(quantity_backordered__gt=0), name="order_line_backordered_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} ×{self.quantity}"

    @property
    def reference(self) -> str:
        """The reservation reference of this line (``order_line:<id>``)."""
        return f"order_line:{self.pk}"

    @property
    def open_quantity(self) -> int:
        """Units still to be reserved or shipped: neither cancelled nor shipped."""
        return self.quantity - self.quantity_cancelled - self.quantity_shipped


class OrderAllocation(models.Model):
    """Part of a line promised from one warehouse, backed by an inventory reservation."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="allocations"
    )
    line = models.ForeignKey(
        OrderLine, verbose_name=_("line"), on_delete=models.CASCADE, related_name="allocations"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    reservation = models.OneToOneField(
        "inventory.Reservation", verbose_name=_("reservation"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["order", "warehouse", "line"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="allocation_quantity_positive")
        ]
        indexes = [models.Index(fields=["warehouse", "order"], name="allocation_warehouse_idx")]

    def __str__(self) -> str:
        return f"{self.line_id}@{self.warehouse_id} ×{self.quantity}"


class AllocationDecision(models.Model):
    """Why the rules chose these warehouses: the candidates they weighed and the reasons, kept."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="decisions"
    )
    kind = models.CharField(_("kind"), max_length=16)  # auto, backorder_fill, reallocate
    complete = models.BooleanField(_("complete"), default=True)
    summary = models.CharField(_("summary"), max_length=255)
    plan = models.JSONField(_("plan"), default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("allocation decision")
        verbose_name_plural = _("allocation decisions")

    def __str__(self) -> str:
        return self.summary


class OrderEvent(TimelineEntry):
    subject = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events"
    )

    class Meta(TimelineEntry.Meta):
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        indexes = [models.Index(fields=["subject", "-created_at"], name="order_event_subject_idx")]


# --- Rules ----------------------------------------------------------------------------------------


class ApprovalRule(models.Model):
    """Orders matching an active rule need one approval by someone other than their creator."""

    name = models.CharField(_("name"), max_length=120)
    min_total = AmountField(
        _("order total from"), null=True, blank=True, help_text=_("Orders with this total or more (in TRY).")
    )
    category = models.ForeignKey(
        "inventory.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Orders with a product of this category or below it."),
    )
    channel = models.ForeignKey(
        "channels.SalesChannel",
        verbose_name=_("only channel"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_total__isnull=False) | Q(category__isnull=False),
                name="approval_rule_has_condition",
            )
        ]

    def __str__(self) -> str:
        return self.name


# --- Work queues ----------------------------------------------------------------------------------


class Queue(models.TextChoices):
    ON_HOLD = "on_hold", _("On hold")
    TO_APPROVE = "to_approve", _("To approve")
    BACKORDERED = "backordered", _("Backordered")
    EXCEPTION = "exception", _("Exceptions")


class QueueItem(WorkItem):
    """An order waiting for a person: why (reason code), who has it, since when (SLA timer)."""

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="queue_items"
    )
    queue = models.CharField(_("queue"), max_length=12, choices=Queue.choices)
    reason = models.CharField(_("reason"), max_length=32)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)

    class Meta:
        ordering = ["opened_at", "id"]
        verbose_name = _("queue item")
        verbose_name_plural = _("queue items")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "queue"], condition=Q(resolved_at__isnull=True), name="queue_item_one_open"
            ),
            models.CheckConstraint(condition=Q(queue__in=Queue.values), name="queue_item_queue_valid"),
        ]
        indexes = [
            models.Index(
                fields=["queue", "opened_at", "id"],
                condition=Q(resolved_at__isnull=True),
                name="queue_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.queue}:{self.order_id}"


class SavedView(models.Model):
    """A named order-list filter: a user's own or shared with everyone."""

    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=1000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="+"
    )
    is_shared = models.BooleanField(_("shared"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")

    def __str__(self) -> str:
        return self.name
