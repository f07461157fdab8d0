"""Inventory's domain errors: each carries the data an operator or integration needs to act."""

from django.utils.translation import gettext_lazy as _

from oms.errors import Conflict, DomainError, InvalidInput


class InsufficientStock(DomainError):
    """Not enough available stock; ``items`` lists every short line with what was wanted and free."""

    code = "insufficient_stock"
    status = 409
    title = _("Not enough stock")


class InvalidQuantity(InvalidInput):
    code = "invalid_quantity"


class UnknownVariant(InvalidInput):
    code = "unknown_variant"


class TrackingDataMissing(InvalidInput):
    """A lot number, serial numbers or an expiry date the product requires is missing or wrong."""

    code = "tracking_data_missing"


class DuplicateSerial(Conflict):
    code = "duplicate_serial"


class StockBelowReserved(Conflict):
    """The change would leave less stock than is already promised to reservations."""

    code = "stock_below_reserved"


class ReservationClosed(Conflict):
    code = "reservation_closed"
