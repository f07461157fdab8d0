"""Billing test data: a seller profile, a stocked order placed through the real intake, accounts."""

from decimal import Decimal

from billing.models import BillingAccount, SellerProfile
from tests.inventory.factories import make_variant, stocked
from tests.orders.factories import make_channel, place

SELLER_VKN = "1234567890"  # valid checksum
BUYER_VKN = "9876543217"
BUYER_TCKN = "10000000146"


def make_seller(**fields) -> SellerProfile:
    return SellerProfile.objects.create(
        **{
            "legal_name": "Örnek Ticaret A.Ş.",
            "tax_number": SELLER_VKN,
            "tax_office": "Kadıköy",
            "address_line": "Caferağa Mah. Moda Cad. No: 1",
            "district": "Kadıköy",
            "city": "İstanbul",
            "iban": "TR330006100519786457841326",
            "bank_name": "Örnek Bankası",
            **fields,
        }
    )


def sold_order(lines=((2, "100.00", 20),), *, channel=None, shipping_fee="0", discount="0", **fields):
    """An order of ``lines`` (quantity, unit price incl. KDV, KDV rate) placed through intake,
    each on its own stocked variant."""
    channel = channel or make_channel()
    items = []
    for quantity, price, rate in lines:
        variant = make_variant(list_price=Decimal(price))
        variant.product.tax_rate = rate
        variant.product.save(update_fields=["tax_rate"])
        stocked(quantity + 5, variant=variant)
        items.append((variant, quantity, Decimal(price)))
    return place(channel, items, shipping_fee=Decimal(shipping_fee), discount=Decimal(discount), **fields)


def make_account(customer, **fields) -> BillingAccount:
    return BillingAccount.objects.create(customer=customer, **fields)
