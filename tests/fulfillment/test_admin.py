"""Fulfillment admin: every model's change list loads; carrier secrets are never shown back and
survive a save with the secret fields left blank."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from fulfillment import models as m
from tests.inventory.factories import make_warehouse, stocked
from tests.orders.factories import make_channel, place

pytestmark = pytest.mark.django_db

SECRET = "admin-visible-NEVER"


@pytest.fixture
def data():
    """One row of every fulfillment model, so change lists render real rows."""
    warehouse = make_warehouse("ANK", province=6)
    variant, _wh = stocked(5, warehouse=warehouse)
    order = place(make_channel("web"), [(variant, 1)])
    line = order.lines.get()
    carrier = m.CarrierAccount.objects.create(
        code="yk",
        name="Yurtiçi",
        connector="manual",
        credentials={"password": SECRET},
        webhook_secret="wh-" + SECRET,
    )
    m.RateBand.objects.create(carrier=carrier, zone="local", max_desi=5, price=Decimal("50"))
    m.CarrierRule.objects.create(name="Rule", carrier=carrier)
    box = m.Box.objects.create(
        code="K1", name="Small", length_cm=20, width_cm=20, height_cm=10, max_weight_kg=5
    )
    wave = m.Wave.objects.create(number="W-1", warehouse=warehouse)
    pick_list = m.PickList.objects.create(number="PL-1", warehouse=warehouse, method="wave", wave=wave)
    m.PickListOrder.objects.create(pick_list=pick_list, order=order)
    bin_ = warehouse.bins.first()
    task = m.PickTask.objects.create(
        pick_list=pick_list, sequence=1, order=order, line=line, variant=variant, bin=bin_, quantity=1
    )
    shipment = m.Shipment.objects.create(number="SHP-1", order=order, warehouse=warehouse, carrier=carrier)
    m.ShipmentLine.objects.create(shipment=shipment, line=line, quantity=1)
    m.Parcel.objects.create(
        shipment=shipment, box=box, weight_kg=1, length_cm=20, width_cm=20, height_cm=10, desi=Decimal("1.33")
    )
    m.ShipmentEvent.objects.create(subject=shipment, name="shipment.created")
    m.TrackingEvent.objects.create(
        shipment=shipment, occurred_at=timezone.now(), status="in_transit", source="poll", dedupe_key="a"
    )
    m.Manifest.objects.create(number="MNF-1", carrier=carrier, warehouse=warehouse, day=timezone.localdate())
    m.Problem.objects.create(kind="short_pick", warehouse=warehouse, order=order, pick_task=task)
    return {"carrier": carrier, "shipment": shipment, "pick_list": pick_list}


FULFILLMENT_MODELS = [
    model
    for model in (getattr(m, name) for name in dir(m))
    if isinstance(model, type)
    and issubclass(model, m.models.Model)
    and model._meta.app_label == "fulfillment"
    and not model._meta.abstract
]


def test_every_fulfillment_model_is_in_admin():
    missing = [model.__name__ for model in FULFILLMENT_MODELS if model not in admin.site._registry]
    assert not missing
    assert len(FULFILLMENT_MODELS) == 15


@pytest.mark.parametrize("model", FULFILLMENT_MODELS, ids=lambda model: model.__name__)
def test_change_lists_load(admin_client, data, model):
    url = reverse(f"admin:fulfillment_{model._meta.model_name}_changelist")
    response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1
    assert admin_client.get(url, {"q": "x"}).status_code == 200


def test_change_pages_with_inlines_load(admin_client, data):
    for obj in (data["shipment"], data["pick_list"]):
        url = reverse(f"admin:fulfillment_{obj._meta.model_name}_change", args=[obj.pk])
        assert admin_client.get(url).status_code == 200


def test_tracking_events_are_read_only(admin_client, data):
    assert admin_client.get(reverse("admin:fulfillment_trackingevent_add")).status_code == 403
    event = m.TrackingEvent.objects.get()
    response = admin_client.post(
        reverse("admin:fulfillment_trackingevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert m.TrackingEvent.objects.filter(pk=event.pk).exists()


def test_carrier_admin_never_shows_secrets_and_keeps_them_when_blank(admin_client, data):
    carrier = data["carrier"]
    url = reverse("admin:fulfillment_carrieraccount_change", args=[carrier.pk])
    for page in (
        admin_client.get(url),
        admin_client.get(reverse("admin:fulfillment_carrieraccount_changelist")),
    ):
        body = page.content.decode()
        assert SECRET not in body
        assert "password" in body  # the key is listed
    form_data = {
        "code": "yk",
        "name": "Yurtiçi 2",
        "connector": "manual",
        "settings": "{}",
        "is_active": "on",
        "supports_cod": "on",
        "supports_fragile": "on",
        "max_desi": "100",
        "transit_days": "2",
        "credentials_input": "",
        "webhook_secret_input": "",
        "rate_bands-TOTAL_FORMS": "0",
        "rate_bands-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, form_data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    carrier.refresh_from_db()
    assert carrier.name == "Yurtiçi 2"
    assert carrier.credentials == {"password": SECRET}
    assert carrier.webhook_secret == "wh-" + SECRET

    admin_client.post(url, {**form_data, "credentials_input": '{"password": null, "api_key": "k"}'})
    carrier.refresh_from_db()
    assert carrier.credentials == {"api_key": "k"}
