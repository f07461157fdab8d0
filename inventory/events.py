"""How timelines and the audit view name the inventory's domain events."""

from django.utils.translation import gettext_lazy as _

from oms.events import EVENT_LABELS

EVENT_LABELS.update(
    {
        "supplier.created": _("Supplier created"),
        "supplier.updated": _("Supplier changed"),
        "supplier.item_added": _("Supplier item added"),
        "supplier.item_changed": _("Supplier item changed"),
        "supplier.item_removed": _("Supplier item removed"),
        "purchase_order.created": _("Purchase order created"),
        "purchase_order.updated": _("Purchase order changed"),
        "purchase_order.line_added": _("Line added"),
        "purchase_order.line_changed": _("Line changed"),
        "purchase_order.line_removed": _("Line removed"),
        "purchase_order.sent": _("Sent to the supplier"),
        "purchase_order.emailed": _("E-mailed to the supplier"),
        "purchase_order.partially_received": _("Partially received"),
        "purchase_order.received": _("Received in full"),
        "purchase_order.cancelled": _("Cancelled"),
        "stock.received": _("Goods received"),
        "stock.reorder_needed": _("Reorder needed"),
        "stock.approaching": _("Stock approaching minimum"),
        "stock.critical": _("Stock critical"),
        "stock.out_of_stock": _("Out of stock"),
        "stock.reservation_repaired": _("Reservation drift repaired"),
        "stock.alert_acknowledged": _("Low-stock alert acknowledged"),
        "count.started": _("Count started"),
        "count.review": _("Count submitted for review"),
        "count.counting": _("Count reopened"),
        "count.posted": _("Count posted"),
        "count.cancelled": _("Count cancelled"),
        "transfer.requested": _("Transfer requested"),
        "transfer.shipped": _("Transfer shipped"),
        "transfer.received": _("Transfer received"),
        "transfer.cancelled": _("Transfer cancelled"),
    }
)
