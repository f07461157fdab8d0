"""Core business acts: user roles and process heartbeats."""

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from oms import audit
from oms.errors import InvalidInput, NotPermitted
from oms.events import emit
from oms.models import Heartbeat, User
from oms.roles import STAFF_ROLES, Role


@transaction.atomic
def assign_roles(*, user: User, roles: list[str], by: User | None) -> User:
    """Replace ``user``'s roles; admins become staff (Django admin access), others lose it.

    Raises ``InvalidInput`` for an unknown role and ``NotPermitted`` when an admin would remove
    their own admin role (that could leave the shop without an administrator).
    """
    unknown = sorted(set(roles) - set(Role.values))
    if unknown:
        raise InvalidInput(
            _("Unknown role: %(roles)s") % {"roles": ", ".join(unknown)}, code="unknown_role", roles=unknown
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    before = sorted(user.groups.values_list("name", flat=True))
    after = sorted(set(roles))
    if by is not None and by.pk == user.pk and Role.ADMIN in before and Role.ADMIN not in after:
        raise NotPermitted(_("You cannot remove your own administrator role."), code="own_admin_role")
    if before == after:
        return user
    user.groups.set(Group.objects.filter(name__in=after))
    is_staff = user.is_superuser or bool(STAFF_ROLES & set(after))
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    audit.record(user, action="update", changes={"roles": [before, after]})
    emit(
        "user.roles_changed",
        subject=user,
        actor=by,
        data={"before": before, "after": after},
        message=", ".join(str(Role(r).label) for r in after) or "-",
    )
    return user


def record_heartbeat(*, name: str) -> Heartbeat:
    """Upsert the heartbeat row of a background process (worker or beat)."""
    now = timezone.now()
    with transaction.atomic():
        updated = Heartbeat.objects.filter(name=name).update(last_seen=now, beats=F("beats") + 1)
        if not updated:
            heartbeat, _created = Heartbeat.objects.get_or_create(
                name=name, defaults={"last_seen": now, "beats": 1}
            )
            return heartbeat
    return Heartbeat.objects.get(name=name)
