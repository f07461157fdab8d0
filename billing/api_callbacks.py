"""Payment providers' callbacks (PayTR, iyzico): authenticated by their signatures, not API keys.

``POST /api/v1/payments/callbacks/paytr`` takes PayTR's form post and answers the plain text
``OK`` (400 on a bad hash); ``POST /api/v1/payments/callbacks/iyzico`` takes iyzico's JSON
webhook (signature header ``X-IYZ-SIGNATURE-V3``) and answers 200 once handled. The raw body is
passed on untouched (``request.body``): signatures are checked on what was sent, and every call is
stored as a ``ProviderCallback`` first. Everything else is in ``billing.providers``.
"""

from django.http import HttpRequest, HttpResponse
from ninja import Router

from billing.providers import handle_callback

router = Router(tags=["payments"])


@router.post(
    "/payments/callbacks/{provider}",
    auth=None,
    summary="Payment provider callback",
    url_name="payment_callback",
)
def payment_callback(request: HttpRequest, provider: str):
    """A payment result pushed by ``provider`` (``paytr`` or ``iyzico``), answered the way that
    provider expects. 404 ``unknown-provider`` for any other name."""
    reply = handle_callback(
        provider,
        body=request.body,
        headers=request.headers,
        remote_addr=request.META.get("REMOTE_ADDR"),
    )
    return HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)
