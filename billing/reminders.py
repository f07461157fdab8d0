"""Payment reminders (daily beat job ``billing.tasks_receivables.send_payment_reminders``).

For every invoice still owed (kind invoice, open or partially paid, with a due date) whose
customer wants reminders (its billing account's ``reminders`` flag; customers without an account
get them too):
- due today or within ``DUE_SOON_DAYS`` days: one "due soon" reminder;
- overdue: one reminder at each step of ``OVERDUE_STEPS`` days past due. When the job did not run
  for a while, only the latest step reached goes out (never three letters in one morning);
and for every open installment due within ``DUE_SOON_DAYS`` days: one "installment due" reminder.

Each reminder is a ``Reminder`` row under a unique key (``inv:<id>:due_soon``,
``inv:<id>:overdue:<days>``, ``inst:<id>:due``) and a domain event on the invoice
(``invoice.reminder_due_soon`` / ``invoice.reminder_overdue``, data: days, balance, step) or on
the order of the installment (``order.installment_reminder_due``), written together in one
transaction. Running the job twice a day, or twice at once, sends nothing twice: the key decides.

The notifications app (when it exists) subscribes to these events and puts the e-mail or SMS in its
outbox; until then the event on the timeline is the reminder's record.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from billing.credit import open_invoices
from billing.models import Installment, InstallmentStatus, Invoice, Reminder, ReminderKind
from oms.events import emit

DUE_SOON_DAYS = 3
OVERDUE_STEPS = (1, 7, 14, 30)  # days past due


def _wants_reminders(prefix: str = "") -> Q:
    return Q(**{f"{prefix}customer__billing__isnull": True}) | Q(
        **{f"{prefix}customer__billing__reminders": True}
    )


def _overdue_step(days: int) -> int | None:
    """The latest step (days past due) ``days`` has reached, or None before the first."""
    reached = [step for step in OVERDUE_STEPS if days >= step]
    return reached[-1] if reached else None


def _record(*, key: str, kind: str, step: int = 0, invoice: Invoice | None = None, installment=None) -> bool:
    """The reminder row in a savepoint; False when its key exists (sent before, or concurrently)."""
    try:
        with transaction.atomic():
            Reminder.objects.create(key=key, kind=kind, step=step, invoice=invoice, installment=installment)
    except IntegrityError:
        return False
    return True


def _invoice_candidates(today: date) -> list[tuple[Invoice, str, str, int, int]]:
    """(invoice, key, kind, step, days) of every invoice reminder due today, sent or not."""
    soon_until = today + timedelta(days=DUE_SOON_DAYS)
    invoices = (
        open_invoices()
        .filter(due_date__isnull=False)
        .filter(Q(due_date__gte=today, due_date__lte=soon_until) | Q(due_date__lte=today - timedelta(days=1)))
        .filter(_wants_reminders())
        .only("pk", "number", "due_date", "payable", "paid_total", "credited_total", "currency", "kind")
        .order_by("due_date", "pk")
    )
    out = []
    for invoice in invoices:
        days = (invoice.due_date - today).days
        if days >= 0:
            out.append((invoice, f"inv:{invoice.pk}:due_soon", ReminderKind.DUE_SOON, 0, days))
            continue
        step = _overdue_step(-days)
        if step is not None:
            nth = OVERDUE_STEPS.index(step) + 1
            out.append((invoice, f"inv:{invoice.pk}:overdue:{step}", ReminderKind.OVERDUE, nth, -days))
    return out


def send_reminders(today: date | None = None) -> dict:
    """Send the reminders due ``today`` (default: the shop's today); returns how many of each kind
    went out: ``{"due_soon": n, "overdue": n, "installment_due": n}``. Idempotent."""
    today = today or timezone.localdate()
    sent = {"due_soon": 0, "overdue": 0, "installment_due": 0}
    candidates = _invoice_candidates(today)
    installments = list(
        Installment.objects.filter(
            status=InstallmentStatus.OPEN,
            due_date__gte=today,
            due_date__lte=today + timedelta(days=DUE_SOON_DAYS),
        )
        .filter(_wants_reminders("order__"))
        .select_related("order")
        .order_by("due_date", "pk")
    )
    keys = [c[1] for c in candidates] + [f"inst:{i.pk}:due" for i in installments]
    done = set(Reminder.objects.filter(key__in=keys).values_list("key", flat=True))
    for invoice, key, kind, step, days in candidates:
        if key in done:
            continue
        with transaction.atomic():
            if not _record(key=key, kind=kind, step=step, invoice=invoice):
                continue
            overdue = kind == ReminderKind.OVERDUE
            emit(
                "invoice.reminder_overdue" if overdue else "invoice.reminder_due_soon",
                subject=invoice,
                message=f"{invoice.balance} {invoice.currency}",
                data={
                    "days": days,
                    "balance": str(invoice.balance),
                    "currency": invoice.currency,
                    "due_date": invoice.due_date.isoformat(),
                    "step": step,
                    "key": key,
                },
            )
        sent["overdue" if overdue else "due_soon"] += 1
    for installment in installments:
        key = f"inst:{installment.pk}:due"
        if key in done:
            continue
        with transaction.atomic():
            if not _record(key=key, kind=ReminderKind.INSTALLMENT_DUE, installment=installment):
                continue
            emit(
                "order.installment_reminder_due",
                subject=installment.order,
                message=f"{installment.sequence}: {installment.amount} {installment.currency}",
                data={
                    "installment": installment.pk,
                    "sequence": installment.sequence,
                    "days": (installment.due_date - today).days,
                    "amount": str(installment.amount),
                    "currency": installment.currency,
                    "due_date": installment.due_date.isoformat(),
                    "key": key,
                },
            )
        sent["installment_due"] += 1
    return sent
