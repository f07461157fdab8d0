"""``Idempotency-Key`` for API creates: the same key and body twice gives the first answer again.

A client that lost the response to ``POST /api/v1/stock/adjustments`` retries with the same key and
gets the stored answer instead of a second adjustment. The record row is inserted before the work,
in the same transaction, so a concurrent retry waits on the unique index and then replays.
Server errors (5xx) are not stored: the transaction rolls back and the client may retry.
"""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from oms.errors import Conflict, InvalidInput
from oms.middleware import problem_response
from oms.models import IdempotencyRecord

HEADER = "Idempotency-Key"
METHODS = {"POST", "PUT", "PATCH"}


def _owner(request: HttpRequest) -> str:
    """Whose key space: the credentials sent (API key or session), hashed; never stored in clear."""
    credential = (
        request.headers.get("Authorization")
        or request.headers.get("X-API-Key")
        or request.COOKIES.get("sessionid")
        or "anonymous"
    )
    return hashlib.sha256(credential.encode()).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str, request: HttpRequest) -> HttpResponse:
    if record.fingerprint != fingerprint:
        return problem_response(
            InvalidInput(
                _("This Idempotency-Key was used for a different request."), code="idempotency_key_reused"
            ),
            request,
        )
    if record.status_code is None:
        return problem_response(Conflict(_("The first request with this key is still running.")), request)
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if not key or request.method not in METHODS or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > 255:
            return problem_response(InvalidInput(_("Idempotency-Key is too long (255 at most).")), request)
        owner = _owner(request)
        fingerprint = hashlib.sha256(
            request.method.encode() + request.path.encode() + request.body
        ).hexdigest()
        existing = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
        if existing:
            return _replay(existing, fingerprint, request)
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        record = IdempotencyRecord.objects.create(
                            owner=owner, key=key, fingerprint=fingerprint
                        )
                except IntegrityError:
                    # A concurrent request with this key committed first (we waited on its lock).
                    raise _SeenMeanwhile from None
                response = self.get_response(request)
                if response.status_code >= 500 or response.status_code in (401, 403):
                    transaction.set_rollback(True)  # not an answer worth replaying
                    return response
                record.status_code = response.status_code
                record.content_type = response.get("Content-Type", "")
                record.body = response.content
                record.save(update_fields=["status_code", "content_type", "body"])
                return response
        except _SeenMeanwhile:
            return _replay(IdempotencyRecord.objects.get(owner=owner, key=key), fingerprint, request)


class _SeenMeanwhile(Exception):
    pass


def purge(*, older_than_days: int = 7) -> int:
    """Forget answers older than the retry window (daily beat job)."""
    from datetime import timedelta

    from django.utils import timezone

    deleted, _details = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=older_than_days)
    ).delete()
    return deleted
