"""How timelines name the B2B events of billing: payment reminders and quotes."""

from django.utils.translation import gettext_lazy as _

from oms.events import EVENT_LABELS

EVENT_LABELS.update(
    {
        "invoice.reminder_due_soon": _("Payment reminder: due soon"),
        "invoice.reminder_overdue": _("Payment reminder: overdue"),
        "order.installment_reminder_due": _("Payment reminder: installment due"),
        "quote.created": _("Quote created"),
        "quote.updated": _("Quote changed"),
        "quote.sent": _("Quote sent"),
        "quote.accepted": _("Quote accepted"),
        "quote.declined": _("Quote declined"),
        "quote.expired": _("Quote expired"),
        "quote.reopened": _("Quote reopened as a draft"),
        "quote.converted": _("Quote converted to an order"),
        "order.created_from_quote": _("Created from a quote"),
        "billing_account.saved": _("Billing account saved"),
    }
)
