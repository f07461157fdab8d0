"""The panel's sections: one place that names them for the navigation, the dashboard and access."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    key: str
    label: Promise
    url_name: str
    icon: str
    permission: str
    summary: Promise | str = ""

    @property
    def url(self) -> str:
        return reverse(self.url_name)


SECTIONS: tuple[Section, ...] = (
    Section("dashboard", _("Dashboard"), "dashboard", "home", "oms.view_dashboard"),
    Section(
        "orders",
        _("Orders"),
        "orders:index",
        "cart",
        "oms.access_orders",
        _("Orders from every channel, customers, approvals and allocation."),
    ),
    Section(
        "inventory",
        _("Inventory"),
        "inventory:index",
        "box",
        "oms.access_inventory",
        _("Products, warehouses, stock levels, the movement ledger, counts and purchasing."),
    ),
    Section(
        "fulfillment",
        _("Fulfillment"),
        "fulfillment:index",
        "truck",
        "oms.access_fulfillment",
        _("Pick lists, packing, carriers, shipments and tracking."),
    ),
    Section(
        "returns",
        _("Returns"),
        "returns:index",
        "undo",
        "oms.access_returns",
        _("Return requests, receipt and quality control, exchanges."),
    ),
    Section(
        "billing",
        _("Billing"),
        "billing:index",
        "receipt",
        "oms.access_billing",
        _("Invoices, e-invoice exports, payments, receivables and quotes."),
    ),
    Section(
        "channels",
        _("Channels"),
        "channels:index",
        "plug",
        "oms.access_channels",
        _("Sales channels, marketplace connectors, price and stock rules."),
    ),
    Section(
        "notifications",
        _("Notifications"),
        "notifications:index",
        "bell",
        "oms.access_notifications",
        _("Message templates, the outbox and customer preferences."),
    ),
    Section(
        "reports",
        _("Reports"),
        "reports:index",
        "chart",
        "oms.access_reports",
        _("Sales, products, operations, carriers, customers and channels."),
    ),
)

ADMIN_LINKS: tuple[Section, ...] = (
    Section("users", _("Users and roles"), "users", "users", "oms.manage_users"),
    Section("audit", _("Audit log"), "audit_log", "history", "oms.view_auditlog"),
    Section("api_keys", _("API keys"), "api_keys", "shield", "oms.manage_api_keys"),
)

BY_KEY = {section.key: section for section in SECTIONS + ADMIN_LINKS}


def visible_sections(user, sections: tuple[Section, ...] = SECTIONS) -> list[Section]:
    """Sections the user may open (``has_perm`` caches the user's permissions: one query)."""
    if not user.is_authenticated:
        return []
    return [section for section in sections if user.has_perm(section.permission)]
