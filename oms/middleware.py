"""Request plumbing: the audit actor, the user's language, and domain errors as messages/problems."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from oms import audit
from oms.errors import DomainError

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_response(error: DomainError, request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error.problem(instance=request.path),
        status=error.status,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.startswith("/api/") or ("json" in accept and "html" not in accept)


class CurrentUserMiddleware:
    """Everything a request changes is attributed to its user in the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user if request.user.is_authenticated else None
        with audit.acting_as(
            user, label="" if user else "anonymous", remote_addr=request.META.get("REMOTE_ADDR")
        ):
            return self.get_response(request)


class UserLanguageMiddleware:
    """A logged-in user without a language cookie gets the language saved on their profile."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        user = request.user
        if (
            user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.language
            and user.language != request.LANGUAGE_CODE
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class DomainErrorMiddleware:
    """A ``DomainError`` escaping a view is the user's answer, never a 500.

    API/JSON: RFC 9457 problem document with the error's status. htmx: the flash-message fragment,
    retargeted into the page's message area (status 422, which htmx is configured to swap). Form
    POST: a flash message and a redirect back. Plain GET: the error page with the status.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        if wants_json(request):
            return problem_response(exception, request)
        if getattr(request, "htmx", False):
            messages.error(request, exception.message)
            response = render(request, "partials/messages.html", status=422)
            response["HX-Retarget"] = "#messages"
            response["HX-Reswap"] = "innerHTML"
            return response
        if request.method == "POST":
            messages.error(request, exception.message)
            referer = request.headers.get("Referer", "")
            if url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
                return redirect(referer)
            return redirect("dashboard")
        return render(request, "errors/domain.html", {"error": exception}, status=exception.status)
