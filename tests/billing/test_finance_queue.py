"""The finance queue: one open issue per key, take / release / resolve, and its panel page."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from billing.models import FinanceIssue, FinanceIssueKind
from billing.reconciliation import queue
from oms.errors import Conflict, InvalidInput
from orders.models import OrderEvent
from tests.billing.factories import sold_order
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def finance():
    return make_user(role="finance", language="en")


@pytest.fixture
def colleague():
    return make_user(role="finance", language="en")


def issue(key="bank:1:unmatched", kind=FinanceIssueKind.UNMATCHED, **fields) -> FinanceIssue:
    created, _new = queue.open_issue(
        kind=kind, key=key, detail=fields.pop("detail", "Who sent this?"), **fields
    )
    return created


# --- Services -------------------------------------------------------------------------------------


def test_one_open_issue_per_key_and_a_new_one_after_resolving(finance):
    first, created = queue.open_issue(
        kind=FinanceIssueKind.UNMATCHED, key="bank:7:unmatched", amount=Decimal("5")
    )
    again, created_again = queue.open_issue(kind=FinanceIssueKind.UNMATCHED, key="bank:7:unmatched")
    assert created
    assert not created_again
    assert again == first

    queue.resolve_issue(first.pk, user=finance, resolution="Refunded")
    later, created_later = queue.open_issue(kind=FinanceIssueKind.UNMATCHED, key="bank:7:unmatched")

    assert created_later
    assert later != first
    assert FinanceIssue.objects.filter(key="bank:7:unmatched").count() == 2


def test_an_unknown_kind_is_refused():
    with pytest.raises(InvalidInput):
        queue.open_issue(kind="gift", key="x")
    assert not FinanceIssue.objects.exists()


def test_an_issue_about_an_order_goes_on_its_timeline():
    order = sold_order()
    issue(key="bank:1:partial", kind=FinanceIssueKind.PARTIAL_PAYMENT, order=order, detail="50 still to come")
    event = OrderEvent.objects.get(subject=order, name="order.finance_issue")
    assert "50 still to come" in event.message


def test_take_release_and_resolve(finance, colleague):
    item = issue()

    queue.take_issue(item.pk, user=finance)
    with pytest.raises(Conflict):
        queue.take_issue(item.pk, user=colleague)
    with pytest.raises(Conflict):
        queue.release_issue(item.pk, user=colleague)
    with pytest.raises(Conflict):
        queue.resolve_issue(item.pk, user=colleague, resolution="mine now")
    queue.release_issue(item.pk, user=finance)
    item.refresh_from_db()
    assert item.assignee is None

    queue.take_issue(item.pk, user=colleague)
    queue.release_issue(item.pk, user=finance, force=True)  # a lead frees it
    with pytest.raises(InvalidInput):
        queue.resolve_issue(item.pk, user=finance, resolution="   ")
    queue.resolve_issue(item.pk, user=finance, resolution="  Refunded to   the sender ")

    item.refresh_from_db()
    assert (item.resolved_by, item.assignee, item.resolution) == (finance, finance, "Refunded to the sender")
    assert item.resolved_at is not None
    with pytest.raises(Conflict):
        queue.take_issue(item.pk, user=colleague)


# --- Panel ----------------------------------------------------------------------------------------


def test_the_queue_needs_billing_access_and_acting_needs_record_payment(client):
    item = issue()
    client.force_login(make_user(role="warehouse", language="en"))
    assert client.get(reverse("billing:finance_queue")).status_code == 403

    client.force_login(make_user(role="operator", language="en"))
    page = client.get(reverse("billing:finance_queue"))
    assert page.status_code == 200
    assert "Who sent this?" in page.content.decode()
    assert client.post(reverse("billing:finance_issue_take", args=[item.pk])).status_code == 403
    item.refresh_from_db()
    assert item.assignee is None


def test_filters_by_kind_holder_and_state(client, finance, colleague):
    mine = issue(key="a", detail="mine-issue")
    issue(key="b", kind=FinanceIssueKind.COD_MISSING, detail="cod-issue")
    done = issue(key="c", detail="done-issue")
    queue.take_issue(mine.pk, user=finance)
    queue.resolve_issue(done.pk, user=colleague, resolution="ok")
    client.force_login(finance)
    url = reverse("billing:finance_queue")

    def shown(**params):
        body = client.get(url, params, headers={"HX-Request": "true"}).content.decode()
        return {name for name in ("mine-issue", "cod-issue", "done-issue") if name in body}

    assert shown() == {"mine-issue", "cod-issue"}
    assert shown(kind="cod_missing") == {"cod-issue"}
    assert shown(holder="mine") == {"mine-issue"}
    assert shown(holder="free") == {"cod-issue"}
    assert shown(state="resolved") == {"done-issue"}


def test_take_release_and_resolve_swap_the_row(client, finance):
    item = issue()
    client.force_login(finance)
    hx = {"HX-Request": "true"}

    taken = client.post(reverse("billing:finance_issue_take", args=[item.pk]), headers=hx)
    body = taken.content.decode()
    assert taken.status_code == 200
    assert f'id="issue-{item.pk}"' in body
    assert "<html" not in body
    assert "Release" in body
    # The row's buttons swap this same row.
    assert f'hx-target="#issue-{item.pk}"' in body

    released = client.post(reverse("billing:finance_issue_release", args=[item.pk]), headers=hx)
    assert released.status_code == 200
    assert "Take" in released.content.decode()

    refused = client.post(
        reverse("billing:finance_issue_resolve", args=[item.pk]), {"resolution": ""}, headers=hx
    )
    assert refused.status_code == 422
    resolved = client.post(
        reverse("billing:finance_issue_resolve", args=[item.pk]), {"resolution": "Refunded"}, headers=hx
    )
    assert resolved.status_code == 200
    assert "Refunded" in resolved.content.decode()
    item.refresh_from_db()
    assert item.resolved_by == finance


def test_acting_without_htmx_redirects_back(client, finance):
    item = issue()
    client.force_login(finance)
    response = client.post(
        reverse("billing:finance_issue_take", args=[item.pk]),
        {"next": "/billing/finance-queue/?kind=unmatched"},
    )
    assert response.status_code == 302
    assert response.url == "/billing/finance-queue/?kind=unmatched"


def test_queue_queries_do_not_grow_with_the_rows(client, finance, django_assert_max_num_queries):
    order = sold_order()
    client.force_login(finance)
    for n in range(2):
        issue(key=f"k{n}", order=order)
    with django_assert_max_num_queries(15) as few:
        assert client.get(reverse("billing:finance_queue")).status_code == 200
    for n in range(2, 10):
        issue(key=f"k{n}", kind=FinanceIssueKind.COD_UNKNOWN, order=order)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("billing:finance_queue")).status_code == 200
