"""How timelines name the orders' domain events."""

from django.utils.translation import gettext_lazy as _

from oms.events import EVENT_LABELS

EVENT_LABELS.update(
    {
        "order.created": _("Order received"),
        "order.held": _("Put on hold"),
        "order.confirmed": _("Confirmed"),
        "order.approved": _("Approved"),
        "order.approval_refused": _("Approval refused"),
        "order.rejected": _("Rejected"),
        "order.allocated": _("Allocated"),
        "order.backordered": _("Backordered"),
        "order.reallocated": _("Re-allocated"),
        "order.in_fulfillment": _("Sent to fulfillment"),
        "order.partially_shipped": _("Partially shipped"),
        "order.shipped": _("Shipped"),
        "order.delivered": _("Delivered"),
        "order.completed": _("Completed"),
        "order.cancelled": _("Cancelled"),
        "order.payment_authorized": _("Payment authorised"),
        "order.paid": _("Paid"),
        "order.refunded": _("Refunded"),
        "order.payment_failed": _("Payment failed"),
        "order.payment_pending": _("Awaiting payment"),
        "order.cancel_refused": _("Cancellation refused"),
        "order.partially_returned": _("Partially returned"),
        "order.returned": _("Returned"),
        "order.queue_opened": _("Added to a work queue"),
        "order.queue_taken": _("Taken from the queue"),
        "order.queue_released": _("Given back to the queue"),
        "order.queue_resolved": _("Queue item resolved"),
        "order.note_added": _("Note added"),
        "customer.merged": _("Customers merged"),
        "customer.vip_changed": _("VIP mark changed"),
    }
)
