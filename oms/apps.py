from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _reference_data(sender, **kwargs) -> None:
    from oms.address import load_provinces
    from oms.roles import sync_roles

    sync_roles()
    load_provinces()


class OmsConfig(AppConfig):
    name = "oms"
    verbose_name = _("Core")

    def ready(self) -> None:
        from oms import audit
        from oms.models import User

        audit.register(User, exclude=["date_joined"])
        # After every migrate (and test-database flush): roles get the permissions of any new model
        # and the province table is complete.
        post_migrate.connect(_reference_data, sender=self, dispatch_uid="oms.reference_data")
