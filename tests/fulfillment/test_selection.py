"""Carrier selection: rules by priority, capability checks, the cheapest fallback, no carrier."""

from decimal import Decimal

import pytest
from django.utils import translation

from fulfillment.models import CarrierAccount, CarrierRule, RateBand
from fulfillment.selection import NoCarrierAvailable, choose_carrier, order_flags
from tests.inventory.factories import make_product, make_variant, make_warehouse
from tests.orders.factories import make_channel, place


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the services speak the active language, Turkish by default)."""
    with translation.override("en"):
        yield


def carrier(code, *, prices=None, **fields):
    account = CarrierAccount.objects.create(code=code, name=code.title(), connector="table_rate", **fields)
    for zone, price in (prices or {"national": "50", "local": "30", "regional": "40"}).items():
        RateBand.objects.create(carrier=account, zone=zone, max_desi=100, price=price, cod_fee="10")
    return account


@pytest.fixture
def order(db):
    variant = make_variant()
    make_warehouse(province=6)
    return place(make_channel(), [(variant, 1)])  # to Ankara


@pytest.fixture
def istanbul(db):
    return make_warehouse(province=34)


def test_cheapest_capable_carrier_without_rules(order, istanbul):
    carrier("pahali", prices={"national": "90"})
    cheap = carrier("ucuz", prices={"national": "45"})
    chosen, reason = choose_carrier(order=order, warehouse=istanbul, parcels_desi=[Decimal(3)], flags=[])
    assert chosen == cheap
    assert "Ucuz" in reason
    assert "45" in reason


def test_price_tie_goes_to_the_faster_carrier(order, istanbul):
    carrier("yavas", prices={"national": "45"}, transit_days=4, settings={"transit_days": 4})
    fast = carrier("hizli", prices={"national": "45"}, settings={"transit_days": 1})
    chosen, _reason = choose_carrier(order=order, warehouse=istanbul, parcels_desi=[Decimal(3)], flags=[])
    assert chosen == fast


def test_first_matching_rule_by_priority_wins(order, istanbul):
    cheap = carrier("ucuz", prices={"national": "10"})
    cold = carrier("soguk", prices={"national": "99"}, supports_cold_chain=True)
    CarrierRule.objects.create(name="Soğuk zincir", priority=10, carrier=cold, cold_chain=True)
    CarrierRule.objects.create(name="Ulusal", priority=20, carrier=cheap, zone="national")
    chosen, reason = choose_carrier(
        order=order, warehouse=istanbul, parcels_desi=[Decimal(2)], flags=["cold_chain"]
    )
    assert chosen == cold
    assert "Soğuk zincir" in reason
    chosen, reason = choose_carrier(order=order, warehouse=istanbul, parcels_desi=[Decimal(2)], flags=[])
    assert chosen == cheap
    assert "Ulusal" in reason


def test_rule_for_a_carrier_that_cannot_carry_is_skipped(order, istanbul):
    small = carrier("kucuk", prices={"national": "10"}, max_desi=5)
    big = carrier("buyuk", prices={"national": "80"})
    CarrierRule.objects.create(name="Hep küçük", priority=1, carrier=small)
    chosen, reason = choose_carrier(order=order, warehouse=istanbul, parcels_desi=[Decimal(20)], flags=[])
    assert chosen == big
    assert "cheapest" in reason


def test_rule_conditions_zone_province_express(order, istanbul):
    a = carrier("a", prices={"national": "10"})
    vip = carrier("vip", prices={"national": "90"})
    CarrierRule.objects.create(name="İzmir", priority=1, carrier=vip, provinces="35")
    CarrierRule.objects.create(name="Yerel", priority=2, carrier=vip, zone="local")
    CarrierRule.objects.create(name="Ekspres", priority=3, carrier=vip, express=True)
    chosen, _ = choose_carrier(order=order, warehouse=istanbul, parcels_desi=[Decimal(1)], flags=[])
    assert chosen == a
    order.priority = 2
    chosen, reason = choose_carrier(order=order, warehouse=istanbul, parcels_desi=[Decimal(1)], flags=[])
    assert chosen == vip
    assert "Ekspres" in reason


def test_cash_on_delivery_excludes_carriers_without_it(db, istanbul):
    variant = make_variant()
    make_warehouse(province=6)
    cod_order = place(make_channel(), [(variant, 1)], payment_method="cash_on_delivery")
    carrier("nakitsiz", prices={"national": "10"}, supports_cod=False)
    cod = carrier("kapida", prices={"national": "50"})
    chosen, _ = choose_carrier(order=cod_order, warehouse=istanbul, parcels_desi=[Decimal(1)], flags=[])
    assert chosen == cod


def test_no_carrier_raises_a_domain_error_with_the_reasons(order, istanbul):
    carrier("kuru", supports_cold_chain=False)
    carrier("kapali", is_active=False, supports_cold_chain=True)
    with pytest.raises(NoCarrierAvailable) as error:
        choose_carrier(order=order, warehouse=istanbul, parcels_desi=[Decimal(1)], flags=["cold_chain"])
    assert order.number in error.value.message
    assert "Kuru" in error.value.message


def test_carrier_without_a_rate_for_the_zone_is_not_offered(order, istanbul):
    carrier("yerel", prices={"local": "5"})
    national = carrier("ulusal", prices={"national": "70"})
    chosen, _ = choose_carrier(order=order, warehouse=istanbul, parcels_desi=[Decimal(1)], flags=[])
    assert chosen == national


def test_order_flags_from_products(db):
    fragile = make_variant(make_product(fragile=True))
    cold = make_variant(make_product(cold_chain=True, length_cm=Decimal(150)))
    make_warehouse(province=6)
    order = place(make_channel(), [(fragile, 1), (cold, 1)])
    assert order_flags(order) == {"fragile", "cold_chain", "oversize"}
