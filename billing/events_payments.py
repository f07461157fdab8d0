"""How timelines name installment events, and billing's answer to a cancelled order.

Imported by ``billing.apps.BillingConfig.ready`` (the labels register on import; so does the
``order.cancelled`` subscriber).
"""

from django.utils.translation import gettext_lazy as _

from oms.events import EVENT_LABELS, subscribe

EVENT_LABELS.update(
    {
        # billing.installments, on the order's timeline (``payment.<kind>`` are in events_invoices)
        "installments.scheduled": _("Installment schedule created"),
        "installments.cancelled": _("Installments cancelled"),
        "installment.paid": _("Installment paid"),
    }
)


@subscribe("order.cancelled")
def cancel_installments(*, name, subject, entry, actor, **kwargs) -> None:
    """A cancelled order owes no more installments: its open ones are cancelled in the same
    transaction as the cancellation (bookkeeping of the same act, not after-commit work)."""
    from billing.installments import cancel_schedule
    from billing.models import Installment, InstallmentStatus

    if Installment.objects.filter(order_id=subject.pk, status=InstallmentStatus.OPEN).exists():
        cancel_schedule(subject.pk, user=actor, reason=entry.message)
