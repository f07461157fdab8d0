"""Payment provider callbacks through the HTTP endpoint: PayTR's hash and "OK", iyzico's V3
signature and the re-retrieval of the payment from a local fake iyzico (never the network);
replays, amounts above and below the order total, unknown references, failures."""

import base64
import hashlib
import hmac
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from django.utils import translation

from billing.invoicing import issue_invoice, payment_reference
from billing.models import (
    CallbackOutcome,
    FinanceIssue,
    FinanceIssueKind,
    InvoiceStatus,
    Payment,
    PaymentKind,
    ProviderCallback,
)
from billing.providers import order_for_reference
from billing.providers.iyzico import signature_v3
from billing.providers.paytr import expected_hash
from orders.models import Order, OrderEvent, PaymentStatus
from tests.billing.factories import make_seller, sold_order

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).parent / "payloads"
KEY, SALT = "paytr-test-key", "paytr-test-salt"
IYZ_API_KEY, IYZ_SECRET = "sandbox-api-key", "sandbox-secret-key"
PAYTR_URL = "/api/v1/payments/callbacks/paytr"
IYZICO_URL = "/api/v1/payments/callbacks/iyzico"


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.PAYTR_MERCHANT_KEY = KEY
    settings.PAYTR_MERCHANT_SALT = SALT
    settings.IYZICO_API_KEY = IYZ_API_KEY
    settings.IYZICO_SECRET_KEY = IYZ_SECRET
    make_seller()
    with translation.override("en"):
        yield


@pytest.fixture
def order():
    return sold_order([(2, "100.00", 20)], payment_method="card")  # 200.00


# --- PayTR -----------------------------------------------------------------------------------------


def paytr_body(name: str, *, reference: str, key: str = KEY, salt: str = SALT, **overrides) -> bytes:
    """A sample payload with our reference, the given field values and a hash made with ``key``."""
    fields = dict(parse_qsl((PAYLOADS / name).read_text(), keep_blank_values=True))
    fields.update(merchant_oid=reference, **overrides)
    fields["hash"] = expected_hash(
        fields["merchant_oid"], fields["status"], fields["total_amount"], key=key, salt=salt
    )
    return urlencode(fields).encode()


def post_paytr(client, body: bytes):
    # Providers send no language: the shop's (Turkish) is used; these tests read the English texts.
    return client.post(
        PAYTR_URL, data=body, content_type="application/x-www-form-urlencoded", HTTP_ACCEPT_LANGUAGE="en"
    )


def test_paytr_hash_is_base64_of_hmac_sha256_over_oid_salt_status_amount():
    digest = hmac.new(b"k", b"OID1" + b"s" + b"success" + b"3456", hashlib.sha256).digest()
    assert expected_hash("OID1", "success", "3456", key="k", salt="s") == base64.b64encode(digest).decode()


def test_paytr_success_records_the_capture_and_answers_plain_ok(client, order):
    reference = payment_reference(order)
    response = post_paytr(client, paytr_body("paytr_success.txt", reference=reference))
    assert response.status_code == 200
    assert response.content == b"OK"
    assert response["Content-Type"].startswith("text/plain")
    payment = Payment.objects.get()
    assert (payment.kind, payment.source, payment.amount, payment.currency) == (
        PaymentKind.CAPTURE,
        "paytr",
        Decimal("200.00"),
        "TRY",
    )
    assert payment.order == order
    assert payment.dedupe_key == f"paytr:{reference}:success"
    callback = ProviderCallback.objects.get()
    assert payment.callback == callback
    assert (callback.outcome, callback.signature_valid, callback.reference) == (
        CallbackOutcome.APPLIED,
        True,
        reference,
    )
    assert "merchant_oid=" in callback.body
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID


def test_paytr_capture_settles_the_orders_open_invoice(client, order):
    invoice = issue_invoice(order)
    post_paytr(client, paytr_body("paytr_success.txt", reference=payment_reference(order)))
    invoice.refresh_from_db()
    assert Payment.objects.get().invoice == invoice
    assert invoice.status == InvoiceStatus.PAID


def test_paytr_bad_hash_is_refused_stored_as_rejected_and_records_nothing(client, order):
    body = paytr_body("paytr_success.txt", reference=payment_reference(order), key="someone-elses-key")
    response = post_paytr(client, body)
    assert response.status_code == 400
    assert b"bad hash" in response.content
    callback = ProviderCallback.objects.get()
    assert (callback.outcome, callback.signature_valid) == (CallbackOutcome.REJECTED, False)
    assert callback.body == body.decode()
    assert not Payment.objects.exists()
    assert not FinanceIssue.objects.exists()
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PENDING


def test_paytr_tampered_amount_breaks_the_hash(client, order):
    body = paytr_body("paytr_success.txt", reference=payment_reference(order)).replace(
        b"total_amount=20000", b"total_amount=2000"
    )
    assert post_paytr(client, body).status_code == 400
    assert not Payment.objects.exists()


def test_paytr_replayed_callback_answers_ok_and_counts_once(client, order):
    body = paytr_body("paytr_success.txt", reference=payment_reference(order))
    first = post_paytr(client, body)
    again = post_paytr(client, body)
    assert (first.content, again.content) == (b"OK", b"OK")
    assert Payment.objects.count() == 1
    assert list(ProviderCallback.objects.order_by("pk").values_list("outcome", flat=True)) == [
        CallbackOutcome.APPLIED,
        CallbackOutcome.DUPLICATE,
    ]
    assert OrderEvent.objects.filter(subject=order, name="order.paid").count() == 1


def test_paytr_installment_surcharge_is_recorded_as_received_and_noted(client, order):
    body = paytr_body(
        "paytr_success.txt", reference=payment_reference(order), total_amount="21240", installment_count="3"
    )
    assert post_paytr(client, body).content == b"OK"
    payment = Payment.objects.get()
    assert payment.amount == Decimal("212.40")
    assert "12.40" in payment.note
    assert "3 installments" in payment.note
    callback = ProviderCallback.objects.get()
    assert callback.outcome == CallbackOutcome.APPLIED
    assert "surcharge" in callback.detail
    assert not FinanceIssue.objects.exists()
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID


def test_paytr_smaller_amount_is_recorded_and_queued_for_finance(client, order):
    body = paytr_body("paytr_success.txt", reference=payment_reference(order), total_amount="15000")
    assert post_paytr(client, body).content == b"OK"
    assert Payment.objects.get().amount == Decimal("150.00")
    callback = ProviderCallback.objects.get()
    assert callback.outcome == CallbackOutcome.MISMATCH
    issue = FinanceIssue.objects.get()
    assert (issue.kind, issue.key, issue.amount, issue.order, issue.callback) == (
        FinanceIssueKind.CALLBACK,
        f"callback:{callback.pk}",
        Decimal("50.00"),
        order,
        callback,
    )
    assert "Amount differs" in issue.detail
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PENDING


def test_paytr_unknown_reference_is_kept_unmatched_and_queued(client, order):
    reference = payment_reference(order)
    unknown = payment_reference(Order(number="SIP-2026-999999"))  # no such order
    assert unknown != reference
    assert order_for_reference(unknown) is None
    response = post_paytr(client, paytr_body("paytr_success.txt", reference=unknown))
    assert response.content == b"OK"  # stored and handled: PayTR must stop retrying
    callback = ProviderCallback.objects.get()
    assert (callback.outcome, callback.reference) == (CallbackOutcome.UNMATCHED, unknown)
    issue = FinanceIssue.objects.get()
    assert (issue.key, issue.amount, issue.order) == (f"callback:{callback.pk}", Decimal("200.00"), None)
    assert not Payment.objects.exists()


def test_paytr_unknown_reference_sent_again_is_queued_once(client):
    unknown = payment_reference(Order(number="SIP-2026-999998"))  # no such order
    body = paytr_body("paytr_success.txt", reference=unknown)
    assert post_paytr(client, body).content == b"OK"
    assert post_paytr(client, body).content == b"OK"
    assert FinanceIssue.objects.count() == 1
    assert list(ProviderCallback.objects.order_by("pk").values_list("outcome", flat=True)) == [
        CallbackOutcome.UNMATCHED,
        CallbackOutcome.DUPLICATE,
    ]


def test_a_reference_with_wrong_check_digits_finds_no_order(order):
    reference = payment_reference(order)
    assert order_for_reference(reference) == order
    wrong = reference[:-2] + f"{(int(reference[-2:]) + 1) % 100:02d}"
    assert order_for_reference(wrong) is None


def test_paytr_failed_payment_records_a_failure_and_marks_the_order_failed(client, order):
    body = paytr_body("paytr_failed.txt", reference=payment_reference(order))
    assert post_paytr(client, body).content == b"OK"
    payment = Payment.objects.get()
    assert (payment.kind, payment.amount) == (PaymentKind.FAILURE, Decimal("200.00"))
    assert "Ödeme onaylanmadı" in payment.note
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.FAILED
    assert ProviderCallback.objects.get().outcome == CallbackOutcome.APPLIED


def test_paytr_failure_after_a_capture_does_not_unpay_the_order(client, order):
    reference = payment_reference(order)
    post_paytr(client, paytr_body("paytr_success.txt", reference=reference))
    post_paytr(client, paytr_body("paytr_failed.txt", reference=reference))
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID
    assert sorted(Payment.objects.values_list("kind", flat=True)) == ["capture", "failure"]


def test_paytr_without_credentials_refuses_and_keeps_the_callback(client, order, settings):
    settings.PAYTR_MERCHANT_KEY = ""
    response = post_paytr(client, paytr_body("paytr_success.txt", reference=payment_reference(order)))
    assert response.status_code == 503
    assert ProviderCallback.objects.get().outcome == CallbackOutcome.REJECTED
    assert not Payment.objects.exists()


def test_unknown_provider_is_404(client):
    response = client.post("/api/v1/payments/callbacks/stripe", data=b"{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_provider"
    assert not ProviderCallback.objects.exists()


# --- iyzico ----------------------------------------------------------------------------------------


class FakeIyzico:
    """Serves queued (status, payload file) answers and records each request (path, headers, body)."""

    def __init__(self):
        self.answers: list[tuple[int, bytes]] = []
        self.requests: list[tuple[str, Any, bytes]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.requests.append((self.path, self.headers, body))  # case-insensitive
                status, data = fake.answers.pop(0)
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, name: str, *, reference: str = "", status: int = 200, **replace) -> None:
        text = (PAYLOADS / name).read_text().replace("REFERENCE", reference)
        for old, new in replace.items():
            text = text.replace(f'"{old}": {json.loads(text)[old]}', f'"{old}": {new}')
        self.answers.append((status, text.encode()))


@pytest.fixture
def iyzico(settings):
    fake = FakeIyzico()
    settings.IYZICO_BASE_URL = fake.url
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def webhook(reference: str, *, secret: str = IYZ_SECRET, **fields) -> tuple[bytes, str]:
    data = json.loads((PAYLOADS / "iyzico_webhook_success.json").read_text().replace("REFERENCE", reference))
    data.update(fields)
    return json.dumps(data).encode(), signature_v3(secret, data)


def post_iyzico(client, body: bytes, signature: str):
    return client.post(
        IYZICO_URL,
        data=body,
        content_type="application/json",
        headers={"X-IYZ-SIGNATURE-V3": signature, "Accept-Language": "en"},
    )


def test_iyzico_signature_v3_reproduces_iyzicos_published_example():
    # github.com/iyzico/iyzipay-php samples/webhook_Signature_Validation.php, "Direct Payments via API"
    data = {
        "paymentConversationId": "conversationId",
        "merchantId": 3382172,
        "paymentId": 22484059,
        "status": "SUCCESS",
        "iyziReferenceCode": "a9af8e6b-4401-4928-b6b8-40419aaa3d0f",
        "iyziEventType": "API_AUTH",
        "iyziEventTime": 1721825828467,
        "iyziPaymentId": 22484059,
    }
    assert (
        signature_v3("sandbox-UuLnD7wZa0a3DmytfIrwHQqAMfqCNJrs", data)
        == "92c7a72b7741bc83eb696066605c894778c87297b2c88d6037670666230e18ae"
    )


def test_iyzico_signature_v3_of_the_hosted_page_format_reproduces_iyzicos_example():
    data = {
        "paymentConversationId": "conversationId",
        "merchantId": 3382172,
        "token": "e828c62d-fd12-4b1a-ad5a-380f15fe6596",
        "status": "SUCCESS",
        "iyziReferenceCode": "77e1635c-6b39-475a-8b7b-ca15ad0cd4ac",
        "iyziEventType": "CHECKOUT_FORM_AUTH",
        "iyziEventTime": 1721825036103,
        "iyziPaymentId": 22483975,
    }
    assert (
        signature_v3("sandbox-UuLnD7wZa0a3DmytfIrwHQqAMfqCNJrs", data)
        == "4031c575763486a2d2bf3f7ace0baebfcd6bed65393ab4df3fe80c00d5fd6878"
    )


def test_iyzico_success_is_confirmed_by_retrieval_and_records_the_paid_price(client, order, iyzico):
    reference = payment_reference(order)
    iyzico.answer("iyzico_payment_detail_success.json", reference=reference)
    body, signature = webhook(reference)
    response = post_iyzico(client, body, signature)
    assert response.status_code == 200
    # we asked iyzico, signed as its IYZWSv2 scheme says
    path, headers, sent = iyzico.requests[0]
    assert path == "/payment/detail"
    assert json.loads(sent)["paymentId"] == "22484059"
    scheme, encoded = headers["Authorization"].split(" ")
    assert scheme == "IYZWSv2"
    parts = dict(item.split(":", 1) for item in base64.b64decode(encoded).decode().split("&"))
    assert parts["apiKey"] == IYZ_API_KEY
    assert parts["randomKey"] == headers["x-iyzi-rnd"]
    assert (
        parts["signature"]
        == hmac.new(
            IYZ_SECRET.encode(), (parts["randomKey"] + path).encode() + sent, hashlib.sha256
        ).hexdigest()
    )
    # and recorded what iyzico says was charged (3 installments with commission), not the webhook
    payment = Payment.objects.get()
    assert (payment.kind, payment.source, payment.amount, payment.provider_reference) == (
        PaymentKind.CAPTURE,
        "iyzico",
        Decimal("212.40"),
        "22484059",
    )
    assert payment.dedupe_key == "iyzico:22484059:success"
    callback = ProviderCallback.objects.get()
    assert (callback.outcome, callback.signature_valid, callback.reference) == (
        CallbackOutcome.APPLIED,
        True,
        reference,
    )
    assert callback.headers["X-IYZ-SIGNATURE-V3"] == signature
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.PAID


def test_iyzico_bad_signature_is_refused_without_asking_iyzico(client, order, iyzico):
    body, _signature = webhook(payment_reference(order))
    _other, wrong = webhook(payment_reference(order), secret="not-our-secret")
    response = post_iyzico(client, body, wrong)
    assert response.status_code == 400
    assert iyzico.requests == []
    callback = ProviderCallback.objects.get()
    assert (callback.outcome, callback.signature_valid) == (CallbackOutcome.REJECTED, False)
    assert not Payment.objects.exists()


def test_iyzico_replayed_webhook_records_once(client, order, iyzico):
    reference = payment_reference(order)
    iyzico.answer("iyzico_payment_detail_success.json", reference=reference)
    iyzico.answer("iyzico_payment_detail_success.json", reference=reference)
    body, signature = webhook(reference)
    assert post_iyzico(client, body, signature).status_code == 200
    assert post_iyzico(client, body, signature).status_code == 200
    assert Payment.objects.count() == 1
    assert ProviderCallback.objects.order_by("-pk").first().outcome == CallbackOutcome.DUPLICATE


def test_iyzico_unreachable_answers_503_so_the_webhook_is_retried(client, order, iyzico):
    reference = payment_reference(order)
    iyzico.answer("iyzico_error.json", status=500)
    body, signature = webhook(reference)
    response = post_iyzico(client, body, signature)
    assert response.status_code == 503
    callback = ProviderCallback.objects.get()
    assert callback.outcome == CallbackOutcome.REJECTED
    assert "Could not confirm" in callback.detail
    assert not Payment.objects.exists()
    # iyzico's retry, once its API answers, is recorded
    iyzico.answer("iyzico_payment_detail_success.json", reference=reference)
    assert post_iyzico(client, body, signature).status_code == 200
    assert Payment.objects.get().amount == Decimal("212.40")


def test_iyzico_refusing_the_retrieval_records_nothing(client, order, iyzico):
    iyzico.answer("iyzico_error.json")
    body, signature = webhook(payment_reference(order))
    assert post_iyzico(client, body, signature).status_code == 400
    assert not Payment.objects.exists()
    assert ProviderCallback.objects.get().outcome == CallbackOutcome.REJECTED


def test_iyzico_retrieved_status_wins_over_the_webhook(client, order, iyzico):
    reference = payment_reference(order)
    iyzico.answer("iyzico_payment_detail_failure.json", reference=reference)
    body, signature = webhook(reference)  # says SUCCESS
    assert post_iyzico(client, body, signature).status_code == 200
    payment = Payment.objects.get()
    assert (payment.kind, payment.dedupe_key) == (PaymentKind.FAILURE, "iyzico:22484059:failure")
    assert "limit" in payment.note
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.FAILED


def test_iyzico_intermediate_status_is_stored_and_nothing_else(client, order, iyzico):
    body, signature = webhook(payment_reference(order), status="INIT_THREEDS")
    assert post_iyzico(client, body, signature).status_code == 200
    assert iyzico.requests == []
    assert not Payment.objects.exists()
    assert ProviderCallback.objects.get().signature_valid


def test_iyzico_smaller_paid_price_is_recorded_and_queued(client, order, iyzico):
    reference = payment_reference(order)
    iyzico.answer("iyzico_payment_detail_success.json", reference=reference, paidPrice="120.5", price="120.5")
    body, signature = webhook(reference)
    assert post_iyzico(client, body, signature).status_code == 200
    assert Payment.objects.get().amount == Decimal("120.50")
    issue = FinanceIssue.objects.get()
    assert (issue.kind, issue.amount) == (FinanceIssueKind.CALLBACK, Decimal("79.50"))
    assert ProviderCallback.objects.get().outcome == CallbackOutcome.MISMATCH
