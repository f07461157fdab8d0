"""Filter sets for the core panel lists (django-filter)."""

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.forms import DateInput, TextInput
from django.utils.translation import gettext_lazy as _

from oms.audit import registered_models
from oms.models import AuditAction, AuditLog, User
from oms.roles import Role


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=TextInput(attrs={"type": "search", "placeholder": _("Name, e-mail")}),
    )
    role = django_filters.ChoiceFilter(
        label=_("Role"), choices=Role.choices, field_name="groups__name", empty_label=_("All")
    )
    is_active = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[("1", _("Active")), ("0", _("Inactive"))],
        empty_label=_("All"),
        method="status",
    )

    class Meta:
        model = User
        fields = ["q", "role", "is_active"]

    def status(self, queryset, name, value):
        return queryset.filter(is_active=value == "1")

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(username__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(email__icontains=value)
        )


class AuditLogFilter(django_filters.FilterSet):
    content_type = django_filters.ModelChoiceFilter(
        label=_("Record type"), queryset=ContentType.objects.none(), empty_label=_("All")
    )
    action = django_filters.ChoiceFilter(label=_("Action"), choices=AuditAction.choices, empty_label=_("All"))
    actor = django_filters.ModelChoiceFilter(
        label=_("User"), queryset=User.objects.order_by("username"), empty_label=_("All")
    )
    since = django_filters.DateFilter(
        label=_("From"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label=_("To"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditLog
        fields = ["content_type", "action", "actor", "since", "until"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = ContentType.objects.get_for_models(*registered_models(), for_concrete_models=False).values()
        self.filters["content_type"].queryset = ContentType.objects.filter(pk__in=[t.pk for t in types])
