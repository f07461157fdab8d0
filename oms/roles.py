"""Roles are Django groups; what each may do is this table of permissions.

``sync_roles`` creates the groups and grants them; the data migration calls it and so does every
``post_migrate`` (so permissions of models added by later migrations reach their roles). Admins
can still extend a group in Django admin: sync only adds, it never removes a grant.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    OPERATOR = "operator", _("Operator")
    WAREHOUSE = "warehouse", _("Warehouse staff")
    FINANCE = "finance", _("Finance")
    CUSTOMER_SERVICE = "customer_service", _("Customer service")


ALL = "*"  # every permission in the system

# "app_label.codename" entries; an app whose issue lands extends its roles here.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.ADMIN: {ALL},
    Role.OPERATOR: {
        "inventory.adjust_stock",
        "inventory.receive_stock",
        "inventory.manage_purchasing",
        "inventory.count_stock",
        "inventory.post_count",
        "inventory.transfer_stock",
        "orders.manage_orders",
        "orders.approve_order",
        "orders.merge_customers",
        "oms.view_dashboard",
        "oms.access_orders",
        "oms.access_inventory",
        "oms.access_fulfillment",
        "oms.access_returns",
        "oms.access_channels",
        "oms.access_reports",
        # Sales writes quotes and sees invoices; money stays with finance.
        "oms.access_billing",
        "billing.manage_quotes",
    },
    Role.WAREHOUSE: {
        "inventory.adjust_stock",
        "inventory.receive_stock",
        # Counters count blind; an operator reviews the differences and posts them.
        "inventory.count_stock",
        "inventory.transfer_stock",
        "oms.view_dashboard",
        "oms.access_inventory",
        "oms.access_fulfillment",
        "oms.access_returns",
    },
    Role.FINANCE: {
        "oms.view_dashboard",
        "oms.access_billing",
        "oms.access_reports",
        "oms.access_orders",
        # Only finance changes money: invoices, payments, reconciliation, terms and limits.
        "billing.issue_invoice",
        "billing.record_payment",
        "billing.manage_credit",
        "billing.manage_quotes",
    },
    Role.CUSTOMER_SERVICE: {
        # Customer service keys in phone orders and cancels on request; approving is for operators.
        "orders.manage_orders",
        "orders.merge_customers",
        "oms.view_dashboard",
        "oms.access_orders",
        "oms.access_returns",
        "oms.access_notifications",
    },
}

# Roles whose members may log in to Django admin.
STAFF_ROLES = {Role.ADMIN}


def sync_roles(apps=None) -> None:
    """Create the role groups and grant the permissions above that exist by now (idempotent)."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # Permissions are normally created after all migrations; make them exist now so a fresh
    # database gets complete roles from the data migration itself.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True  # migration state stubs have none
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = original

    every = Permission.objects.select_related("content_type")
    by_key = {f"{p.content_type.app_label}.{p.codename}": p for p in every}
    for role, keys in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = list(by_key.values()) if ALL in keys else [by_key[k] for k in keys if k in by_key]
        group.permissions.add(*wanted)
