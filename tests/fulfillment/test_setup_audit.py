"""Carrier set-up is audited without its secrets; shipment timelines name their events."""

import pytest
from django.contrib.contenttypes.models import ContentType

from fulfillment.models import Box, CarrierAccount, ShipmentStatus
from oms import audit
from oms.events import event_label
from oms.models import AuditLog


def _rows(obj):
    return AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk)
    ).order_by("id")


@pytest.mark.django_db
def test_carrier_account_changes_are_audited_but_secrets_never_are(user_factory):
    boss = user_factory(username="boss")
    with audit.acting_as(boss):
        account = CarrierAccount.objects.create(
            code="yk", name="Yurtiçi", connector="yurtici", credentials={"password": "s3cret"}
        )
        account.credentials = {"password": "n3w-s3cret"}
        account.webhook_secret = "hook-secret"
        account.save()
        account.transit_days = 3
        account.save()
    rows = list(_rows(account))
    assert [r.action for r in rows] == ["create", "update"]  # changing only secrets leaves no row
    assert rows[1].changes == {"transit_days": [2, 3]}
    logged = str([r.changes for r in rows])
    assert "s3cret" not in logged
    assert "hook-secret" not in logged
    assert {r.actor_id for r in rows} == {boss.pk}


@pytest.mark.django_db
def test_box_changes_are_audited():
    box = Box.objects.create(
        code="M", name="Medium", length_cm=40, width_cm=30, height_cm=20, max_weight_kg=10
    )
    box.name = "Medium box"
    box.save()
    assert _rows(box).last().changes == {"name": ["Medium", "Medium box"]}


def test_every_shipment_status_event_has_a_label():
    assert event_label("shipment.in_transit") == str(ShipmentStatus.IN_TRANSIT.label)
    for status in ShipmentStatus.values:
        assert event_label(f"shipment.{status}") != f"shipment.{status}"
    assert event_label("shipment.exception") != "shipment.exception"
    assert event_label("carrier.webhook_unmatched") != "carrier.webhook_unmatched"
