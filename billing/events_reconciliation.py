"""How timelines name reconciliation's domain events (the lead imports this from apps.py)."""

from django.utils.translation import gettext_lazy as _

from oms.events import EVENT_LABELS

EVENT_LABELS.update({"order.finance_issue": _("Payment to check (finance queue)")})
