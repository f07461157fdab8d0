"""Panel access: every panel view declares the permissions it needs.

This is the guide's ``role_required``: roles grant permissions (``oms.roles``), views check
permissions, so tailoring a role never needs a code change. Anonymous users are sent to the login
page; logged-in users without the permission get 403.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def _check(request: HttpRequest, perms: tuple[str, ...]) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_active or not request.user.has_perms(perms):
        raise PermissionDenied
    return None


def role_required(*perms: str) -> Callable:
    """Decorator for function views: ``@role_required("oms.access_orders")``."""
    if not perms:
        raise ValueError("role_required needs at least one permission")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            denied = _check(request, perms)
            return denied or view(request, *args, **kwargs)

        wrapped.required_permissions = perms
        return wrapped

    return decorator


class RoleRequiredMixin(AccessMixin):
    """The same for class-based views: set ``required_permissions``."""

    required_permissions: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not self.required_permissions:
            raise ValueError(f"{type(self).__name__} must set required_permissions")
        denied = _check(request, tuple(self.required_permissions))
        return denied or super().dispatch(request, *args, **kwargs)
