"""The inventory section's panel areas beyond stock levels and products: one views module and one
URL module per area (purchasing, goods in, counts, transfers, alerts, reports)."""

from django.utils.translation import gettext_lazy as _

# (key, url name, label): the section's tabs, shown once their URL exists.
TABS = [
    ("purchase_orders", "inventory:purchase_orders", _("Purchase orders")),
    ("suppliers", "inventory:suppliers", _("Suppliers")),
    ("receipts", "inventory:receipts", _("Goods in")),
    ("counts", "inventory:counts", _("Counts")),
    ("transfers", "inventory:transfers", _("Transfers")),
    ("alerts", "inventory:alerts", _("Alerts")),
    ("reorder", "inventory:reorder", _("Reorder")),
    ("reports", "inventory:reports", _("Reports")),
]
