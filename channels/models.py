"""Sales channels: where orders come from and the rules each channel's orders follow.

Only the registry lives here for now; connectors (marketplace pull/push) come later and hang off
these rows.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oms.money import AmountField, CurrencyField


class ChannelType(models.TextChoices):
    WEB_SHOP = "web_shop", _("Web shop")
    MOBILE_APP = "mobile_app", _("Mobile app")
    MARKETPLACE = "marketplace", _("Marketplace")
    SOCIAL = "social", _("Social shop")
    STORE = "store", _("Store / POS")
    PHONE = "phone", _("Phone / customer service")
    B2B = "b2b", _("B2B")


class ShortagePolicy(models.TextChoices):
    BACKORDER = "backorder", _("Accept as backorder")
    REJECT = "reject", _("Reject the order")


class InvoiceTrigger(models.TextChoices):
    """When billing issues a channel's invoices."""

    PAYMENT = "payment", _("When the payment is confirmed")
    SHIPMENT = "shipment", _("When a shipment is handed over")
    COMPLETION = "completion", _("When the order is completed")
    MANUAL = "manual", _("By hand only")


class SalesChannel(models.Model):
    """One place orders come from (own shop, a marketplace store, the phone desk ...)."""

    code = models.SlugField(_("code"), max_length=32, unique=True, help_text=_("Used by the API, e.g. web."))
    name = models.CharField(_("name"), max_length=120)
    type = models.CharField(_("type"), max_length=16, choices=ChannelType.choices)
    currency = CurrencyField(_("currency"))
    commission_rate = models.DecimalField(
        _("commission rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    is_active = models.BooleanField(_("active"), default=True)
    shortage_policy = models.CharField(
        _("when stock is short"),
        max_length=10,
        choices=ShortagePolicy.choices,
        default=ShortagePolicy.BACKORDER,
    )
    price_tolerance = models.DecimalField(
        _("price tolerance (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("How far a line price may stray from the price list before the order is refused."),
    )
    risk_threshold = models.PositiveSmallIntegerField(
        _("risk threshold"),
        default=60,
        validators=[MaxValueValidator(100)],
        help_text=_("Orders scoring this or more are held for review."),
    )
    invoice_trigger = models.CharField(
        _("issue invoices"),
        max_length=10,
        choices=InvoiceTrigger.choices,
        default=InvoiceTrigger.SHIPMENT,
        help_text=_("The moment billing issues the invoice of this channel's orders."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sales channel")
        verbose_name_plural = _("sales channels")
        constraints = [
            models.CheckConstraint(condition=Q(type__in=ChannelType.values), name="channel_type_valid"),
            models.CheckConstraint(
                condition=Q(shortage_policy__in=ShortagePolicy.values), name="channel_shortage_policy_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ChannelPrice(models.Model):
    """A variant's price on one channel; without a row the variant's list price applies."""

    channel = models.ForeignKey(
        SalesChannel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="prices"
    )
    variant = models.ForeignKey(
        "inventory.Variant",
        verbose_name=_("variant"),
        on_delete=models.CASCADE,
        related_name="channel_prices",
    )
    price = AmountField(_("price"))

    class Meta:
        verbose_name = _("channel price")
        verbose_name_plural = _("channel prices")
        constraints = [
            models.UniqueConstraint(fields=["channel", "variant"], name="channel_price_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="channel_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.variant_id} {self.price}"
