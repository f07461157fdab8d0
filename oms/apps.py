from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, **kwargs) -> None:
    from oms.roles import sync_roles

    sync_roles()


class OmsConfig(AppConfig):
    name = "oms"
    verbose_name = _("Core")

    def ready(self) -> None:
        from oms import audit
        from oms.models import User

        audit.register(User, exclude=["date_joined"])
        # After every migrate (and test-database flush) the roles get the permissions of any new model.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="oms.sync_roles")
