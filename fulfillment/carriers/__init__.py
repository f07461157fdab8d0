"""Carrier connectors: one interface (quote, create shipment and label, track, cancel) and a
registry by connector name. ``CarrierAccount.connector`` names the implementation; the account
gives it settings and credentials. Remote connectors never touch the database (``table_rate``
reads its own rate bands): services call them and record what they return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from importlib import import_module
from typing import Protocol


class CarrierError(Exception):
    """The carrier refused or could not be reached; ``message`` is fit to show an operator."""

    def __init__(self, message: str, *, code: str = "", retryable: bool = False, raw: str = "") -> None:
        super().__init__(message)
        self.message, self.code, self.retryable, self.raw = message, code, retryable, raw


@dataclass(frozen=True)
class Address:
    name: str
    phone: str
    line: str
    district: str
    city: str  # province name
    postal_code: str = ""
    country: str = "TR"
    email: str = ""


@dataclass(frozen=True)
class ParcelSpec:
    weight_kg: Decimal
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal
    desi: Decimal


@dataclass(frozen=True)
class ShipmentRequest:
    reference: str  # our unique key at the carrier (shipment number): the idempotency key
    sender: Address
    recipient: Address
    parcels: list[ParcelSpec]
    cod_amount: Decimal = Decimal(0)  # 0 = not cash on delivery
    currency: str = "TRY"
    order_number: str = ""
    description: str = ""
    zone: str = ""


@dataclass(frozen=True)
class Quote:
    price: Decimal
    currency: str = "TRY"
    transit_days: int = 2
    note: str = ""


@dataclass(frozen=True)
class Label:
    tracking_number: str
    carrier_reference: str = ""
    label_format: str = ""  # "pdf" or "zpl" from the carrier; "" = we render our own
    label_data: bytes = b""
    parcel_barcodes: list[str] = field(default_factory=list)
    price: Decimal | None = None  # what the carrier charges, when it says so with the label


@dataclass(frozen=True)
class TrackingUpdate:
    """One normalised scan: ``status`` is a ``ShipmentStatus`` value, ``exception`` a
    ``TrackingException`` value or ""."""

    occurred_at: datetime
    status: str
    carrier_code: str = ""
    description: str = ""
    location: str = ""
    exception: str = ""
    raw: dict = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        return f"{self.occurred_at.isoformat()}|{self.carrier_code or self.status}"[:128]


@dataclass(frozen=True)
class TrackingResult:
    updates: list[TrackingUpdate]
    estimated_delivery: date | None = None


class Connector(Protocol):
    """What every carrier implementation offers. ``settings`` and ``credentials`` are the account's."""

    name: str
    label: str  # shown in the panel

    def __init__(self, *, settings: dict, credentials: dict) -> None: ...

    def quote(self, request: ShipmentRequest) -> Quote: ...

    def create_shipment(self, request: ShipmentRequest) -> Label: ...

    def track(self, *, tracking_number: str, reference: str) -> TrackingResult: ...

    def cancel(self, *, tracking_number: str, reference: str) -> None: ...


_registry: dict[str, type] = {}


def register(cls: type) -> type:
    """Class decorator: make a connector available under ``cls.name``."""
    _registry[cls.name] = cls
    return cls


def connector_names() -> list[tuple[str, str]]:
    _load()
    return sorted((name, str(cls.label)) for name, cls in _registry.items())


def connector_for(account) -> Connector:
    """The connector instance for a ``CarrierAccount``."""
    _load()
    try:
        cls = _registry[account.connector]
    except KeyError:
        raise CarrierError(
            f"Unknown carrier connector {account.connector!r}.", code="unknown_connector"
        ) from None
    settings = dict(account.settings or {})
    settings.setdefault("account_id", account.pk)  # table_rate reads the account's rate bands
    return cls(settings=settings, credentials=dict(account.credentials or {}))


# Modules under fulfillment/carriers/ that register a connector.
BUILTIN = ["manual", "table_rate", "yurtici", "aras"]


def _load() -> None:
    """Import the built-in connectors (each registers itself)."""
    for module in BUILTIN:
        import_module(f"fulfillment.carriers.{module}")
