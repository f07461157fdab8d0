"""Demo sales channels and their price lists (part of ``seed_demo``).

Seven channels, each with the rules a real shop of this kind would give it: the own web shop and
app take backorders, the marketplaces (commission, a stock-out cancels at once) refuse them, the
Instagram shop is held for review sooner (risk threshold 50), B2B dealers get negotiated prices
(wider price tolerance) and wait for stock. Deterministic for a seeded ``random.Random``.
"""

from __future__ import annotations

import random
from decimal import ROUND_DOWN, Decimal

from channels.models import ChannelPrice, ChannelType, SalesChannel, ShortagePolicy
from inventory.models import Variant

# code, name, type, commission %, shortage policy, price tolerance %, risk threshold
CHANNELS = [
    ("web", "Web Mağaza", ChannelType.WEB_SHOP, "0", ShortagePolicy.BACKORDER, "10", 60),
    ("app", "Mobil Uygulama", ChannelType.MOBILE_APP, "0", ShortagePolicy.BACKORDER, "10", 60),
    ("trendyol", "Trendyol Mağazası", ChannelType.MARKETPLACE, "21.5", ShortagePolicy.REJECT, "15", 60),
    ("hepsiburada", "Hepsiburada Mağazası", ChannelType.MARKETPLACE, "18", ShortagePolicy.REJECT, "15", 60),
    ("instagram", "Instagram Mağaza", ChannelType.SOCIAL, "0", ShortagePolicy.BACKORDER, "10", 50),
    ("phone", "Telefonla Sipariş", ChannelType.PHONE, "0", ShortagePolicy.BACKORDER, "20", 70),
    ("b2b", "Bayi Siparişleri (B2B)", ChannelType.B2B, "0", ShortagePolicy.BACKORDER, "30", 90),
]
APP_DISCOUNT = Decimal("0.95")  # the app sells everything 5 % cheaper (install-the-app campaign)
MARKETPLACE_MARKUP = {"trendyol": Decimal("1.10"), "hepsiburada": Decimal("1.08")}  # covers commission
B2B_DISCOUNT = Decimal("0.80")  # dealer price list, on the products dealers buy


def shop_price(value: Decimal) -> Decimal:
    """Prices end in ,90 (141,90), as Turkish shops quote them; rounded down, never below 1,90."""
    return max(Decimal("1.90"), value.quantize(Decimal("1"), rounding=ROUND_DOWN) - Decimal("0.10"))


def seed_channels(rng: random.Random) -> dict[str, SalesChannel]:
    """Create the channels (once: existing codes are kept) and their price lists; returns them by code."""
    channels = {}
    for code, name, kind, commission, shortage, tolerance, threshold in CHANNELS:
        channels[code], _created = SalesChannel.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "type": kind,
                "currency": "TRY",
                "commission_rate": Decimal(commission),
                "shortage_policy": shortage,
                "price_tolerance": Decimal(tolerance),
                "risk_threshold": threshold,
            },
        )
    if ChannelPrice.objects.exists():
        return channels
    variants = list(Variant.objects.filter(is_active=True).order_by("sku").values_list("pk", "list_price"))
    rows = [
        ChannelPrice(channel=channels["app"], variant_id=pk, price=shop_price(p * APP_DISCOUNT))
        for pk, p in variants
    ]
    for code, markup in MARKETPLACE_MARKUP.items():
        rows += [
            ChannelPrice(channel=channels[code], variant_id=pk, price=shop_price(p * markup))
            for pk, p in variants
            if rng.random() < 0.4
        ]
    rows += [
        ChannelPrice(channel=channels["b2b"], variant_id=pk, price=shop_price(p * B2B_DISCOUNT))
        for pk, p in variants
        if rng.random() < 0.3
    ]
    ChannelPrice.objects.bulk_create(rows, batch_size=1000)
    return channels
