"""The packing station's services: from a tote or an order number to a labelled shipment.

The helpers here (``packing_setup``, ``pick``, ``packed``, fake connectors) are shared by the other
packing test modules.
"""

from decimal import Decimal
from itertools import count

import pytest
from django.utils import translation

from fulfillment import packing
from fulfillment.carriers import CarrierError, Label, Quote, TrackingResult, register
from fulfillment.models import (
    Box,
    CarrierAccount,
    PickList,
    PickTask,
    PickTaskStatus,
    Problem,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
)
from inventory.models import Bin, StockLot
from oms.errors import InvalidInput, NotFound
from orders.models import Order
from tests.inventory.factories import make_product, make_variant, make_warehouse, stocked
from tests.orders.factories import make_channel, place


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the services speak the active language, Turkish by default)."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db
_seq = count(1)


@register
class FakeCarrier:
    """Answers every label with TRK + our reference; remembers the last request."""

    name = "test_fake"
    label = "Fake"
    last_request = None

    def __init__(self, *, settings, credentials):
        self.settings = settings

    def quote(self, request):
        return Quote(price=Decimal("50.00"))

    def create_shipment(self, request):
        FakeCarrier.last_request = request
        return Label(
            tracking_number=f"TRK{request.reference.replace('-', '')}",
            carrier_reference=request.reference,
            price=Decimal("48.50"),
        )

    def track(self, *, tracking_number, reference):
        return TrackingResult(updates=[])

    def cancel(self, *, tracking_number, reference):
        FakeCarrier.cancelled = tracking_number


@register
class RefusingCarrier(FakeCarrier):
    name = "test_refusing"

    def create_shipment(self, request):
        raise CarrierError("Alıcı adresi eksik", code="ADDR")


def make_carrier(connector: str = "test_fake", **fields) -> CarrierAccount:
    n = next(_seq)
    return CarrierAccount.objects.create(
        **{"code": f"car{n}", "name": f"Carrier {n}", "connector": connector, **fields}
    )


def choose_first(shipment):
    """Stands in for fulfillment.selection.choose_carrier (another module)."""
    return CarrierAccount.objects.filter(is_active=True).order_by("pk").first(), "test rule"


def make_boxes():
    return [
        Box.objects.create(code="S", name="Small", length_cm=20, width_cm=15, height_cm=10, max_weight_kg=5),
        Box.objects.create(
            code="M", name="Medium", length_cm=40, width_cm=30, height_cm=20, max_weight_kg=15
        ),
        Box.objects.create(
            code="MP",
            name="Medium padded",
            length_cm=45,
            width_cm=35,
            height_cm=25,
            max_weight_kg=15,
            for_fragile=True,
        ),
        Box.objects.create(code="L", name="Large", length_cm=60, width_cm=40, height_cm=40, max_weight_kg=30),
    ]


def packing_setup(quantities=(2,), *, stock=10, product_fields=None, **order_fields):
    """A warehouse, stocked variants and an allocated order of them (through the real intake)."""
    warehouse = make_warehouse(
        "IST", province=34, address_line="Depo Cad. 5", district="Tuzla", phone="+902161234567"
    )
    variants = []
    for _q in quantities:
        product = make_product(
            **(
                product_fields
                or {"length_cm": 10, "width_cm": 10, "height_cm": 5, "weight_kg": Decimal("0.5")}
            )
        )
        variant = make_variant(product, barcode=None)
        stocked(stock, variant=variant, warehouse=warehouse)
        variants.append(variant)
    channel = make_channel()
    order = place(channel, [(v, q) for v, q in zip(variants, quantities, strict=True)], **order_fields)
    assert order.status == "allocated"
    return warehouse, variants, order


def pick(order, *, tote="T-01", short=0):
    """What the picking module leaves behind: picked tasks per allocation, in a tote, with lots."""
    warehouse = order.allocations.first().warehouse
    pick_list = PickList.objects.create(number=f"PL-{next(_seq)}", warehouse=warehouse, method="single")
    bin_ = Bin.objects.filter(warehouse=warehouse, is_quarantine=False).first()
    for n, allocation in enumerate(order.allocations.select_related("line").order_by("pk"), start=1):
        lot = StockLot.objects.filter(variant=allocation.line.variant, warehouse=warehouse).first()
        PickTask.objects.create(
            pick_list=pick_list,
            sequence=n,
            order=order,
            line=allocation.line,
            allocation=allocation,
            variant=allocation.line.variant,
            bin=bin_,
            lot=lot,
            tote=tote,
            quantity=allocation.quantity,
            quantity_picked=allocation.quantity - short,
            quantity_short=short,
            status=PickTaskStatus.PICKED if not short else PickTaskStatus.SHORT,
        )
    return pick_list


def verify_all(shipment):
    for line in shipment.lines.select_related("line__variant"):
        for _i in range(line.quantity):
            packing.verify_item(shipment, line.line.variant.sku)


def packed(order, warehouse, *, carrier=None, tote="T-01", weight="1.2", user=None):
    """Picked, packed, verified, weighed and labelled: a shipment in status created."""
    pick(order, tote=tote)
    shipment = packing.start_packing(tote, warehouse, user=user)
    verify_all(shipment)
    packing.add_parcel(shipment, dims=(30, 20, 10), weight_kg=weight)
    carrier = carrier or make_carrier()
    return packing.close_packing(shipment, user, carrier=carrier)


# --- Starting ----------------------------------------------------------------------------------------


def test_tote_scan_opens_a_shipment_of_the_picked_units_with_their_lots():
    warehouse, (a, b), order = packing_setup((2, 1))
    pick(order, tote="T-07")
    shipment = packing.start_packing("T-07", warehouse)
    assert shipment.status == ShipmentStatus.PACKING
    assert shipment.number.startswith("GND-")
    lines = {sl.line.variant_id: sl for sl in shipment.lines.select_related("line")}
    assert (lines[a.pk].quantity, lines[b.pk].quantity) == (2, 1)
    lot = StockLot.objects.get(variant=a, warehouse=warehouse)
    assert lines[a.pk].lots == [[lot.pk, 2]]
    order.refresh_from_db()
    assert order.status == "in_fulfillment"
    # Scanning the tote again resumes the same shipment.
    assert packing.start_packing("T-07", warehouse).pk == shipment.pk
    assert ShipmentEvent.objects.filter(subject=shipment, name="shipment.packing").count() == 1


def test_order_number_packs_a_short_picked_order_only_what_was_picked():
    warehouse, (a,), order = packing_setup((3,))
    pick(order, short=1)
    shipment = packing.start_packing(order.number.lower(), warehouse)
    assert shipment.lines.get().quantity == 2
    assert shipment.lines.get().lots == [[StockLot.objects.get(variant=a).pk, 2]]


def test_order_without_pick_list_packs_from_its_allocations():
    warehouse, _variants, order = packing_setup((2,))
    shipment = packing.start_packing(order.number, warehouse)
    line = shipment.lines.get()
    assert (line.quantity, line.lots, line.allocation_id) == (2, [], order.allocations.get().pk)


def test_unknown_code_and_empty_code_are_refused():
    warehouse, _v, _order = packing_setup((1,))
    with pytest.raises(NotFound, match="NOPE"):
        packing.start_packing("NOPE", warehouse)
    with pytest.raises(InvalidInput):
        packing.start_packing("  ", warehouse)


def test_order_in_another_warehouse_has_nothing_to_pack_here():
    _warehouse, _v, order = packing_setup((1,))
    other = make_warehouse("ANK", province=6)
    with pytest.raises(packing.PackingError, match=order.number):
        packing.start_packing(order.number, other)
    assert not Shipment.objects.exists()


def test_cancelled_order_cannot_be_packed():
    from orders import services

    warehouse, _v, order = packing_setup((1,))
    services.cancel(order, reason="test")
    with pytest.raises(packing.PackingError, match="cannot be packed"):
        packing.start_packing(order.number, warehouse)


# --- Verifying ---------------------------------------------------------------------------------------


def test_every_unit_is_verified_by_barcode_or_sku():
    warehouse, (a,), order = packing_setup((2,))
    a.barcode = "8690000000017"
    a.save()
    pick(order)
    shipment = packing.start_packing("T-01", warehouse)
    assert packing.verify_item(shipment, "8690000000017").quantity_verified == 1
    assert packing.verify_item(shipment, a.sku).quantity_verified == 2
    assert packing.verification(shipment)["complete"] is True
    with pytest.raises(packing.WrongItem, match="already verified"):
        packing.verify_item(shipment, a.sku)


def test_item_not_on_the_order_is_a_wrong_item():
    warehouse, _v, order = packing_setup((1,))
    stranger = make_variant()
    pick(order)
    shipment = packing.start_packing("T-01", warehouse)
    with pytest.raises(packing.WrongItem, match=f"{stranger.sku} is not on order"):
        packing.verify_item(shipment, stranger.sku)
    with pytest.raises(packing.WrongItem, match="Unknown code"):
        packing.verify_item(shipment, "XYZ-404")
    assert shipment.lines.get().quantity_verified == 0


# --- Boxes and instructions --------------------------------------------------------------------------


def test_box_by_volume_weight_and_fragility():
    make_boxes()
    small_product = make_product(length_cm=10, width_cm=10, height_cm=5, weight_kg=Decimal("0.5"))
    small = make_variant(small_product)
    assert packing.suggest_box([(small, 2)]).box.code == "S"  # 1000 cm3 * 1.15 < 3000
    assert packing.suggest_box([(small, 5)]).box.code == "S"  # 2500 * 1.15 = 2875 <= 3000
    assert packing.suggest_box([(small, 6)]).box.code == "M"  # 3000 * 1.15 > 3000
    heavy = make_variant(make_product(length_cm=10, width_cm=10, height_cm=10, weight_kg=Decimal("6")))
    assert packing.suggest_box([(heavy, 1)]).box.code == "M"  # fits S by volume, not by weight
    long_one = make_variant(make_product(length_cm=50, width_cm=5, height_cm=5, weight_kg=Decimal("1")))
    assert packing.suggest_box([(long_one, 1)]).box.code == "L"  # the longest side decides
    glass = make_variant(make_product(length_cm=10, width_cm=10, height_cm=5, weight_kg=1, fragile=True))
    suggestion = packing.suggest_box([(glass, 1)])
    assert (suggestion.box.code, suggestion.fragile) == ("MP", True)


def test_box_without_dimensions_falls_back_to_weight_and_says_so():
    make_boxes()
    unknown = make_variant(make_product(weight_kg=Decimal("7")))
    suggestion = packing.suggest_box([(unknown, 1)])
    assert suggestion.by_volume is False
    assert suggestion.missing_dimensions == [unknown.sku]
    assert suggestion.box.code == "M"
    assert "weight only" in suggestion.note


def test_nothing_fits_suggests_several_parcels():
    make_boxes()
    bulky = make_variant(make_product(length_cm=100, width_cm=100, height_cm=100, weight_kg=1))
    suggestion = packing.suggest_box([(bulky, 1)])
    assert suggestion.box is None
    assert "several parcels" in suggestion.note


def test_instructions_from_the_order():
    warehouse, _v, order = packing_setup(
        (1,),
        product_fields={"cold_chain": True, "fragile": True},
        payment_method="cash_on_delivery",
    )
    Order.objects.filter(pk=order.pk).update(
        gift_message="İyi ki doğdun!", special_code="EXC-42", special_kind="exchange"
    )
    shipment = packing.start_packing(order.number, warehouse)
    kinds = {item["kind"]: item["text"] for item in packing.instructions(shipment)}
    assert set(kinds) == {"gift", "special", "cold", "fragile", "cod"}
    assert "İyi ki doğdun!" in kinds["gift"]
    assert "EXC-42" in kinds["special"]


# --- Parcels -----------------------------------------------------------------------------------------


def test_parcel_desi_and_chargeable_weight():
    warehouse, _v, order = packing_setup((1,))
    shipment = packing.start_packing(order.number, warehouse)
    light_big = packing.add_parcel(shipment, dims=(60, 40, 40), weight_kg="2")
    assert light_big.desi == Decimal("32.00")  # 96000 / 3000
    assert light_big.chargeable_weight == Decimal("32.00")
    box = Box.objects.create(code="S", name="S", length_cm=20, width_cm=15, height_cm=10, max_weight_kg=5)
    heavy_small = packing.add_parcel(shipment, box=box, weight_kg=Decimal("4.5"))
    assert (heavy_small.number, heavy_small.desi, heavy_small.chargeable_weight) == (
        2,
        Decimal("1.00"),
        Decimal("4.5"),
    )
    shipment.refresh_from_db()
    assert shipment.weight_kg == Decimal("6.5")
    assert shipment.desi == Decimal("33.00")
    assert shipment.chargeable_weight == Decimal("36.50")
    packing.remove_parcel(light_big)
    shipment.refresh_from_db()
    assert shipment.chargeable_weight == Decimal("4.50")


@pytest.mark.parametrize(
    ("weight", "dims", "message"),
    [
        ("0", (10, 10, 10), "Weight"),
        ("-1", (10, 10, 10), "Weight"),
        ("abc", (10, 10, 10), "Weight"),
        ("1", (10, 0, 10), "Width"),
        ("1", (10, 10, -5), "Height"),
        ("1", None, "box or enter"),
    ],
)
def test_parcel_with_zero_or_negative_measures_is_refused(weight, dims, message):
    warehouse, _v, order = packing_setup((1,))
    shipment = packing.start_packing(order.number, warehouse)
    with pytest.raises(InvalidInput, match=message):
        packing.add_parcel(shipment, dims=dims, weight_kg=weight)
    assert not shipment.parcels.exists()


# --- Closing -----------------------------------------------------------------------------------------


def test_close_needs_every_unit_verified_and_a_parcel():
    warehouse, _v, order = packing_setup((2,))
    pick(order)
    shipment = packing.start_packing("T-01", warehouse)
    carrier = make_carrier()
    with pytest.raises(packing.PackingError, match="2 unit"):
        packing.close_packing(shipment, None, carrier=carrier)
    verify_all(shipment)
    with pytest.raises(packing.PackingError, match="parcel"):
        packing.close_packing(shipment, None, carrier=carrier)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PACKING


def test_close_chooses_the_carrier_and_stores_the_tracking_number(operator):
    warehouse, _v, order = packing_setup((1,), payment_method="cash_on_delivery")
    carrier = make_carrier()
    pick(order)
    shipment = packing.start_packing("T-01", warehouse)
    verify_all(shipment)
    packing.add_parcel(shipment, dims=(30, 20, 10), weight_kg="1.2")
    shipment = packing.close_packing(shipment, operator, choose=choose_first)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.CREATED
    assert shipment.carrier == carrier
    assert shipment.carrier_reason == "test rule"
    assert shipment.carrier_overridden_by is None
    assert shipment.tracking_number == f"TRK{shipment.number.replace('-', '')}"
    assert shipment.cod_amount == order.grand_total > 0
    assert shipment.shipping_cost == Decimal("48.50")
    request = FakeCarrier.last_request
    assert request.reference == shipment.number
    assert request.cod_amount == order.grand_total
    assert request.recipient.city == "Ankara"
    assert request.sender.district == "Tuzla"
    assert [p.desi for p in request.parcels] == [Decimal("2.00")]
    assert ShipmentEvent.objects.filter(subject=shipment, name="shipment.created").exists()


def test_card_order_has_no_cod_and_override_is_recorded(operator):
    warehouse, _v, order = packing_setup((1,))
    chosen = make_carrier()
    shipment = packed(order, warehouse, carrier=chosen, user=operator)
    assert shipment.cod_amount == 0
    assert shipment.carrier_overridden_by == operator
    assert shipment.carrier == chosen


def test_carrier_refusal_keeps_the_shipment_and_opens_a_label_problem():
    warehouse, _v, order = packing_setup((1,))
    refusing = make_carrier("test_refusing")
    pick(order)
    shipment = packing.start_packing("T-01", warehouse)
    verify_all(shipment)
    packing.add_parcel(shipment, dims=(30, 20, 10), weight_kg="1")
    with pytest.raises(packing.LabelRefused, match="Alıcı adresi eksik"):
        packing.close_packing(shipment, None, carrier=refusing)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.PACKING
    assert shipment.tracking_number == ""
    problem = Problem.objects.get()
    assert (problem.kind, problem.shipment_id, problem.order_id, problem.code) == (
        "label",
        shipment.pk,
        order.pk,
        "ADDR",
    )
    # Another carrier then succeeds with the same shipment.
    packing.close_packing(shipment, None, carrier=make_carrier())
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.CREATED


def test_manual_carrier_needs_the_typed_tracking_number():
    warehouse, _v, order = packing_setup((1,))
    manual = make_carrier("manual")
    shipment = packing.start_packing(order.number, warehouse)
    verify_all(shipment)
    packing.add_parcel(shipment, dims=(30, 20, 10), weight_kg="1")
    with pytest.raises(packing.LabelRefused, match="tracking number"):
        packing.close_packing(shipment, None, carrier=manual)
    packing.close_packing(shipment, None, carrier=manual, tracking_number=" 1234567890 ")
    shipment.refresh_from_db()
    assert (shipment.status, shipment.tracking_number) == (ShipmentStatus.CREATED, "1234567890")


def test_closed_shipment_takes_no_more_scans_or_parcels():
    warehouse, (a,), order = packing_setup((1,))
    shipment = packed(order, warehouse)
    with pytest.raises(packing.PackingError, match="already closed"):
        packing.verify_item(shipment, a.sku)
    with pytest.raises(packing.PackingError, match="already closed"):
        packing.add_parcel(shipment, dims=(1, 1, 1), weight_kg=1)
    with pytest.raises(packing.PackingError, match="already closed"):
        packing.close_packing(shipment, None, carrier=make_carrier())


def test_close_without_a_choice_asks_the_carrier_selection():
    warehouse, _v, order = packing_setup((1,))
    only = make_carrier()
    shipment = packing.start_packing(order.number, warehouse)
    verify_all(shipment)
    packing.add_parcel(shipment, dims=(30, 20, 10), weight_kg="1")
    packing.close_packing(shipment, None)
    shipment.refresh_from_db()
    assert shipment.carrier == only
    assert shipment.carrier_reason
    assert shipment.status == ShipmentStatus.CREATED


def test_close_without_any_carrier_is_refused_and_stays_packing():
    from oms.errors import DomainError

    warehouse, _v, order = packing_setup((1,))
    shipment = packing.start_packing(order.number, warehouse)
    verify_all(shipment)
    packing.add_parcel(shipment, dims=(30, 20, 10), weight_kg="1")
    with pytest.raises(DomainError):
        packing.close_packing(shipment, None)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.carrier_id) == (ShipmentStatus.PACKING, None)
