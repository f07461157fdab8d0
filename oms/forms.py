from django import forms
from django.utils.translation import gettext_lazy as _

from oms.roles import Role


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
