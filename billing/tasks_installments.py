"""Installment schedules for orders paid by installments, written once the order is confirmed."""

from celery import shared_task

from oms.audit import acting_as
from oms.tasks import OmsTask


@shared_task(base=OmsTask)
def schedule_installments(order_id: int) -> int:
    """The order's schedule with the active plan of its installment count (none: equal parts every
    30 days without surcharge); idempotent, so a replayed confirmation changes nothing."""
    from billing.installments import create_schedule
    from billing.models import InstallmentPlan
    from orders.models import Order

    count = Order.objects.filter(pk=order_id).values_list("installments", flat=True).first()
    if not count or count < 2:
        return 0
    plan = InstallmentPlan.objects.filter(is_active=True, count=count).order_by("pk").first()
    with acting_as(label="celery"):
        return len(create_schedule(order_id, plan=plan))
