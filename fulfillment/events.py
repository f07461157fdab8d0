"""How timelines name fulfillment's domain events (shipment timelines, carrier accounts)."""

from django.utils.translation import gettext_lazy as _

from fulfillment.models import ShipmentStatus
from oms.events import EVENT_LABELS

# ``shipment.<status>`` for every status a shipment moves to (``shipments.move_shipment``).
EVENT_LABELS.update({f"shipment.{status}": label for status, label in ShipmentStatus.choices})
EVENT_LABELS.update(
    {
        "shipment.packing": _("Packing started"),
        "shipment.exception": _("Delivery exception"),
        "order.shipment_returned": _("Shipment returned to sender"),
        "carrier.webhook_unmatched": _("Tracking webhook for an unknown shipment"),
    }
)
