"""iyzico's payment webhook, confirmed by re-retrieving the payment from iyzico's API.

iyzico POSTs JSON once a payment attempt ends (and retries until it gets a 2xx). The "direct"
format (API and 3DS payments): ``paymentConversationId`` (our payment reference, see
``billing.providers``), ``merchantId``, ``paymentId``, ``status`` (``SUCCESS``, ``FAILURE``, or an
intermediate ``INIT_THREEDS``, ``CALLBACK_THREEDS`` ...), ``iyziReferenceCode``,
``iyziEventType`` (``API_AUTH``, ``THREE_DS_AUTH`` ...), ``iyziEventTime``. The hosted payment
page format sends ``iyziPaymentId`` and ``token`` instead of ``paymentId``.

Authenticity: header ``X-IYZ-SIGNATURE-V3`` = hex HMAC-SHA256, keyed with the merchant's secret
key, of the concatenation

- direct format: ``secretKey + iyziEventType + paymentId + paymentConversationId + status``;
- hosted page format: ``secretKey + iyziEventType + iyziPaymentId + token + paymentConversationId
  + status``.

Sources: docs.iyzico.com "Webhook" (ek-servisler/webhook, en/advanced/webhook): payload fields
and the V3 header; iyzico's official client library sample ``samples/webhook_Signature_Validation.php``
in github.com/iyzico/iyzipay-php, whose published example (secret
``sandbox-UuLnD7wZa0a3DmytfIrwHQqAMfqCNJrs``, ``API_AUTH``, payment ``22484059``, conversation
``conversationId``, ``SUCCESS`` -> ``92c7a72b...0e18ae``) our tests reproduce.

iyzico's rule "always re-retrieve the payment to confirm": a webhook with a valid signature is
only a hint. ``IyzicoClient.retrieve_payment`` asks ``POST /payment/detail`` (docs.iyzico.com
"Retrieve Payment"), and only what it answers is recorded: ``paymentStatus`` decides success, the
capture is ``paidPrice`` (what the card was charged, installment commission included; ``price`` is
the basket). When iyzico cannot be reached we answer 503 so the webhook is retried.

API authentication (docs.iyzico.com "HMACSHA256 Auth"): ``Authorization: IYZWSv2
base64("apiKey:<key>&randomKey:<rnd>&signature:<hex HMAC-SHA256(secretKey, rnd + uri path +
body)>")`` with the random key also in ``x-iyzi-rnd``.

Settings: ``IYZICO_API_KEY``, ``IYZICO_SECRET_KEY``, ``IYZICO_BASE_URL``
(``https://api.iyzipay.com``; sandbox ``https://sandbox-api.iyzipay.com``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from billing.models import CallbackOutcome, PaymentSource
from billing.providers.base import Reply, Verified, finish, run, store_callback
from oms.money import to_decimal

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-IYZ-SIGNATURE-V3"
DEFAULT_BASE_URL = "https://api.iyzipay.com"
FINAL_STATUSES = {"SUCCESS", "FAILURE"}
OK = Reply(200, '{"status":"ok"}', "application/json")


class IyzicoError(Exception):
    """iyzico could not be asked, or refused the question."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


def signature_v3(secret_key: str, data: Mapping[str, Any]) -> str:
    """The ``X-IYZ-SIGNATURE-V3`` iyzico sends with webhook ``data`` (both formats)."""

    def text(name: str) -> str:
        value = data.get(name)
        return "" if value is None else str(value)

    if "token" in data:
        parts = ("iyziEventType", "iyziPaymentId", "token", "paymentConversationId", "status")
    else:
        parts = ("iyziEventType", "paymentId", "paymentConversationId", "status")
    message = secret_key + "".join(text(name) for name in parts)
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def authorization(*, api_key: str, secret_key: str, random_key: str, path: str, body: bytes) -> str:
    """The ``Authorization`` header value of an iyzico API request (IYZWSv2)."""
    signed = hmac.new(secret_key.encode(), random_key.encode() + path.encode() + body, hashlib.sha256)
    plain = f"apiKey:{api_key}&randomKey:{random_key}&signature:{signed.hexdigest()}"
    return "IYZWSv2 " + base64.b64encode(plain.encode()).decode()


class IyzicoClient:
    """The few iyzico API calls we make (stdlib HTTP; nothing here touches the database)."""

    def __init__(self, *, base_url: str, api_key: str, secret_key: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.secret_key = secret_key
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> IyzicoClient:
        return cls(
            base_url=getattr(settings, "IYZICO_BASE_URL", "") or DEFAULT_BASE_URL,
            api_key=getattr(settings, "IYZICO_API_KEY", ""),
            secret_key=getattr(settings, "IYZICO_SECRET_KEY", ""),
        )

    def retrieve_payment(self, payment_id: str, *, conversation_id: str = "") -> dict[str, Any]:
        """``POST /payment/detail``: the payment as iyzico has it (amounts as ``Decimal``)."""
        payload = {"locale": "tr", "conversationId": conversation_id, "paymentId": str(payment_id)}
        if conversation_id:
            payload["paymentConversationId"] = conversation_id
        return self._post("/payment/detail", payload)

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        if not self.base_url.startswith(("https://", "http://")):
            raise IyzicoError("IYZICO_BASE_URL is not an http(s) URL", retryable=False)
        body = json.dumps(payload, separators=(",", ":")).encode()
        random_key = secrets.token_hex(8)
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            self.base_url + path,
            data=body,
            method="POST",
            headers={
                "Accept": "application/json",
                "Content-Type": "application/json",
                "x-iyzi-rnd": random_key,
                "Authorization": authorization(
                    api_key=self.api_key,
                    secret_key=self.secret_key,
                    random_key=random_key,
                    path=path,
                    body=body,
                ),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise IyzicoError(f"iyzico answered HTTP {error.code}", retryable=error.code >= 500) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise IyzicoError(f"iyzico could not be reached: {error}") from None
        try:
            data = json.loads(raw, parse_float=Decimal)
        except ValueError:
            raise IyzicoError("iyzico answered something that is not JSON") from None
        if not isinstance(data, dict):
            raise IyzicoError("iyzico answered something that is not a JSON object")
        return data


def _client() -> IyzicoClient:
    """The client the webhook uses (tests point ``IYZICO_BASE_URL`` at a local server)."""
    return IyzicoClient.from_settings()


def handle_callback(body: bytes, *, headers: Mapping[str, str], remote_addr: str | None = None) -> Reply:
    """Store, authenticate, confirm with iyzico and record one webhook; returns our answer."""
    callback = store_callback(PaymentSource.IYZICO, body, headers=headers, remote_addr=remote_addr)
    secret = getattr(settings, "IYZICO_SECRET_KEY", "")
    if not secret:
        logger.error("iyzico webhook %s refused: IYZICO_SECRET_KEY is not set", callback.pk)
        finish(callback, outcome=CallbackOutcome.REJECTED, detail=_("iyzico is not configured."))
        return Reply(503, '{"status":"not configured"}', "application/json")
    try:
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        finish(callback, outcome=CallbackOutcome.REJECTED, detail=_("The body is not a JSON object."))
        return Reply(400, '{"status":"malformed"}', "application/json")
    reference = str(data.get("paymentConversationId") or "")
    given = (headers.get(SIGNATURE_HEADER) or "").strip().lower()
    if not hmac.compare_digest(signature_v3(secret, data).encode(), given.encode()):
        logger.warning("iyzico webhook %s: bad signature from %s", callback.pk, remote_addr)
        finish(
            callback,
            outcome=CallbackOutcome.REJECTED,
            detail=_("Bad signature."),
            signature_valid=False,
            reference=reference,
        )
        return Reply(400, '{"status":"bad signature"}', "application/json")
    payment_id = str(data.get("paymentId") or data.get("iyziPaymentId") or "")
    status = str(data.get("status") or "")
    if status not in FINAL_STATUSES:
        finish(
            callback,
            outcome=CallbackOutcome.APPLIED,
            detail=_("Intermediate status %(status)s: nothing to record.") % {"status": status or "-"},
            signature_valid=True,
            reference=reference,
        )
        return OK
    if not payment_id or not reference:
        finish(
            callback,
            outcome=CallbackOutcome.REJECTED,
            detail=_("Signed but unreadable: paymentId or paymentConversationId is missing."),
            signature_valid=True,
            reference=reference,
        )
        return Reply(400, '{"status":"malformed"}', "application/json")
    try:
        payment = _client().retrieve_payment(payment_id, conversation_id=reference)
    except IyzicoError as error:
        logger.warning("iyzico webhook %s: could not retrieve payment %s: %s", callback.pk, payment_id, error)
        finish(
            callback,
            outcome=CallbackOutcome.REJECTED,
            detail=_("Could not confirm the payment with iyzico: %(error)s") % {"error": error},
            signature_valid=True,
            reference=reference,
        )
        return Reply(503, '{"status":"retry"}', "application/json")
    confirmed = str(payment.get("paymentStatus") or "").upper()
    if (
        payment.get("status") != "success"
        or str(payment.get("paymentId") or "") != payment_id
        or confirmed not in FINAL_STATUSES
    ):
        detail = _("iyzico does not confirm payment %(id)s: %(error)s") % {
            "id": payment_id,
            "error": payment.get("errorMessage") or payment.get("paymentStatus") or "-",
        }
        finish(
            callback,
            outcome=CallbackOutcome.REJECTED,
            detail=detail,
            signature_valid=True,
            reference=reference,
        )
        return Reply(400, '{"status":"not confirmed"}', "application/json")
    finish(
        callback,
        outcome=CallbackOutcome.REJECTED,
        detail=_("Verified; handling."),
        signature_valid=True,
        reference=reference,
    )
    paid = payment.get("paidPrice")
    price = payment.get("price")
    installment = payment.get("installment")
    verified = Verified(
        source=PaymentSource.IYZICO,
        reference=reference,
        succeeded=confirmed == "SUCCESS",
        dedupe_key=f"iyzico:{payment_id}:{confirmed.lower()}",
        provider_reference=payment_id,
        amount=to_decimal(str(paid)) if paid not in (None, "") and to_decimal(str(paid)) > 0 else None,
        currency=str(payment.get("currency") or "").upper(),
        base_amount=to_decimal(str(price)) if price not in (None, "") else None,
        installments=installment if isinstance(installment, int) and installment > 0 else 1,
        failure_reason=str(payment.get("errorMessage") or "")[:255] if confirmed != "SUCCESS" else "",
    )
    if verified.succeeded and verified.amount is None:
        finish(
            callback,
            outcome=CallbackOutcome.REJECTED,
            detail=_("iyzico confirms the payment but names no paid price."),
            reference=reference,
        )
        return Reply(400, '{"status":"not confirmed"}', "application/json")
    return run(callback, verified, ok=OK)
