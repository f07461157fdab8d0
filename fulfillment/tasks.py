"""Fulfillment jobs: poll the carriers for open shipments (beat), track one shipment on demand."""

import logging

from celery import shared_task

from oms.audit import acting_as
from oms.tasks import OmsTask

logger = logging.getLogger(__name__)


@shared_task(base=OmsTask)
def poll_tracking(limit: int = 200) -> dict:
    """Ask the carriers about up to ``limit`` open shipments, longest untracked first.

    Idempotent: scans already recorded (from a webhook or an earlier poll) add nothing.
    """
    from fulfillment.tracking import poll_open_shipments

    with acting_as(label="celery"):
        result = poll_open_shipments(limit)
    logger.info("tracking poll: %s", result)
    return result


@shared_task(base=OmsTask)
def track_shipment(shipment_id: int) -> dict:
    """Poll one shipment now (the panel's "refresh tracking" button, or after a webhook gap)."""
    from fulfillment.carriers import CarrierError, connector_for
    from fulfillment.models import Shipment
    from fulfillment.tracking import record_updates

    shipment = Shipment.objects.select_related("carrier").filter(pk=shipment_id).first()
    if shipment is None or shipment.carrier is None or not shipment.tracking_number:
        return {"skipped": True}
    with acting_as(label="celery"):
        try:
            tracked = connector_for(shipment.carrier).track(
                tracking_number=shipment.tracking_number,
                reference=shipment.carrier_reference or shipment.number,
            )
        except CarrierError as error:
            logger.warning("tracking %s failed: %s", shipment.number, error)
            return {"failed": True, "message": error.message}
        outcome = record_updates(
            shipment.pk, tracked.updates, "poll", estimated_delivery=tracked.estimated_delivery
        )
    return outcome.as_dict()
