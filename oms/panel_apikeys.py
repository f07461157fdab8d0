"""API keys page: the integrations' keys with their scopes; create one (its secret shown once) or revoke.

The plaintext key exists only in the response to the create request: it is rendered straight away
(no redirect, nothing kept in the session) with ``Cache-Control: no-store``, and only its hash is
stored. Revoking takes effect on the next API request.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.db.models import Q
from django.forms import TextInput
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from oms.access import role_required
from oms.apikeys import SCOPES, create_api_key, revoke_api_key
from oms.http import is_partial
from oms.models import ApiKey
from oms.pagination import paginate
from oms.views import render_list

PERMISSION = "oms.manage_api_keys"
TEMPLATE = "oms/api_keys.html"


class ApiKeyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="search",
        widget=TextInput(attrs={"type": "search", "placeholder": gettext_lazy("Name or prefix")}),
    )
    state = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=[("active", gettext_lazy("Active")), ("revoked", gettext_lazy("Revoked"))],
        empty_label=gettext_lazy("All"),
        method="filter_state",
    )

    class Meta:
        model = ApiKey
        fields = ["q", "state"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(prefix__istartswith=value)) if value else queryset

    def filter_state(self, queryset, name, value):
        return queryset.filter(revoked_at__isnull=value == "active")


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=120,
        help_text=gettext_lazy("Who uses the key, e.g. “Logo ERP” or “Web shop”."),
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"),
        choices=[(scope, f"{scope} · {description}") for scope, description in SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Give only what the integration needs."),
    )


def _context(request: HttpRequest, **extra) -> dict:
    filterset = ApiKeyFilter(request.GET, queryset=ApiKey.objects.select_related("created_by"))
    page = paginate(request, filterset.qs, ordering=("-created_at", "-pk"))
    return {"filter": filterset, "page": page, "form": ApiKeyForm(), **extra}


@vary_on_headers("HX-Request")
@role_required(PERMISSION)
def api_key_list(request: HttpRequest) -> HttpResponse:
    return render_list(request, TEMPLATE, _context(request))


@never_cache
@vary_on_headers("HX-Request")
@role_required(PERMISSION)
def api_key_create(request: HttpRequest) -> HttpResponse:
    """Create a key and answer with it shown once, never stored in clear (a reload does not show it).

    htmx: the form's area (the key, a fresh form) and the list swapped out of band, so the page URL
    stays the list's. Without JavaScript: the whole page. A GET (the filter bar of that page) goes
    to the list.
    """
    if request.method != "POST":
        query = request.GET.urlencode()
        return redirect(f"{reverse('api_keys')}{'?' + query if query else ''}")
    form = ApiKeyForm(request.POST)
    extra: dict = {"form": form}
    status = 422
    if form.is_valid():
        key, plaintext = create_api_key(
            name=form.cleaned_data["name"].strip(), scopes=form.cleaned_data["scopes"], by=request.user
        )
        extra = {"created": key, "plaintext": plaintext}
        status = 200
    context = _context(request, **extra)
    if not is_partial(request):
        return render(request, TEMPLATE, context, status=status)
    html = render_to_string(f"{TEMPLATE}#create", context, request=request)
    if status == 200:
        html += render_to_string(f"{TEMPLATE}#results", {**context, "oob": True}, request=request)
    return HttpResponse(html, status=status)


@role_required(PERMISSION)
@require_POST
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = revoke_api_key(key=get_object_or_404(ApiKey, pk=pk))
    if is_partial(request):  # htmx: only the key's row, now marked revoked
        return render(request, f"{TEMPLATE}#key_row", {"key": key})
    messages.success(request, _("API key “%(name)s” revoked; it no longer works.") % {"name": key.name})
    return redirect("api_keys")
