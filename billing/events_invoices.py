"""How timelines name billing's invoice and payment events (invoice and order timelines)."""

from django.utils.translation import gettext_lazy as _

from oms.events import EVENT_LABELS

EVENT_LABELS.update(
    {
        "invoice.issued": _("Invoice issued"),
        "invoice.credit_note_issued": _("Credit note issued"),
        "invoice.sent": _("Sent to the customer"),
        "order.invoiced": _("Invoiced"),
        "order.credit_note_issued": _("Credit note issued"),
        "order.invoicing_failed": _("Automatic invoice not issued"),
        "payment.authorization": _("Payment authorised"),
        "payment.capture": _("Payment received"),
        "payment.refund": _("Payment refunded"),
        "payment.failure": _("Payment failed"),
    }
)
