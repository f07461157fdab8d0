"""Installments (taksit) the shop collects itself: an order's schedule of due dates and amounts,
each installment's payment, and the overdue report.

A schedule belongs to an order paid by ``installments``: ``count`` installments (the plan's, or
the order's ``installments``), the order total plus the plan's surcharge split to the kuruş with
the remainder on the last installment, due every ``interval_days`` (the plan's, else 30) after
the order date: installment *n* falls due ``n × interval_days`` after it. One schedule per order
(asking again returns it). Payments go through the ledger (``record_payment`` with the
installment linked); an installment is paid once its captures cover its amount. Overdue is
derived: open and past its due date.

Where it is called: ``create_schedule`` when an installment order is confirmed (the orders
intake, or a subscriber to ``order.confirmed``: the lead wires it); ``cancel_schedule`` when the
order is cancelled (``billing.events_payments`` subscribes to ``order.cancelled``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Installment, InstallmentPlan, InstallmentStatus, Payment, PaymentKind
from billing.payments import Recorded, record_payment
from oms.errors import Conflict, InvalidInput
from oms.events import emit
from oms.money import MINOR_UNIT, ZERO, round_money
from orders.models import Order, PaymentMethod

DEFAULT_INTERVAL_DAYS = 30


def split(total: Decimal, count: int) -> list[Decimal]:
    """``total`` in ``count`` parts to the kuruş, equal but for the remainder on the last."""
    if count < 1:
        raise InvalidInput(_("A schedule needs at least one installment."), code="invalid_installments")
    part = (total / count).quantize(MINOR_UNIT, rounding=ROUND_DOWN)
    return [part] * (count - 1) + [total - part * (count - 1)]


def _order_date(order: Order) -> date:
    return timezone.localdate(order.placed_at) if order.placed_at else timezone.localdate(order.created_at)


@transaction.atomic
def create_schedule(
    order: Order | int, *, plan: InstallmentPlan | None = None, user=None
) -> list[Installment]:
    """Write the installment schedule of an order paid by installments; idempotent (an order that
    has a schedule gets it back unchanged, whatever ``plan`` says).

    Raises ``InvalidInput`` for an order not paid by installments, an inactive plan, or a count
    below one or amounts that would round to nothing.
    """
    order = Order.objects.select_for_update().get(pk=order if isinstance(order, int) else order.pk)
    existing = list(order.installment_schedule.order_by("sequence"))
    if existing:
        return existing
    if order.payment_method != PaymentMethod.INSTALLMENTS:
        raise InvalidInput(
            _("Order %(order)s is not paid by installments.") % {"order": order.number},
            code="not_installments",
        )
    if plan is not None and not plan.is_active:
        raise InvalidInput(_("The installment plan “%(plan)s” is not active.") % {"plan": plan.name})
    count = plan.count if plan is not None else order.installments
    surcharge = round_money(order.grand_total * plan.surcharge_percent / 100) if plan is not None else ZERO
    interval = plan.interval_days if plan is not None else DEFAULT_INTERVAL_DAYS
    total = order.grand_total + surcharge
    amounts = split(total, count)
    if amounts[0] <= 0:
        raise InvalidInput(
            _("%(total)s cannot be split into %(count)s installments.") % {"total": total, "count": count},
            code="invalid_installments",
        )
    start = _order_date(order)
    rows = Installment.objects.bulk_create(
        Installment(
            order=order,
            plan=plan,
            sequence=n,
            due_date=start + timedelta(days=n * interval),
            amount=amount,
            currency=order.currency,
        )
        for n, amount in enumerate(amounts, start=1)
    )
    emit(
        "installments.scheduled",
        subject=order,
        actor=user,
        message=_("%(count)s installments, %(total)s %(currency)s")
        % {
            "count": count,
            "total": total,
            "currency": order.currency,
        },
        data={
            "count": count,
            "total": str(total),
            "surcharge": str(surcharge),
            "plan": plan.pk if plan else None,
        },
    )
    return rows


@transaction.atomic
def cancel_schedule(order: Order | int, *, user=None, reason: str = "") -> int:
    """Cancel the order's open installments (paid ones stay paid: refunds go through the ledger).
    Returns how many were cancelled; 0 when there was nothing open (so it is safe to repeat)."""
    order_id = order if isinstance(order, int) else order.pk
    order = Order.objects.select_for_update().get(pk=order_id)
    cancelled = Installment.objects.filter(order=order, status=InstallmentStatus.OPEN).update(
        status=InstallmentStatus.CANCELLED
    )
    if cancelled:
        emit(
            "installments.cancelled",
            subject=order,
            actor=user,
            message=reason[:255],
            data={"cancelled": cancelled},
        )
    return cancelled


def paid_on_installment(installment: Installment) -> Decimal:
    """Captured minus refunded against the installment."""
    rows = (
        Payment.objects.filter(installment=installment, kind__in=[PaymentKind.CAPTURE, PaymentKind.REFUND])
        .values("kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    totals = {row["kind"]: row["total"] for row in rows}
    return totals.get(PaymentKind.CAPTURE, ZERO) - totals.get(PaymentKind.REFUND, ZERO)


@transaction.atomic
def pay_installment(
    installment: Installment | int,
    *,
    amount: Decimal | str,
    dedupe_key: str,
    source: str,
    user=None,
    received_on: date | None = None,
    provider_reference: str = "",
    note: str = "",
    **links,
) -> Recorded:
    """Record a payment towards one installment (a capture on the order, linked to it) and mark
    the installment paid once its payments cover it. Idempotent by ``dedupe_key``.

    Raises ``Conflict`` for a cancelled installment or one already paid (unless this is a replay
    of a payment recorded before), ``InvalidInput`` for a bad amount.
    """
    pk = installment if isinstance(installment, int) else installment.pk
    installment = Installment.objects.select_for_update().get(pk=pk)
    if installment.status != InstallmentStatus.OPEN:
        replay = Payment.objects.filter(dedupe_key=dedupe_key[:120]).first()
        if replay is not None:
            return Recorded(replay, created=False)
        if installment.status == InstallmentStatus.CANCELLED:
            raise Conflict(_("This installment was cancelled."), code="installment_cancelled")
        raise Conflict(_("This installment is paid already."), code="installment_paid")
    recorded = record_payment(
        kind=PaymentKind.CAPTURE,
        amount=amount,
        dedupe_key=dedupe_key,
        source=source,
        method=PaymentMethod.INSTALLMENTS,
        order=installment.order_id,
        currency=installment.currency,
        received_on=received_on,
        provider_reference=provider_reference,
        note=note,
        user=user,
        installment=installment,
        **links,
    )
    if recorded.created and paid_on_installment(installment) >= installment.amount:
        installment.status = InstallmentStatus.PAID
        installment.paid_at = timezone.now()
        installment.save(update_fields=["status", "paid_at"])
        emit(
            "installment.paid",
            subject=installment.order,
            actor=user,
            message=_("Installment %(n)s") % {"n": installment.sequence},
            data={"installment": installment.pk, "payment": recorded.payment.pk},
        )
    return recorded


# --- Selectors -------------------------------------------------------------------------------------


def installment_list(*, today: date | None = None) -> QuerySet[Installment]:
    """All installments with their orders, for lists (``is_overdue`` annotated)."""
    today = today or timezone.localdate()
    return Installment.objects.select_related("order", "plan").annotate(
        is_overdue=Q(status=InstallmentStatus.OPEN, due_date__lt=today)
    )


def overdue_installments(today: date | None = None) -> QuerySet[Installment]:
    """Open installments past their due date, oldest due first."""
    today = today or timezone.localdate()
    return (
        Installment.objects.filter(status=InstallmentStatus.OPEN, due_date__lt=today)
        .select_related("order")
        .order_by("due_date", "pk")
    )


@dataclass(frozen=True)
class InstallmentSummary:
    open_count: int
    open_amount: Decimal
    overdue_count: int
    overdue_amount: Decimal
    due_soon_count: int  # within the next 7 days


def installment_summary(today: date | None = None) -> InstallmentSummary:
    """The overdue report's figures (one query over the open installments)."""
    today = today or timezone.localdate()
    open_rows = Installment.objects.filter(status=InstallmentStatus.OPEN)
    overdue = Q(due_date__lt=today)
    soon = Q(due_date__gte=today, due_date__lt=today + timedelta(days=7))
    figures = open_rows.aggregate(
        open_count=Count("pk"),
        open_amount=Sum("amount"),
        overdue_count=Count("pk", filter=overdue),
        overdue_amount=Sum("amount", filter=overdue),
        due_soon_count=Count("pk", filter=soon),
    )
    return InstallmentSummary(
        open_count=figures["open_count"],
        open_amount=figures["open_amount"] or ZERO,
        overdue_count=figures["overdue_count"],
        overdue_amount=figures["overdue_amount"] or ZERO,
        due_soon_count=figures["due_soon_count"],
    )
