"""Automatic invoicing: each channel's trigger issues the invoice at its moment, once; a cancelled
order's invoices are credited; the subscriber costs the order transitions nothing."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from celery.exceptions import Retry
from django.db import transaction
from django.utils import translation

import billing.subscribers  # noqa: F401 - connects the subscriber (billing/apps.py does it in the project)
from billing.invoicing import issue_invoice
from billing.models import Invoice, InvoiceKind, InvoiceStatus
from billing.payments import record_payment
from billing.subscribers import on_order_event
from billing.tasks_invoices import SETUP_RETRIES, SETUP_RETRY_DELAY, issue_for_event
from orders import services
from orders.models import OrderEvent
from tests.billing.factories import make_account, make_seller, sold_order
from tests.orders.factories import make_channel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def seller():
    return make_seller()


def order_for(trigger: str, lines=((3, "100.00", 20), (2, "50.00", 10)), **fields):
    return sold_order(lines, channel=make_channel(invoice_trigger=trigger), shipping_fee="20.00", **fields)


def ship(order, capture, lines=None):
    with capture(execute=True):
        services.mark_shipped(order, lines=lines)
    order.refresh_from_db()
    return order


def invoices(order):
    return list(Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE).order_by("pk"))


def test_shipment_trigger_per_shipment_invoices_each_shipment_and_they_add_up(
    seller, django_capture_on_commit_callbacks
):
    order = order_for("shipment")
    make_account(order.customer, invoice_per_shipment=True)
    first, second = order.lines.order_by("pk")

    ship(order, django_capture_on_commit_callbacks, {first.pk: 2})
    ship(order, django_capture_on_commit_callbacks, {first.pk: 1, second.pk: 2})

    one, two = invoices(order)
    events = list(
        OrderEvent.objects.filter(subject=order, name__in=["order.partially_shipped", "order.shipped"])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert [one.source_key, two.source_key] == [f"order:{order.pk}:event:{pk}" for pk in events]
    assert [(line.order_line_id, line.quantity) for line in one.lines.filter(is_shipping=False)] == [
        (first.pk, Decimal(2))
    ]
    assert one.lines.filter(is_shipping=True).count() == 1  # the shipping fee rides on the first
    assert sorted((line.order_line_id, line.quantity) for line in two.lines.all()) == sorted(
        [(first.pk, Decimal(1)), (second.pk, Decimal(2))]
    )
    assert one.payable + two.payable == order.grand_total


def test_a_shipment_whose_units_were_invoiced_by_hand_invoices_only_the_rest(
    seller, django_capture_on_commit_callbacks
):
    from billing.invoicing import issue_invoice

    order = order_for("shipment")
    make_account(order.customer, invoice_per_shipment=True)
    first, second = order.lines.order_by("pk")
    issue_invoice(order, quantities={first.pk: first.quantity})  # finance was quicker than the dock

    ship(order, django_capture_on_commit_callbacks, {first.pk: first.quantity, second.pk: 1})

    _by_hand, automatic = invoices(order)
    assert [(line.order_line_id, line.quantity) for line in automatic.lines.filter(is_shipping=False)] == [
        (second.pk, Decimal(1))
    ]
    assert not OrderEvent.objects.filter(subject=order, name="order.invoicing_failed").exists()


def test_shipment_trigger_per_order_waits_for_the_whole_order(seller, django_capture_on_commit_callbacks):
    order = order_for("shipment")
    first, second = order.lines.order_by("pk")

    ship(order, django_capture_on_commit_callbacks, {first.pk: 3})
    assert invoices(order) == []
    ship(order, django_capture_on_commit_callbacks, {second.pk: 2})

    (invoice,) = invoices(order)
    assert invoice.source_key == f"order:{order.pk}:auto"
    assert invoice.payable == order.grand_total


def test_payment_trigger_invoices_when_the_capture_pays_the_order(seller, django_capture_on_commit_callbacks):
    order = order_for("payment")
    with django_capture_on_commit_callbacks(execute=True):
        record_payment(
            kind="capture", amount="50.00", dedupe_key="paytr:o1:part", source="paytr", order=order
        )
    assert invoices(order) == []  # not paid yet
    with django_capture_on_commit_callbacks(execute=True):
        record_payment(
            kind="capture",
            amount=order.grand_total - Decimal("50.00"),
            dedupe_key="paytr:o1:rest",
            source="paytr",
            order=order,
        )
    (invoice,) = invoices(order)
    assert invoice.payable == order.grand_total
    ship(order, django_capture_on_commit_callbacks)
    assert len(invoices(order)) == 1  # shipping issues nothing more under this trigger


def test_completion_trigger_invoices_on_completion_only(seller, django_capture_on_commit_callbacks):
    order = order_for("completion")
    ship(order, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_delivered(order)
    assert invoices(order) == []
    with django_capture_on_commit_callbacks(execute=True):
        services.complete(order)
    (invoice,) = invoices(order)
    assert invoice.payable == order.grand_total


def test_manual_trigger_issues_nothing(seller, django_capture_on_commit_callbacks):
    order = order_for("manual")
    with django_capture_on_commit_callbacks(execute=True):
        record_payment(
            kind="capture", amount=order.grand_total, dedupe_key="paytr:m", source="paytr", order=order
        )
    ship(order, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_delivered(order)
        services.complete(order)
    assert invoices(order) == []


def test_a_replayed_event_issues_nothing_twice(seller, django_capture_on_commit_callbacks):
    order = order_for("shipment")
    make_account(order.customer, invoice_per_shipment=True)
    first, _second = order.lines.order_by("pk")
    ship(order, django_capture_on_commit_callbacks, {first.pk: 1})
    event = OrderEvent.objects.get(subject=order, name="order.partially_shipped")
    (invoice,) = invoices(order)

    result = issue_for_event.delay(
        order_id=order.pk, event_id=event.pk, name=event.name, lines={str(first.pk): 1}
    ).get()

    assert result == {"invoice": None}
    assert invoices(order) == [invoice]


def test_a_replayed_whole_order_event_after_a_hand_issued_invoice_issues_nothing(seller):
    order = order_for("completion")
    issue_invoice(order)
    result = issue_for_event.delay(order_id=order.pk, event_id=1, name="order.completed", lines=None).get()
    assert result == {"invoice": None}
    assert len(invoices(order)) == 1


def test_cancelling_a_paid_and_invoiced_order_credits_its_invoice_once(
    seller, django_capture_on_commit_callbacks
):
    order = order_for("payment", payment_method="card")
    with django_capture_on_commit_callbacks(execute=True):
        record_payment(
            kind="capture", amount=order.grand_total, dedupe_key="paytr:c", source="paytr", order=order
        )
    (invoice,) = invoices(order)

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(order, reason="Customer changed their mind")

    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE, original=invoice)
    invoice.refresh_from_db()
    assert note.source_key == f"cancel:{invoice.pk}"
    assert note.reason == "Order cancelled"
    assert note.payable == invoice.payable
    assert invoice.status == InvoiceStatus.CREDITED
    again = issue_for_event.delay(order_id=order.pk, event_id=0, name="order.cancelled", lines=None).get()
    assert again == {"credit_notes": []}
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1


def test_an_unfinished_seller_profile_is_reported_on_the_order(django_capture_on_commit_callbacks, caplog):
    make_seller(tax_number="123")  # not a VKN
    order = order_for("shipment")
    ship(order, django_capture_on_commit_callbacks)
    assert invoices(order) == []
    failure = OrderEvent.objects.get(subject=order, name="order.invoicing_failed")
    assert "seller profile" in failure.message
    assert "no automatic invoice" in caplog.text


@pytest.mark.parametrize(
    ("retries", "retried"), [(0, True), (SETUP_RETRIES - 1, True), (SETUP_RETRIES, False)]
)
def test_a_worker_retries_an_unfinished_set_up_a_few_times_then_reports(monkeypatch, retries, retried):
    make_seller(tax_number="123")
    order = order_for("completion")
    asked = []

    def retry(**options):
        asked.append(options)
        return Retry("later")

    monkeypatch.setattr(issue_for_event, "retry", retry)
    issue_for_event.push_request(retries=retries, is_eager=False)
    try:
        if retried:
            with pytest.raises(Retry):
                issue_for_event.run(order_id=order.pk, event_id=1, name="order.completed")
        else:
            issue_for_event.run(order_id=order.pk, event_id=1, name="order.completed")
    finally:
        issue_for_event.pop_request()
    assert [(a["countdown"], a["max_retries"]) for a in asked] == (
        [(SETUP_RETRY_DELAY, SETUP_RETRIES)] if retried else []
    )
    assert OrderEvent.objects.filter(subject=order, name="order.invoicing_failed").exists() is not retried
    assert invoices(order) == []


def test_a_bad_buyer_tax_number_is_reported_on_the_order(seller, django_capture_on_commit_callbacks):
    order = order_for("shipment")
    make_account(order.customer, tax_number="1234567891")  # bad checksum
    ship(order, django_capture_on_commit_callbacks)
    assert invoices(order) == []
    failure = OrderEvent.objects.get(subject=order, name="order.invoicing_failed")
    assert "1234567891" in failure.message


def test_the_subscriber_ignores_other_events_and_queries_nothing(django_assert_num_queries):
    entry = SimpleNamespace(pk=7, data={"lines": {"3": 2, "4": 0}})
    order = SimpleNamespace(pk=5)

    with transaction.atomic():
        with django_assert_num_queries(0):
            on_order_event(name="order.confirmed", subject=order, entry=entry)
            on_order_event(name="order.shipped", subject=order, entry=entry)
        queued = [
            callback.keywords["kwargs"]
            for _sp, callback, _robust in transaction.get_connection().run_on_commit
        ]
        transaction.set_rollback(True)
    assert queued == [{"order_id": 5, "event_id": 7, "name": "order.shipped", "lines": {"3": 2}}]


def test_intake_queues_no_invoicing_work(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        order_for("shipment")
    assert not [c for c in callbacks if getattr(c, "func", None) == issue_for_event.apply_async]
