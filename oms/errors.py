"""Domain errors: a business rule said no.

Services raise these; the panel shows them as a flash message (``oms.middleware.DomainErrorMiddleware``)
and the API as an RFC 9457 problem document (``problem()``). They never become a 500.
Apps subclass them with their own ``code`` and data (``InsufficientStock``, ``IllegalTransition`` ...).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every business-rule failure; ``status`` is what the API answers with."""

    code: str = "domain_error"
    status: int = 409
    title = _("The action could not be completed")

    def __init__(self, message: str | None = None, *, code: str | None = None, **data: Any) -> None:
        self.message = str(message if message is not None else self.title)
        if code:
            self.code = code
        self.data = data
        super().__init__(self.message)

    def problem(self, *, instance: str = "") -> dict[str, Any]:
        """The RFC 9457 problem document; extra data travels as extension members."""
        body: dict[str, Any] = {
            "type": f"/problems/{self.code.replace('_', '-')}",
            "title": str(self.title),
            "status": self.status,
            "detail": self.message,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        body.update({k: v for k, v in self.data.items() if k not in body})
        return body


class InvalidInput(DomainError):
    """Input that passed the form or schema but breaks a business rule (unknown SKU, bad amount)."""

    code = "invalid_input"
    status = 422
    title = _("The input is not valid")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = _("Not found")


class Conflict(DomainError):
    """The record changed under us or the act was already done (e.g. a duplicate)."""

    code = "conflict"
    status = 409
    title = _("Conflict with the current state")


class IllegalTransition(DomainError):
    """A status change the state machine does not allow."""

    code = "illegal_transition"
    status = 409
    title = _("This status change is not allowed")

    def __init__(self, message: str | None = None, *, current: str, target: str, **data: Any) -> None:
        if message is None:
            message = _("Cannot go from “%(current)s” to “%(target)s”.") % {
                "current": current,
                "target": target,
            }
        super().__init__(message, current=current, target=target, **data)


class NotAuthenticated(DomainError):
    code = "unauthenticated"
    status = 401
    title = _("Authentication required")


class NotPermitted(DomainError):
    """The user may not perform this business act (e.g. approving their own order)."""

    code = "not_permitted"
    status = 403
    title = _("Not permitted")
