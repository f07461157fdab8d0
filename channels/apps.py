from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "channels"
    verbose_name = _("Sales channels")

    def ready(self) -> None:
        from channels.models import SalesChannel
        from oms import audit

        audit.register(SalesChannel, exclude=["created_at"])
