"""Automatic invoicing jobs: issue the invoice (or the cancellation credit notes) an order event
calls for, at the moment the order's channel says (``channels.InvoiceTrigger``).

| trigger    | event                                   | invoice                                       |
|------------|-----------------------------------------|-----------------------------------------------|
| payment    | order.paid                              | everything not invoiced yet                   |
| shipment   | order.partially_shipped / order.shipped | per shipment (billing account): the event's   |
|            |                                         | lines; per order: everything, once shipped    |
| completion | order.completed                         | everything not invoiced yet                   |
| manual     | -                                       | nothing                                       |

Any trigger: ``order.cancelled`` credits every invoice of the order not fully credited yet.

Idempotent by the documents' ``source_key``: a redelivered task or a replayed event finds its
document issued (``Conflict``) and stops. Nothing left to invoice is not an error either. A seller
profile that is not filled in yet is retried a few times; a refusal that waiting does not cure
(a buyer's bad VKN, quantities invoiced by hand already) goes on the order's timeline for finance.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from oms.audit import acting_as
from oms.tasks import OmsTask

logger = logging.getLogger(__name__)

SETUP_RETRIES = 5
SETUP_RETRY_DELAY = 15 * 60  # seconds: time for someone to fill in the seller profile

WHOLE_ORDER_EVENT = {"payment": "order.paid", "completion": "order.completed"}


def auto_source_key(order_id: int) -> str:
    """The one automatic whole-order invoice of an order."""
    return f"order:{order_id}:auto"


def shipment_source_key(order_id: int, event_id: int) -> str:
    return f"order:{order_id}:event:{event_id}"


def cancel_source_key(invoice_id: int) -> str:
    return f"cancel:{invoice_id}"


def invoice_for_event(*, order_id: int, event_id: int, name: str, lines: dict | None) -> str | None:
    """Issue what event ``name`` of the order calls for; returns the new invoice's number, or
    None when the channel's trigger wants nothing now. Raises what ``issue_invoice`` raises."""
    from billing.invoicing import issue_invoice
    from billing.models import BillingAccount
    from channels.models import InvoiceTrigger
    from orders.models import Order

    row = Order.objects.filter(pk=order_id).values("customer_id", "channel__invoice_trigger").first()
    if row is None:
        return None
    trigger = row["channel__invoice_trigger"]
    if trigger == InvoiceTrigger.SHIPMENT and name in ("order.partially_shipped", "order.shipped"):
        per_shipment = (
            BillingAccount.objects.filter(customer_id=row["customer_id"])
            .values_list("invoice_per_shipment", flat=True)
            .first()
        )
        if per_shipment:
            if not lines:
                return None
            quantities = {int(pk): int(quantity) for pk, quantity in lines.items()}
            invoice = issue_invoice(
                order_id, quantities=quantities, source_key=shipment_source_key(order_id, event_id), cap=True
            )
            return invoice.number
        if name != "order.shipped":
            return None
    elif WHOLE_ORDER_EVENT.get(trigger) != name:
        return None
    return issue_invoice(order_id, source_key=auto_source_key(order_id)).number


def credit_cancelled_order(order_id: int) -> list[str]:
    """A credit note for whatever is not credited yet of each invoice of a cancelled order (an
    invoice issued at payment, before the goods left). Returns the credit notes' numbers."""
    from billing.invoicing import NothingToInvoice, issue_credit_note
    from billing.models import Invoice, InvoiceKind
    from oms.errors import Conflict

    numbers = []
    open_invoices = (
        Invoice.objects.filter(order_id=order_id, kind=InvoiceKind.INVOICE)
        .exclude(credited_total__gte=F("payable"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for invoice_id in open_invoices:
        try:
            note = issue_credit_note(
                invoice_id, reason=_("Order cancelled"), source_key=cancel_source_key(invoice_id)
            )
        except (Conflict, NothingToInvoice):
            continue
        numbers.append(note.number)
    return numbers


def _record_failure(order_id: int, *, name: str, message: str) -> None:
    """Put a refusal on the order's timeline, where finance sees why no invoice came."""
    from oms.events import emit
    from orders.models import Order

    with transaction.atomic():
        order = Order.objects.filter(pk=order_id).first()
        if order is not None:
            emit("order.invoicing_failed", subject=order, message=message, data={"event": name})


@shared_task(base=OmsTask, bind=True)
def issue_for_event(
    self, order_id: int, event_id: int, name: str, lines: dict[str, int] | None = None
) -> dict:
    """The invoice or credit notes order event ``event_id`` (``name``) calls for; see the module."""
    from billing.invoicing import BillingSetupMissing, NothingToInvoice
    from oms.errors import Conflict, InvalidInput

    with acting_as(label="celery"):
        try:
            if name == "order.cancelled":
                return {"credit_notes": credit_cancelled_order(order_id)}
            return {
                "invoice": invoice_for_event(order_id=order_id, event_id=event_id, name=name, lines=lines)
            }
        except (Conflict, NothingToInvoice):
            return {"invoice": None}  # issued before (a replay), or nothing left to invoice
        except BillingSetupMissing as error:
            # Eager (tests, a demo without a worker): nobody would run a retry later; report now.
            if self.request.is_eager or self.request.retries >= SETUP_RETRIES:
                logger.error("order %s: no automatic invoice for %s: %s", order_id, name, error.message)
                _record_failure(order_id, name=name, message=error.message)
                return {"invoice": None, "error": error.code}
            logger.warning("order %s: invoicing waits for the billing set-up: %s", order_id, error.message)
            raise self.retry(exc=error, countdown=SETUP_RETRY_DELAY, max_retries=SETUP_RETRIES) from error
        except InvalidInput as error:
            logger.warning("order %s: no automatic invoice for %s: %s", order_id, name, error.message)
            _record_failure(order_id, name=name, message=error.message)
            return {"invoice": None, "error": error.code}
