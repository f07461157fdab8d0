"""The JSON API root (``/api/v1/``): apps add their routers here; errors are RFC 9457 problems."""

from django.db import connection
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from billing.api import router as billing_router
from billing.api_callbacks import router as payment_callbacks_router
from fulfillment.api import router as fulfillment_router
from inventory.api import router as inventory_router
from oms.apikeys import api_auth
from oms.errors import DomainError, InvalidInput, NotAuthenticated, NotFound, NotPermitted
from oms.middleware import problem_response
from oms.models import Province
from orders.api import router as orders_router

api = NinjaAPI(
    title="OMS API",
    version="1",
    description="Orders, stock, fulfillment, returns and billing for integrations (ERP, POS, WMS, CRM).",
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError):
    return problem_response(exc, request)


def _field_errors(errors: list[dict]) -> list[dict]:
    """Schema errors in the shape business validation uses: ``{field, code, message}`` with the
    field as a path (``lines[0].quantity``), plus pydantic's ``loc`` for clients that want it."""
    out = []
    for error in errors:
        loc = [part for part in error.get("loc", ()) if part not in ("body", "payload", "query", "path")]
        field = ""
        for part in loc:
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
        out.append(
            {**error, "field": field, "code": error.get("type", "invalid"), "message": error.get("msg", "")}
        )
    return out


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):
    return problem_response(
        InvalidInput(_("The request body or parameters are not valid."), errors=_field_errors(exc.errors)),
        request,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError):
    """Ninja's own refusals as problems: a body that is not JSON (400), a failed CSRF check (403)."""
    if exc.status_code == 400:
        error = InvalidInput(_("The request body is not valid JSON."), code="malformed_json")
    elif exc.status_code == 403:
        error = NotPermitted(_("The security check (CSRF) failed; reload the page."), code="csrf_failed")
    else:
        error = DomainError(str(exc), code="http_error")
    error.status = exc.status_code
    return problem_response(error, request)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):
    return problem_response(NotFound(_("Not found.")), request)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError):
    return problem_response(NotAuthenticated(_("Log in or send an API key.")), request)


class Health(Schema):
    status: str
    database: str


@api.get("/health", response=Health, tags=["system"], summary="Service health")
def health(request: HttpRequest):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok", "database": "ok"}


REFERENCE_AUTH = api_auth("reference:read", "oms.view_dashboard")


class ProvinceOut(Schema):
    code: int
    name: str
    slug: str
    region: str
    latitude: float
    longitude: float


@api.get(
    "/provinces", response=list[ProvinceOut], auth=REFERENCE_AUTH, tags=["reference"], summary="Provinces"
)
def province_list(request: HttpRequest, region: str | None = None):
    """Türkiye's 81 provinces with plate codes and centres, for address forms and integrations."""
    provinces = Province.objects.all()
    return provinces.filter(region=region) if region else provinces


@api.get(
    "/provinces/{code}", response=ProvinceOut, auth=REFERENCE_AUTH, tags=["reference"], summary="One province"
)
def province_detail(request: HttpRequest, code: int):
    province = Province.objects.filter(code=code).first()
    if province is None:
        raise NotFound(
            _("There is no province with plate code %(code)s.") % {"code": code}, code="unknown_province"
        )
    return province


api.add_router("/", inventory_router)
api.add_router("/", orders_router)
api.add_router("/", fulfillment_router)
api.add_router("/", billing_router)
api.add_router("/", payment_callbacks_router)
