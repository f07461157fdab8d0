"""Installment schedules: the split to the kuruş, surcharge and due dates, idempotency, paying
installments through the ledger, cancellation with the order, and the overdue selector."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

import billing.events_payments  # noqa: F401 - registers the order.cancelled subscriber, as apps.py does
from billing.installments import (
    cancel_schedule,
    create_schedule,
    installment_summary,
    overdue_installments,
    pay_installment,
    split,
)
from billing.models import Installment, InstallmentPlan, InstallmentStatus, Payment
from oms.errors import Conflict, InvalidInput
from orders import services as order_services
from orders.models import OrderEvent, PaymentStatus
from tests.billing.factories import make_seller, sold_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup():
    make_seller()
    with translation.override("en"):
        yield


def installment_order(total_lines=((2, "100.00", 20),), count=3):
    return sold_order(list(total_lines), payment_method="installments", installments=count)


def test_split_puts_the_remainder_on_the_last_installment():
    assert split(Decimal("200.00"), 3) == [Decimal("66.66"), Decimal("66.66"), Decimal("66.68")]
    assert sum(split(Decimal("100.01"), 7)) == Decimal("100.01")


def test_schedule_splits_the_order_total_with_due_dates_every_30_days():
    order = installment_order(count=3)
    rows = create_schedule(order)
    start = timezone.localdate(order.placed_at)
    assert [(r.sequence, r.amount, r.due_date) for r in rows] == [
        (1, Decimal("66.66"), start + timedelta(days=30)),
        (2, Decimal("66.66"), start + timedelta(days=60)),
        (3, Decimal("66.68"), start + timedelta(days=90)),
    ]
    assert {r.status for r in rows} == {InstallmentStatus.OPEN}
    assert OrderEvent.objects.filter(subject=order, name="installments.scheduled").count() == 1


def test_plan_sets_count_interval_and_adds_its_surcharge():
    order = installment_order(count=3)
    plan = InstallmentPlan.objects.create(
        name="4 taksit", count=4, surcharge_percent=Decimal("10"), interval_days=15
    )
    rows = create_schedule(order, plan=plan)
    start = timezone.localdate(order.placed_at)
    assert [r.amount for r in rows] == [Decimal("55.00")] * 4  # 200 + 10 %
    assert [r.due_date for r in rows] == [start + timedelta(days=15 * n) for n in range(1, 5)]
    assert {r.plan_id for r in rows} == {plan.pk}


def test_schedule_is_created_once():
    order = installment_order(count=3)
    first = create_schedule(order)
    plan = InstallmentPlan.objects.create(name="6", count=6)
    again = create_schedule(order, plan=plan)
    assert [r.pk for r in again] == [r.pk for r in first]
    assert Installment.objects.filter(order=order).count() == 3
    assert OrderEvent.objects.filter(subject=order, name="installments.scheduled").count() == 1


def test_an_order_not_paid_by_installments_gets_no_schedule():
    order = sold_order([(1, "100.00", 20)], payment_method="card")
    with pytest.raises(InvalidInput):
        create_schedule(order)
    assert not Installment.objects.exists()


def test_an_inactive_plan_is_refused():
    order = installment_order()
    plan = InstallmentPlan.objects.create(name="old", count=2, is_active=False)
    with pytest.raises(InvalidInput):
        create_schedule(order, plan=plan)
    assert not Installment.objects.exists()


def test_paying_an_installment_records_a_linked_capture_and_marks_it_paid_when_covered():
    order = installment_order(count=2)  # 100.00 + 100.00
    first, second = create_schedule(order)
    part = pay_installment(first, amount="60.00", dedupe_key="manual:a", source="manual")
    first.refresh_from_db()
    assert part.created
    assert part.payment.installment == first
    assert part.payment.order == order
    assert first.status == InstallmentStatus.OPEN
    pay_installment(first, amount="40.00", dedupe_key="manual:b", source="manual")
    first.refresh_from_db()
    assert first.status == InstallmentStatus.PAID
    assert first.paid_at is not None
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PENDING  # half the order
    pay_installment(second, amount="100.00", dedupe_key="manual:c", source="manual")
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID
    assert OrderEvent.objects.filter(subject=order, name="installment.paid").count() == 2


def test_a_paid_installment_takes_no_more_money_but_a_replay_is_fine():
    order = installment_order(count=2)
    first, _second = create_schedule(order)
    pay_installment(first, amount="100.00", dedupe_key="manual:a", source="manual")
    replay = pay_installment(first, amount="100.00", dedupe_key="manual:a", source="manual")
    assert not replay.created
    with pytest.raises(Conflict):
        pay_installment(first, amount="5.00", dedupe_key="manual:z", source="manual")
    assert Payment.objects.count() == 1


def test_cancelling_the_order_cancels_its_open_installments_and_keeps_paid_ones():
    order = installment_order(count=3)
    first, *_rest = create_schedule(order)
    pay_installment(first, amount="66.66", dedupe_key="manual:a", source="manual")
    order_services.cancel(order, reason="customer changed mind")
    statuses = list(
        Installment.objects.filter(order=order).order_by("sequence").values_list("status", flat=True)
    )
    assert statuses == [InstallmentStatus.PAID, InstallmentStatus.CANCELLED, InstallmentStatus.CANCELLED]
    assert cancel_schedule(order) == 0  # nothing left open: safe to repeat
    with pytest.raises(Conflict):
        pay_installment(
            Installment.objects.get(order=order, sequence=2), amount="1", dedupe_key="m:x", source="manual"
        )


def test_overdue_are_the_open_installments_past_their_due_date():
    order = installment_order(count=3)
    first, second, third = create_schedule(order)
    pay_installment(first, amount="66.66", dedupe_key="manual:a", source="manual")
    today = second.due_date + timedelta(days=1)
    assert list(overdue_installments(today)) == [second]
    assert list(overdue_installments(second.due_date)) == []  # due today is not late yet
    summary = installment_summary(today)
    assert (summary.open_count, summary.open_amount) == (2, Decimal("133.34"))
    assert (summary.overdue_count, summary.overdue_amount) == (1, Decimal("66.66"))
    assert third.status == InstallmentStatus.OPEN


def test_a_confirmed_installment_order_gets_its_schedule_from_the_matching_plan(
    django_capture_on_commit_callbacks,
):
    InstallmentPlan.objects.create(name="3 taksit", count=3, surcharge_percent=Decimal("5.00"))
    with django_capture_on_commit_callbacks(execute=True):
        order = sold_order([(1, "300.00", 20)], payment_method="installments", installments=3)
    schedule = list(order.installment_schedule.order_by("sequence"))
    assert [i.amount for i in schedule] == [Decimal("105.00")] * 3  # 300 + 5 % in three parts
    assert schedule[0].plan.count == 3


def test_installments_page_through_by_due_date(rf):
    """Keyset pages on a date column (the installments list orders by due date): every row once."""
    from oms.pagination import paginate

    for _ in range(3):
        create_schedule(installment_order(count=4))
    queryset = Installment.objects.all()
    ordering = ("due_date", "pk")
    seen, cursor = [], None
    while True:
        page = paginate(
            rf.get("/", {"cursor": cursor} if cursor else {}), queryset, ordering=ordering, per_page=5
        )
        seen += [i.pk for i in page]
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert seen == list(queryset.order_by(*ordering).values_list("pk", flat=True))
    assert len(seen) == 12
