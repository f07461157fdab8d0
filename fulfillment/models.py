"""Fulfillment: pick lists and their tasks, packing, boxes, carriers, shipments, parcels, tracking
events, manifests and the problem queue.

Flow: allocated orders of one warehouse -> ``PickList`` (single/batch/zone/wave) with one
``PickTask`` per (order line, bin, lot) in walk order -> picked into totes -> packed at a station
into ``Parcel``s of a ``Shipment`` (one per order and warehouse) -> label -> handed over (stock
consumed, order shipped) -> tracking events until delivered. Statuses move only through the
services, checked against the ``*_TRANSITIONS`` tables below.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from oms.models import TimelineEntry, WorkItem
from oms.money import AmountField

DESI_DIVISOR = 3000  # desi = L x W x H (cm) / 3000, the Turkish carriers' volumetric weight


def desi_of(length_cm, width_cm, height_cm) -> Decimal:
    """Volumetric weight in desi, to two decimals (carriers bill the larger of desi and kg)."""
    volume = Decimal(length_cm) * Decimal(width_cm) * Decimal(height_cm)
    return (volume / DESI_DIVISOR).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- Boxes ----------------------------------------------------------------------------------------


class Box(models.Model):
    """A standard carton the packing station suggests by volume, weight and fragility."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=80)
    length_cm = models.DecimalField(_("length (cm)"), max_digits=6, decimal_places=1)
    width_cm = models.DecimalField(_("width (cm)"), max_digits=6, decimal_places=1)
    height_cm = models.DecimalField(_("height (cm)"), max_digits=6, decimal_places=1)
    max_weight_kg = models.DecimalField(_("maximum weight (kg)"), max_digits=7, decimal_places=2)
    tare_weight_kg = models.DecimalField(_("empty weight (kg)"), max_digits=6, decimal_places=3, default=0)
    for_fragile = models.BooleanField(_("padded for fragile goods"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["length_cm", "width_cm", "height_cm", "code"]
        verbose_name = _("box")
        verbose_name_plural = _("boxes")
        constraints = [
            models.CheckConstraint(
                condition=Q(length_cm__gt=0, width_cm__gt=0, height_cm__gt=0, max_weight_kg__gt=0),
                name="box_positive_size",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.length_cm:g}x{self.width_cm:g}x{self.height_cm:g})"

    @property
    def volume_cm3(self) -> Decimal:
        return self.length_cm * self.width_cm * self.height_cm

    @property
    def desi(self) -> Decimal:
        return desi_of(self.length_cm, self.width_cm, self.height_cm)


# --- Carriers -------------------------------------------------------------------------------------


class CarrierAccount(models.Model):
    """One contract with a carrier: which connector talks to it and with which credentials.

    ``credentials`` holds the connector's secrets (user names, passwords, API keys); the panel
    never shows them back, only which keys are set. ``settings`` holds non-secret options
    (endpoint URLs, customer codes).
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=80)
    connector = models.CharField(
        _("connector"), max_length=32, help_text=_("manual, table_rate, yurtici, aras ...")
    )
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    credentials = models.JSONField(_("credentials"), default=dict, blank=True)
    webhook_secret = models.CharField(_("webhook secret"), max_length=128, blank=True)
    supports_cod = models.BooleanField(_("cash on delivery"), default=True)
    supports_cold_chain = models.BooleanField(_("cold chain"), default=False)
    supports_fragile = models.BooleanField(_("fragile goods"), default=True)
    max_desi = models.DecimalField(_("largest parcel (desi)"), max_digits=7, decimal_places=2, default=100)
    transit_days = models.PositiveSmallIntegerField(_("promised transit days"), default=2)
    pickup_cutoff = models.TimeField(_("daily pickup cut-off"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("carrier account")
        verbose_name_plural = _("carrier accounts")

    def __str__(self) -> str:
        return self.name


class RateBand(models.Model):
    """A price of the ``table_rate`` card: parcels up to ``max_desi`` (chargeable) into ``zone``."""

    carrier = models.ForeignKey(
        CarrierAccount, verbose_name=_("carrier"), on_delete=models.CASCADE, related_name="rate_bands"
    )
    zone = models.CharField(
        _("zone"), max_length=16, help_text=_("local, regional, national, remote (see zones)")
    )
    max_desi = models.DecimalField(_("up to desi"), max_digits=7, decimal_places=2)
    price = AmountField(_("price"))
    cod_fee = AmountField(_("cash-on-delivery fee"), default=0)

    class Meta:
        ordering = ["carrier", "zone", "max_desi"]
        verbose_name = _("rate band")
        verbose_name_plural = _("rate bands")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "zone", "max_desi"], name="rate_band_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.zone} <= {self.max_desi}"


class CarrierRule(models.Model):
    """Carrier selection rule, tried by ``priority``: the first active rule that matches names the
    carrier; without a match the cheapest capable carrier wins."""

    name = models.CharField(_("name"), max_length=120)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    carrier = models.ForeignKey(
        CarrierAccount, verbose_name=_("carrier"), on_delete=models.CASCADE, related_name="rules"
    )
    zone = models.CharField(_("destination zone"), max_length=16, blank=True)
    provinces = models.CharField(
        _("destination provinces"), max_length=255, blank=True, help_text=_("Plate codes, comma-separated.")
    )
    fragile = models.BooleanField(_("fragile goods"), null=True, blank=True)
    cold_chain = models.BooleanField(_("cold chain"), null=True, blank=True)
    oversize = models.BooleanField(_("oversize"), null=True, blank=True)
    cash_on_delivery = models.BooleanField(_("cash on delivery"), null=True, blank=True)
    express = models.BooleanField(_("express / VIP"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["priority", "pk"]
        verbose_name = _("carrier rule")
        verbose_name_plural = _("carrier rules")

    def __str__(self) -> str:
        return self.name


# --- Picking --------------------------------------------------------------------------------------


class PickMethod(models.TextChoices):
    SINGLE = "single", _("Single order")
    BATCH = "batch", _("Batch")
    ZONE = "zone", _("Zone")
    WAVE = "wave", _("Wave")


class PickListStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("pick list", "Open")
    PICKING = "picking", _("Picking")
    PICKED = "picked", _("Picked")
    CANCELLED = "cancelled", pgettext_lazy("pick list", "Cancelled")


PICK_LIST_TRANSITIONS = {
    PickListStatus.OPEN: {PickListStatus.PICKING, PickListStatus.CANCELLED},
    PickListStatus.PICKING: {PickListStatus.PICKED, PickListStatus.CANCELLED},
    PickListStatus.PICKED: set(),
    PickListStatus.CANCELLED: set(),
}


class Wave(models.Model):
    """Orders released together (by cut-off time, carrier, priority): one pick list per zone, all
    picked at once and brought to a consolidation point."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="waves"
    )
    cutoff = models.DateTimeField(_("orders placed until"), null=True, blank=True)
    carrier = models.ForeignKey(
        CarrierAccount, verbose_name=_("carrier"), null=True, blank=True, on_delete=models.SET_NULL
    )
    consolidation_point = models.CharField(_("consolidation point"), max_length=32, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("wave")
        verbose_name_plural = _("waves")

    def __str__(self) -> str:
        return self.number


class PickList(models.Model):
    number = models.CharField(_("number"), max_length=24, unique=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        related_name="pick_lists",
    )
    method = models.CharField(_("method"), max_length=8, choices=PickMethod.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=PickListStatus.choices, default=PickListStatus.OPEN
    )
    zone = models.CharField(_("zone"), max_length=8, blank=True)
    wave = models.ForeignKey(
        Wave,
        verbose_name=_("wave"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pick_lists",
    )
    priority = models.SmallIntegerField(_("priority"), default=0)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("picker"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pick_lists",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    lines_total = models.PositiveIntegerField(_("lines"), default=0)
    lines_done = models.PositiveIntegerField(_("lines done"), default=0)

    class Meta:
        ordering = ["-priority", "created_at", "id"]
        verbose_name = _("pick list")
        verbose_name_plural = _("pick lists")
        indexes = [
            models.Index(fields=["warehouse", "status", "-priority", "created_at"], name="picklist_queue")
        ]

    def __str__(self) -> str:
        return self.number


class PickListOrder(models.Model):
    """An order on a pick list and the tote its units go into (batch picking: one tote per order)."""

    pick_list = models.ForeignKey(
        PickList, verbose_name=_("pick list"), on_delete=models.CASCADE, related_name="list_orders"
    )
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="pick_list_orders"
    )
    tote = models.CharField(_("tote"), max_length=32, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=1)

    class Meta:
        ordering = ["pick_list", "position"]
        verbose_name = _("order on a pick list")
        verbose_name_plural = _("orders on pick lists")
        constraints = [
            models.UniqueConstraint(fields=["pick_list", "order"], name="pick_list_order_once"),
        ]

    def __str__(self) -> str:
        return f"{self.pick_list_id}/{self.order_id}"


class PickTaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("pick task", "Open")
    PICKED = "picked", _("Picked")
    SHORT = "short", _("Short")
    CANCELLED = "cancelled", pgettext_lazy("pick task", "Cancelled")


class PickTask(models.Model):
    """Take ``quantity`` of a variant from a bin (and lot) for one order line, in walk order."""

    pick_list = models.ForeignKey(
        PickList, verbose_name=_("pick list"), on_delete=models.CASCADE, related_name="tasks"
    )
    sequence = models.PositiveIntegerField(_("sequence"))
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="pick_tasks"
    )
    line = models.ForeignKey(
        "orders.OrderLine", verbose_name=_("order line"), on_delete=models.PROTECT, related_name="pick_tasks"
    )
    allocation = models.ForeignKey(
        "orders.OrderAllocation",
        verbose_name=_("allocation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pick_tasks",
    )
    variant = models.ForeignKey("inventory.Variant", verbose_name=_("product"), on_delete=models.PROTECT)
    bin = models.ForeignKey("inventory.Bin", verbose_name=_("bin"), on_delete=models.PROTECT)
    lot = models.ForeignKey(
        "inventory.StockLot", verbose_name=_("lot"), null=True, blank=True, on_delete=models.SET_NULL
    )
    zone = models.CharField(_("zone"), max_length=8, blank=True)
    tote = models.CharField(_("tote"), max_length=32, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    quantity_picked = models.PositiveIntegerField(_("picked"), default=0)
    quantity_short = models.PositiveIntegerField(_("short"), default=0)
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PickTaskStatus.choices, default=PickTaskStatus.OPEN
    )
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("picked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    picked_at = models.DateTimeField(_("picked"), null=True, blank=True)

    class Meta:
        ordering = ["pick_list", "sequence"]
        verbose_name = _("pick task")
        verbose_name_plural = _("pick tasks")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(quantity__gte=F("quantity_picked") + F("quantity_short")),
                name="pick_task_parts_within_quantity",
            ),
        ]
        indexes = [models.Index(fields=["pick_list", "status", "sequence"], name="pick_task_next")]

    def __str__(self) -> str:
        return f"{self.pick_list_id}#{self.sequence}"


# --- Shipments ------------------------------------------------------------------------------------


class ShipmentStatus(models.TextChoices):
    PACKING = "packing", _("Packing")
    CREATED = "created", pgettext_lazy("shipment", "Created")
    LABEL_PRINTED = "label_printed", _("Label printed")
    HANDED_OVER = "handed_over", _("Handed over")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", pgettext_lazy("shipment", "Delivered")
    FAILED_ATTEMPT = "failed_attempt", _("Failed delivery attempt")
    RETURNED_TO_SENDER = "returned_to_sender", _("Returned to sender")
    CANCELLED = "cancelled", pgettext_lazy("shipment", "Cancelled")


_S = ShipmentStatus
# Carriers report out of order and skip steps: a later state may follow any earlier one.
SHIPMENT_TRANSITIONS = {
    _S.PACKING: {_S.CREATED, _S.CANCELLED},
    _S.CREATED: {_S.LABEL_PRINTED, _S.HANDED_OVER, _S.CANCELLED},
    _S.LABEL_PRINTED: {_S.HANDED_OVER, _S.CANCELLED},
    _S.HANDED_OVER: {
        _S.IN_TRANSIT,
        _S.OUT_FOR_DELIVERY,
        _S.DELIVERED,
        _S.FAILED_ATTEMPT,
        _S.RETURNED_TO_SENDER,
    },
    _S.IN_TRANSIT: {_S.OUT_FOR_DELIVERY, _S.DELIVERED, _S.FAILED_ATTEMPT, _S.RETURNED_TO_SENDER},
    _S.OUT_FOR_DELIVERY: {_S.IN_TRANSIT, _S.DELIVERED, _S.FAILED_ATTEMPT, _S.RETURNED_TO_SENDER},
    _S.FAILED_ATTEMPT: {_S.IN_TRANSIT, _S.OUT_FOR_DELIVERY, _S.DELIVERED, _S.RETURNED_TO_SENDER},
    _S.DELIVERED: set(),
    _S.RETURNED_TO_SENDER: set(),
    _S.CANCELLED: set(),
}
OPEN_SHIPMENT_STATUSES = [_S.HANDED_OVER, _S.IN_TRANSIT, _S.OUT_FOR_DELIVERY, _S.FAILED_ATTEMPT]


class Shipment(models.Model):
    """What leaves one warehouse for one order with one carrier (one or more parcels)."""

    timeline_model = "fulfillment.ShipmentEvent"

    number = models.CharField(_("number"), max_length=24, unique=True)
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="shipments"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="shipments"
    )
    carrier = models.ForeignKey(
        CarrierAccount,
        verbose_name=_("carrier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shipments",
    )
    carrier_reason = models.CharField(_("why this carrier"), max_length=255, blank=True)
    carrier_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("carrier chosen by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.PACKING
    )
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    carrier_reference = models.CharField(
        _("carrier reference"),
        max_length=64,
        blank=True,
        help_text=_("Our key at the carrier (idempotency)."),
    )
    label_format = models.CharField(_("label format"), max_length=8, blank=True)  # pdf, zpl, ours
    label_data = models.BinaryField(_("label from the carrier"), null=True, blank=True)
    cod_amount = AmountField(_("cash on delivery amount"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="TRY")
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=8, decimal_places=3, default=0)
    desi = models.DecimalField(_("desi"), max_digits=8, decimal_places=2, default=0)
    chargeable_weight = models.DecimalField(_("chargeable weight"), max_digits=8, decimal_places=2, default=0)
    shipping_cost = AmountField(_("shipping cost"), null=True, blank=True)
    estimated_delivery = models.DateField(_("estimated delivery"), null=True, blank=True)
    manifest = models.ForeignKey(
        "fulfillment.Manifest",
        verbose_name=_("manifest"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shipments",
    )
    packed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("packed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_tracked_at = models.DateTimeField(_("last tracked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [
            models.UniqueConstraint(
                fields=["carrier", "tracking_number"],
                condition=~Q(tracking_number=""),
                name="shipment_tracking_unique_per_carrier",
            ),
            models.CheckConstraint(condition=Q(cod_amount__gte=0), name="shipment_cod_not_negative"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="shipment_status_idx"),
            models.Index(fields=["warehouse", "status"], name="shipment_warehouse_status"),
            models.Index(fields=["tracking_number"], name="shipment_tracking_idx"),
            # The API's "changed since" feed walks (updated_at, id).
            models.Index(fields=["updated_at", "id"], name="shipment_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class ShipmentLine(models.Model):
    """Units of an order line in this shipment, with the lots/serials actually picked."""

    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="lines"
    )
    line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="shipment_lines",
    )
    allocation = models.ForeignKey(
        "orders.OrderAllocation",
        verbose_name=_("allocation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    quantity_verified = models.PositiveIntegerField(_("verified at packing"), default=0)
    lots = models.JSONField(_("lots"), default=list, blank=True)  # [[lot_id, quantity], ...]
    serials = models.JSONField(_("serial numbers"), default=list, blank=True)

    class Meta:
        ordering = ["shipment", "pk"]
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(quantity__gte=F("quantity_verified")),
                name="shipment_line_verified_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.line_id} x {self.quantity}"


class Parcel(models.Model):
    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="parcels"
    )
    number = models.PositiveSmallIntegerField(_("parcel"), default=1)
    box = models.ForeignKey(Box, verbose_name=_("box"), null=True, blank=True, on_delete=models.SET_NULL)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=8, decimal_places=3)
    length_cm = models.DecimalField(_("length (cm)"), max_digits=6, decimal_places=1)
    width_cm = models.DecimalField(_("width (cm)"), max_digits=6, decimal_places=1)
    height_cm = models.DecimalField(_("height (cm)"), max_digits=6, decimal_places=1)
    desi = models.DecimalField(_("desi"), max_digits=8, decimal_places=2)
    barcode = models.CharField(_("parcel barcode"), max_length=64, blank=True)

    class Meta:
        ordering = ["shipment", "number"]
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")
        constraints = [
            models.UniqueConstraint(fields=["shipment", "number"], name="parcel_number_unique"),
            models.CheckConstraint(
                condition=Q(weight_kg__gt=0, length_cm__gt=0, width_cm__gt=0, height_cm__gt=0),
                name="parcel_positive_measures",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}/{self.number}"

    @property
    def chargeable_weight(self) -> Decimal:
        return max(self.desi, self.weight_kg)


class ShipmentEvent(TimelineEntry):
    subject = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="events"
    )

    class Meta(TimelineEntry.Meta):
        verbose_name = _("shipment event")
        verbose_name_plural = _("shipment events")
        indexes = [models.Index(fields=["subject", "-created_at"], name="shipment_event_subject_idx")]


class TrackingException(models.TextChoices):
    ADDRESS_NOT_FOUND = "address_not_found", _("Address not found")
    RECIPIENT_UNREACHABLE = "recipient_unreachable", _("Recipient unreachable")
    DAMAGED = "damaged", _("Damaged")
    REFUSED = "refused", _("Refused by the recipient")
    OTHER = "other", _("Other problem")


class TrackingEvent(models.Model):
    """A carrier's scan of a shipment, from a webhook or a poll; ``dedupe_key`` makes a repeated
    report (the same webhook twice, a poll seeing what a webhook brought) one row."""

    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="tracking_events"
    )
    occurred_at = models.DateTimeField(_("time"))
    status = models.CharField(_("status"), max_length=20, choices=ShipmentStatus.choices)
    carrier_code = models.CharField(_("carrier code"), max_length=32, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    location = models.CharField(_("location"), max_length=120, blank=True)
    exception = models.CharField(_("problem"), max_length=24, choices=TrackingException.choices, blank=True)
    source = models.CharField(_("source"), max_length=8)  # webhook, poll, panel
    dedupe_key = models.CharField(_("dedupe key"), max_length=128)
    raw = models.JSONField(_("as received"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["shipment", "occurred_at", "pk"]
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        constraints = [
            models.UniqueConstraint(fields=["shipment", "dedupe_key"], name="tracking_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.status} {self.occurred_at:%Y-%m-%d %H:%M}"


class Manifest(models.Model):
    """End-of-day hand-over list per carrier and warehouse: the parcels the driver signed for."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    carrier = models.ForeignKey(
        CarrierAccount, verbose_name=_("carrier"), on_delete=models.PROTECT, related_name="manifests"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="manifests"
    )
    day = models.DateField(_("day"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    closed_at = models.DateTimeField(_("closed"), auto_now_add=True)
    parcel_count = models.PositiveIntegerField(_("parcels"), default=0)
    cod_total = AmountField(_("cash on delivery total"), default=0)

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name = _("manifest")
        verbose_name_plural = _("manifests")

    def __str__(self) -> str:
        return self.number


# --- Problems -------------------------------------------------------------------------------------


class ProblemKind(models.TextChoices):
    SHORT_PICK = "short_pick", _("Short pick")
    WRONG_ITEM = "wrong_item", _("Wrong item at packing")
    DELIVERY = "delivery", _("Delivery problem")
    LABEL = "label", _("Label refused by the carrier")


class Problem(WorkItem):
    """The fulfillment problem queue: short picks for the stock team, delivery exceptions for
    customer service, refused labels for the shipping desk."""

    kind = models.CharField(_("kind"), max_length=16, choices=ProblemKind.choices)
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    shipment = models.ForeignKey(
        Shipment,
        verbose_name=_("shipment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
    )
    pick_task = models.ForeignKey(
        PickTask,
        verbose_name=_("pick task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    variant = models.ForeignKey(
        "inventory.Variant", verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT
    )
    bin = models.ForeignKey(
        "inventory.Bin", verbose_name=_("bin"), null=True, blank=True, on_delete=models.PROTECT
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=0)
    code = models.CharField(_("code"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("fulfillment problem")
        verbose_name_plural = _("fulfillment problems")
        indexes = [
            models.Index(
                fields=["warehouse", "kind", "-created_at"],
                condition=Q(resolved_at__isnull=True),
                name="problem_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
