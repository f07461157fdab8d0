"""Stock arrived (receipt, return restock, transfer, adjustment, a released reservation): backordered
orders waiting for those products are tried again, by priority then age, in a Celery task."""

import logging

from django.dispatch import receiver

from inventory.signals import stock_changed

logger = logging.getLogger(__name__)


@receiver(stock_changed, dispatch_uid="orders.fill_backorders")
def on_stock_changed(sender, *, pairs, **kwargs) -> None:
    from orders.models import OrderLine
    from orders.tasks import fill_backorders

    variant_ids = sorted({v for v, _w in pairs})
    # One query on a partial index: most stock changes concern products nobody waits for.
    waiting = sorted(
        set(
            OrderLine.objects.filter(variant_id__in=variant_ids, quantity_backordered__gt=0)
            .order_by()  # the default ordering joins orders and spoils DISTINCT
            .values_list("variant_id", flat=True)
            .distinct()
        )
    )
    if waiting:
        try:
            fill_backorders.delay(variant_ids=waiting)
        except Exception:  # the beat job retries every few minutes; a broker hiccup must not fail stock
            logger.exception("could not enqueue fill_backorders")
