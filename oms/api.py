"""The JSON API root (``/api/v1/``): apps add their routers here; errors are RFC 9457 problems."""

from django.db import connection
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, ValidationError

from oms.errors import DomainError, InvalidInput, NotFound, NotPermitted
from oms.middleware import problem_response

api = NinjaAPI(
    title="OMS API",
    version="1",
    description="Orders, stock, fulfillment, returns and billing for integrations (ERP, POS, WMS, CRM).",
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError):
    return problem_response(exc, request)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):
    return problem_response(
        InvalidInput(_("The request body or parameters are not valid."), errors=exc.errors), request
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):
    return problem_response(NotFound(_("Not found.")), request)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError):
    error = NotPermitted(_("Authentication required."), code="unauthenticated")
    error.status = 401
    return problem_response(error, request)


class Health(Schema):
    status: str
    database: str


@api.get("/health", response=Health, tags=["system"], summary="Service health")
def health(request: HttpRequest):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok", "database": "ok"}
