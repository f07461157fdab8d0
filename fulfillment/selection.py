"""Carrier selection: which carrier account takes a shipment, and why.

``CarrierRule`` rows are tried by priority: the first active rule whose conditions all hold (an
empty/None condition matches anything) and whose carrier can carry the parcels names the carrier.
Without such a rule the cheapest capable account by its connector's quote wins (ties: fewer
transit days). The reason is a sentence for the shipment page (``Shipment.carrier_reason``).

"Can carry": the account is active, supports cash on delivery when the order is COD, cold chain
when a product needs it, fragile goods when one is fragile, and no parcel is above its
``max_desi``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fulfillment.carriers import Address, CarrierError, ParcelSpec, ShipmentRequest, connector_for
from fulfillment.carriers.zones import NATIONAL, zone_for
from fulfillment.models import CarrierAccount, CarrierRule
from oms.errors import DomainError

FRAGILE, COLD_CHAIN, OVERSIZE = "fragile", "cold_chain", "oversize"
# A product is oversize when marked so (``Product.oversize``) or when its longest side or its weight
# passes these (its help text quotes them), and a shipment when a parcel is above OVERSIZE_DESI.
OVERSIZE_SIDE_CM = Decimal(120)
OVERSIZE_WEIGHT_KG = Decimal(30)
OVERSIZE_DESI = Decimal(50)


class NoCarrierAvailable(DomainError):
    code = "no_carrier"
    status = 409
    title = gettext_lazy("No carrier can take this shipment")


def order_flags(order) -> set[str]:
    """Product flags of an order's lines: fragile, cold chain (fields of ``Product``) and oversize
    (the product's field, or derived from its dimensions and weight)."""
    flags: set[str] = set()
    for product in {line.variant.product for line in order.lines.select_related("variant__product")}:
        if product.fragile:
            flags.add(FRAGILE)
        if product.cold_chain:
            flags.add(COLD_CHAIN)
        sides = [s for s in (product.length_cm, product.width_cm, product.height_cm) if s]
        too_big = (sides and max(sides) > OVERSIZE_SIDE_CM) or (product.weight_kg or 0) > OVERSIZE_WEIGHT_KG
        if product.oversize or too_big:
            flags.add(OVERSIZE)
    return flags


def is_express(order) -> bool:
    from orders.models import Priority, SpecialKind

    return order.priority >= Priority.HIGH or order.special_kind == SpecialKind.VIP


def destination_zone(*, order, warehouse) -> str:
    if order.ship_province_id and warehouse.province_id:
        return zone_for(warehouse.province_id, order.ship_province_id)
    return NATIONAL  # abroad or without a province: priced as the widest domestic ring


def why_not(account: CarrierAccount, *, cod: bool, flags: set[str], largest_desi: Decimal) -> str:
    """Why ``account`` cannot carry this shipment, or "" when it can."""
    if not account.is_active:
        return _("%(carrier)s is not active.") % {"carrier": account.name}
    if cod and not account.supports_cod:
        return _("%(carrier)s does not collect cash on delivery.") % {"carrier": account.name}
    if COLD_CHAIN in flags and not account.supports_cold_chain:
        return _("%(carrier)s has no cold chain.") % {"carrier": account.name}
    if FRAGILE in flags and not account.supports_fragile:
        return _("%(carrier)s does not take fragile goods.") % {"carrier": account.name}
    if largest_desi > account.max_desi:
        return _("%(carrier)s takes parcels up to %(max)s desi.") % {
            "carrier": account.name,
            "max": account.max_desi,
        }
    return ""


def _rule_matches(rule: CarrierRule, *, facts: dict) -> bool:
    if rule.zone and rule.zone != facts["zone"]:
        return False
    if rule.provinces.strip():
        plates = {int(p) for p in rule.provinces.replace(" ", "").split(",") if p.isdigit()}
        if facts["province"] not in plates:
            return False
    for field in ("fragile", "cold_chain", "oversize", "cash_on_delivery", "express"):
        wanted = getattr(rule, field)
        if wanted is not None and wanted != facts[field]:
            return False
    return True


def _request(*, order, warehouse, parcels_desi: list[Decimal], zone: str, cod: bool) -> ShipmentRequest:
    """A quote request: parcels known only by their chargeable desi at this point."""
    sender = Address(
        name=warehouse.name,
        phone=warehouse.phone,
        line=warehouse.address_line,
        district=warehouse.district,
        city=str(warehouse.province.name if warehouse.province_id else ""),
    )
    recipient = Address(
        name=order.ship_name,
        phone=order.ship_phone,
        line=order.ship_line,
        district=order.ship_district,
        city=order.ship_city,
        postal_code=order.ship_postal_code,
        country=order.ship_country,
    )
    parcels = [
        ParcelSpec(weight_kg=d, length_cm=Decimal(0), width_cm=Decimal(0), height_cm=Decimal(0), desi=d)
        for d in parcels_desi
    ]
    return ShipmentRequest(
        reference=f"quote-{order.number}",
        sender=sender,
        recipient=recipient,
        parcels=parcels,
        cod_amount=order.grand_total if cod else Decimal(0),
        currency=order.currency,
        order_number=order.number,
        zone=zone,
    )


def _connector(account: CarrierAccount):
    connector = connector_for(account)
    settings = getattr(connector, "settings", None)
    if isinstance(settings, dict):  # table_rate reads the account's RateBand rows by this id
        settings.setdefault("account_id", account.pk)
    return connector


def choose_carrier(
    *, order, warehouse, parcels_desi: Iterable[Decimal], flags: Iterable[str]
) -> tuple[CarrierAccount, str]:
    """The carrier account for ``order``'s shipment from ``warehouse`` and the reason.

    ``parcels_desi``: chargeable desi of each parcel (or an estimate before packing); ``flags``:
    ``fragile``, ``cold_chain``, ``oversize`` (see ``order_flags``). Raises ``NoCarrierAvailable``.
    """
    parcels_desi = [Decimal(d) for d in parcels_desi] or [Decimal(1)]
    flags = set(flags)
    largest = max(parcels_desi)
    if largest > OVERSIZE_DESI:
        flags.add(OVERSIZE)
    cod = order.is_cash_on_delivery
    zone = destination_zone(order=order, warehouse=warehouse)
    facts = {
        "zone": zone,
        "province": order.ship_province_id,
        "fragile": FRAGILE in flags,
        "cold_chain": COLD_CHAIN in flags,
        "oversize": OVERSIZE in flags,
        "cash_on_delivery": cod,
        "express": is_express(order),
    }
    refusals: list[str] = []
    rules = CarrierRule.objects.filter(is_active=True).select_related("carrier").order_by("priority", "pk")
    for rule in rules:
        if not _rule_matches(rule, facts=facts):
            continue
        problem = why_not(rule.carrier, cod=cod, flags=flags, largest_desi=largest)
        if problem:
            refusals.append(problem)
            continue
        return rule.carrier, _("%(carrier)s: rule “%(rule)s” (zone: %(zone)s).") % {
            "carrier": rule.carrier.name,
            "rule": rule.name,
            "zone": zone,
        }

    request = _request(order=order, warehouse=warehouse, parcels_desi=parcels_desi, zone=zone, cod=cod)
    offers = []
    for account in CarrierAccount.objects.filter(is_active=True).order_by("name", "pk"):
        problem = why_not(account, cod=cod, flags=flags, largest_desi=largest)
        if problem:
            refusals.append(problem)
            continue
        try:
            quote = _connector(account).quote(request)
        except CarrierError as error:
            refusals.append(f"{account.name}: {error.message}")
            continue
        offers.append((quote.price, quote.transit_days, account.name, account.pk, account, quote))
    if not offers:
        detail = " ".join(dict.fromkeys(refusals)) or _("No active carrier account is set up.")
        raise NoCarrierAvailable(
            _("No carrier can take order %(order)s: %(detail)s") % {"order": order.number, "detail": detail},
            order=order.number,
        )
    price, days, _name, _pk, account, quote = min(offers, key=lambda offer: offer[:4])
    return account, _("%(carrier)s: cheapest capable carrier (%(price)s %(currency)s, %(days)s days).") % {
        "carrier": account.name,
        "price": price,
        "currency": quote.currency,
        "days": days,
    }
