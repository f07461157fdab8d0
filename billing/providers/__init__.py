"""Card payment providers' callbacks (PayTR, iyzico): authenticate, store, then record.

Every callback goes through the same three steps, in this order:

1. **Store** it as a ``ProviderCallback`` row as received (the body text, a few headers, the
   sender's address) whatever happens next, in its own committed transaction, so nothing a
   provider sent is ever lost, even when the handling fails.
2. **Verify** its signature on the raw input before anything in it is believed (PayTR: a hash of
   four posted fields; iyzico: the ``X-IYZ-SIGNATURE-V3`` header, then the payment re-retrieved
   from iyzico's API). A bad signature leaves the row ``rejected`` and nothing recorded.
3. **Record** it through ``billing.payments.record_payment`` under a dedupe key naming the
   provider's own identifiers (``paytr:<merchant_oid>:<status>``, ``iyzico:<paymentId>:<status>``):
   a replayed callback finds its first payment and changes nothing (outcome ``duplicate``).

Our reference at the providers is the order's payment reference
(``billing.invoicing.payment_reference``: the order number without dashes plus two mod-97 check
digits, e.g. ``SIP2026000370`` + ``52``): PayTR's ``merchant_oid`` (which must be alphanumeric)
and iyzico's ``conversationId``/``basketId`` when the payment is started. ``order_for_reference``
finds the order back.

Providers: ``billing.providers.paytr`` and ``billing.providers.iyzico``; ``handle_callback``
dispatches by name (the API endpoint ``POST /api/v1/payments/callbacks/{provider}`` calls it).
"""

from __future__ import annotations

from billing.providers.base import PROVIDERS, Reply, UnknownProvider, handle_callback, order_for_reference

__all__ = ["PROVIDERS", "Reply", "UnknownProvider", "handle_callback", "order_for_reference"]
