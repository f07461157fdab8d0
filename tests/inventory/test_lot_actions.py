"""Quarantine, release and scrap of a lot from the variant card."""

import pytest
from django.contrib.messages import constants as message_levels
from django.urls import reverse

from inventory.models import MovementKind, StockLevel, StockLot, StockMovement
from inventory.services import reserve_one
from tests.inventory.factories import stocked

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse_client(client, user_factory):
    client.force_login(user_factory(role="warehouse", username="depocu"))
    return client


def act(client, variant, **data):
    return client.post(reverse("inventory:variant_lot_action", args=[variant.pk]), data)


def figures(variant, warehouse) -> tuple[int, int, int]:
    level = StockLevel.objects.get(variant=variant, warehouse=warehouse)
    return level.on_hand, level.reserved, level.quarantined


def test_quarantine_release_and_scrap_move_units_and_write_the_ledger(warehouse_client, assert_consistent):
    variant, warehouse = stocked(10)
    lot = StockLot.objects.get(variant=variant)

    response = act(warehouse_client, variant, lot=lot.pk, action="quarantine", quantity=4, reason="damaged")
    assert response.status_code == 302
    assert figures(variant, warehouse) == (6, 0, 4)
    act(warehouse_client, variant, lot=lot.pk, action="release", quantity=1)
    assert figures(variant, warehouse) == (7, 0, 3)
    act(warehouse_client, variant, lot=lot.pk, action="scrap", quantity=3, reason="damaged", note="kırık")
    assert figures(variant, warehouse) == (7, 0, 0)

    kinds = list(StockMovement.objects.filter(variant=variant).order_by("pk").values_list("kind", "reason"))
    assert kinds[1:] == [
        (MovementKind.QUARANTINE_IN, "damaged"),
        (MovementKind.QUARANTINE_OUT, ""),
        (MovementKind.SCRAP, "damaged"),
    ]
    assert_consistent()


def test_reserved_units_cannot_be_quarantined_and_nothing_changes(warehouse_client, assert_consistent):
    variant, warehouse = stocked(5)
    reserve_one(variant=variant, warehouse=warehouse, quantity=4, reference="order_line:7")
    lot = StockLot.objects.get(variant=variant)
    before = StockMovement.objects.count()

    response = act(warehouse_client, variant, lot=lot.pk, action="quarantine", quantity=2, reason="damaged")

    assert response.status_code == 302
    page = warehouse_client.get(response["Location"])
    assert [m.level for m in page.context["messages"]] == [message_levels.ERROR]
    assert figures(variant, warehouse) == (5, 4, 0)
    assert StockMovement.objects.count() == before
    assert_consistent()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"action": "quarantine", "quantity": 1, "reason": ""}, "reason"),
        ({"action": "scrap", "quantity": 1, "reason": ""}, "reason"),
        ({"action": "quarantine", "quantity": 0, "reason": "damaged"}, "quantity"),
        ({"action": "quarantine", "quantity": 1, "reason": "other"}, "note"),
        ({"action": "melt", "quantity": 1, "reason": "damaged"}, "action"),
    ],
)
def test_invalid_lot_action_is_422_and_writes_nothing(warehouse_client, data, field):
    variant, warehouse = stocked(5)
    lot = StockLot.objects.get(variant=variant)
    response = act(warehouse_client, variant, lot=lot.pk, **data)
    assert response.status_code == 422
    assert field in response.context["lot_form"].errors
    assert figures(variant, warehouse) == (5, 0, 0)


def test_lot_of_another_variant_is_refused(warehouse_client):
    variant, _warehouse = stocked(5)
    other, _ = stocked(5)
    foreign = StockLot.objects.get(variant=other)
    response = act(
        warehouse_client, variant, lot=foreign.pk, action="quarantine", quantity=1, reason="damaged"
    )
    assert response.status_code == 422
    assert "lot" in response.context["lot_form"].errors


def test_lot_actions_need_the_adjust_permission(client, user_factory):
    variant, warehouse = stocked(5)
    lot = StockLot.objects.get(variant=variant)
    client.force_login(user_factory(role="customer_service"))
    response = act(client, variant, lot=lot.pk, action="quarantine", quantity=1, reason="damaged")
    assert response.status_code == 403
    assert figures(variant, warehouse) == (5, 0, 0)


def test_card_offers_the_form_with_the_lot_preselected(warehouse_client):
    variant, _warehouse = stocked(5)
    lot = StockLot.objects.get(variant=variant)
    response = warehouse_client.get(reverse("inventory:variant", args=[variant.pk]), {"lot": lot.pk})
    assert response.context["lot_form"]["lot"].value() == str(lot.pk)
    assert b'id="lot-action"' in response.content
