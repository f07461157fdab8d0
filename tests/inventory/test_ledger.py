"""The stock check: drift between levels and ledger, lots or reservations is found and reported;
reservation drift is repaired from the reservation rows, visibly."""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from inventory.ledger import repair_reservations, verify_stock
from inventory.models import StockLevel, StockLot
from inventory.services import reserve_one
from inventory.tasks import check_stock_ledger
from oms.events import timeline_for
from tests.inventory.factories import stocked

pytestmark = pytest.mark.django_db


def test_consistent_stock_has_no_drift():
    variant, warehouse = stocked(5)
    reserve_one(variant=variant, warehouse=warehouse, quantity=2, reference="r")
    assert verify_stock() == []


def test_level_changed_behind_the_ledger_is_reported_with_the_rows():
    variant, warehouse = stocked(5)
    StockLevel.objects.filter(variant=variant).update(on_hand=F("on_hand") + 2)
    drifts = {(d.check, d.field): d for d in verify_stock()}
    assert drifts[("ledger", "on_hand")].level == 7
    assert drifts[("ledger", "on_hand")].expected == 5
    assert drifts[("lots", "on_hand")].expected == 5
    assert drifts[("ledger", "on_hand")].variant_id == variant.pk
    assert drifts[("ledger", "on_hand")].warehouse_id == warehouse.pk


def test_lot_drift_is_reported():
    variant, _warehouse = stocked(5)
    StockLot.objects.filter(variant=variant).update(quantity=4)
    assert [(d.check, d.field, d.level, d.expected) for d in verify_stock()] == [("lots", "on_hand", 5, 4)]


def test_reservation_drift_is_repaired_and_leaves_an_event():
    variant, warehouse = stocked(5)
    reserve_one(variant=variant, warehouse=warehouse, quantity=2, reference="r")
    StockLevel.objects.filter(variant=variant).update(reserved=4)  # e.g. a crashed hand edit
    drifts = verify_stock()
    assert [(d.check, d.level, d.expected) for d in drifts] == [("reservations", 4, 2)]
    assert repair_reservations(drifts) == drifts
    level = StockLevel.objects.get(variant=variant)
    assert level.reserved == 2
    event = timeline_for(level).get()
    assert (event.name, event.data) == ("stock.reservation_repaired", {"before": 4, "after": 2})
    assert verify_stock() == []


def test_command_reports_drift_and_fails(capsys):
    variant, _warehouse = stocked(5)
    StockLevel.objects.filter(variant=variant).update(on_hand=6)
    with pytest.raises(CommandError, match="disagree"):
        call_command("check_stock")
    assert f"DRIFT ledger.on_hand sku={variant.sku}" in capsys.readouterr().out


def test_command_repairs_reservations_and_passes(capsys):
    variant, warehouse = stocked(5)
    reserve_one(variant=variant, warehouse=warehouse, quantity=1, reference="r")
    StockLevel.objects.filter(variant=variant).update(reserved=0)
    call_command("check_stock", "--repair")
    out = capsys.readouterr().out
    assert "REPAIRED reservations.reserved" in out
    assert "Stock is consistent (1 repaired)" in out


def test_nightly_task_counts_drift_and_repairs():
    variant, warehouse = stocked(5)
    reserve_one(variant=variant, warehouse=warehouse, quantity=1, reference="r")
    StockLevel.objects.filter(variant=variant).update(reserved=3)
    assert check_stock_ledger.delay().get() == {"drifts": 1, "repaired": 1}


def test_nightly_job_is_scheduled():
    from oms.celery import app

    assert app.conf.beat_schedule["inventory-check-ledger"]["task"] == "inventory.tasks.check_stock_ledger"
    assert app.conf.beat_schedule["inventory-expire-holds"]["schedule"] == 60.0
