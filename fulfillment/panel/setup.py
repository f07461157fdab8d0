"""Carrier accounts, boxes and carrier rules: the set-up the packing and shipping steps follow.

Everyone with the fulfillment section sees them; changing them changes how every parcel is boxed
and which carrier takes it, so it needs the model's add/change permission, which only
administrators hold (as the channels pages). Carrier secrets are write-only (see
``fulfillment.forms.CarrierAccountForm``) and their changes reach the audit log by key name only.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from fulfillment.carriers import connector_names
from fulfillment.forms import BoxForm, CarrierAccountForm, CarrierRuleForm
from fulfillment.models import Box, CarrierAccount, CarrierRule
from oms import audit
from oms.access import role_required

ACCESS = "oms.access_fulfillment"


def _audit_carrier(account: CarrierAccount, form: CarrierAccountForm, *, created: bool) -> None:
    """The secrets' share of the audit: which keys changed, never their values. The plain fields
    are logged by ``oms.audit`` (``CarrierAccount`` is registered without its secret fields)."""
    changes = {
        f"credentials.{what}" if what != "webhook_secret" else "webhook_secret": [None, keys]
        for what, keys in form.secret_changes.items()
    }
    if changes:
        audit.record(account, action="create" if created else "update", changes=changes)


def _carrier_form(request: HttpRequest, account: CarrierAccount | None) -> HttpResponse:
    form = CarrierAccountForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        created = account is None
        with transaction.atomic():
            saved = form.save()
            _audit_carrier(saved, form, created=created)
        message = _("Carrier %(name)s created.") if created else _("Carrier %(name)s saved.")
        messages.success(request, message % {"name": saved.name})
        return redirect("fulfillment:carriers")
    return render(request, "fulfillment/carriers/form.html", {"form": form, "account": account})


@role_required(ACCESS)
def carrier_list(request: HttpRequest) -> HttpResponse:
    accounts = CarrierAccount.objects.annotate(rule_count=Count("rules")).order_by("name", "pk")
    labels = dict(connector_names())
    rows = [
        {
            "account": a,
            "connector_label": labels.get(a.connector, a.connector),
            "secret_keys": sorted((a.credentials or {}).keys()),
            "has_webhook_secret": bool(a.webhook_secret),
        }
        for a in accounts
    ]
    return render(
        request,
        "fulfillment/carriers/list.html",
        {
            "rows": rows,
            "may_change": request.user.has_perm("fulfillment.change_carrieraccount"),
            "may_add": request.user.has_perm("fulfillment.add_carrieraccount"),
        },
    )


@role_required(ACCESS, "fulfillment.add_carrieraccount")
def carrier_create(request: HttpRequest) -> HttpResponse:
    return _carrier_form(request, None)


@role_required(ACCESS, "fulfillment.change_carrieraccount")
def carrier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _carrier_form(request, get_object_or_404(CarrierAccount, pk=pk))


# --- Boxes ----------------------------------------------------------------------------------------


@role_required(ACCESS)
def box_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "fulfillment/boxes/list.html",
        {
            "boxes": Box.objects.all(),
            "may_change": request.user.has_perm("fulfillment.change_box"),
            "may_add": request.user.has_perm("fulfillment.add_box"),
        },
    )


def _box_form(request: HttpRequest, box: Box | None) -> HttpResponse:
    form = BoxForm(request.POST or None, instance=box)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        message = _("Box %(code)s created.") if box is None else _("Box %(code)s saved.")
        messages.success(request, message % {"code": saved.code})
        return redirect("fulfillment:boxes")
    return render(request, "fulfillment/boxes/form.html", {"form": form, "box": box})


@role_required(ACCESS, "fulfillment.add_box")
def box_create(request: HttpRequest) -> HttpResponse:
    return _box_form(request, None)


@role_required(ACCESS, "fulfillment.change_box")
def box_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _box_form(request, get_object_or_404(Box, pk=pk))


# --- Carrier rules --------------------------------------------------------------------------------


@role_required(ACCESS)
def rule_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "fulfillment/rules/list.html",
        {
            "rules": CarrierRule.objects.select_related("carrier"),
            "may_change": request.user.has_perm("fulfillment.change_carrierrule"),
            "may_add": request.user.has_perm("fulfillment.add_carrierrule"),
        },
    )


def _rule_form(request: HttpRequest, rule: CarrierRule | None) -> HttpResponse:
    form = CarrierRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        message = _("Rule %(name)s created.") if rule is None else _("Rule %(name)s saved.")
        messages.success(request, message % {"name": saved.name})
        return redirect("fulfillment:rules")
    return render(request, "fulfillment/rules/form.html", {"form": form, "rule": rule})


@role_required(ACCESS, "fulfillment.add_carrierrule")
def rule_create(request: HttpRequest) -> HttpResponse:
    return _rule_form(request, None)


@role_required(ACCESS, "fulfillment.change_carrierrule")
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _rule_form(request, get_object_or_404(CarrierRule, pk=pk))
