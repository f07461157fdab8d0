"""PayTR's payment result callback ("Bildirim URL", iFrame API step 2).

PayTR POSTs form fields (``application/x-www-form-urlencoded``) once per payment attempt:
``merchant_oid`` (our payment reference, see ``billing.providers``), ``status`` (``success`` or
``failed``), ``total_amount`` (what the customer was charged, in kuruş: ``"34.56"`` is
``"3456"``), ``hash``, and optionally ``failed_reason_code``/``failed_reason_msg``,
``payment_type`` (``card``/``eft``), ``installment_count``, ``currency`` (``TL``, ``USD`` ...),
``payment_amount`` (the amount we asked for, kuruş) and ``test_mode``.

Authenticity: ``hash == base64(HMAC-SHA256(merchant_key, merchant_oid + merchant_salt + status +
total_amount))``, compared in constant time before any field is believed. A bad hash is stored
``rejected`` and answered 400 with a short text; nothing is recorded.

The answer is the plain text ``OK`` once the callback is stored and handled, duplicates
included: PayTR retries every minute until it gets ``OK``, and the dedupe key
``paytr:<merchant_oid>:<status>`` makes every retry a no-op. ``total_amount`` may exceed the order
total when the customer chose a costlier installment plan: the capture is recorded as charged and
the surcharge noted (see ``billing.providers.base.apply``).

Sources: PayTR developer documentation, "iFrame API 2. Adım" (https://dev.paytr.com/en/iframe-api/
iframe-api-2-adim): field table, hash formula and the "OK" answer; INTEGRATIONS.md (Payments).

Settings: ``PAYTR_MERCHANT_KEY``, ``PAYTR_MERCHANT_SALT`` (from the environment).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Mapping
from decimal import Decimal
from urllib.parse import parse_qsl

from django.conf import settings
from django.utils.translation import gettext as _

from billing.models import CallbackOutcome, PaymentSource
from billing.providers.base import Reply, Verified, finish, run, store_callback

logger = logging.getLogger(__name__)

OK = Reply(200, "OK")
CURRENCIES = {"TL": "TRY", "TRY": "TRY", "USD": "USD", "EUR": "EUR", "GBP": "GBP"}


def expected_hash(merchant_oid: str, status: str, total_amount: str, *, key: str, salt: str) -> str:
    """The ``hash`` PayTR sends with a callback (base64 of the HMAC-SHA256 digest)."""
    message = f"{merchant_oid}{salt}{status}{total_amount}".encode()
    return base64.b64encode(hmac.new(key.encode(), message, hashlib.sha256).digest()).decode()


def _fields(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _kurus(value: str) -> Decimal | None:
    value = (value or "").strip()
    return Decimal(int(value)) / 100 if value.isascii() and value.isdigit() else None


def handle_callback(body: bytes, *, headers: Mapping[str, str], remote_addr: str | None = None) -> Reply:
    """Store, authenticate and record one PayTR callback; returns PayTR's expected answer."""
    callback = store_callback(PaymentSource.PAYTR, body, headers=headers, remote_addr=remote_addr)
    fields = _fields(body)
    oid = fields.get("merchant_oid", "")
    status = fields.get("status", "")
    total = fields.get("total_amount", "")
    key = getattr(settings, "PAYTR_MERCHANT_KEY", "")
    salt = getattr(settings, "PAYTR_MERCHANT_SALT", "")
    if not key or not salt:
        logger.error("PayTR callback %s refused: PAYTR_MERCHANT_KEY/SALT are not set", callback.pk)
        finish(
            callback, outcome=CallbackOutcome.REJECTED, detail=_("PayTR is not configured."), reference=oid
        )
        return Reply(503, "PAYTR notification failed: not configured")
    expected = expected_hash(oid, status, total, key=key, salt=salt)
    if not hmac.compare_digest(expected.encode(), fields.get("hash", "").encode()):
        logger.warning("PayTR callback %s: bad hash from %s", callback.pk, remote_addr)
        finish(
            callback,
            outcome=CallbackOutcome.REJECTED,
            detail=_("Bad hash."),
            signature_valid=False,
            reference=oid,
        )
        return Reply(400, "PAYTR notification failed: bad hash")
    amount = _kurus(total)
    if (
        not oid
        or status not in ("success", "failed")
        or amount is None
        or (status == "success" and not amount)
    ):
        finish(
            callback,
            outcome=CallbackOutcome.REJECTED,
            detail=_("Signed but unreadable: merchant_oid, status or total_amount is missing or wrong."),
            signature_valid=True,
            reference=oid,
        )
        return Reply(400, "PAYTR notification failed: malformed")
    finish(
        callback,
        outcome=CallbackOutcome.REJECTED,
        detail=_("Verified; handling."),
        signature_valid=True,
        reference=oid,
    )
    count = fields.get("installment_count", "")
    installments = int(count) if count.isascii() and count.isdigit() and int(count) > 0 else 1
    reason = " ".join(
        part for part in (fields.get("failed_reason_code", ""), fields.get("failed_reason_msg", "")) if part
    )
    verified = Verified(
        source=PaymentSource.PAYTR,
        reference=oid,
        succeeded=status == "success",
        dedupe_key=f"paytr:{oid}:{status}",
        provider_reference=oid,
        amount=amount if amount > 0 else None,
        currency=CURRENCIES.get(fields.get("currency", "").upper(), fields.get("currency", "").upper()),
        base_amount=_kurus(fields.get("payment_amount", "")),
        installments=installments,
        failure_reason=reason[:255],
    )
    return run(callback, verified, ok=OK)
