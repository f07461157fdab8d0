from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        # Event labels of each area, and automatic invoicing on order events.
        from billing import (  # noqa: F401
            events_b2b,
            events_invoices,
            events_payments,
            events_reconciliation,
            subscribers,
        )
        from billing.credit import credit_check
        from billing.models import BillingAccount, InstallmentPlan, SellerProfile, StatementFormat
        from oms import audit
        from orders.risk import register_approval_check

        register_approval_check(credit_check)  # on-account orders over their limit wait for approval
        # Who changed a credit limit, payment terms, the seller's identity or a statement layout.
        for model in (BillingAccount, SellerProfile, InstallmentPlan, StatementFormat):
            audit.register(model)
