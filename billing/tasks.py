"""Celery discovers ``<app>.tasks``: billing's tasks live one module per area, imported here."""

from billing.tasks_installments import schedule_installments  # noqa: F401
from billing.tasks_invoices import issue_for_event  # noqa: F401
from billing.tasks_receivables import expire_quotes, send_payment_reminders  # noqa: F401
from billing.tasks_reconciliation import flag_missing_cod_remittances  # noqa: F401
