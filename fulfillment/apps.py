from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FulfillmentConfig(AppConfig):
    name = "fulfillment"
    verbose_name = _("Fulfillment")

    def ready(self) -> None:
        from fulfillment import events  # noqa: F401 - event labels
        from fulfillment.models import Box, CarrierAccount, CarrierRule, RateBand
        from oms import audit

        # Set-up changes are audited; secrets and bulky data never reach the audit log.
        audit.register(CarrierAccount, exclude=["credentials", "webhook_secret"])
        audit.register(Box)
        audit.register(CarrierRule)
        audit.register(RateBand)
