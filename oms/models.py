"""Core models: users, panel permissions, provinces, the audit trail and the generic timeline."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person using the panel. Roles are Django groups (see ``oms.roles``)."""

    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class WorkItem(models.Model):
    """Something waiting for a person: who has it, and how it was resolved (by whom, when, what was
    done). Order queue items and fulfillment problems share these fields; each adds its subject."""

    detail = models.CharField(_("detail"), max_length=255, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.CharField(_("resolution"), max_length=255, blank=True)

    class Meta:
        abstract = True


class PanelAccess(models.Model):
    """Holds the panel's section permissions; no table, only permission rows.

    Views check these permissions (never group names), so an admin can tailor a role in Django
    admin without touching code.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_dashboard", _("Can open the dashboard")),
            ("access_orders", _("Can open orders and customers")),
            ("access_inventory", _("Can open inventory")),
            ("access_fulfillment", _("Can open fulfillment")),
            ("access_returns", _("Can open returns")),
            ("access_billing", _("Can open billing")),
            ("access_channels", _("Can open sales channels")),
            ("access_notifications", _("Can open notifications")),
            ("access_reports", _("Can open reports")),
            ("manage_users", _("Can manage users and roles")),
            ("manage_api_keys", _("Can create and revoke API keys")),
        ]

    def __str__(self) -> str:
        return "panel access"


class Province(models.Model):
    """One of Türkiye's 81 provinces; the primary key is the licence-plate code (1..81).

    Centroids drive distance-based warehouse choice; rows come from ``oms/data/provinces.json``.
    """

    code = models.PositiveSmallIntegerField(_("plate code"), primary_key=True)
    name = models.CharField(_("name"), max_length=40, unique=True)
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    region = models.CharField(_("region"), max_length=40)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=4)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=4)

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        constraints = [
            models.CheckConstraint(condition=models.Q(code__gte=1, code__lte=81), name="province_code_1_81"),
        ]

    def __str__(self) -> str:
        return self.name


postal_code_validator = RegexValidator(r"^\d{5}$", _("A Turkish postal code has five digits."))


class PostalAddress(models.Model):
    """Turkish address parts, embedded in customers, orders and warehouses (abstract).

    Mahalle (neighbourhood) and ilçe (district) are kept as text: carriers want them spelled as the
    customer wrote them; the province is a foreign key because distances are computed from it.
    """

    full_name = models.CharField(_("full name"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address_line = models.CharField(_("address"), max_length=255, blank=True)
    neighbourhood = models.CharField(_("neighbourhood"), max_length=80, blank=True)
    district = models.CharField(_("district"), max_length=80, blank=True)
    province = models.ForeignKey(
        Province,
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    postal_code = models.CharField(
        _("postal code"), max_length=5, blank=True, validators=[postal_code_validator]
    )
    country = models.CharField(_("country"), max_length=2, default="TR")

    class Meta:
        abstract = True

    def clean(self) -> None:
        from oms.address import validate_postal_code_for_province

        super().clean()
        validate_postal_code_for_province(self.postal_code, self.province_id, country=self.country)


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")


# Labels for audited changes that are not model fields (recorded by services).
EXTRA_CHANGE_LABELS = {"roles": _("roles")}


class AuditLog(models.Model):
    """Who changed what, for models registered with ``oms.audit.register``. Append-only."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=AuditAction.choices)
    content_type = models.ForeignKey(ContentType, verbose_name=_("record type"), on_delete=models.PROTECT)
    object_id = models.CharField(_("record id"), max_length=64)
    object_repr = models.CharField(_("record"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    remote_addr = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["content_type", "object_id", "-created_at"], name="audit_object_idx"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=AuditAction.values), name="auditlog_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"

    def display_changes(self) -> list[tuple[str, str, str]]:
        """(field label, old, new) for people: verbose names, yes/no, lists joined. No queries."""
        from django.core.exceptions import FieldDoesNotExist

        model = self.content_type.model_class()

        def label(name: str) -> str:
            try:
                return str(model._meta.get_field(name).verbose_name) if model else name
            except FieldDoesNotExist:
                return str(EXTRA_CHANGE_LABELS.get(name, name))

        def show(name: str, value) -> str:
            from oms.roles import Role

            if value is None or value == "" or value == []:
                return "—"
            if isinstance(value, bool):
                return str(_("yes") if value else _("no"))
            if isinstance(value, list):
                labels = dict(Role.choices) if name == "roles" else {}
                return ", ".join(str(labels.get(v, v)) for v in value)
            return str(value)

        return [(label(n), show(n, old), show(n, new)) for n, (old, new) in self.changes.items()]


class TimelineEntry(models.Model):
    """A domain event as a row on the owning record's timeline (abstract).

    Apps with their own timeline subclass it with a ``subject`` foreign key (e.g. ``OrderEvent``)
    and point the owning model's ``timeline_model`` at it; other records use ``Event``.
    """

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    name = models.CharField(_("event"), max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    message = models.CharField(_("message"), max_length=255, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Event(TimelineEntry):
    """Timeline row for records without a timeline table of their own (generic relation)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)

    class Meta(TimelineEntry.Meta):
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["content_type", "object_id", "-created_at"], name="event_subject_idx")
        ]


class Heartbeat(models.Model):
    """Last time a background process checked in; the dashboard shows worker and beat health."""

    name = models.CharField(max_length=32, primary_key=True)
    last_seen = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """A key for one integration (ERP, POS, marketplace bridge) with the scopes it may use.

    Only a SHA-256 of the secret is stored; the full key is shown once, when it is created.
    """

    name = models.CharField(_("name"), max_length=120)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class IdempotencyRecord(models.Model):
    """The stored answer to a create request sent with an ``Idempotency-Key`` header."""

    owner = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_unique")]

    def __str__(self) -> str:
        return self.key


class NumberSequence(models.Model):
    """Gap-free document numbers per series and year (purchase orders, orders, invoices ...)."""

    series = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="number_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.series}{self.year}:{self.last}"
