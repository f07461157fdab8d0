"""API authentication: integration keys with scopes, or a panel session with the matching permission."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from ninja.security import HttpBearer, SessionAuth

from oms import audit
from oms.errors import InvalidInput, NotPermitted
from oms.models import ApiKey

# Every scope an integration can be given; apps add theirs when their API lands.
SCOPES = {
    "reference:read": _lazy("Provinces and other reference data"),
    "inventory:read": _lazy("Products, stock levels and movements"),
    "inventory:write": _lazy("Stock adjustments"),
    "orders:read": _lazy("Orders, their lines, allocations and timeline"),
    "orders:write": _lazy("Create and cancel orders, hold stock for carts"),
    "orders:approve": _lazy("Approve orders held for approval (on behalf of the key's creator)"),
    "billing:read": _lazy("Invoices, credit notes and their PDF/XML"),
}
KEY_PREFIX = "oms"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_key(*, name: str, scopes: list[str], by=None) -> tuple[ApiKey, str]:
    """Create a key; returns it with the plaintext ``oms_<prefix>_<secret>``, shown only now."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidInput(
            _("Unknown or missing scopes: %(s)s") % {"s": ", ".join(unknown) or "-"}, code="bad_scope"
        )
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        key_hash=_digest(secret),
        scopes=sorted(set(scopes)),
        created_by=by if getattr(by, "pk", None) else None,
    )
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


def revoke_api_key(*, key: ApiKey) -> ApiKey:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key


def verify(token: str) -> ApiKey | None:
    """The active key for ``token``, or None. Constant-time comparison of the hashed secret."""
    parts = (token or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key = ApiKey.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.key_hash, _digest(parts[2])):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):  # cheap usage tracking
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer oms_...`` (or ``X-API-Key: oms_...``) with the operation's scope."""

    def __init__(self, scope: str) -> None:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope}")
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest):
        header = request.headers.get("X-API-Key")
        return self.authenticate(request, header) if header else super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str):
        key = verify(token)
        if key is None:
            return None
        if self.scope not in key.scopes:
            raise NotPermitted(
                _("This API key lacks the scope %(scope)s.") % {"scope": self.scope},
                code="insufficient_scope",
            )
        request.api_key = key
        audit.set_actor(label=f"api:{key.name}"[:150], remote_addr=request.META.get("REMOTE_ADDR"))
        return key


class PanelSessionAuth(SessionAuth):
    """A logged-in panel user (browser, htmx) with the permission the operation needs; CSRF checked."""

    def __init__(self, permission: str) -> None:
        self.permission = permission
        super().__init__()

    def authenticate(self, request: HttpRequest, key: str | None):
        user = request.user
        if not user.is_authenticated:
            return None
        if not user.has_perm(self.permission):
            raise NotPermitted(_("Your role does not allow this."), code="forbidden")
        return user


def api_auth(scope: str, permission: str) -> list:
    """Auth for an endpoint: an integration key with ``scope``, or a panel user with ``permission``."""
    return [ApiKeyAuth(scope), PanelSessionAuth(permission)]
