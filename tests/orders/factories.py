"""Orders test data: a channel, an order payload and an order placed through the real intake."""

from decimal import Decimal
from itertools import count

from channels.models import SalesChannel
from orders import services
from orders.customers import CustomerData
from orders.services import AddressData, LineData, OrderData

_seq = count(1)


def make_channel(code: str | None = None, **fields) -> SalesChannel:
    n = next(_seq)
    return SalesChannel.objects.create(
        **{
            "code": code or f"ch{n}",
            "name": f"Channel {n}",
            "type": "web_shop",
            "risk_threshold": 60,
            **fields,
        }
    )


def order_data(channel: SalesChannel | str, lines: list[tuple], **fields) -> OrderData:
    """``lines`` as (variant or sku, quantity[, unit_price]); an Ankara address by default."""
    n = next(_seq)
    customer = fields.pop("customer", None) or CustomerData(
        email=f"customer{n}@example.com", phone="", first_name="Ayşe", last_name=f"Yılmaz{n}"
    )
    address = fields.pop("shipping_address", None) or AddressData(
        name="Ayşe Yılmaz", line1="Atatürk Bulvarı 1", district="Çankaya", city="Ankara", postal_code="06100"
    )
    return OrderData(
        channel=channel if isinstance(channel, str) else channel.code,
        channel_order_id=fields.pop("channel_order_id", f"EXT-{n}"),
        lines=[
            LineData(
                sku=item[0] if isinstance(item[0], str) else item[0].sku,
                quantity=item[1],
                unit_price=item[2] if len(item) > 2 else None,
            )
            for item in lines
        ],
        customer=customer,
        shipping_address=address,
        payment_method=fields.pop("payment_method", "card"),
        **fields,
    )


def place(channel, lines, *, user=None, source="api", **fields):
    """Place an order through ``create_order``; returns the order."""
    order, _created = services.create_order(order_data(channel, lines, **fields), source=source, user=user)
    order.refresh_from_db()
    return order


PRICE = Decimal("100.00")
