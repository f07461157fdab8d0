"""The billing API over HTTP: invoices for syncing, their PDF and XML, authentication."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.invoicing import issue_credit_note, issue_invoice
from billing.payments import record_payment
from oms.apikeys import create_api_key
from tests.billing.factories import make_seller, sold_order

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def seller():
    return make_seller()


@pytest.fixture
def read_key():
    _key, secret = create_api_key(name="ERP", scopes=["billing:read"])
    return {"X-API-Key": secret}


@pytest.fixture
def invoice():
    return issue_invoice(sold_order([(2, "100.00", 20), (1, "55.00", 10)], payment_method="bank_transfer"))


def test_invoices_need_a_key_with_the_read_scope_or_a_billing_user(client, user_factory, invoice):
    assert client.get("/api/v1/invoices").status_code == 401
    _key, stock_only = create_api_key(name="Stock", scopes=["inventory:read"])
    assert client.get("/api/v1/invoices", headers={"X-API-Key": stock_only}).status_code == 403
    _key, orders_only = create_api_key(name="Shop", scopes=["orders:read"])  # invoices have their own scope
    assert client.get("/api/v1/invoices", headers={"X-API-Key": orders_only}).status_code == 403
    assert client.get(f"/api/v1/invoices/{invoice.pk}.pdf").status_code == 401

    client.force_login(user_factory(role="warehouse"))
    assert client.get("/api/v1/invoices").status_code == 403
    client.force_login(user_factory(role="operator"))
    assert client.get("/api/v1/invoices").status_code == 200


def test_detail_has_lines_taxes_payments_and_credit_notes(client, read_key, invoice):
    record_payment(kind="capture", amount="100.00", dedupe_key="bank:1:1", source="bank", invoice=invoice)
    note = issue_credit_note(
        invoice, reason="Damaged", quantities={invoice.lines.order_by("position")[0].pk: 1}
    )

    response = client.get(f"/api/v1/invoices/{invoice.pk}", headers=read_key)

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["number"] == invoice.number
    assert data["uuid"] == str(invoice.uuid)
    assert (data["kind"], data["type_code"], data["profile"]) == ("invoice", "SATIS", "EARSIVFATURA")
    assert data["order_number"] == invoice.order.number
    assert data["payable"] == "255.00"
    assert data["paid_total"] == "100.00"
    assert data["credited_total"] == "100.00"
    assert data["balance"] == "55.00"
    assert [t["rate"] for t in data["taxes"]] == [10, 20]
    assert sum(Decimal(t["base"]) + Decimal(t["tax"]) for t in data["taxes"]) == Decimal("255.00")
    assert [line["quantity"] for line in data["lines"]] == ["2.000", "1.000"]
    assert data["lines"][0]["tax_rate"] == 20
    assert data["payments"]["captured"] == "100.00"
    assert [p["kind"] for p in data["payments"]["items"]] == ["capture"]
    assert data["credit_notes"] == [
        {
            "id": note.pk,
            "number": note.number,
            "issue_date": str(note.issue_date),
            "payable": "100.00",
            "reason": "Damaged",
        }
    ]
    credit = client.get(f"/api/v1/invoices/{note.pk}", headers=read_key).json()
    assert (credit["kind"], credit["type_code"], credit["original_number"]) == (
        "credit_note",
        "IADE",
        invoice.number,
    )


def test_unknown_invoice_is_a_404_problem(client, read_key):
    for url in ("/api/v1/invoices/999999", "/api/v1/invoices/999999.pdf", "/api/v1/invoices/999999.xml"):
        response = client.get(url, headers=read_key)
        assert response.status_code == 404, url
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == "unknown_invoice"


def test_pdf_and_xml_documents(client, read_key, invoice):
    pdf = client.get(f"/api/v1/invoices/{invoice.pk}.pdf", headers=read_key)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert invoice.number in pdf["Content-Disposition"]
    xml = client.get(f"/api/v1/invoices/{invoice.pk}.xml", headers=read_key)
    assert xml.status_code == 200
    assert xml["Content-Type"] == "application/xml"
    assert xml.content.lstrip().startswith(b"<?xml")
    assert str(invoice.uuid).encode() in xml.content


def test_list_filters(client, read_key, invoice):
    other = issue_invoice(sold_order([(1, "40.00", 20)]))
    note = issue_credit_note(other, reason="Cancelled")

    def ids(query=""):
        response = client.get(f"/api/v1/invoices{query}", headers=read_key)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [note.pk, other.pk, invoice.pk]  # newest first
    assert ids("?kind=credit_note") == [note.pk]
    assert ids("?status=credited") == [other.pk]
    assert ids(f"?customer={invoice.customer_id}") == [invoice.pk]
    assert ids(f"?order={other.order_id}") == [note.pk, other.pk]
    assert client.get("/api/v1/invoices?status=lost", headers=read_key).status_code == 422


def test_list_pages_with_a_cursor_and_syncs_by_last_change(client, read_key, invoice):
    made = [invoice] + [issue_invoice(sold_order([(1, "10.00", 20)])) for _ in range(2)]
    first = client.get("/api/v1/invoices?limit=2", headers=read_key).json()
    assert [i["id"] for i in first["items"]] == [made[2].pk, made[1].pk]
    second = client.get(f"/api/v1/invoices?limit=2&cursor={first['next_cursor']}", headers=read_key).json()
    assert [i["id"] for i in second["items"]] == [made[0].pk]
    assert second["next_cursor"] is None

    record_payment(kind="capture", amount="10.00", dedupe_key="bank:9", source="bank", invoice=made[1])
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    synced = client.get("/api/v1/invoices", {"updated_since": since}, headers=read_key).json()["items"]
    assert synced[-1]["id"] == made[1].pk  # oldest change first: the payment changed it last
    assert synced[-1]["status"] == "paid"
    future = (timezone.now() + timedelta(minutes=5)).isoformat()
    assert client.get("/api/v1/invoices", {"updated_since": future}, headers=read_key).json()["items"] == []


def test_list_query_count_does_not_grow(client, read_key, django_assert_max_num_queries):
    for _ in range(2):
        issue_invoice(sold_order([(1, "10.00", 20)]))
    with django_assert_max_num_queries(8) as few:
        client.get("/api/v1/invoices", headers=read_key)
    for _ in range(4):
        issue_invoice(sold_order([(1, "10.00", 20)]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/api/v1/invoices", headers=read_key)
    assert len(response.json()["items"]) == 6
