"""Payment reminders: due soon once, overdue once per step, installments, opt-out, idempotent."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.invoicing import issue_invoice
from billing.models import (
    Installment,
    Invoice,
    InvoiceEvent,
    PaymentTerms,
    Reminder,
    ReminderKind,
)
from billing.payments import record_payment
from billing.reminders import send_reminders
from billing.tasks_receivables import send_payment_reminders
from oms.events import subscribe, unsubscribe
from orders.models import OrderEvent
from tests.billing.factories import make_account, make_seller, sold_order

pytestmark = pytest.mark.django_db

NOTHING = {"due_soon": 0, "overdue": 0, "installment_due": 0}


@pytest.fixture(autouse=True)
def seller():
    return make_seller()


def _invoice(*, terms=PaymentTerms.NET_30, reminders=True, account=True, price="1200.00") -> Invoice:
    order = sold_order([(1, price, 20)], payment_method="bank_transfer")
    if account:
        make_account(order.customer, payment_terms=terms, reminders=reminders)
    return issue_invoice(order)


def _events(invoice, name):
    return list(InvoiceEvent.objects.filter(subject=invoice, name=name))


def test_due_soon_goes_out_once_three_days_before_with_days_balance_and_step():
    invoice = _invoice()
    due = invoice.due_date
    assert send_reminders(due - timedelta(days=4)) == NOTHING
    assert send_reminders(due - timedelta(days=3)) == {**NOTHING, "due_soon": 1}
    assert send_reminders(due - timedelta(days=3)) == NOTHING  # twice a day: nothing more
    assert send_reminders(due - timedelta(days=2)) == NOTHING  # nor the next day
    (event,) = _events(invoice, "invoice.reminder_due_soon")
    assert event.data["days"] == 3
    assert event.data["balance"] == "1200.00"
    assert event.data["step"] == 0
    reminder = Reminder.objects.get()
    assert (reminder.key, reminder.kind, reminder.invoice) == (
        f"inv:{invoice.pk}:due_soon",
        ReminderKind.DUE_SOON,
        invoice,
    )


def test_overdue_steps_go_out_once_each_and_a_missed_week_sends_only_the_latest():
    invoice = _invoice()
    due = invoice.due_date
    record_payment(kind="capture", amount="200.00", dedupe_key="t:part", source="manual", invoice=invoice)
    assert send_reminders(due) == {**NOTHING, "due_soon": 1}  # due today and nothing sent yet
    assert send_reminders(due + timedelta(days=1))["overdue"] == 1
    assert send_reminders(due + timedelta(days=1))["overdue"] == 0
    assert send_reminders(due + timedelta(days=6))["overdue"] == 0  # between steps
    assert send_reminders(due + timedelta(days=7))["overdue"] == 1
    # the job did not run from day 8 to 31: one reminder (the 30-day one), not two
    assert send_reminders(due + timedelta(days=31))["overdue"] == 1
    assert send_reminders(due + timedelta(days=60))["overdue"] == 0
    keys = sorted(Reminder.objects.filter(kind=ReminderKind.OVERDUE).values_list("key", flat=True))
    assert keys == sorted(f"inv:{invoice.pk}:overdue:{d}" for d in (1, 7, 30))
    events = sorted(_events(invoice, "invoice.reminder_overdue"), key=lambda e: e.data["days"])
    assert [(e.data["days"], e.data["step"]) for e in events] == [(1, 1), (7, 2), (31, 4)]
    assert {e.data["balance"] for e in events} == {"1000.00"}  # what is still owed


def test_paid_credited_opted_out_and_undated_invoices_get_no_reminders():
    paid = _invoice()
    record_payment(kind="capture", amount="1200.00", dedupe_key="t:all", source="manual", invoice=paid)
    opted_out = _invoice(reminders=False)
    consumer = _invoice(account=False)  # bank transfer without an account: due on the issue date
    assert consumer.due_date == consumer.issue_date
    day = paid.due_date + timedelta(days=7)
    assert send_reminders(day) == {**NOTHING, "overdue": 1}
    assert Reminder.objects.get().invoice == consumer
    assert not Reminder.objects.filter(invoice__in=[paid, opted_out]).exists()


def test_installment_due_in_three_days_is_reminded_once_on_the_order():
    order = sold_order([(1, "3000.00", 20)], payment_method="installments", installments=3)
    today = timezone.localdate()
    first = Installment.objects.create(
        order=order, sequence=1, due_date=today + timedelta(days=3), amount=Decimal("1000.00")
    )
    Installment.objects.create(order=order, sequence=2, due_date=today + timedelta(days=33), amount="1000.00")
    Installment.objects.create(
        order=order, sequence=3, due_date=today + timedelta(days=2), amount="1000.00", status="paid"
    )
    assert send_reminders(today) == {**NOTHING, "installment_due": 1}
    assert send_reminders(today) == NOTHING
    (event,) = OrderEvent.objects.filter(subject=order, name="order.installment_reminder_due")
    assert event.data["installment"] == first.pk
    assert event.data["days"] == 3
    assert Reminder.objects.get().installment == first


def test_subscribers_hear_the_event_and_the_beat_task_runs_the_same_service():
    invoice = _invoice(account=False)  # bank transfer, no account: due today
    heard = []

    def listener(*, name, subject, **kwargs):
        heard.append((name, subject.pk))

    subscribe("invoice.reminder_*")(listener)
    try:
        assert send_payment_reminders.apply().get() == {**NOTHING, "due_soon": 1}
    finally:
        unsubscribe("invoice.reminder_*", listener)
    assert heard == [("invoice.reminder_due_soon", invoice.pk)]


def test_nothing_is_sent_for_a_date_with_nothing_due():
    _invoice()
    assert send_reminders(date(2000, 1, 1)) == NOTHING
    assert not Reminder.objects.exists()
